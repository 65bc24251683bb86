using System.Net;
using System.Net.Http.Json;
using Dom.Orders;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;

namespace Dom.Silo.Tests.Api;

/// <summary>Credit notes over HTTP: the channel and an operator give them, a store neither gives nor sees them, a retry is
/// answered as the first, and bad input is refused naming the field and changes nothing.</summary>
[Collection(ApiCollection.Name)]
public class CreditsApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task The_channel_and_an_operator_credit_a_shipped_order_once_and_its_store_neither_credits_nor_sees_it()
    {
        var channel = _catalog.Id("shop");
        var shop = await Host.ClientForAsync("channel", channel);
        var (id, store) = await ShippedAsync(shop);
        var storeClient = await Host.ClientForAsync("store", store);

        using var byChannel = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k1", lineId = "l1", amount = 5, reason = "damaged", note = "scratched" }, SiloHost.Json);
        using var retried = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k1", lineId = "l1", amount = 5.00, reason = "damaged", note = "scratched" }, SiloHost.Json);
        using var conflicting = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k1", amount = 5, reason = "damaged" }, SiloHost.Json);
        using var byOperator = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k2", amount = 3, reason = "lateDelivery" }, SiloHost.Json);
        using var tooMuch = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k3", amount = 36.01, reason = "other" }, SiloHost.Json);
        using var byStore = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k4", amount = 1, reason = "other" }, SiloHost.Json);
        using var byOtherChannel = await Host.Client("dev-channel-webshop-key").PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k5", amount = 1, reason = "other" }, SiloHost.Json);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.OK), (byChannel.StatusCode, retried.StatusCode, conflicting.StatusCode, byOperator.StatusCode));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.Forbidden, HttpStatusCode.NotFound), (tooMuch.StatusCode, byStore.StatusCode, byOtherChannel.StatusCode));
        var order = (await shop.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        Assert.Equal([("k1", "l1", 5m, CreditReason.Damaged), ("k2", null, 3m, CreditReason.LateDelivery)], order.Credits!.Select(c => (c.CreditId, c.LineId, c.Amount, c.Reason)));
        Assert.Equal(8m, order.Refunded);
        var json = await (await shop.GetAsync($"/api/v1/orders/{id}")).Content.ReadAsStringAsync();
        Assert.Contains("\"reason\":\"lateDelivery\"", json, StringComparison.Ordinal);
        var seenByStore = (await storeClient.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        Assert.Equal((null, 0m), (seenByStore.Credits, seenByStore.Refunded));
        var messages = (await shop.GetFromJsonAsync<CustomerMessages>($"/api/v1/orders/{id}/messages", SiloHost.Json))!;
        Assert.Equal(2, messages.Items.Count(m => m.Type == "credited"));
        var stats = (await Host.Operator().GetFromJsonAsync<OrderStatsView>($"/api/v1/order-stats?channel={channel}", SiloHost.Json))!;
        Assert.Equal((1, 1, 0), (stats.CreditsByReason["damaged"], stats.CreditsByReason["lateDelivery"], stats.CreditsByReason["other"]));
        Assert.Empty(stats.ReturnedUnitsByReason);
    }

    [Fact]
    public async Task A_store_does_not_see_a_credit_on_its_line_in_the_history()
    {
        var shop = Host.Client("dev-channel-webshop-key");
        var (id, store) = await ShippedAsync(shop);
        using var credited = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k", lineId = "l1", amount = 5, reason = "damaged", note = "scratched" }, SiloHost.Json);

        var seenByStore = (await (await Host.ClientForAsync("store", store)).GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;

        Assert.Equal(HttpStatusCode.OK, credited.StatusCode);
        Assert.Contains((await shop.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!.History, h => h.Event == "credited");
        Assert.Equal([], seenByStore.History.Where(h => h.Event == "credited").Select(h => h.Detail));
    }

    [Fact]
    public async Task Bad_credits_are_400s_naming_the_field_and_change_nothing()
    {
        var shop = Host.Client("dev-channel-webshop-key");
        var (id, _) = await ShippedAsync(shop);
        var bodies = new (object Body, string Field)[]
        {
            (new { amount = 1, reason = "other" }, "creditId"),
            (new { creditId = "k", reason = "other" }, "amount"),
            (new { creditId = "k", amount = 0, reason = "other" }, "amount"),
            (new { creditId = "k", amount = -1, reason = "other" }, "amount"),
            (new { creditId = "k", amount = 1.00001, reason = "other" }, "amount"),
            (new { creditId = "k", amount = 1 }, "reason"),
            (new { creditId = "k", amount = 1, reason = "goodwill" }, "reason"),
            (new { creditId = "k", amount = 1, reason = "other", lineId = "l 1" }, "lineId"),
            (new { creditId = "k", amount = 1, reason = "other", note = new string('x', 501) }, "note"),
        };
        foreach (var (body, field) in bodies)
        {
            using var response = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", body, SiloHost.Json);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var unknownReason = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k", amount = 1, reason = "goodwill" }, SiloHost.Json);
        using var unknownLine = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/credits", new { creditId = "k", amount = 1, reason = "other", lineId = "l9" }, SiloHost.Json);

        Assert.Contains("lateDelivery, damaged, priceAdjustment, serviceIssue, other", await unknownReason.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownLine.StatusCode);
        var order = (await shop.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        Assert.Equal((0m, null), (order.Refunded, order.Credits));
    }

    /// <summary>An order of the channel <paramref name="shop"/> signs in for, 2 × 20.00 (and 4.00 delivery), paid by card
    /// and shipped from a fresh store: 44.00 charged.</summary>
    private async Task<(string Id, string Store)> ShippedAsync(HttpClient shop)
    {
        var sku = await _catalog.ArticleAsync("a");
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        await _catalog.StockAsync(sku, store, 10);
        var id = _catalog.Id("o");
        using var placed = await shop.PostAsJsonAsync("/api/v1/orders", new OrderBody(
            id, "c-" + id, [new OrderLineBody("l1", sku, 2, 20m)],
            new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)),
            Payments: [new PaymentBody("card", 44m)], Currency: "EUR", DeliveryCharge: 4m), SiloHost.Json);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        using var shipped = await (await Host.ClientForAsync("store", store)).PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s", locationId = store, type = "shipped" }, SiloHost.Json);
        Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);
        return (id, store);
    }
}
