using System.Net;
using System.Net.Http.Json;
using Dom.Orders;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;

namespace Dom.Silo.Tests.Api;

/// <summary>An order's customer messages written out for a channel that sends them itself.</summary>
[Collection(ApiCollection.Name)]
public class MessagesApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task A_channel_reads_its_order_s_messages_in_the_customer_s_language_and_no_one_else_s()
    {
        var sku = await _catalog.ArticleAsync("a");
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        await _catalog.StockAsync(sku, store, 5);
        var id = _catalog.Id("o");
        var shop = Host.Client("dev-channel-webshop-key");
        using (var placed = await shop.PostAsJsonAsync("/api/v1/orders", new OrderBody(
            id, "c-" + id, [new OrderLineBody("l1", sku, 2, 12.50m)],
            new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)),
            Customer: new CustomerBody("ada@example.com", "Ada", "de"), Currency: "EUR"), SiloHost.Json))
        {
            Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        }

        var messages = (await shop.GetFromJsonAsync<CustomerMessages>($"/api/v1/orders/{id}/messages", SiloHost.Json))!.Items;
        using var byOtherChannel = await (await Host.ClientForAsync("channel", _catalog.Id("shop"))).GetAsync($"/api/v1/orders/{id}/messages");
        using var byStore = await (await Host.ClientForAsync("store", store)).GetAsync($"/api/v1/orders/{id}/messages");
        using var unknown = await shop.GetAsync($"/api/v1/orders/{_catalog.Id("none")}/messages");

        var confirmed = Assert.Single(messages);
        Assert.Equal(("orderConfirmed", "de", "ada@example.com", $"Ihre Bestellung {id}"), (confirmed.Type, confirmed.Language, confirmed.Email, confirmed.Subject));
        Assert.Contains("(25,00 EUR)", confirmed.Text, StringComparison.Ordinal);
        // No webhook in Development: nothing was sent, the channel sends it.
        Assert.False(confirmed.Sent);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Forbidden, HttpStatusCode.NotFound), (byOtherChannel.StatusCode, byStore.StatusCode, unknown.StatusCode));
    }
}
