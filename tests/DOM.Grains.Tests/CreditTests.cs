using Dom.Finance;
using Dom.Orders;

namespace Dom.Grains.Tests;

/// <summary>Credit notes: money given back without goods coming back (an appeasement), against a line or the order, no
/// more than was charged and not given back yet, refunded to the payments, in the ledger, told to the customer.</summary>
[Collection(ClusterCollection.Name)]
public class CreditTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task A_credit_against_a_line_goes_back_to_the_payments_with_its_VAT_once_and_the_customer_is_told()
    {
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 20m), new Payment("giftCard", "gc", 4.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));

        var credited = await Order(id).CreditAsync(new CreditRequest("k1", "l1", 5m, CreditReason.Damaged, "scratched"));
        var retried = await Order(id).CreditAsync(new CreditRequest("k1", "l1", 5.00m, CreditReason.Damaged, "scratched"));
        var other = await Order(id).CreditAsync(new CreditRequest("k1", "l1", 6m, CreditReason.Damaged, "scratched"));
        var messages = (await Order(id).MessagesAsync())!;

        Assert.Equal(OrderCommandStatus.Done, credited.Status);
        var credit = Assert.Single(credited.Order!.Credits!);
        // 5.00 at the German standard rate holds 0.80; it goes back to the payments in proportion to what each was charged.
        Assert.Equal(("k1", "l1", 5m, 0.80m, CreditReason.Damaged, "scratched"), (credit.CreditId, credit.LineId, credit.Amount, credit.Vat, credit.Reason, credit.Note));
        Assert.Equal(5m, credit.Tenders.Sum(t => t.Amount));
        Assert.Equal(2, credit.Tenders.Count);
        Assert.Equal(5m, credited.Order.Refunded);
        Assert.Equal((OrderCommandStatus.AlreadyDone, 1), (retried.Status, retried.Order!.Credits!.Count));
        Assert.Equal((OrderCommandStatus.IdempotencyConflict, 5m), (other.Status, other.Order!.Refunded));
        Assert.Equal("We are crediting 5.00 EUR to your payment for your order " + id + ".", Assert.Single(messages, m => m.Type == "credited").Text);
    }

    [Fact]
    public async Task A_credit_gives_back_only_what_was_charged_and_not_given_back_yet()
    {
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 24.95m)]);
        var early = await Order(id).CreditAsync(new CreditRequest("k0", null, 1m, CreditReason.LateDelivery));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T"));

        // One unit of 10.00 left with the charge of 4.95: the line has 10.00 to give back, the order 14.95.
        var overLine = await Order(id).CreditAsync(new CreditRequest("k1", "l1", 10.01m, CreditReason.Damaged));
        var line = await Order(id).CreditAsync(new CreditRequest("k2", "l1", 10m, CreditReason.Damaged));
        var lineAgain = await Order(id).CreditAsync(new CreditRequest("k3", "l1", 0.01m, CreditReason.Damaged));
        var overOrder = await Order(id).CreditAsync(new CreditRequest("k4", null, 4.96m, CreditReason.LateDelivery));
        var order = await Order(id).CreditAsync(new CreditRequest("k5", null, 4.95m, CreditReason.LateDelivery));
        var cents = await Order(id).CreditAsync(new CreditRequest("k6", null, 0.001m, CreditReason.Other));
        var unknownLine = await Order(id).CreditAsync(new CreditRequest("k7", "l9", 1m, CreditReason.Other));

        Assert.Equal(OrderCommandStatus.NotAllowed, early.Status);
        Assert.Contains("no invoice", early.Problem);
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.Done, OrderCommandStatus.NotAllowed), (overLine.Status, line.Status, lineAgain.Status));
        Assert.Contains("10.00 EUR for line l1's goods", overLine.Problem);
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.Done), (overOrder.Status, order.Status));
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotFound), (cents.Status, unknownLine.Status));
        Assert.Equal((14.95m, 14.95m), (order.Order!.Refunded, order.Order.Captured));
        Assert.Equal(["k2", "k5"], order.Order.Credits!.Select(c => c.CreditId));
    }

    [Fact]
    public async Task A_credit_on_a_line_after_one_on_the_order_gives_back_no_more_than_the_invoices_charged()
    {
        // One line of 2 × 10.00, paid and charged 20.00: 15.00 went back on the order, 5.00 is left for its line.
        var (id, warehouse) = await OrderAsync(2, 10m, 0m, [new Payment("card", "tok", 20m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).CreditAsync(new CreditRequest("k1", null, 15m, CreditReason.LateDelivery));

        var tooMuch = await Order(id).CreditAsync(new CreditRequest("k2", "l1", 10m, CreditReason.Damaged));
        var rest = await Order(id).CreditAsync(new CreditRequest("k3", "l1", 5m, CreditReason.Damaged));

        Assert.Equal((OrderCommandStatus.NotAllowed, 15m), (tooMuch.Status, tooMuch.Order!.Refunded));
        Assert.Equal((OrderCommandStatus.Done, 20m, 20m), (rest.Status, rest.Order!.Refunded, rest.Order.Credits!.Sum(c => c.Tenders.Sum(t => t.Amount))));
    }

    [Fact]
    public async Task Goods_returned_after_a_credit_on_their_line_refund_what_the_credit_left_of_it()
    {
        // Two lines of 2 × 10.00: the credit of 15.00 on l1 leaves l2's 20.00 to its own units.
        var (id, warehouse) = await OrderAsync(2, 10m, 0m, [new Payment("card", "tok", 40m)], secondLine: true);
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l2", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T2"));
        await Order(id).CreditAsync(new CreditRequest("k", "l1", 15m, CreditReason.Damaged));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "changedMind")]));

        var first = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", warehouse, [new ReturnLineRequest("l1", null, 1, "changedMind"), new ReturnLineRequest("l2", null, 2, "changedMind")]));
        var second = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r2", null, [new ReceiptLine("l1", 1, 0), new ReceiptLine("l2", 2, 0)]))).Order!;

        // 15.00 of l1's 20.00 went back with the credit: its two units bring back the 5.00 left, no more; l2's its 20.00.
        Assert.Equal(5m, first.Returns.Single().Refund);
        Assert.Equal([0m, 20m], second.Returns.Single(r => r.ReturnId == "r2").Lines.Select(l => l.Refund));
        Assert.Equal((40m, 40m), (second.Refunded, second.Captured));
    }

    [Fact]
    public async Task A_unit_returned_after_a_credit_on_the_order_refunds_what_the_credit_left_though_the_rest_is_kept()
    {
        // 2 × 10.00 with 4.95 delivery, charged 24.95; 12.00 went back on the order, 12.95 is left: one unit sent back
        // (the other and the delivery kept) brings back its 10.00.
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, [new Payment("card", "tok", 24.95m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).CreditAsync(new CreditRequest("k", null, 12m, CreditReason.LateDelivery));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r", warehouse, [new ReturnLineRequest("l1", null, 1, "changedMind")]));

        var received = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        Assert.Equal((10m, 0m, 22m), (received.Returns.Single().Refund, received.Returns.Single().DeliveryRefund, received.Refunded));
    }

    [Fact]
    public async Task After_a_credit_on_the_order_a_withdrawal_refunds_what_is_left_delivery_charge_included()
    {
        // An order that reported no payments: nothing but the invoices bounds what goes back.
        var (id, warehouse) = await OrderAsync(2, 10m, 4.95m, []);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        var credited = (await Order(id).CreditAsync(new CreditRequest("k", null, 3m, CreditReason.LateDelivery))).Order!;
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r", warehouse, [new ReturnLineRequest("l1", null, 2, "changedMind")]));

        var received = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r", null, [new ReceiptLine("l1", 2, 0)]))).Order!;

        // 3.00 on 24.95 charged with 3.98 VAT in it holds 0.48; no payment to go back to: no tenders.
        var credit = credited.Credits!.Single();
        Assert.Equal((0.48m, 0), (credit.Vat, credit.Tenders.Count));
        var returned = received.Returns.Single();
        Assert.Equal((21.95m, 4.95m), (returned.Refund, returned.DeliveryRefund));
        Assert.Equal((OrderStatus.Returned, 24.95m, 24.95m), (received.Status, received.Refunded, received.Captured));
    }

    [Fact]
    public async Task A_credit_to_a_payment_settled_later_comes_off_what_is_due()
    {
        var (id, warehouse) = await OrderAsync(1, 100m, 0m, [new Payment("invoice", null, 100m)]);
        var shipped = (await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"))).Order!;

        var credited = (await Order(id).CreditAsync(new CreditRequest("k", "l1", 30m, CreditReason.PriceAdjustment))).Order!;

        Assert.Equal((100m, 70m), (shipped.Outstanding, credited.Outstanding));
    }

    [Fact]
    public async Task Money_a_chargeback_took_back_is_not_credited_again()
    {
        var (id, warehouse) = await OrderAsync(1, 100m, 0m, [new Payment("card", "tok", 100m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).RecordPaymentAsync(new PaymentEvent("cb", PaymentEventType.Chargeback, 0, 80m, null, null));

        var tooMuch = await Order(id).CreditAsync(new CreditRequest("k1", null, 20.01m, CreditReason.ServiceIssue));
        var rest = await Order(id).CreditAsync(new CreditRequest("k2", null, 20m, CreditReason.ServiceIssue));

        Assert.Equal(OrderCommandStatus.NotAllowed, tooMuch.Status);
        Assert.Contains("Chargebacks", tooMuch.Problem);
        Assert.Equal((OrderCommandStatus.Done, 20m), (rest.Status, rest.Order!.Credits!.Single().Tenders.Single().Amount));
    }

    [Fact]
    public async Task A_credit_note_makes_ledger_entries_per_payment_it_goes_back_to()
    {
        var (id, warehouse) = await OrderAsync(1, 10m, 0m, [new Payment("card", "tok", 6m), new Payment("giftCard", "gc", 4m)]);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T"));

        var order = (await Order(id).CreditAsync(new CreditRequest("k", "l1", 5m, CreditReason.Damaged))).Order!;

        var credit = order.Credits!.Single();
        var entries = (await fixture.Grains.GetGrain<ILedgerGrain>(LedgerKey.For(id, credit.At)).EntriesAsync())
            .Where(e => e.OrderId == id && e.Kind == LedgerEntryKind.Credit).ToList();
        Assert.Equal([($"{id}/Credit/k/0", "card", -3m), ($"{id}/Credit/k/1", "giftCard", -2m)], entries.Select(e => (e.EntryId, e.Method!, e.Amount)));
        Assert.Equal(-0.80m, entries.Sum(e => e.Vat));
    }

    [Fact]
    public async Task The_KPIs_count_credit_notes_by_reason_and_units_received_back_by_the_reason_their_return_gave()
    {
        var channel = _world.Id("web");
        var (first, warehouse) = await OrderAsync(3, 10m, 0m, [new Payment("card", "tok", 30m)], channel: channel);
        var (second, other) = await OrderAsync(1, 10m, 0m, [new Payment("card", "tok", 10m)], channel: channel, name: "o2");
        await Order(first).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        await Order(second).ReportAsync(new FulfilmentEvent("s", "l1", other, FulfilmentEventType.Shipped, null, "DHL", "T2"));
        await Order(first).CreditAsync(new CreditRequest("k1", null, 2m, CreditReason.LateDelivery));
        await Order(first).CreditAsync(new CreditRequest("k2", "l1", 3m, CreditReason.Damaged));
        await Order(second).CreditAsync(new CreditRequest("k1", null, 1m, CreditReason.LateDelivery));
        await Order(first).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 2, "tooSmall")]));
        await Order(first).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 1)]));
        await Order(second).AnnounceReturnAsync(new ReturnRequest("r1", other, [new ReturnLineRequest("l1", null, 1, "damaged")]));
        // Announced, not received: nothing came back yet.
        await Order(first).AnnounceReturnAsync(new ReturnRequest("r2", warehouse, [new ReturnLineRequest("l1", null, 1, "damaged")]));
        await Order(second).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 0, 1)]));

        var stats = OrderStats.Sum(await Task.WhenAll(Enumerable.Range(0, Orders.OrderIndexGrain.Buckets)
            .Select(b => fixture.Grains.GetGrain<IOrderIndexGrain>(b).StatsAsync(channel))));

        // lateDelivery 2, damaged 1, priceAdjustment 0, serviceIssue 0, other 0.
        Assert.Equal([2, 1, 0, 0, 0], stats.CreditsByReason);
        Assert.Equal([("damaged", 1), ("tooSmall", 2)], stats.ReturnedByReason!.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, r.Value)));
    }

    [Fact]
    public async Task A_return_reason_among_the_twenty_with_most_units_is_counted_whole_though_another_list_bucket_had_more_reasons()
    {
        var channel = _world.Id("web");
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 50);
        async Task<string> ShippedAsync(string id, int quantity)
        {
            Assert.Equal(OrderOutcome.Created, (await Order(id).CreateAsync(World.ShippedOrder(id, sku, quantity, 10m) with { Channel = channel })).Outcome);
            await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T-" + id));
            return id;
        }

        async Task ReturnedAsync(string id, string returnId, int units, string reason)
        {
            await Order(id).AnnounceReturnAsync(new ReturnRequest(returnId, warehouse, [new ReturnLineRequest("l1", null, units, reason)]));
            Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReceiveReturnAsync(new ReturnReceipt(returnId, null, [new ReceiptLine("l1", units, 0)]))).Status);
        }

        // One order with twenty reasons of 2 units each and "x" of 1; another, in another bucket of the list, with "x" of 5.
        var crowded = await ShippedAsync(_world.Id("o"), 41);
        var other = Enumerable.Range(2, 100).Select(i => _world.Id($"o{i}")).First(id => Orders.OrderIndexGrain.BucketOf(id) != Orders.OrderIndexGrain.BucketOf(crowded));
        await ShippedAsync(other, 5);
        for (var i = 1; i <= 20; i++)
        {
            await ReturnedAsync(crowded, $"r{i}", 2, $"reason-{i:00}");
        }

        await ReturnedAsync(crowded, "rx", 1, "x");
        await ReturnedAsync(other, "rx", 5, "x");

        var stats = OrderStats.Sum(await Task.WhenAll(Enumerable.Range(0, Orders.OrderIndexGrain.Buckets)
            .Select(b => fixture.Grains.GetGrain<IOrderIndexGrain>(b).StatsAsync(channel))));

        // x has the most units (6): all of them count under it, not 1 of them under ~other.
        Assert.Equal((6, 2), (stats.ReturnedByReason!.GetValueOrDefault("x"), stats.ReturnedByReason!.GetValueOrDefault(OrderStats.OtherReturnReasons)));
    }

    [Fact]
    public void The_KPIs_keep_the_twenty_return_reasons_with_most_units_and_count_the_rest_as_other()
    {
        var byReason = Enumerable.Range(1, 23).ToDictionary(i => $"reason-{i:00}", i => i);

        var top = OrderStats.TopReturnReasons(byReason);

        Assert.Equal(21, top.Count);
        Assert.Equal(1 + 2 + 3, top[OrderStats.OtherReturnReasons]);
        Assert.Equal(23, top["reason-23"]);
        Assert.False(top.ContainsKey("reason-03"));
        Assert.Equal(byReason.Values.Sum(), top.Values.Sum());
    }

    /// <summary>An order of <paramref name="quantity"/> units of a fresh article at <paramref name="unitPrice"/> from a
    /// fresh warehouse, delivered to Germany for <paramref name="deliveryCharge"/>, with <paramref name="payments"/> (and as
    /// many of another on line l2 when <paramref name="secondLine"/>), of <paramref name="channel"/>; a second order of a
    /// test takes another <paramref name="name"/>.</summary>
    private async Task<(string Id, string Warehouse)> OrderAsync(int quantity, decimal unitPrice, decimal deliveryCharge, IReadOnlyList<Payment> payments, bool secondLine = false, string channel = "web", string name = "o")
    {
        var (sku, warehouse) = (await _world.ArticleAsync(name + "a"), await _world.LocationAsync(name + "w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id(name);
        var request = World.ShippedOrder(id, sku, quantity, unitPrice) with { Channel = channel };
        if (secondLine)
        {
            var other = await _world.ArticleAsync("b");
            await _world.StockAsync(other, warehouse, 5);
            request = request with { Lines = [.. request.Lines, new OrderLineRequest("l2", other, quantity, unitPrice)] };
        }

        var created = await Order(id).CreateAsync(request with { DeliveryCharge = deliveryCharge, Payments = payments });
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        return (id, warehouse);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

}
