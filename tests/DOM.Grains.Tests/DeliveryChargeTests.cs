using Dom.Orders;

namespace Dom.Grains.Tests;

/// <summary>What the customer pays for delivery: invoiced and captured once, with the first goods that leave; paid before
/// the goods when a coupon came off the payment; refunded when every unit comes back.</summary>
[Collection(ClusterCollection.Name)]
public class DeliveryChargeTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task The_delivery_charge_is_invoiced_and_captured_once_with_the_first_parcel_at_the_VAT_of_the_delivery()
    {
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 20m), new Payment("giftCard", "gc", 4.95m)]);

        var placed = (await Order(id).GetAsync())!;
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T1"));
        var shipped = (await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T2"))).Order!;

        Assert.Equal((4.95m, 24.95m), (placed.DeliveryCharge, placed.Total));
        var (first, second) = (shipped.Invoices[0], shipped.Invoices[1]);
        // 4.95 at the German standard rate holds 0.79; the unit of 10.00, 1.60.
        Assert.Equal(new InvoiceCharge(4.95m, 0.19m, 0.79m), first.Delivery);
        Assert.Equal((14.95m, 2.39m, 10m), (first.Total, first.Vat, first.Lines.Single().Amount));
        // The line's VAT is rounded once over its parcels (20.00 holds 3.19), the delivery's apart.
        Assert.Equal((10m, 1.59m, (InvoiceCharge?)null), (second.Total, second.Vat, second.Delivery));
        Assert.Equal((24.95m, 24.95m), (shipped.Captured, shipped.Invoices.SelectMany(i => i.Tenders).Sum(t => t.Amount)));
    }

    [Fact]
    public async Task A_coupon_taken_off_the_payment_comes_off_the_goods_not_the_delivery()
    {
        // Goods of 100.00 and delivery of 5.00, paid 85.00: the payment covers the delivery, and 80 % of the goods.
        var (id, warehouse) = await OrderAsync(1, 100m, 5m, [new Payment("card", "tok", 85m)]);

        var shipped = (await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"))).Order!;

        var invoice = Assert.Single(shipped.Invoices);
        Assert.Equal((85m, 80m, 5m), (invoice.Total, invoice.Lines.Single().Amount, invoice.Delivery!.Amount));
    }

    [Fact]
    public async Task An_order_cancelled_whole_before_anything_left_costs_nothing_not_even_its_delivery()
    {
        var (id, _) = await OrderAsync(2, 10m, 4.95m, []);

        var cancelled = (await Order(id).CancelAsync(null)).Order!;

        Assert.Equal((OrderStatus.Cancelled, 0m, 4.95m), (cancelled.Status, cancelled.Total, cancelled.DeliveryCharge));
        Assert.Empty(cancelled.Invoices);
    }

    [Fact]
    public async Task Returning_every_unit_refunds_the_delivery_charge_and_a_return_that_leaves_goods_with_the_customer_keeps_it()
    {
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 24.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));
        var partly = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));

        var whole = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r2", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        var first = partly.Returns.Single();
        Assert.Equal((10m, 0m, 1.60m), (first.Refund, first.DeliveryRefund, first.Vat));
        var last = whole.Returns.Single(r => r.ReturnId == "r2");
        Assert.Equal((14.95m, 4.95m, 2.39m, 14.95m), (last.Refund, last.DeliveryRefund, last.Vat, last.Tenders!.Sum(t => t.Amount)));
        Assert.Equal((OrderStatus.Returned, 24.95m, 24.95m), (whole.Status, whole.Refunded, whole.Captured));
    }

    [Fact]
    public async Task Cancelling_the_rest_after_every_received_unit_came_back_refunds_the_delivery_charge_once()
    {
        // 1 of 2 shipped (with the charge) and sent back; then the customer cancels the other: they withdrew from it all.
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 24.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T"));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));
        var returned = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        var cancelled = (await Order(id).CancelUnitsAsync("c1", "l1", 1)).Order!;
        var retried = await Order(id).CancelUnitsAsync("c1", "l1", 1);
        var messages = (await Order(id).MessagesAsync())!;

        Assert.Equal((10m, 0m), (returned.Returns.Single().Refund, returned.Returns.Single().DeliveryRefund));
        var refund = Assert.Single(cancelled.Returns, r => r.ReturnId != "r1");
        Assert.Equal((ReturnStatus.Received, 4.95m, 4.95m, 0.79m, 4.95m), (refund.Status, refund.Refund, refund.DeliveryRefund, refund.Vat, refund.Tenders!.Sum(t => t.Amount)));
        Assert.Empty(refund.Lines);
        Assert.Equal((OrderStatus.Returned, 14.95m, 14.95m), (cancelled.Status, cancelled.Refunded, cancelled.Captured));
        Assert.Equal((OrderCommandStatus.AlreadyDone, 2), (retried.Status, retried.Order!.Returns.Count));
        Assert.Equal("We are refunding 4.95 EUR for your order " + id + ".", messages.Last(m => m.Type == "refunded").Text);
    }

    [Fact]
    public async Task Cancelling_the_rest_while_a_return_is_on_its_way_leaves_the_delivery_refund_to_its_receipt()
    {
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 24.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T"));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));

        var cancelled = (await Order(id).CancelUnitsAsync("c1", "l1", 1)).Order!;
        var received = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        Assert.Equal((0m, 1), (cancelled.Refunded, cancelled.Returns.Count));
        Assert.Equal((14.95m, 4.95m), (received.Returns.Single().Refund, received.Returns.Single().DeliveryRefund));
        Assert.Equal(14.95m, received.Refunded);
    }

    [Fact]
    public async Task A_wrong_item_sent_back_after_its_replacement_keeps_the_delivery_charge()
    {
        // The customer keeps the replacement: the order's goods were delivered, so its delivery was too.
        var (id, warehouse) = await OrderAsync(1, 10m, 4.95m, [new Payment("card", "tok", 14.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", warehouse, FulfilmentEventType.Delivered, null, null, null));
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportWrongItemAsync("l1")).Status);
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "wrongItem")]));

        var received = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        var returned = received.Returns.Single();
        Assert.Equal((0m, 0m, 0m), (returned.Refund, returned.DeliveryRefund, received.Refunded));
    }

    [Fact]
    public async Task The_lines_refunds_rounded_at_a_paid_share_under_one_leave_the_delivery_charge_whole()
    {
        // Three lines of 1.00 and delivery of 1.00, paid 3.00: the payment covers the delivery, and two thirds of the
        // goods, captured as 0.67, 0.67 and what was left, 0.66.
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        var skus = new List<string>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            skus.Add(await _world.ArticleAsync(name));
            await _world.StockAsync(skus[^1], warehouse, 5);
        }

        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(World.ShippedOrder(id, skus[0], 1, 1m) with
        {
            Lines = [.. skus.Select((sku, i) => new OrderLineRequest($"l{i + 1}", sku, 1, 1m))],
            DeliveryCharge = 1m,
            Payments = [new Payment("card", "tok", 3m)],
        });
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        OrderView shipped = null!;
        for (var i = 1; i <= 3; i++)
        {
            shipped = (await Order(id).ReportAsync(new FulfilmentEvent($"s{i}", $"l{i}", warehouse, FulfilmentEventType.Shipped, null, "DHL", $"T{i}"))).Order!;
        }

        await Order(id).AnnounceReturnAsync(new ReturnRequest("r", warehouse, [.. Enumerable.Range(1, 3).Select(i => new ReturnLineRequest($"l{i}", null, 1, "tooSmall"))]));
        var received = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r", null, [.. Enumerable.Range(1, 3).Select(i => new ReceiptLine($"l{i}", 1, 0))]))).Order!;

        Assert.Equal([0.67m, 0.67m, 0.66m], shipped.Invoices.Select(i => i.Lines.Single().Amount));
        Assert.Equal((1m, 3m), (shipped.Invoices[0].Delivery!.Amount, shipped.Captured));
        var returned = received.Returns.Single();
        // Each line refunds what it was captured at, the delivery what it was: together what was paid.
        Assert.Equal([0.67m, 0.67m, 0.66m], returned.Lines.Select(l => l.Refund));
        Assert.Equal((1m, 3m), (returned.DeliveryRefund, returned.Refund));
    }

    [Fact]
    public async Task A_free_replacement_charges_no_delivery()
    {
        var (id, warehouse) = await OrderAsync(1, 10m, 4.95m, [new Payment("card", "tok", 14.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", warehouse, FulfilmentEventType.Delivered, null, null, null));
        var replacementId = Assert.Single((await Order(id).ReportWrongItemAsync("l1")).Order!.Replacements);

        var shipped = (await Order(replacementId).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null))).Order!;

        Assert.Equal((0m, 0m), (shipped.DeliveryCharge, shipped.Total));
        Assert.Empty(shipped.Invoices);
    }

    [Fact]
    public async Task The_same_order_with_another_delivery_charge_is_another_body()
    {
        var (id, _) = await OrderAsync(1, 10m, 4.95m, []);
        var request = (await Order(id).GetAsync())!;

        var again = await Order(id).CreateAsync(World.ShippedOrder(id, request.Lines.Single().Sku, 1, 10m) with { DeliveryCharge = 4.950m });
        var other = await Order(id).CreateAsync(World.ShippedOrder(id, request.Lines.Single().Sku, 1, 10m) with { DeliveryCharge = 5.95m });
        var none = await Order(id).CreateAsync(World.ShippedOrder(id, request.Lines.Single().Sku, 1, 10m));

        Assert.Equal((OrderOutcome.Replayed, OrderOutcome.IdempotencyConflict, OrderOutcome.IdempotencyConflict), (again.Outcome, other.Outcome, none.Outcome));
    }

    /// <summary>An order of <paramref name="quantity"/> units of a fresh article at <paramref name="unitPrice"/> from a
    /// fresh warehouse, delivered to Germany for <paramref name="deliveryCharge"/>, with <paramref name="payments"/>.</summary>
    private async Task<(string Id, string Warehouse)> OrderAsync(int quantity, decimal unitPrice, decimal deliveryCharge, IReadOnlyList<Payment> payments)
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(World.ShippedOrder(id, sku, quantity, unitPrice) with { DeliveryCharge = deliveryCharge, Payments = payments });
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        return (id, warehouse);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

}
