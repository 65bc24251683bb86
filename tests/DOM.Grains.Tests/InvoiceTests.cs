using Dom.Locations;
using Dom.Orders;

namespace Dom.Grains.Tests;

/// <summary>An invoice per shipment: units that leave for the customer are captured from the payments as they go.</summary>
[Collection(ClusterCollection.Name)]
public class InvoiceTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task Each_parcel_is_invoiced_as_it_leaves_captured_from_the_payments_and_a_retried_event_invoices_nothing_twice()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        // Three units at 0.3333 paid by card and gift card, three to one.
        await Order(id).CreateAsync(World.ShippedOrder(id, sku, 3, 0.3333m) with { Payments = [new Payment("card", "tok", 0.75m), new Payment("giftCard", "gc", 0.25m)] });

        var views = new List<OrderView>();
        for (var parcel = 1; parcel <= 3; parcel++)
        {
            views.Add((await Order(id).ReportAsync(new FulfilmentEvent($"s{parcel}", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", $"T{parcel}"))).Order!);
        }

        var retried = await Order(id).ReportAsync(new FulfilmentEvent("s3", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T3"));
        var delivered = await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", warehouse, FulfilmentEventType.Delivered, null, null, null));
        var invoices = delivered.Order!.Invoices;

        Assert.Equal(OrderCommandStatus.AlreadyDone, retried.Status);
        Assert.Equal([$"{id}-i1", $"{id}-i2", $"{id}-i3"], invoices.Select(i => i.InvoiceId));
        // Rounded once over the line: 0.33, 0.34 (0.67 − 0.33), 0.33 (1.00 − 0.67).
        Assert.Equal([0.33m, 0.34m, 0.33m], invoices.Select(i => i.Total));
        Assert.All(invoices, i => Assert.Equal((warehouse, "l1", 1), (i.LocationId, i.Lines.Single().LineId, i.Lines.Single().Quantity)));
        Assert.Equal((1.00m, 0.75m, 0.25m), (delivered.Order.Captured, invoices.SelectMany(i => i.Tenders).Where(t => t.Method == "card").Sum(t => t.Amount), invoices.SelectMany(i => i.Tenders).Where(t => t.Method == "giftCard").Sum(t => t.Amount)));
        Assert.Equal([1, 2, 3], views.Select(v => v.Invoices.Count));
    }

    [Fact]
    public async Task Click_and_collect_is_invoiced_when_the_customer_picks_it_up_not_when_it_is_sent_to_the_store()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var store = _world.Id("store");
        await fixture.Grains.GetGrain<ILocationGrain>(store).PutAsync(new LocationInfo(store, "store", LocationType.Store, 52.5, 13.4, 1_000, "DE"));
        var id = _world.Id("o");
        await Order(id).CreateAsync(World.ShippedOrder(id, sku, 2, 20m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), store) });

        var sent = await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        var collected = await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", store, FulfilmentEventType.PickedUp, null, null, null));

        Assert.Empty(sent.Order!.Invoices);
        var invoice = Assert.Single(collected.Order!.Invoices);
        Assert.Equal((40m, 2), (invoice.Total, invoice.Lines.Single().Quantity));
        Assert.Empty(invoice.Tenders);
    }

    [Fact]
    public async Task A_free_replacement_is_not_invoiced()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(World.ShippedOrder(id, sku, 1, 20m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", warehouse, FulfilmentEventType.Delivered, null, null, null));
        var replacementId = Assert.Single((await Order(id).ReportWrongItemAsync("l1")).Order!.Replacements);

        var shipped = await Order(replacementId).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));

        Assert.Equal(OrderCommandStatus.Done, shipped.Status);
        Assert.Empty(shipped.Order!.Invoices);
        Assert.Single((await Order(id).GetAsync())!.Invoices);
    }

    [Fact]
    public async Task A_refund_goes_back_to_a_payment_no_more_than_was_captured_from_it()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        // 30.00 paid by card and gift card, two to one: each parcel of one unit captures 6.67 and 3.33.
        await Order(id).CreateAsync(World.ShippedOrder(id, sku, 3, 10m) with { Payments = [new Payment("card", "tok", 20m), new Payment("giftCard", "gc", 10m)] });
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T2"));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 2, "tooSmall")]));

        var order = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 2, 0)]))).Order!;

        var captured = order.Invoices.SelectMany(i => i.Tenders).GroupBy(t => t.Method).ToDictionary(g => g.Key, g => g.Sum(t => t.Amount));
        var refunded = order.Returns.Single().Tenders!.ToDictionary(t => t.Method, t => t.Amount);
        Assert.Equal((20m, 20m), (order.Captured, order.Refunded));
        Assert.Equal((captured["card"], captured["giftCard"]), (refunded["card"], refunded["giftCard"]));
    }

    [Fact]
    public async Task The_invoices_of_an_order_with_a_coupon_over_several_lines_capture_no_more_than_was_paid()
    {
        // Three lines of 1.00 paid 2.00 (a coupon on the whole order): 0.6667 a line.
        var (id, _) = await ThreeLinesShippedAsync(1m, 2m);

        var order = (await Order(id).GetAsync())!;

        Assert.Equal((2m, 2m, 2m), (order.Captured, order.Invoices.Sum(i => i.Total), order.Invoices.SelectMany(i => i.Tenders).Sum(t => t.Amount)));
    }

    [Fact]
    public async Task The_refunds_of_an_order_with_a_coupon_over_several_lines_give_back_no_more_than_was_paid()
    {
        // Three lines of 1.00 paid 2.00 (a coupon on the whole order): 0.6667 a line.
        var (id, warehouse) = await ThreeLinesShippedAsync(1m, 2m);

        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [.. Enumerable.Range(1, 3).Select(i => new ReturnLineRequest($"l{i}", null, 1, "noLongerNeeded"))]));
        var order = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [.. Enumerable.Range(1, 3).Select(i => new ReceiptLine($"l{i}", 1, 0))]))).Order!;
        var received = order.Returns.Single();

        Assert.Equal((2m, 2m, 2m, 2m), (order.Refunded, received.Refund, received.Lines.Sum(l => l.Refund), received.Tenders!.Sum(t => t.Amount)));
    }

    [Fact]
    public async Task An_invoice_states_the_VAT_of_the_delivery_country_and_the_article_s_tax_class_on_the_day_the_goods_leave()
    {
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        var (standard, book) = (await _world.ArticleAsync("shirt"), _world.Id("book"));
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(book).PutAsync(new Dom.Articles.ArticleInfo(book, "book", Dom.Articles.ArticleKind.Physical, null, TaxClass: "reduced"));
        await _world.StockAsync(standard, warehouse, 5);
        await _world.StockAsync(book, warehouse, 5);
        var (german, austrian) = (_world.Id("de"), _world.Id("at"));
        await Order(german).CreateAsync(World.ShippedOrder(german, standard, 1, 119m) with { Lines = [new OrderLineRequest("l1", standard, 1, 119m), new OrderLineRequest("l2", book, 1, 10.70m)] });
        await Order(austrian).CreateAsync(World.ShippedOrder(austrian, standard, 1, 120m) with { Delivery = new Delivery(DeliveryMethod.Ship, new Address("AT", 48.2, 16.4, null, null, null), null) });

        await Order(german).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        var shipped = (await Order(german).ReportAsync(new FulfilmentEvent("s2", "l2", warehouse, FulfilmentEventType.Shipped, null, null, null))).Order!;
        var austria = (await Order(austrian).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null))).Order!;

        Assert.Equal([(0.19m, 19.00m), (0.07m, 0.70m)], shipped.Invoices.Select(i => (i.Lines.Single().VatRate!.Value, i.Vat)));
        // No Austrian rate is valid now: the invoice says so rather than guess one.
        Assert.Equal(((decimal?)null, 0m), (austria.Invoices.Single().Lines.Single().VatRate, austria.Invoices.Single().Vat));
    }

    [Fact]
    public async Task Units_the_payments_no_longer_cover_after_the_rounding_of_earlier_lines_get_no_invoice_of_nothing()
    {
        // Three lines of 0.01 paid 0.02: each rounds to 0.01, so the payments are used up after two.
        var (id, _) = await ThreeLinesShippedAsync(0.01m, 0.02m);

        var order = (await Order(id).GetAsync())!;

        Assert.Equal((0.02m, 2), (order.Captured, order.Invoices.Count));
        Assert.All(order.Invoices, i => Assert.True(i.Total > 0, $"{i.InvoiceId} is of {i.Total}"));
    }

    [Fact]
    public async Task Click_and_collect_is_taxed_at_the_rate_of_the_pickup_store_s_country()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var store = _world.Id("store");
        await fixture.Grains.GetGrain<ILocationGrain>(store).PutAsync(new LocationInfo(store, "store", LocationType.Store, 52.5, 13.4, 1_000, "DE"));
        var id = _world.Id("o");
        // An Austrian customer collects at a German store: the goods are handed over in Germany.
        await Order(id).CreateAsync(World.ShippedOrder(id, sku, 1, 119m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("AT", 48.2, 16.4, null, null, null), store) });
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));

        var collected = (await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", store, FulfilmentEventType.PickedUp, null, null, null))).Order!;

        var invoice = Assert.Single(collected.Invoices);
        Assert.Equal(((decimal?)0.19m, 19.00m), (invoice.Lines.Single().VatRate, invoice.Vat));
    }

    [Fact]
    public async Task The_VAT_of_a_line_s_invoices_adds_up_to_the_VAT_of_the_line_rounded_once()
    {
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        var book = _world.Id("book");
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(book).PutAsync(new Dom.Articles.ArticleInfo(book, "book", Dom.Articles.ArticleKind.Physical, null, TaxClass: "reduced"));
        await _world.StockAsync(book, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(World.ShippedOrder(id, book, 3, 1m));
        for (var parcel = 1; parcel <= 3; parcel++)
        {
            await Order(id).ReportAsync(new FulfilmentEvent($"s{parcel}", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", $"T{parcel}"));
        }

        var order = (await Order(id).GetAsync())!;

        // 3.00 at 7 % holds 0.1963: 0.20, not three times the 0.0654 of one unit rounded (0.21).
        Assert.Equal((3.00m, 0.20m), (order.Invoices.Sum(i => i.Total), order.Invoices.Sum(i => i.Vat)));
        Assert.Equal(order.Invoices.Sum(i => i.Vat), order.Invoices.SelectMany(i => i.Lines).Sum(l => l.Vat));
    }

    /// <summary>An order of three lines (l1 to l3) of one unit each at <paramref name="unitPrice"/>, of fresh articles
    /// from a fresh warehouse, paid <paramref name="paid"/> by card, each line shipped in a parcel of its own.</summary>
    private async Task<(string Id, string Warehouse)> ThreeLinesShippedAsync(decimal unitPrice, decimal paid)
    {
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        var skus = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            skus.Add(await _world.ArticleAsync($"a{i}"));
            await _world.StockAsync(skus[i], warehouse, 5);
        }

        var id = _world.Id("o");
        await Order(id).CreateAsync(World.ShippedOrder(id, skus[0], 1, unitPrice) with
        {
            Lines = skus.Select((sku, i) => new OrderLineRequest($"l{i + 1}", sku, 1, unitPrice)).ToList(),
            Payments = [new Payment("card", "tok", paid)],
        });
        for (var i = 1; i <= 3; i++)
        {
            await Order(id).ReportAsync(new FulfilmentEvent($"s{i}", $"l{i}", warehouse, FulfilmentEventType.Shipped, null, "DHL", $"T{i}"));
        }

        return (id, warehouse);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

}
