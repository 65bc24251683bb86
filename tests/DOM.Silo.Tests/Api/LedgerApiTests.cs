using System.Net;
using System.Net.Http.Json;
using Dom.Finance;
using Dom.Orders;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dom.Silo.Tests.Api;

/// <summary>The ledger export: an operator's, as JSON or CSV, of the days asked for.</summary>
[Collection(ApiCollection.Name)]
public class LedgerApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task An_operator_exports_the_day_s_invoices_and_payments_as_json_and_csv()
    {
        var (id, order) = await ShippedAsync(2, 59.50m, new PaymentBody("invoice", 100m), new PaymentBody("=voucher,x", 19m));
        var shop = Host.Client("dev-channel-webshop-key");
        (await shop.PostAsJsonAsync($"/api/v1/orders/{id}/payment-events", new { eventId = "bank-1", type = "received", amount = 100 }, SiloHost.Json)).EnsureSuccessStatusCode();
        // The invoice's day and the next (the receipt may come just after midnight).
        var day = DateOnly.FromDateTime(order.Invoices[0].At.UtcDateTime);

        var json = (await Host.Operator().GetFromJsonAsync<LedgerExport>($"/api/v1/ledger?from={day:yyyy-MM-dd}&to={day.AddDays(1):yyyy-MM-dd}", SiloHost.Json))!;
        using var csv = await Host.Operator().GetAsync($"/api/v1/ledger?from={day.AddDays(-1):yyyy-MM-dd}&to={day.AddDays(1):yyyy-MM-dd}&format=csv");
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n");
        var before = (await Host.Operator().GetFromJsonAsync<LedgerExport>($"/api/v1/ledger?from={day.AddDays(-3):yyyy-MM-dd}&to={day.AddDays(-1):yyyy-MM-dd}", SiloHost.Json))!;

        // 119.00 with 19.00 VAT, captured 100.00 on account and 19.00 by voucher, the VAT shared the same way.
        Assert.Equal([(LedgerEntryKind.Invoice, 100m, 15.97m), (LedgerEntryKind.Invoice, 19m, 3.03m), (LedgerEntryKind.PaymentReceived, -100m, 0m)],
            json.Entries.Where(e => e.OrderId == id).Select(e => (e.Kind, e.Amount, e.Vat)));
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal("entryId,at,kind,orderId,channel,customerId,documentId,method,amount,vat,currency", rows[0]);
        Assert.Contains(rows, r => r.StartsWith($"{id}/Invoice/{id}-i1/0,", StringComparison.Ordinal) && r.EndsWith($",{id}-i1,invoice,100.00,15.97,EUR", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith($"{id}/PaymentReceived/bank-1/0,", StringComparison.Ordinal) && r.EndsWith(",bank-1,invoice,-100.00,0.00,EUR", StringComparison.Ordinal));
        // A field with a comma is quoted; one that starts like a formula is shown as text.
        Assert.Contains(rows, r => r.StartsWith($"{id}/Invoice/{id}-i1/1,", StringComparison.Ordinal) && r.EndsWith($",{id}-i1,\"'=voucher,x\",19.00,3.03,EUR", StringComparison.Ordinal));
        Assert.DoesNotContain(before.Entries, e => e.OrderId == id);
    }

    [Fact]
    public async Task A_csv_field_that_starts_with_a_minus_and_is_no_number_is_shown_as_text()
    {
        var (id, order) = await ShippedAsync(1, 119m, new PaymentBody("-2+3+cmd|' /C calc'!A0", 119m));
        var day = DateOnly.FromDateTime(order.Invoices[0].At.UtcDateTime);

        using var csv = await Host.Operator().GetAsync($"/api/v1/ledger?from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}&format=csv");
        var row = Assert.Single((await csv.Content.ReadAsStringAsync()).Split("\r\n"), r => r.StartsWith($"{id}/Invoice/", StringComparison.Ordinal));

        // A minus starts a formula as '=' does (the amount -119.00 of a refund is a number, and stays one).
        Assert.Contains($",{id}-i1,'-2+3+cmd|' /C calc'!A0,119.00,19.00,EUR", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_year_s_export_comes_day_by_day_in_time_order_as_json_and_csv()
    {
        // Days of a year long past that no other test writes to: an entry on the first day, two on one in the middle (the
        // later one in another bucket, stored first), one on the last.
        var first = new DateOnly(2001, 1, 1).AddDays(Random.Shared.Next(0, 3_000));
        var (middle, last) = (first.AddDays(200), first.AddDays(LedgerApi.MaxDays - 1));
        var orders = Enumerable.Range(0, 4).Select(i => _catalog.Id("o" + i)).ToList();
        LedgerEntry Entry(string orderId, DateOnly day, int hour) =>
            new($"{orderId}/Invoice/{orderId}-i1/0", new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.Zero), LedgerEntryKind.Invoice, orderId, "webshop", "c", $"{orderId}-i1", "card", 10m + hour, "EUR", 0m);
        var entries = new[] { Entry(orders[0], first, 9), Entry(orders[2], middle, 17), Entry(orders[1], middle, 8), Entry(orders[3], last, 23) };
        var grains = Host.Services.GetRequiredService<IGrainFactory>();
        foreach (var entry in entries)
        {
            await grains.GetGrain<ILedgerGrain>(LedgerKey.For(entry.OrderId, entry.At)).AppendAsync([entry]);
        }

        var json = (await Host.Operator().GetFromJsonAsync<LedgerExport>($"/api/v1/ledger?from={first:yyyy-MM-dd}&to={last:yyyy-MM-dd}", SiloHost.Json))!;
        using var csv = await Host.Operator().GetAsync($"/api/v1/ledger?from={first:yyyy-MM-dd}&to={last:yyyy-MM-dd}&format=csv");
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n");

        Assert.Equal((first, last), (json.From, json.To));
        Assert.Equal(orders, json.Entries.Where(e => orders.Contains(e.OrderId)).Select(e => e.OrderId));
        Assert.Equal(orders, rows.Skip(1).Where(r => r.Length > 0).Select(r => r.Split(',')[3]).Where(orders.Contains));
        Assert.Equal(("entryId,at,kind,orderId,channel,customerId,documentId,method,amount,vat,currency", ""), (rows[0], rows[^1]));
        Assert.Equal($"attachment; filename=ledger-{first:yyyy-MM-dd}-{last:yyyy-MM-dd}.csv", csv.Content.Headers.ContentDisposition!.ToString().Split(';').Take(2).Select(p => p.Trim()).Aggregate((a, b) => $"{a}; {b}"));
    }

    [Fact]
    public async Task Only_operators_export_and_a_bad_range_is_a_400_naming_the_field()
    {
        using var byChannel = await Host.Client("dev-channel-webshop-key").GetAsync("/api/v1/ledger?from=2026-12-01&to=2026-12-01");
        var problems = new (string Query, string Field)[]
        {
            ("to=2026-12-01", "from"),
            ("from=2026-12-01", "to"),
            ("from=2026-12-02&to=2026-12-01", "to"),
            ("from=2025-01-01&to=2026-01-03", "to"),
            ("from=2026-12-01&to=2026-12-01&format=xml", "format"),
        };

        Assert.Equal(HttpStatusCode.Forbidden, byChannel.StatusCode);
        foreach (var (query, field) in problems)
        {
            using var response = await Host.Operator().GetAsync($"/api/v1/ledger?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>A web shop order of <paramref name="quantity"/> units of a fresh article at <paramref name="unitPrice"/>,
    /// paid by <paramref name="payments"/>, shipped from a fresh store: its id, and the order with its invoice.</summary>
    private async Task<(string Id, OrderView Order)> ShippedAsync(int quantity, decimal unitPrice, params PaymentBody[] payments)
    {
        var sku = await _catalog.ArticleAsync("a");
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        await _catalog.StockAsync(sku, store, 10);
        var id = _catalog.Id("o");
        using (var placed = await Host.Client("dev-channel-webshop-key").PostAsJsonAsync("/api/v1/orders", new OrderBody(
            id, "c-" + id, [new OrderLineBody("l1", sku, quantity, unitPrice)],
            new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)),
            Payments: [.. payments], Currency: "EUR"), SiloHost.Json))
        {
            Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        }

        using var shipped = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s", locationId = store, type = "shipped" }, SiloHost.Json);
        return (id, (await shipped.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!);
    }
}
