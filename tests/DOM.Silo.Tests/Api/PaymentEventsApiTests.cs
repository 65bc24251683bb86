using System.Net;
using System.Net.Http.Json;
using Dom.Orders;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;

namespace Dom.Silo.Tests.Api;

/// <summary>Payment events over HTTP: who may record them, bad input changing nothing, and the list and KPIs showing
/// orders with money due or charged back to the channel and the operator only.</summary>
[Collection(ApiCollection.Name)]
public class PaymentEventsApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task An_invoice_paid_in_part_and_a_chargeback_show_in_the_channel_s_list_and_KPIs_and_not_to_the_store()
    {
        var sku = await _catalog.ArticleAsync("a");
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        await _catalog.StockAsync(sku, store, 10);
        var channelName = _catalog.Id("shop");
        var shop = await Host.ClientForAsync("channel", channelName);
        var storeClient = await Host.ClientForAsync("store", store);
        var (onInvoice, byCard, paid) = (_catalog.Id("invoice"), _catalog.Id("card"), _catalog.Id("paid"));
        await PlaceAsync(shop, onInvoice, sku, "invoice");
        await PlaceAsync(shop, byCard, sku, "card");
        await PlaceAsync(shop, paid, sku, "invoice");
        foreach (var id in new[] { onInvoice, byCard, paid })
        {
            using var shipped = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s", locationId = store, type = "shipped" }, SiloHost.Json);
            Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);
        }

        using var part = await shop.PostAsJsonAsync($"/api/v1/orders/{onInvoice}/payment-events", new { eventId = "p1", type = "received", amount = 15, invoiceId = $"{onInvoice}-i1" }, SiloHost.Json);
        using var full = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{paid}/payment-events", new { eventId = "p1", type = "received", amount = 40 }, SiloHost.Json);
        using var chargeback = await shop.PostAsJsonAsync($"/api/v1/orders/{byCard}/payment-events", new { eventId = "cb", type = "chargeback", amount = 40, reference = "dispute-1" }, SiloHost.Json);
        using var byStore = await storeClient.PostAsJsonAsync($"/api/v1/orders/{paid}/payment-events", new { eventId = "p2", type = "received", amount = 1 }, SiloHost.Json);
        using var byOtherChannel = await Host.Client("dev-channel-webshop-key").PostAsJsonAsync($"/api/v1/orders/{paid}/payment-events", new { eventId = "p2", type = "received", amount = 1 }, SiloHost.Json);

        var partly = (await part.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
        var outstanding = await ListAsync(shop, "outstanding=true");
        var settled = await ListAsync(shop, "outstanding=false");
        var chargedBack = await ListAsync(Host.Operator(), $"channel={channelName}&chargedBack=true");
        var stats = (await Host.Operator().GetFromJsonAsync<OrderStatsView>($"/api/v1/order-stats?channel={channelName}", SiloHost.Json))!;
        var storeList = await ListAsync(storeClient, "outstanding=true");
        var seenByStore = (await storeClient.GetFromJsonAsync<OrderView>($"/api/v1/orders/{onInvoice}", SiloHost.Json))!;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (part.StatusCode, full.StatusCode, chargeback.StatusCode));
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.NotFound), (byStore.StatusCode, byOtherChannel.StatusCode));
        Assert.Equal(25m, partly.Outstanding);
        Assert.Equal([(onInvoice, 25m)], outstanding.Select(o => (o.OrderId, o.Outstanding)));
        Assert.Equal([byCard, paid], settled.Select(o => o.OrderId).Order(StringComparer.Ordinal));
        Assert.Equal([(byCard, 40m)], chargedBack.Select(o => (o.OrderId, o.ChargedBack)));
        Assert.Equal((1, 1), (stats.OutstandingOrders, stats.ChargedBackOrders));
        Assert.Empty(storeList);
        Assert.Equal((0m, 0), (seenByStore.Outstanding, seenByStore.PaymentEvents!.Count));
    }

    [Fact]
    public async Task Bad_payment_events_are_400s_naming_the_field_and_one_the_order_cannot_take_a_422_and_change_nothing()
    {
        var sku = await _catalog.ArticleAsync("a");
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        await _catalog.StockAsync(sku, store, 10);
        var id = _catalog.Id("o");
        var shop = Host.Client("dev-channel-webshop-key");
        await PlaceAsync(shop, id, sku, "invoice");
        var bodies = new (object Body, string Field)[]
        {
            (new { type = "received", amount = 1 }, "eventId"),
            (new { eventId = "e", amount = 1 }, "type"),
            (new { eventId = "e", type = "received" }, "amount"),
            (new { eventId = "e", type = "received", amount = 0 }, "amount"),
            (new { eventId = "e", type = "received", amount = -1 }, "amount"),
            (new { eventId = "e", type = "received", amount = 1.00001 }, "amount"),
            (new { eventId = "e", type = "received", amount = 1, tender = -1 }, "tender"),
            (new { eventId = "e e", type = "received", amount = 1 }, "eventId"),
        };
        foreach (var (body, field) in bodies)
        {
            using var response = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/payment-events", body, SiloHost.Json);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var unknownType = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/payment-events", new { eventId = "e", type = "refund", amount = 1 }, SiloHost.Json);
        using var nothingDue = await shop.PostAsJsonAsync($"/api/v1/orders/{id}/payment-events", new { eventId = "e", type = "received", amount = 1 }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.BadRequest, unknownType.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, nothingDue.StatusCode);
        Assert.Empty((await shop.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!.PaymentEvents!);
    }

    private static async Task PlaceAsync(HttpClient channel, string orderId, string sku, string method)
    {
        using var response = await channel.PostAsJsonAsync("/api/v1/orders", new OrderBody(
            orderId, "c-" + orderId, [new OrderLineBody("l1", sku, 2, 20m)],
            new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)),
            Payments: [new PaymentBody(method, 40m)], Currency: "EUR"), SiloHost.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<IReadOnlyList<OrderSummary>> ListAsync(HttpClient client, string query) =>
        (await client.GetFromJsonAsync<OrderPage>($"/api/v1/orders?{query}", SiloHost.Json))!.Items;
}
