using Dom.Articles;
using Dom.Orders;
using Dom.Promotions;
using Dom.Reservations;

namespace Dom.Grains.Tests;

/// <summary>A bundle ordered becomes a line per component: routed together (unless the bundle may be split), each part
/// with its share of the bundle's price and promotions, fulfilled, invoiced and returned as the articles they are.</summary>
[Collection(ClusterCollection.Name)]
public class BundleOrderTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task A_bundle_line_becomes_its_parts_with_shares_of_its_price_and_discounts_that_add_up_to_the_bundle_s()
    {
        var (camera, card) = (await _world.ArticleAsync("camera"), await _world.ArticleAsync("card"));
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        await _world.StockAsync(camera, warehouse, 10);
        await _world.StockAsync(card, warehouse, 10);
        var kit = await BundleAsync("kit", allowSplit: false, new(camera, 1, 80m), new(card, 2, 10m));
        var promotion = new Promotion(_world.Id("kit10"), "10 %", PromotionKind.Percentage, 10m, null, null, null, null, [kit], null, null, null, null, null, 0, false);
        Assert.Equal(PromotionSaveStatus.Created, (await fixture.Grains.GetGrain<IPromotionCatalogGrain>(0).SaveAsync(promotion)).Status);
        var id = _world.Id("o");

        var created = await Order(id).CreateAsync(Request(id, (kit, 3, 99.99m)));

        var order = created.Order!;
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        // 299.97 shared 80 : 20, and the 30.00 off it the same way; the parts cost what the kits cost.
        Assert.Equal(
            [("l1.1", camera, 3, 239.98m, 24.00m), ("l1.2", card, 6, 59.99m, 6.00m)],
            order.Lines.Select(l => (l.LineId, l.Sku, l.Quantity, l.Bundle!.Price, l.Discount)));
        Assert.All(order.Lines, l => Assert.Equal(("l1", kit, false), (l.Bundle!.LineId, l.Bundle.Sku, l.Bundle.AllowSplit)));
        Assert.Equal((269.97m, 269.97m), (order.Total, order.Lines.Sum(l => l.Value)));
        // Each part's unit price is its share per unit, rounded for show: 239.98 / 3.
        Assert.Equal([79.99m, 10.00m], order.Lines.Select(l => l.UnitPrice));
        Assert.All(order.Lines, l => Assert.Equal(l.Quantity, l.AllocatedQuantity));
    }

    [Fact]
    public async Task A_bundle_kept_together_waits_for_a_location_with_all_of_it_and_one_that_may_be_split_comes_from_where_each_part_is()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        // Near has only a, far only b: no location has a whole bundle.
        var (near, far) = (await _world.LocationAsync("near", 52.5, 13.4), await _world.LocationAsync("far", 48.1, 11.6));
        await _world.StockAsync(a, near, 10);
        await _world.StockAsync(b, far, 10);
        var (kit, loose) = (await BundleAsync("kit", allowSplit: false, new(a, 1), new(b, 1)), await BundleAsync("loose", allowSplit: true, new(a, 1), new(b, 1)));
        var (together, apart) = (_world.Id("together"), _world.Id("apart"));

        var kept = (await Order(together).CreateAsync(Request(together, (kit, 2, 20m)))).Order!;
        var split = (await Order(apart).CreateAsync(Request(apart, (loose, 2, 20m)))).Order!;

        // Kept together, it waits for a location with both (routed line by line, its parts still go as one).
        Assert.Equal(OrderStatus.Backordered, kept.Status);
        Assert.Equal([0, 0], kept.Lines.Select(l => l.AllocatedQuantity));
        Assert.Equal([(a, near), (b, far)], split.Lines.Select(l => (l.Sku, l.Allocations.Single().LocationId)));
    }

    [Fact]
    public async Task Cancelling_a_bundle_line_cancels_its_parts_and_the_message_names_the_bundle()
    {
        var (kit, a, b, warehouse) = await StockedKitAsync();
        var single = await _world.ArticleAsync("single");
        await _world.StockAsync(single, warehouse, 10);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (kit, 2, 30m), (single, 1, 5m)));

        var cancelled = await Order(id).CancelAsync("l1");
        var again = await Order(id).CancelAsync("l1");
        var messages = await Order(id).MessagesAsync();

        Assert.Equal(OrderCommandStatus.Done, cancelled.Status);
        Assert.Equal(OrderCommandStatus.AlreadyDone, again.Status);
        var lines = cancelled.Order!.Lines;
        Assert.Equal([("l1.1", LineStatus.Cancelled, 2), ("l1.2", LineStatus.Cancelled, 4), ("l2", LineStatus.Open, 0)], lines.Select(l => (l.LineId, l.Status, l.CancelledQuantity)));
        Assert.Equal((10, 10, 9), (await _world.AvailableAsync(a, warehouse), await _world.AvailableAsync(b, warehouse), await _world.AvailableAsync(single, warehouse)));
        // The customer is told the bundle is cancelled (not the order, which goes on).
        Assert.Equal($"{kit} of your order {id} is cancelled.", messages!.Single(m => m.Type == "lineCancelled").Text);
    }

    [Fact]
    public async Task A_bundle_waiting_for_supply_is_one_message_about_the_bundle_not_one_per_part()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        await _world.StockAsync(a, warehouse, 10);
        var kit = await BundleAsync("kit", allowSplit: false, new(a, 1), new(b, 1));
        var id = _world.Id("o");

        await Order(id).CreateAsync(Request(id, (kit, 2, 20m)));
        var messages = await Order(id).MessagesAsync();

        Assert.Equal([$"{kit} of your order {id} is not available right now; we send it as soon as it arrives."],
            messages!.Where(m => m.Type == "itemUnavailable").Select(m => m.Text));
    }

    [Fact]
    public async Task A_part_is_shipped_invoiced_and_returned_at_its_share_of_the_bundle_s_price()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        await _world.StockAsync(a, warehouse, 10);
        await _world.StockAsync(b, warehouse, 10);
        var kit = await BundleAsync("kit", allowSplit: false, new(a, 1, 3m), new(b, 1, 1m));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (kit, 1, 40m)) with { Payments = [new Payment("card", "tok", 40m)] });

        var first = await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1.1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1.2", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T2"));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1.2", null, 1, "notNeeded")]));
        var returned = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1.2", 1, 0)]))).Order!;

        // 40.00 shared 3 : 1: the camera's invoice is 30.00, the returned accessory refunds 10.00.
        Assert.Equal(30m, first.Order!.Invoices.Single().Total);
        Assert.Equal((40m, 10m), (returned.Captured, returned.Refunded));
        Assert.Equal(10, await _world.AvailableAsync(b, warehouse));
    }

    [Fact]
    public async Task A_bundle_returned_by_its_line_or_its_sku_comes_back_as_its_parts()
    {
        var (kit, a, b, warehouse) = await StockedKitAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (kit, 2, 30m)));
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1.1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1.2", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));

        var byLine = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "notNeeded")]));
        var bySku = await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", warehouse, [new ReturnLineRequest(null, kit, 1, "notNeeded")]));
        var tooMany = await Order(id).AnnounceReturnAsync(new ReturnRequest("r3", warehouse, [new ReturnLineRequest("l1", null, 1, "notNeeded")]));

        // One kit is one a and two b.
        Assert.Equal([("l1.1", a, 1), ("l1.2", b, 2)], byLine.Order!.Returns.Single(r => r.ReturnId == "r1").Lines.Select(l => (l.LineId, l.Sku, l.Quantity)));
        Assert.Equal(OrderCommandStatus.Done, bySku.Status);
        Assert.Equal([("l1.1", 1), ("l1.2", 2)], bySku.Order!.Returns.Single(r => r.ReturnId == "r2").Lines.Select(l => (l.LineId, l.Quantity)));
        Assert.Equal(OrderCommandStatus.NotAllowed, tooMany.Status);
    }

    [Fact]
    public async Task A_rejected_part_is_routed_again_on_its_own_and_the_other_part_stays_where_it_is()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (near, far) = (await _world.LocationAsync("near", 52.5, 13.4), await _world.LocationAsync("far", 48.1, 11.6));
        foreach (var (sku, at) in new[] { (a, near), (b, near), (b, far) })
        {
            await _world.StockAsync(sku, at, 10);
        }

        var kit = await BundleAsync("kit", allowSplit: false, new(a, 1), new(b, 1));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (kit, 1, 20m)));

        var rejected = await Order(id).ReportAsync(new FulfilmentEvent("r", "l1.2", near, FulfilmentEventType.Rejected, null, null, null));

        var lines = rejected.Order!.Lines;
        Assert.Equal([near], lines[0].Allocations.Select(x => x.LocationId));
        Assert.Equal([(near, AllocationStatus.Rejected), (far, AllocationStatus.Allocated)], lines[1].Allocations.Select(x => (x.LocationId, x.Status)));
    }

    [Fact]
    public async Task A_reservation_of_a_bundle_becomes_the_order_s_parts_at_the_locations_it_held()
    {
        var (kit, a, b, warehouse) = await StockedKitAsync();
        var (reservationId, id) = (_world.Id("r"), _world.Id("o"));
        var reserved = await fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(
            new CreateReservationRequest(reservationId, "web", 600, new ShipTo("DE", 52.5, 13.4), [new LineRequest(kit, 2)]));
        Assert.Equal(ReservationStatus.Held, reserved.Reservation.Status);

        var created = await Order(id).CreateAsync(Request(id, (kit, 2, 30m)) with { ReservationId = reservationId });

        Assert.Equal(OrderOutcome.Created, created.Outcome);
        Assert.Equal([(a, 2, warehouse), (b, 4, warehouse)], created.Order!.Lines.Select(l => (l.Sku, l.AllocatedQuantity, l.Allocations.Single().LocationId)));
        Assert.Equal((8, 6), (await _world.AvailableAsync(a, warehouse), await _world.AvailableAsync(b, warehouse)));
    }

    [Fact]
    public async Task A_bundle_whose_part_would_clash_with_another_line_is_refused_and_nothing_is_taken_in()
    {
        var (kit, a, _, warehouse) = await StockedKitAsync();
        var (sameSku, sameId) = (_world.Id("sku"), _world.Id("id"));

        var componentAgain = await Order(sameSku).CreateAsync(Request(sameSku, (kit, 1, 30m), (a, 1, 10m)));
        var idTaken = await Order(sameId).CreateAsync(Request(sameId, (kit, 1, 30m)) with
        {
            Lines = [new OrderLineRequest("l1", kit, 1, 30m), new OrderLineRequest("l1.2", await _world.ArticleAsync("x"), 1, 1m)],
        });

        Assert.Equal(OrderOutcome.Unsupported, componentAgain.Outcome);
        Assert.Contains(a, componentAgain.Problem);
        Assert.Equal(OrderOutcome.Unsupported, idTaken.Outcome);
        Assert.Contains("l1.2", idTaken.Problem);
        Assert.Null(await Order(sameSku).GetAsync());
        Assert.Equal(10, await _world.AvailableAsync(a, warehouse));
    }

    [Fact]
    public async Task Cancelling_a_bundle_line_takes_all_of_its_price_off_the_order_s_total()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var single = await _world.ArticleAsync("single");
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        foreach (var sku in new[] { a, b, single })
        {
            await _world.StockAsync(sku, warehouse, 10);
        }

        // 10.01 shared 3 : 1: 7.51 for three units of a (2.50 each, rounded for show) and 2.50 for b.
        var kit = await BundleAsync("kit", allowSplit: false, new(a, 3), new(b, 1));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, (kit, 1, 10.01m), (single, 1, 5m)));

        var cancelled = (await Order(id).CancelAsync("l1")).Order!;

        Assert.Equal([7.51m, 2.50m], cancelled.Lines.Take(2).Select(l => l.Value));
        Assert.Equal(5m, cancelled.Total);
    }

    [Fact]
    public async Task The_risk_check_weighs_the_units_on_a_bundle_s_part_lines()
    {
        var (kit, _, _, _) = await StockedKitAsync();
        var id = _world.Id("o");

        var created = await Order(id).CreateAsync(Request(id, (kit, 30, 1m)));

        // 30 kits of one a and two b: line l1.2 carries 60 units of b, over the 50 a line may carry unreviewed.
        Assert.Equal(60, created.Order!.Lines[1].Quantity);
        Assert.Equal(RiskDecision.Review, created.Order.Risk.Decision);
        Assert.Contains("line quantity 60 over 50", created.Order.Risk.Reasons);
    }

    [Fact]
    public async Task An_article_made_a_bundle_after_it_was_ordered_is_routed_as_the_article_the_order_took()
    {
        var (set, a, b) = (await _world.ArticleAsync("set"), await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        await _world.StockAsync(a, warehouse, 10);
        await _world.StockAsync(b, warehouse, 10);
        await _world.StockAsync(set, warehouse, 0);
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, (set, 2, 20m)));
        Assert.Equal(OrderStatus.Backordered, created.Order!.Status);
        // The article becomes a bundle of a and b, and its own units come in: the order's line is the article it ordered.
        await fixture.Grains.GetGrain<IArticleGrain>(set).PutAsync(new ArticleInfo(set, "set", ArticleKind.Physical, null, [new(a, 1), new(b, 1)], false));
        await _world.StockAsync(set, warehouse, 5);

        await Order(id).RetryBackordersAsync();

        var line = (await Order(id).GetAsync())!.Lines.Single();
        Assert.Equal((set, 2, warehouse), (line.Sku, line.AllocatedQuantity, line.Allocations.Single().LocationId));
        Assert.Equal((10, 10), (await _world.AvailableAsync(a, warehouse), await _world.AvailableAsync(b, warehouse)));
    }

    [Fact]
    public async Task A_bundle_priced_in_fractions_of_a_cent_is_shared_and_captured_at_its_line_s_price_rounded_to_the_cent()
    {
        var (kit, _, _, warehouse) = await StockedKitAsync();
        var id = _world.Id("o");
        // Three kits at 33.3333 (three for 100.00): a line of one article at that price is invoiced 100.00.
        var created = await Order(id).CreateAsync(Request(id, (kit, 3, 33.3333m)) with { Payments = [new Payment("card", "tok", 100m)] });

        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1.1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        var shipped = (await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1.2", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"))).Order!;

        Assert.Equal(100m, created.Order!.Lines.Sum(l => l.Value));
        Assert.Equal(100m, shipped.Captured);
    }

    private async Task<(string Kit, string A, string B, string Warehouse)> StockedKitAsync()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        await _world.StockAsync(a, warehouse, 10);
        await _world.StockAsync(b, warehouse, 10);
        return (await BundleAsync("kit", allowSplit: false, new(a, 1), new(b, 2)), a, b, warehouse);
    }

    private async Task<string> BundleAsync(string name, bool allowSplit, params BundleComponent[] components)
    {
        var sku = _world.Id(name);
        await fixture.Grains.GetGrain<IArticleGrain>(sku).PutAsync(new ArticleInfo(sku, name, ArticleKind.Physical, null, components, allowSplit));
        return sku;
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static CreateOrderRequest Request(string id, params (string Sku, int Quantity, decimal UnitPrice)[] lines) => new(
        id, "web", "c-" + id, null,
        lines.Select((l, i) => new OrderLineRequest($"l{i + 1}", l.Sku, l.Quantity, l.UnitPrice)).ToList(),
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);
}
