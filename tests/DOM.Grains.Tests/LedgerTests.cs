using Dom.Finance;
using Dom.Orders;

namespace Dom.Grains.Tests;

/// <summary>The ledger: every invoice, refund and payment event of an order is posted once to its day's ledger, signed
/// from the customer's account.</summary>
[Collection(ClusterCollection.Name)]
public class LedgerTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task An_order_s_invoices_refunds_and_payments_are_posted_to_the_day_s_ledger_once_each()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 10);
        var id = _world.Id("o");
        await Order(id).CreateAsync(new CreateOrderRequest(
            id, "web", "c-" + id, null, [new OrderLineRequest("l1", sku, 4, 25m)],
            new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
            null, null, [new Payment("card", "tok", 60m), new Payment("invoice", null, 40m)], "EUR", false, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).RecordPaymentAsync(new PaymentEvent("bank-1", PaymentEventType.Received, 1, 30m, null, null));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "tooSmall")]));
        var order = (await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]))).Order!;

        // The reminder posts again what a crash may have kept from the ledger: nothing twice.
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("ledger", default);
        var entries = (await fixture.Grains.GetGrain<ILedgerGrain>(LedgerKey.For(id, order.Invoices[0].At)).EntriesAsync()).Where(e => e.OrderId == id).ToList();

        Assert.Equal(
            [
                (LedgerEntryKind.Invoice, $"{id}-i1", "card", 60m),
                (LedgerEntryKind.Invoice, $"{id}-i1", "invoice", 40m),
                (LedgerEntryKind.PaymentReceived, "bank-1", "invoice", -30m),
                (LedgerEntryKind.Refund, "r1", "card", -15m),
                (LedgerEntryKind.Refund, "r1", "invoice", -10m),
            ],
            entries.Select(e => (e.Kind, e.DocumentId, e.Method!, e.Amount)));
        Assert.Equal(order.Invoices[0].Vat, entries.Where(e => e.Kind == LedgerEntryKind.Invoice).Sum(e => e.Vat));
        // The refund gives back the VAT in it, at the rate its goods were invoiced at: 19 % in 25.00 is 3.99.
        Assert.Equal(3.99m, order.Returns.Single().Vat);
        Assert.Equal([-2.39m, -1.60m], entries.Where(e => e.Kind == LedgerEntryKind.Refund).Select(e => e.Vat));
        Assert.All(entries, e => Assert.Equal(("web", "c-" + id, "EUR"), (e.Channel, e.CustomerId, e.Currency)));
        Assert.Equal(entries.Count, entries.Select(e => e.EntryId).Distinct().Count());
    }

    [Fact]
    public async Task An_invoice_s_vat_is_shared_over_its_payments_to_the_largest_remainders_none_below_zero()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 1);
        var id = _world.Id("o");
        await Order(id).CreateAsync(new CreateOrderRequest(
            id, "web", "c-" + id, null, [new OrderLineRequest("l1", sku, 1, 0.12m)],
            new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
            null, null, [new Payment("giftCard", "g1", 0.03m), new Payment("giftCard", "g2", 0.03m), new Payment("giftCard", "g3", 0.03m), new Payment("giftCard", "g4", 0.03m)],
            "EUR", false, null, null));
        var order = (await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null))).Order!;
        var entries = (await fixture.Grains.GetGrain<ILedgerGrain>(LedgerKey.For(id, order.Invoices[0].At)).EntriesAsync()).Where(e => e.OrderId == id).ToList();

        // 0.12 with 0.02 VAT (19 %), paid by four gift cards of 0.03: each share is half a cent, so two of them carry a
        // cent each (not three rounded up and the last -0.01 to make up for them).
        Assert.Equal(0.02m, order.Invoices.Single().Vat);
        Assert.Equal([(0.03m, 0.01m), (0.03m, 0.01m), (0.03m, 0m), (0.03m, 0m)], entries.Select(e => (e.Amount, e.Vat)));
    }

    [Fact]
    public async Task A_ledger_records_an_entry_posted_twice_once()
    {
        var key = LedgerKey.Of(new DateOnly(2026, 1, 2), LedgerKey.BucketOf(_world.Id("o")));
        var entry = new LedgerEntry(_world.Id("o") + "/Invoice/i1/0", new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.Zero), LedgerEntryKind.Invoice,
            _world.Id("o"), "web", "c", "i1", "card", 10m, "EUR", 1.60m);
        var ledger = fixture.Grains.GetGrain<ILedgerGrain>(key);

        await ledger.AppendAsync([entry]);
        await ledger.AppendAsync([entry, entry with { EntryId = entry.EntryId + "x" }]);

        Assert.Equal([entry.EntryId, entry.EntryId + "x"], (await ledger.EntriesAsync()).Where(e => e.OrderId == entry.OrderId).Select(e => e.EntryId));
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);
}
