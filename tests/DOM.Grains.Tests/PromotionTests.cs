using Dom.Orders;
using Dom.Promotions;

namespace Dom.Grains.Tests;

/// <summary>Promotions at intake: an order is priced by those valid when it is placed, and remembers what each took off
/// each line; its invoices and refunds are at what the promotions left.</summary>
[Collection(ClusterCollection.Name)]
public class PromotionTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    private static DateTimeOffset Now => ClusterFixture.Time.GetUtcNow();

    [Fact]
    public async Task An_order_is_priced_by_the_promotions_valid_when_it_is_placed_and_keeps_that_price()
    {
        var (a, b, _) = await StockedAsync();
        await SaveAsync(Percent("p", 10m, a));
        await SaveAsync(Percent("expired", 50m, a) with { ValidTo = Now });
        await SaveAsync(Percent("other-channel", 50m, a) with { Channels = ["app"] });
        await SaveAsync(Percent("other-currency", 50m, a) with { Currency = "CHF", Amount = null });
        var id = _world.Id("o");

        var created = await Order(id).CreateAsync(Request(id, (a, 2, 25m), (b, 1, 10m)));
        await Catalog.RemoveAsync(_world.Id("p"));
        var replayed = await Order(id).CreateAsync(Request(id, (a, 2, 25m), (b, 1, 10m)));

        var order = created.Order!;
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        Assert.Equal([(_world.Id("p"), "10 %", 5.00m)], order.Lines.Single(l => l.LineId == "l1").Discounts!.Select(d => (d.PromotionId, d.Name, d.Amount)));
        Assert.Null(order.Lines.Single(l => l.LineId == "l2").Discounts);
        Assert.Equal(55m, order.Total);
        Assert.Equal((OrderOutcome.Replayed, 55m, 5.00m), (replayed.Outcome, replayed.Order!.Total, replayed.Order.Lines[0].Discount));
    }

    [Fact]
    public async Task A_coupon_unlocks_its_promotion_and_one_that_unlocks_none_refuses_the_order_and_stores_nothing()
    {
        var (a, _, _) = await StockedAsync();
        var code = _world.Id("SUMMER");
        await SaveAsync(Percent("coupon", 20m, a) with { Code = code });
        var (refused, taken) = (_world.Id("refused"), _world.Id("taken"));

        var unknown = await Order(refused).CreateAsync(Request(refused, (a, 1, 50m)) with { Coupons = [_world.Id("WINTER")] });
        var withoutCoupon = await Order(_world.Id("plain")).CreateAsync(Request(_world.Id("plain"), (a, 1, 50m)));
        var withCoupon = await Order(taken).CreateAsync(Request(taken, (a, 1, 50m)) with { Coupons = [code.ToLowerInvariant()] });
        var retriedWithValid = await Order(refused).CreateAsync(Request(refused, (a, 1, 50m)) with { Coupons = [code] });

        Assert.Equal(OrderOutcome.CouponNotValid, unknown.Outcome);
        Assert.Contains(_world.Id("WINTER"), unknown.Problem);
        Assert.Equal(50m, withoutCoupon.Order!.Total);
        Assert.Equal((OrderOutcome.Created, 40m), (withCoupon.Outcome, withCoupon.Order!.Total));
        Assert.Equal((OrderOutcome.Created, 40m), (retriedWithValid.Outcome, retriedWithValid.Order!.Total));
    }

    [Fact]
    public async Task The_same_order_with_another_coupon_is_another_body_and_with_the_same_coupons_in_another_order_the_same()
    {
        var (a, _, _) = await StockedAsync();
        var code = _world.Id("C");
        await SaveAsync(Percent("coupon", 20m, a) with { Code = code });
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (a, 1, 50m)));

        var withCoupon = await Order(id).CreateAsync(Request(id, (a, 1, 50m)) with { Coupons = [code] });
        var (other, second) = (_world.Id("other"), _world.Id("C2"));
        await SaveAsync(Percent("second", 10m, a) with { Code = second });
        await Order(other).CreateAsync(Request(other, (a, 1, 50m)) with { Coupons = [code, second] });
        var sameCouponsOtherwise = await Order(other).CreateAsync(Request(other, (a, 1, 50m)) with { Coupons = [second.ToLowerInvariant(), code] });

        Assert.Equal(OrderOutcome.IdempotencyConflict, withCoupon.Outcome);
        // Coupons are a set of codes in any case: the same ones in another order and case are the same request.
        Assert.Equal(OrderOutcome.Replayed, sameCouponsOtherwise.Outcome);
    }

    [Fact]
    public async Task Invoices_capture_and_returns_refund_what_the_promotions_left_of_each_unit()
    {
        var (a, _, warehouse) = await StockedAsync();
        // Buy 2, get the third free: three units of 30.00 cost 60.00, 20.00 a unit; the card paid a delivery charge on top.
        await SaveAsync(new Promotion(_world.Id("3for2"), "3 for 2", PromotionKind.BuyXGetY, null, null, null, 2, 1, [a], null, null, null, null, null, 0, false));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (a, 3, 30m)) with { Payments = [new Payment("card", "tok", 64.95m)] });

        var first = await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", warehouse, FulfilmentEventType.Shipped, 2, "DHL", "T2"));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));
        var returned = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        Assert.Equal(20m, first.Order!.Invoices.Single().Total);
        Assert.Equal((60m, 20m), (returned.Captured, returned.Refunded));
        Assert.Equal([("card", 20m)], returned.Returns.Single().Tenders!.Select(t => (t.Method, t.Amount)));
    }

    [Fact]
    public async Task A_line_cancelled_in_part_keeps_the_discount_of_its_other_units()
    {
        var (a, b, _) = await StockedAsync();
        await SaveAsync(new Promotion(_world.Id("from100"), "10 off from 100", PromotionKind.Threshold, null, 10m, 100m, null, null, [a, b], null, null, "EUR", null, null, 0, false));
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, (a, 2, 45m), (b, 1, 30m)));

        var cancelled = await Order(id).CancelAsync("l2");

        // 10.00 over 90 and 30: 7.50 and 2.50; what is left is l1's 82.50.
        Assert.Equal((110m, 7.50m, 2.50m), (created.Order!.Total, created.Order.Lines[0].Discount, created.Order.Lines[1].Discount));
        Assert.Equal(82.50m, cancelled.Order!.Total);
    }

    private async Task<(string A, string B, string Warehouse)> StockedAsync()
    {
        var (a, b, warehouse) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(a, warehouse, 10);
        await _world.StockAsync(b, warehouse, 10);
        return (a, b, warehouse);
    }

    private Promotion Percent(string name, decimal percent, string sku) =>
        new(_world.Id(name), $"{percent:0} %", PromotionKind.Percentage, percent, null, null, null, null, [sku], null, null, null, null, null, 0, false);

    private async Task SaveAsync(Promotion promotion) =>
        Assert.Equal(PromotionSaveStatus.Created, (await Catalog.SaveAsync(promotion)).Status);

    private IPromotionCatalogGrain Catalog => fixture.Grains.GetGrain<IPromotionCatalogGrain>(0);

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static CreateOrderRequest Request(string id, params (string Sku, int Quantity, decimal UnitPrice)[] lines) => new(
        id, "web", "c-" + id, null,
        lines.Select((l, i) => new OrderLineRequest($"l{i + 1}", l.Sku, l.Quantity, l.UnitPrice)).ToList(),
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);
}
