using Dom.Orders;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Dom.Grains.Tests;

/// <summary>Money after the goods left: an invoice paid in part or in full, returns before it is paid, chargebacks and
/// their reversal, recorded on the order.</summary>
[Collection(ClusterCollection.Name)]
public class PaymentEventTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task An_invoice_is_due_as_the_goods_leave_and_paid_in_parts_and_a_retried_receipt_counts_once()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("card", "tok", 30m), new Payment("invoice", null, 70m));
        var placed = await Order(id).GetAsync();

        var shipped = await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        var part = await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 1, 50m, $"{id}-i1", "bank-1"));
        var retried = await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 1, 50.00m, $"{id}-i1", "bank-1"));
        var otherBody = await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 1, 20m, $"{id}-i1", "bank-1"));
        var tooMuch = await Order(id).RecordPaymentAsync(new PaymentEvent("p2", PaymentEventType.Received, 1, 20.01m, null, null));
        var onCard = await Order(id).RecordPaymentAsync(new PaymentEvent("p3", PaymentEventType.Received, 0, 1m, null, null));
        var negative = await Order(id).RecordPaymentAsync(new PaymentEvent("p5", PaymentEventType.Received, 1, -5m, null, null));
        var rest = await Order(id).RecordPaymentAsync(new PaymentEvent("p4", PaymentEventType.Received, 1, 20m, null, null));

        Assert.Equal(0m, placed!.Outstanding);
        Assert.Equal(70m, shipped.Order!.Outstanding);
        Assert.Equal((OrderCommandStatus.Done, 20m), (part.Status, part.Order!.Outstanding));
        Assert.Equal((OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict), (retried.Status, otherBody.Status));
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (tooMuch.Status, onCard.Status, negative.Status));
        Assert.Equal((OrderCommandStatus.Done, 0m), (rest.Status, rest.Order!.Outstanding));
        Assert.Equal([("p1", 50m, "invoice", "bank-1"), ("p4", 20m, "invoice", null)], rest.Order.PaymentEvents!.Select(p => (p.EventId, p.Amount, p.Method, p.Reference)));
        Assert.Contains(rest.Order.History, h => h.Event == "payment received");
    }

    [Fact]
    public async Task Goods_returned_before_the_invoice_is_paid_are_no_longer_due()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 0, 30m, null, null));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 2, "tooSmall")]));

        var returned = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 2, 0)]))).Order!;

        // Two of four units at 25.00 came back: 50.00 of the 100.00 invoiced is owed, 30.00 of it paid.
        Assert.Equal((50m, 20m), (returned.Refunded, returned.Outstanding));
    }

    [Fact]
    public async Task A_chargeback_takes_back_no_more_than_the_payment_paid_and_kept_and_its_reversal_no_more_than_it_took()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("card", "tok", 100m));
        var early = await Order(id).RecordPaymentAsync(new PaymentEvent("cb0", PaymentEventType.Chargeback, 0, 1m, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));

        var tooMuch = await Order(id).RecordPaymentAsync(new PaymentEvent("cb1", PaymentEventType.Chargeback, 0, 100.01m, null, null));
        var chargeback = await Order(id).RecordPaymentAsync(new PaymentEvent("cb2", PaymentEventType.Chargeback, 0, 100m, null, "dispute-7"));
        var reversedTooMuch = await Order(id).RecordPaymentAsync(new PaymentEvent("cb3", PaymentEventType.ChargebackReversed, 0, 100.01m, null, null));
        var reversed = await Order(id).RecordPaymentAsync(new PaymentEvent("cb4", PaymentEventType.ChargebackReversed, 0, 40m, null, "dispute-7"));
        var noSuchPayment = await Order(id).RecordPaymentAsync(new PaymentEvent("cb5", PaymentEventType.Chargeback, 1, 1m, null, null));
        var noSuchInvoice = await Order(id).RecordPaymentAsync(new PaymentEvent("cb6", PaymentEventType.Chargeback, 0, 1m, "nope", null));

        Assert.Equal(OrderCommandStatus.NotAllowed, early.Status);
        Assert.Equal(OrderCommandStatus.NotAllowed, tooMuch.Status);
        Assert.Equal((OrderCommandStatus.Done, 100m, 0m), (chargeback.Status, chargeback.Order!.ChargedBack, chargeback.Order.Outstanding));
        Assert.Equal(OrderCommandStatus.NotAllowed, reversedTooMuch.Status);
        Assert.Equal((OrderCommandStatus.Done, 60m), (reversed.Status, reversed.Order!.ChargedBack));
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (noSuchPayment.Status, noSuchInvoice.Status));
        Assert.Equal(["chargeback", "chargeback reversed"], reversed.Order.History.Select(h => h.Event).Where(e => e.StartsWith("chargeback", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_returned_direct_debit_makes_the_invoice_due_again()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 0, 100m, null, null));

        var bounced = (await Order(id).RecordPaymentAsync(new PaymentEvent("cb", PaymentEventType.Chargeback, 0, 100m, null, null))).Order!;

        Assert.Equal((100m, 100m), (bounced.Outstanding, bounced.ChargedBack));
    }

    [Fact]
    public async Task An_invoice_paid_again_after_its_direct_debit_was_returned_can_be_charged_back_again()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 0, 100m, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("cb1", PaymentEventType.Chargeback, 0, 100m, null, null));
        var paidAgain = (await Order(id).RecordPaymentAsync(new PaymentEvent("p2", PaymentEventType.Received, 0, 100m, null, null))).Order!;

        // The second debit is returned too: the 100.00 paid again is money the customer's bank can take back.
        var bouncedAgain = await Order(id).RecordPaymentAsync(new PaymentEvent("cb2", PaymentEventType.Chargeback, 0, 100m, null, null));

        Assert.Equal(0m, paidAgain.Outstanding);
        Assert.Equal(OrderCommandStatus.Done, bouncedAgain.Status);
        Assert.Equal((100m, 200m), (bouncedAgain.Order!.Outstanding, bouncedAgain.Order.ChargedBack));
    }

    [Fact]
    public async Task An_unpaid_invoice_of_an_order_last_stored_by_a_build_before_payment_events_is_outstanding_once_loaded()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        // The order's latest snapshot as a build before payment events wrote it: no events, nothing outstanding.
        var stream = $"order/{id}";
        var serializer = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();
        var last = (await ClusterFixture.Journal.LoadAsync(stream)).Events[^1];
        var state = serializer.Deserialize<Orders.OrderChanged>(last.Payload)!.State;
        await ClusterFixture.Journal.SaveSnapshotAsync(stream, last.Sequence, serializer.SerializeToArray(state with { View = state.View! with { PaymentEvents = null, Outstanding = 0m } }));
        await fixture.DeactivateAllAsync();

        var read = await Order(id).GetAsync();
        var relisted = await Order(id).RelistAsync();
        var listed = await fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(id))
            .QueryAsync(new OrderQuery(null, null, "c-" + id, null, null, null, 10, Outstanding: true));

        Assert.Equal((100m, 0), (read!.Outstanding, read.PaymentEvents!.Count));
        Assert.True(relisted);
        Assert.Equal([id], listed.Select(o => o.OrderId));
    }

    [Fact]
    public async Task A_card_payment_of_an_order_shipped_by_a_build_before_invoices_can_be_charged_back()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("card", "tok", 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        // The order's latest snapshot as a build before invoices wrote it: shipped, the card captured, no invoice.
        var stream = $"order/{id}";
        var serializer = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();
        var last = (await ClusterFixture.Journal.LoadAsync(stream)).Events[^1];
        var state = serializer.Deserialize<Orders.OrderChanged>(last.Payload)!.State;
        await ClusterFixture.Journal.SaveSnapshotAsync(stream, last.Sequence, serializer.SerializeToArray(state with { View = state.View! with { Invoices = null!, Captured = 0m, PaymentEvents = null } }));
        await fixture.DeactivateAllAsync();

        var chargeback = await Order(id).RecordPaymentAsync(new PaymentEvent("cb", PaymentEventType.Chargeback, 0, 100m, null, null));

        Assert.Equal((OrderCommandStatus.Done, 100m), (chargeback.Status, chargeback.Order!.ChargedBack));
    }

    [Fact]
    public async Task A_receipt_of_less_than_the_currencys_minor_unit_is_refused_and_leaves_nothing_due()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));

        var odd = await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 0, 99.999m, null, null));

        Assert.Equal((OrderCommandStatus.NotAllowed, 100m), (odd.Status, odd.Order!.Outstanding));
        Assert.Empty(odd.Order.PaymentEvents!);
    }

    [Fact]
    public async Task Goods_returned_after_a_chargeback_are_not_refunded_again_beyond_what_the_payment_has_left()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("card", "tok", 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("cb", PaymentEventType.Chargeback, 0, 60m, null, null));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", warehouse, [new ReturnLineRequest("l1", null, 3, "tooSmall")]));

        var first = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;
        var second = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r2", null, [new ReceiptLine("l1", 3, 0)]))).Order!;

        // 100.00 paid, 60.00 back by the chargeback: 40.00 is all a refund may still give back.
        Assert.Equal(25m, first.Returns[0].Refund);
        Assert.Equal((15m, 40m), (second.Returns[1].Refund, second.Refunded));
        Assert.Equal(15m, second.Returns[1].Tenders!.Sum(t => t.Amount));
        Assert.Equal(15m, second.Returns[1].Lines.Sum(l => l.Refund));
        Assert.Contains(second.History, h => h.Event == "refund reduced" && h.Detail!.StartsWith("60.00 EUR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Money_received_for_a_named_invoice_pays_no_more_than_it_charged_that_payment()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", warehouse, FulfilmentEventType.Shipped, 3, "DHL", "T2"));

        // The first parcel's invoice charged 25.00: 30.00 for it is too much, though 100.00 is due on the order.
        var tooMuch = await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 0, 30m, $"{id}-i1", null));
        var part = await Order(id).RecordPaymentAsync(new PaymentEvent("p2", PaymentEventType.Received, 0, 20m, $"{id}-i1", null));
        var rest = await Order(id).RecordPaymentAsync(new PaymentEvent("p3", PaymentEventType.Received, 0, 5.01m, $"{id}-i1", null));
        var second = await Order(id).RecordPaymentAsync(new PaymentEvent("p4", PaymentEventType.Received, 0, 75m, $"{id}-i2", null));

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.Done, OrderCommandStatus.NotAllowed), (tooMuch.Status, part.Status, rest.Status));
        Assert.Equal((OrderCommandStatus.Done, 5m), (second.Status, second.Order!.Outstanding));
    }

    [Fact]
    public async Task A_named_invoice_paid_again_after_its_direct_debit_was_returned_takes_the_money()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("invoice", null, 100m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("p1", PaymentEventType.Received, 0, 100m, $"{id}-i1", null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("cb", PaymentEventType.Chargeback, 0, 100m, null, null));

        // The debit was returned: the invoice is due again (100.00 outstanding), and paying it again pays it.
        var paidAgain = await Order(id).RecordPaymentAsync(new PaymentEvent("p2", PaymentEventType.Received, 0, 100m, $"{id}-i1", null));

        Assert.Equal((OrderCommandStatus.Done, 0m), (paidAgain.Status, paidAgain.Order?.Outstanding));
    }

    [Fact]
    public async Task A_gift_card_payment_cannot_be_charged_back()
    {
        var (id, warehouse) = await PlacedAsync(new Payment("card", "tok", 60m), new Payment("GiftCard", "gc-1", 40m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));

        var onGiftCard = await Order(id).RecordPaymentAsync(new PaymentEvent("cb1", PaymentEventType.Chargeback, 1, 10m, null, null));
        var onCard = await Order(id).RecordPaymentAsync(new PaymentEvent("cb2", PaymentEventType.Chargeback, 0, 10m, null, null));

        Assert.Equal(OrderCommandStatus.NotAllowed, onGiftCard.Status);
        Assert.Contains("no bank", onGiftCard.Problem, StringComparison.Ordinal);
        Assert.Equal((OrderCommandStatus.Done, 10m), (onCard.Status, onCard.Order!.ChargedBack));
    }

    /// <summary>An order of four units at 25.00 from a fresh warehouse, paid by <paramref name="payments"/>.</summary>
    private async Task<(string Id, string Warehouse)> PlacedAsync(params Payment[] payments)
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 10);
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(new CreateOrderRequest(
            id, "web", "c-" + id, null, [new OrderLineRequest("l1", sku, 4, 25m)],
            new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
            null, null, payments, "EUR", false, null, null));
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        return (id, warehouse);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);
}
