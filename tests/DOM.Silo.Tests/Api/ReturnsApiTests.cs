using System.Net;
using System.Net.Http.Json;
using Dom.Orders;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;

namespace Dom.Silo.Tests.Api;

/// <summary>Returns over HTTP: who may register and receive them, what each sees, and bad input changing nothing.</summary>
[Collection(ApiCollection.Name)]
public class ReturnsApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    private HttpClient Webshop => Host.Client("dev-channel-webshop-key");

    [Fact]
    public async Task A_store_takes_a_return_at_its_counter_by_sku_receives_it_and_the_channel_sees_the_refund()
    {
        var (id, a, _, _) = await DeliveredAsync();
        var counter = await _catalog.LocationAsync("counter", 52.5, 13.4, type: "store");
        var store = await Host.ClientForAsync("store", counter);

        using var announced = await store.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
            new { returnId = "r1", locationId = counter, lines = new[] { new { sku = a, quantity = 2, reason = "tooSmall" } } }, SiloHost.Json);
        var seenByStore = await ReadAsync(announced);
        using var received = await store.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive",
            new { lines = new[] { new { lineId = "l1", restock = 1, writeOff = 1 } } }, SiloHost.Json);
        var afterReceipt = await ReadAsync(received);
        var byChannel = (await Webshop.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        var slot = (await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{counter}/{a}", SiloHost.Json))!;

        // The store sees the line it takes back and its own return, nothing of the line it had no part in.
        Assert.Equal(["l1"], seenByStore.Lines.Select(l => l.LineId));
        Assert.Equal([("r1", ReturnStatus.Announced)], seenByStore.Returns.Select(r => (r.ReturnId, r.Status)));
        Assert.Empty(seenByStore.Outbox);
        Assert.Equal((ReturnStatus.Received, 40m), (afterReceipt.Returns.Single().Status, afterReceipt.Refunded));
        Assert.Equal((OrderStatus.Delivered, 40m, 2), (byChannel.Status, byChannel.Refunded, byChannel.Lines.Single(l => l.LineId == "l1").ReturnedQuantity));
        Assert.Equal(["returnAnnounced", "returnReceived", "refunded"], byChannel.Outbox.Select(n => n.Type).TakeLast(3));
        Assert.Equal((1, 1), (slot.OnHand, slot.Available));
    }

    [Fact]
    public async Task Only_the_order_s_channel_an_operator_or_the_store_taking_it_back_may_register_and_receive_a_return()
    {
        var (id, _, near, far) = await DeliveredAsync();
        var body = new { returnId = "r1", locationId = near, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } };
        var partner = await Host.ClientForAsync("partner", near);
        var otherStore = await Host.ClientForAsync("store", far);
        var otherChannel = await Host.ClientForAsync("channel", _catalog.Id("shop"));

        using var byPartner = await partner.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var forOtherStore = await otherStore.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var byOtherChannel = await otherChannel.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var byChannel = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var receivedElsewhere = await otherStore.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", new { lines = new[] { new { lineId = "l1", restock = 1 } } }, SiloHost.Json);
        using var receivedByChannel = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", new { lines = new[] { new { lineId = "l1", restock = 1 } } }, SiloHost.Json);
        using var cancelledByOtherChannel = await otherChannel.PostAsync($"/api/v1/orders/{id}/returns/r1/cancel", null);
        using var cancelledByChannel = await Webshop.PostAsync($"/api/v1/orders/{id}/returns/r1/cancel", null);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.NotFound), (byPartner.StatusCode, forOtherStore.StatusCode, byOtherChannel.StatusCode));
        Assert.Equal(HttpStatusCode.OK, byChannel.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Forbidden), (receivedElsewhere.StatusCode, receivedByChannel.StatusCode));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.OK), (cancelledByOtherChannel.StatusCode, cancelledByChannel.StatusCode));
        Assert.Equal([ReturnStatus.Cancelled], (await GetAsync(id)).Returns.Select(r => r.Status));
    }

    [Fact]
    public async Task Bad_returns_and_receipts_are_400s_naming_the_field_and_change_nothing()
    {
        var (id, a, near, _) = await DeliveredAsync();
        var operatorClient = Host.Operator();
        object Return(object line) => new { returnId = "r1", locationId = near, lines = new[] { line } };

        var bodies = new (object Body, string Field)[]
        {
            (Return(new { lineId = "l1", sku = a, quantity = 1, reason = "x" }), "lines[0]"),
            (Return(new { quantity = 1, reason = "x" }), "lines[0]"),
            (Return(new { lineId = "l1", quantity = 0, reason = "x" }), "lines[0].quantity"),
            (Return(new { lineId = "l1", quantity = 1, reason = " " }), "lines[0].reason"),
            (Return(new { lineId = "l1", quantity = 1, reason = new string('x', ReturnsApi.MaxReason + 1) }), "lines[0].reason"),
            (Return(new { lineId = "l1", quantity = 1, reason = "~other" }), "lines[0].reason"),
            // Stored trimmed: a blank before the '~' does not get it past.
            (Return(new { lineId = "l1", quantity = 1, reason = " ~other" }), "lines[0].reason"),
            (new { returnId = "r 1", locationId = near, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } }, "returnId"),
            (new { returnId = "r1", locationId = near, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" }, new { lineId = "l1", quantity = 1, reason = "y" } } }, "lines[1]"),
            (new { returnId = "r1", locationId = near, lines = Array.Empty<object>() }, "lines"),
        };
        foreach (var (body, field) in bodies)
        {
            using var response = await operatorClient.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var unknownMember = await operatorClient.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
            new { returnId = "r1", locationId = near, refund = 100, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } }, SiloHost.Json);
        using var announced = await operatorClient.PostAsJsonAsync($"/api/v1/orders/{id}/returns", Return(new { lineId = "l1", quantity = 1, reason = "x" }), SiloHost.Json);
        using var nothingReceived = await operatorClient.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", new { lines = new[] { new { lineId = "l1", restock = 0 } } }, SiloHost.Json);
        using var negative = await operatorClient.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", new { lines = new[] { new { lineId = "l1", restock = 2, writeOff = -1 } } }, SiloHost.Json);
        using var tooMany = await operatorClient.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", new { lines = new[] { new { lineId = "l1", restock = 2 } } }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.BadRequest, unknownMember.StatusCode);
        Assert.Equal(HttpStatusCode.OK, announced.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (nothingReceived.StatusCode, negative.StatusCode));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.StatusCode);
        var order = await GetAsync(id);
        Assert.Equal([ReturnStatus.Announced], order.Returns.Select(r => r.Status));
        Assert.Equal((0, 0m), (order.Lines.Sum(l => l.ReturnedQuantity), order.Refunded));
    }

    [Fact]
    public async Task A_return_of_units_not_shipped_is_a_422_and_a_retried_return_answers_as_the_first()
    {
        var (sku, near) = (await _catalog.ArticleAsync("a"), await _catalog.LocationAsync("near", 52.4, 13.1, type: "store"));
        await _catalog.StockAsync(sku, near, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, (sku, 1)));
        var body = new { returnId = "r1", locationId = near, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } };

        using var early = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        await ShipAndDeliverAsync(id, "l1", near);
        using var first = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var retried = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var other = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body with { locationId = _catalog.Id("x") }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, early.StatusCode);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict), (first.StatusCode, retried.StatusCode, other.StatusCode));
        Assert.Single((await GetAsync(id)).Returns);
    }

    [Fact]
    public async Task A_store_lists_the_returns_on_their_way_to_it_until_they_are_received_or_it_cancels_them()
    {
        var (id, _, near, far) = await DeliveredAsync();
        var farStore = await Host.ClientForAsync("store", far);
        var nearStore = await Host.ClientForAsync("store", near);
        foreach (var returnId in new[] { "r1", "r2" })
        {
            using var announced = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
                new { returnId, locationId = far, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } }, SiloHost.Json);
            Assert.Equal(HttpStatusCode.OK, announced.StatusCode);
        }

        var coming = await ListAsync(farStore, $"returnsAt={far}");
        var notForNear = await ListAsync(nearStore, $"returnsAt={far}");
        var nearList = await ListAsync(nearStore, $"customerId=c-{id}");
        using var cancelledByNear = await nearStore.PostAsync($"/api/v1/orders/{id}/returns/r1/cancel", null);
        using var cancelledByPartner = await (await Host.ClientForAsync("partner", far)).PostAsync($"/api/v1/orders/{id}/returns/r1/cancel", null);
        using var cancelled = await farStore.PostAsync($"/api/v1/orders/{id}/returns/r1/cancel", null);
        using var received = await farStore.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r2/receive", new { lines = new[] { new { lineId = "l1", restock = 1 } } }, SiloHost.Json);
        var after = await ListAsync(farStore, $"returnsAt={far}");

        // The far store fulfilled nothing of the order: it sees it for the returns coming to it, and no location of it.
        var row = Assert.Single(coming);
        Assert.Equal((id, 0, 0m), (row.OrderId, row.Locations.Count, row.Total));
        Assert.Equal([far], row.ReturnsAt!);
        Assert.Empty(notForNear);
        Assert.Null(Assert.Single(nearList).ReturnsAt);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Forbidden, HttpStatusCode.OK), (cancelledByNear.StatusCode, cancelledByPartner.StatusCode, cancelled.StatusCode));
        Assert.Equal(HttpStatusCode.OK, received.StatusCode);
        Assert.Empty(after);
    }

    [Fact]
    public async Task The_channel_sees_which_payment_a_refund_goes_back_to_and_the_store_only_how()
    {
        var (sku, near) = (await _catalog.ArticleAsync("a"), await _catalog.LocationAsync("near", 52.4, 13.1, type: "store"));
        await _catalog.StockAsync(sku, near, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, (sku, 1)) with { Payments = [new PaymentBody("card", 15m, "tok_visa_4242"), new PaymentBody("giftCard", 5m, "gc-1")] });
        await ShipAndDeliverAsync(id, "l1", near);
        var store = await Host.ClientForAsync("store", near);
        using var announced = await store.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
            new { returnId = "r1", locationId = near, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } }, SiloHost.Json);
        Assert.Equal(HttpStatusCode.OK, announced.StatusCode);

        using var received = await store.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", new { lines = new[] { new { lineId = "l1", restock = 1 } } }, SiloHost.Json);
        var storeView = await ReadAsync(received);
        var channelView = (await Webshop.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        var (seenByStore, seenByChannel) = (storeView.Returns.Single().Tenders!, channelView.Returns.Single().Tenders!);

        Assert.Equal([("card", (string?)"tok_visa_4242", 15m), ("giftCard", "gc-1", 5m)], seenByChannel.Select(t => (t.Method, t.Instrument, t.Amount)));
        Assert.Equal([("card", (string?)null, 15m), ("giftCard", null, 5m)], seenByStore.Select(t => (t.Method, t.Instrument, t.Amount)));
        // The shipment's invoice captured as much: the channel sees it, the store (whose value the order is not) does not.
        Assert.Equal((20m, 20m), (Assert.Single(channelView.Invoices).Total, channelView.Captured));
        Assert.Equal((0, 0m), (storeView.Invoices.Count, storeView.Captured));
    }

    [Fact]
    public async Task A_return_on_an_order_held_for_review_is_a_422_to_its_channel_and_a_404_to_a_store()
    {
        var (sku, near) = (await _catalog.ArticleAsync("a"), await _catalog.LocationAsync("near", 52.4, 13.1, type: "store"));
        await _catalog.StockAsync(sku, near, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, (sku, 2)) with { Lines = [new OrderLineBody("l1", sku, 2, 1_500m)] });
        var body = new { returnId = "r1", locationId = near, lines = new[] { new { lineId = "l1", quantity = 1, reason = "x" } } };

        using var byChannel = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);
        using var byStore = await (await Host.ClientForAsync("store", near)).PostAsJsonAsync($"/api/v1/orders/{id}/returns", body, SiloHost.Json);

        Assert.Equal(OrderStatus.HeldForReview, (await GetAsync(id)).Status);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.NotFound), (byChannel.StatusCode, byStore.StatusCode));
    }

    /// <summary>An order of line l1 (2 units of a) and l2 (1 unit of b), both from the store "near", shipped and delivered;
    /// "far" is another store.</summary>
    private async Task<(string Id, string A, string Near, string Far)> DeliveredAsync()
    {
        var (a, b) = (await _catalog.ArticleAsync("a"), await _catalog.ArticleAsync("b"));
        var (near, far) = (await _catalog.LocationAsync("near", 52.4, 13.1, type: "store"), await _catalog.LocationAsync("far", 48.1, 11.6, type: "store"));
        await _catalog.StockAsync(a, near, 5);
        await _catalog.StockAsync(b, near, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, (a, 2), (b, 1)));
        await ShipAndDeliverAsync(id, "l1", near);
        await ShipAndDeliverAsync(id, "l2", near);
        return (id, a, near, far);
    }

    private async Task ShipAndDeliverAsync(string id, string lineId, string location)
    {
        foreach (var type in new[] { "shipped", "delivered" })
        {
            using var reported = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/{lineId}/events", new { eventId = $"{lineId}-{type}", locationId = location, type }, SiloHost.Json);
            Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
        }
    }

    private static OrderBody Order(string orderId, params (string Sku, int Quantity)[] lines) => new(
        orderId,
        "c-" + orderId,
        lines.Select((l, i) => (OrderLineBody?)new OrderLineBody($"l{i + 1}", l.Sku, l.Quantity, 20m)).ToList(),
        new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)),
        Currency: "EUR");

    private static async Task<IReadOnlyList<OrderSummary>> ListAsync(HttpClient client, string query) =>
        (await client.GetFromJsonAsync<OrderPage>($"/api/v1/orders?{query}", SiloHost.Json))!.Items;

    private async Task PlaceAsync(OrderBody body)
    {
        using var response = await Webshop.PostAsJsonAsync("/api/v1/orders", body, SiloHost.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<OrderView> ReadAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
    }

    private async Task<OrderView> GetAsync(string orderId) =>
        (await Host.Operator().GetFromJsonAsync<OrderView>($"/api/v1/orders/{orderId}", SiloHost.Json))!;
}
