using System.Net;
using System.Net.Http.Json;
using Dom.Access;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dom.Silo.Tests.Api;

/// <summary>The operator's KPIs count every order by status, the open ones by age and lateness, and the delivered ones
/// by whether they kept their promise; and the pages' "who am I".</summary>
public class OrderStatsTests
{
    [Fact]
    public async Task The_KPIs_count_orders_by_status_age_promise_kept_cycle_time_and_units_not_found_per_channel_as_the_list_filters_them()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        // Without the demo orders, so the count over every channel is exact too.
        await using var host = await SiloHost.StartAsync("Development", new Dictionary<string, string> { ["Demo:Seed"] = "false" }, businessTime: clock);
        var catalog = new Catalog(host);
        var sku = await catalog.ArticleAsync("a");
        var location = await catalog.LocationAsync("l", 52.4, 13.1);
        await catalog.StockAsync(sku, location, 50);
        // Farther from the customers: takes only what the first location reports not there.
        await catalog.StockAsync(sku, await catalog.LocationAsync("far", 50.0, 8.0), 50);
        var channel = catalog.Id("shop");
        var shop = await host.ClientForAsync("channel", channel);
        var partner = await host.ClientForAsync("store", location);

        var delivered = await PlaceAsync(shop, catalog.Id("delivered"), sku, promisedBy: clock.GetUtcNow().AddDays(2));
        await ShipAndDeliverAsync(partner, delivered, location);
        await PlaceAsync(shop, catalog.Id("late"), sku, promisedBy: clock.GetUtcNow().AddHours(30));
        var deliveredLate = await PlaceAsync(shop, catalog.Id("delivered-late"), sku, promisedBy: clock.GetUtcNow().AddHours(30));
        clock.Advance(TimeSpan.FromHours(26));
        var cancelled = await PlaceAsync(shop, catalog.Id("cancelled"), sku);
        (await shop.PostAsync($"/api/v1/orders/{cancelled}/cancel", null)).EnsureSuccessStatusCode();
        await PlaceAsync(shop, catalog.Id("held"), sku, unitPrice: 3_000m);
        clock.Advance(TimeSpan.FromHours(2));
        var rerouted = await PlaceAsync(shop, catalog.Id("new"), sku);
        using var notThere = await partner.PostAsJsonAsync($"/api/v1/orders/{rerouted}/lines/l1/events", new { eventId = "r", locationId = location, type = "rejected" }, SiloHost.Json);
        notThere.EnsureSuccessStatusCode();
        clock.Advance(TimeSpan.FromHours(4));
        await ShipAndDeliverAsync(partner, deliveredLate, location);
        await PlaceAsync(host.Client("dev-channel-webshop-key"), catalog.Id("other-channel"), sku);

        var stats = (await host.Operator().GetFromJsonAsync<OrderStatsView>($"/api/v1/order-stats?channel={channel}", SiloHost.Json))!;
        var all = (await host.Operator().GetFromJsonAsync<OrderStatsView>("/api/v1/order-stats", SiloHost.Json))!;
        using var asChannel = await shop.GetAsync("/api/v1/order-stats");
        var open = (await host.Operator().GetFromJsonAsync<OrderPage>($"/api/v1/orders?channel={channel}&open=true", SiloHost.Json))!;
        var closed = (await host.Operator().GetFromJsonAsync<OrderPage>($"/api/v1/orders?channel={channel}&open=false", SiloHost.Json))!;
        var lateDelivery = (await host.Operator().GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{deliveredLate}", SiloHost.Json))!;

        Assert.Equal(
            new Dictionary<string, int> { ["heldForReview"] = 1, ["rejected"] = 0, ["released"] = 2, ["partiallyShipped"] = 0, ["shipped"] = 0, ["delivered"] = 2, ["cancelled"] = 1, ["backordered"] = 0, ["returned"] = 0 },
            stats.ByStatus);
        // Open: "late" (32 h old, past its promise), "held" (6 h), "new" (4 h, routed again to the far location).
        Assert.Equal((3, 1), (stats.Open, stats.Late));
        Assert.Equal([0, 0, 2, 1, 0], stats.OpenByAge);
        Assert.Equal((2, 1), (stats.Delivered, stats.DeliveredOnTime));
        // "delivered" within the hour it was placed, "delivered-late" 32 hours after it was.
        Assert.Equal([1, 1, 0, 0, 0, 0], stats.DeliveredByCycleTime);
        // One unit each allocated for "delivered", "late", "delivered-late" and "held"; none left of "cancelled"; the unit
        // of "new" twice, once reported not there.
        Assert.Equal((6, 1), (stats.AllocatedUnits, stats.RejectedUnits));
        Assert.Equal(stats.Open + 1, all.Open);
        // The list's filter agrees with the counts.
        Assert.Equal([catalog.Id("new"), catalog.Id("held"), catalog.Id("late")], open.Items.Select(o => o.OrderId));
        // Newest first; "delivered" and "delivered-late" were placed in the same tick, so by id.
        Assert.Equal([catalog.Id("cancelled"), catalog.Id("delivered"), catalog.Id("delivered-late")], closed.Items.Select(o => o.OrderId));
        Assert.Equal(HttpStatusCode.Forbidden, asChannel.StatusCode);
        // Delivered 2 hours after its promise, and its late reminder has not come (it runs on the real clock, the business
        // clock is a fake one that moved): late all the same.
        Assert.True(lateDelivery.Late);
        Assert.Contains(lateDelivery.History, h => h.Event == "late");
    }

    [Theory]
    [InlineData("dev-operator-key-0001", ApiRole.Operator, "")]
    [InlineData("dev-channel-webshop-key", ApiRole.Channel, "webshop")]
    [InlineData("dev-store-berlin-key-0001", ApiRole.Store, "store-berlin")]
    [InlineData("dev-partner-leipzig-key-01", ApiRole.Partner, "ds-leipzig")]
    public async Task A_key_tells_its_role_and_scope(string key, ApiRole role, string scope)
    {
        await using var host = await SiloHost.StartAsync("Development");

        var caller = await host.Client(key).GetFromJsonAsync<CallerView>("/api/v1/me", SiloHost.Json);
        using var anonymous = await host.Client().GetAsync("/api/v1/me");

        Assert.Equal(new CallerView(role, scope), caller);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_relist_gives_the_KPIs_what_an_earlier_build_did_not_list_page_by_page()
    {
        await using var host = await SiloHost.StartAsync("Development", new Dictionary<string, string> { ["Demo:Seed"] = "false" });
        var catalog = new Catalog(host);
        var sku = await catalog.ArticleAsync("a");
        var location = await catalog.LocationAsync("l", 52.4, 13.1);
        await catalog.StockAsync(sku, location, 50);
        var channel = catalog.Id("shop");
        var shop = await host.ClientForAsync("channel", channel);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await PlaceAsync(shop, catalog.Id($"o{i}"), sku));
            await ShipAndDeliverAsync(host.Operator(), ids[^1], location);
        }

        // As an earlier build listed them: without the units that reached the customer.
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        foreach (var id in ids)
        {
            var bucket = grains.GetGrain<Dom.Orders.IOrderIndexGrain>(Dom.Grains.Orders.OrderIndexGrain.BucketOf(id));
            var listed = (await bucket.QueryAsync(new Dom.Orders.OrderQuery(null, channel, "c-" + id, null, null, null, 10))).Single();
            await bucket.UpsertAsync(listed with { ShippedUnits = 0, AllocatedUnits = 0 });
        }

        var before = (await host.Operator().GetFromJsonAsync<OrderStatsView>($"/api/v1/order-stats?channel={channel}", SiloHost.Json))!;
        var pages = new List<RelistAnswer>();
        string? next = null;
        do
        {
            using var relisted = await host.Operator().PostAsJsonAsync("/api/v1/orders/relist", new { after = next, limit = 2 }, SiloHost.Json);
            pages.Add((await relisted.Content.ReadFromJsonAsync<RelistAnswer>(SiloHost.Json))!);
            next = pages[^1].Next;
        }
        while (next is not null && pages.Count < 10);

        var after = (await host.Operator().GetFromJsonAsync<OrderStatsView>($"/api/v1/order-stats?channel={channel}", SiloHost.Json))!;
        using var byChannel = await shop.PostAsJsonAsync("/api/v1/orders/relist", new { }, SiloHost.Json);

        Assert.Equal((0, 0), (before.ShippedUnits, before.AllocatedUnits));
        Assert.Equal((3, 3), (after.ShippedUnits, after.AllocatedUnits));
        Assert.Equal((3, 0), (pages.Sum(p => p.Relisted), pages.Sum(p => p.NotRelisted)));
        Assert.Equal(HttpStatusCode.Forbidden, byChannel.StatusCode);
    }

    private static async Task<string> PlaceAsync(HttpClient channel, string orderId, string sku, decimal unitPrice = 20m, DateTimeOffset? promisedBy = null)
    {
        using var response = await channel.PostAsJsonAsync("/api/v1/orders", new
        {
            orderId,
            customerId = "c-" + orderId,
            lines = new[] { new { lineId = "l1", sku, quantity = 1, unitPrice } },
            delivery = new { method = "ship", address = new { country = "DE", latitude = 52.5, longitude = 13.4 } },
            promisedBy,
        }, SiloHost.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return orderId;
    }

    private static async Task ShipAndDeliverAsync(HttpClient location, string orderId, string locationId)
    {
        foreach (var type in new[] { "shipped", "delivered" })
        {
            using var response = await location.PostAsJsonAsync($"/api/v1/orders/{orderId}/lines/l1/events",
                new { eventId = $"{orderId}-{type}", locationId, type, carrier = type == "shipped" ? "DHL" : null, trackingNumber = type == "shipped" ? "JJD1" : null }, SiloHost.Json);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }
}
