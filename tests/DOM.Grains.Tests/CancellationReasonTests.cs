using Dom.Grains.Risk;
using Dom.Orders;
using Dom.Risk;

namespace Dom.Grains.Tests;

/// <summary>Each cancellation records its units and why (the customer, no stock, fraud, …), and the order KPIs count the
/// units cancelled by reason.</summary>
[Collection(ClusterCollection.Name)]
public class CancellationReasonTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task Cancellations_record_their_units_and_reason_and_the_KPIs_count_units_by_reason()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 20);
        var channel = _world.Id("web");
        var (id, held, unsaid) = (_world.Id("o1"), _world.Id("o2"), _world.Id("o3"));
        await Order(id).CreateAsync(Request(id, channel, sku, 5, 10m));
        // Worth more than the review threshold: held, then rejected.
        await Order(held).CreateAsync(Request(held, channel, sku, 1, 1_500m));
        await Order(unsaid).CreateAsync(Request(unsaid, channel, sku, 1, 10m));

        await Order(id).CancelUnitsForAsync("c1", "l1", 2, CancelReason.CustomerRequest);
        var order = (await Order(id).CancelForAsync("l1", CancelReason.PriceError)).Order!;
        await Order(held).ReviewAsync(new ReviewDecision(false, "stolen card"));
        await Order(unsaid).CancelAsync(null);
        var stats = OrderStats.Sum(await Task.WhenAll(Enumerable.Range(0, Orders.OrderIndexGrain.Buckets)
            .Select(b => fixture.Grains.GetGrain<IOrderIndexGrain>(b).StatsAsync(channel))));

        Assert.Equal([("l1", 2, CancelReason.CustomerRequest), ("l1", 3, CancelReason.PriceError)],
            order.Cancellations!.Select(c => (c.LineId, c.Quantity, c.Reason!.Value)));
        Assert.Equal(("cancelled", "priceError"), (order.History.Last().Event, order.History.Last().Detail));
        Assert.Equal([(CancelReason?)CancelReason.Fraud], (await Order(held).GetAsync())!.Cancellations!.Select(c => c.Reason));
        Assert.Equal([(CancelReason?)null], (await Order(unsaid).GetAsync())!.Cancellations!.Select(c => c.Reason));
        // Unspecified 1, customerRequest 2, outOfStock 0, fraud 1, duplicate 0, priceError 3, paymentFailed 0, other 0,
        // notCollected 0.
        Assert.Equal([1, 2, 0, 1, 0, 3, 0, 0, 0], stats.CancelledByReason);
    }

    [Fact]
    public async Task A_line_the_channel_cancels_for_want_of_stock_is_cancelled_out_of_stock()
    {
        var (stocked, missing, warehouse) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(stocked, warehouse, 5);
        var id = _world.Id("o");
        // The marketplace cancels what no location has (the fixture's channel policy).
        var created = await Order(id).CreateAsync(Request(id, "marketplace", stocked, 1, 10m) with
        {
            Lines = [new OrderLineRequest("l1", stocked, 1, 10m), new OrderLineRequest("l2", missing, 2, 10m)],
        });

        var order = (await Order(id).GetAsync())!;
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        Assert.Equal([("l2", 2, (CancelReason?)CancelReason.OutOfStock)], order.Cancellations!.Select(c => (c.LineId, c.Quantity, c.Reason)));
    }

    [Fact]
    public async Task An_order_the_risk_check_rejects_at_intake_has_its_units_cancelled_for_fraud_as_a_rejected_review_has()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await fixture.Grains.GetGrain<IRiskListGrain>(RiskListGrain.Key).AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Customer, "c-" + id));

        var created = await Order(id).CreateAsync(Request(id, _world.Id("web"), sku, 2, 10m));

        Assert.Equal(OrderStatus.Rejected, created.Order!.Status);
        Assert.Equal([("l1", 2, (CancelReason?)CancelReason.Fraud)], created.Order.Cancellations!.Select(c => (c.LineId, c.Quantity, c.Reason)));
    }

    [Fact]
    public async Task A_units_cancel_retried_with_another_reason_is_a_conflict_not_answered_as_done_with_the_first_reason()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, _world.Id("web"), sku, 3, 10m));

        var first = await Order(id).CancelUnitsForAsync("c1", "l1", 1, CancelReason.Duplicate);
        var same = await Order(id).CancelUnitsForAsync("c1", "l1", 1, CancelReason.Duplicate);
        var other = await Order(id).CancelUnitsForAsync("c1", "l1", 1, CancelReason.PriceError);
        // A cancel recorded without a reason (an earlier build's fingerprint) is answered as done when retried without one.
        await Order(id).CancelUnitsAsync("c2", "l1", 1);
        var unsaid = await Order(id).CancelUnitsAsync("c2", "l1", 1);

        Assert.Equal((OrderCommandStatus.Done, OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict, OrderCommandStatus.AlreadyDone),
            (first.Status, same.Status, other.Status, unsaid.Status));
        Assert.Equal([(CancelReason?)CancelReason.Duplicate, null], (await Order(id).GetAsync())!.Cancellations!.Select(c => c.Reason));
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static CreateOrderRequest Request(string id, string channel, string sku, int quantity, decimal unitPrice) => new(
        id, channel, "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, unitPrice)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);
}
