using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dom.Articles;
using Dom.Locations;
using Dom.Reservations;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;

namespace Dom.Silo.Tests.Api;

[Collection(ApiCollection.Name)]
public class CoreApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task Health_OpenApi_and_the_demo_data_are_served()
    {
        var client = Host.Client();
        var channel = Host.Client("dev-channel-webshop-key");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var openApi = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/v1/reservations", out _));
        var locationType = openApi.GetProperty("components").GetProperty("schemas").GetProperty("LocationType");
        Assert.Equal(["warehouse", "store", "dropShipper", "partner", "logisticsProvider", "virtual"], locationType.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        // Only what a request must carry is required, so a generated client can leave the rest out; the key and the
        // problems every keyed call may meet are described.
        var orderBody = openApi.GetProperty("components").GetProperty("schemas").GetProperty("OrderBody");
        Assert.Equal(["orderId", "customerId", "lines", "delivery"], orderBody.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("X-Api-Key", openApi.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
        var createOrder = openApi.GetProperty("paths").GetProperty("/api/v1/orders").GetProperty("post");
        Assert.Superset(new HashSet<string> { "201", "400", "401", "403", "409", "422", "429", "503" }, createOrder.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet());
        Assert.True(createOrder.GetProperty("security")[0].TryGetProperty("ApiKey", out _));
        var demo = await channel.GetFromJsonAsync<ArticleAvailability>("/api/v1/availability/tshirt-basic-m", SiloHost.Json);
        Assert.True(demo!.Total > 0);
    }

    [Fact]
    public async Task The_demo_data_has_a_delivered_order_to_try_a_return_on()
    {
        var order = await Host.Operator().GetFromJsonAsync<Dom.Orders.OrderView>("/api/v1/orders/demo-1007", SiloHost.Json);

        Assert.Equal(Dom.Orders.OrderStatus.Delivered, order!.Status);
        Assert.Equal("sneaker-white-42", order.Lines.Single().Sku);
        // Invoiced as it left, with its delivery charge, at the German VAT the Development settings configure.
        var invoice = order.Invoices.Single();
        var line = invoice.Lines.Single();
        Assert.Equal((89.00m, 0.19m, 14.21m), (line.Amount, line.VatRate, line.Vat));
        Assert.Equal((new Dom.Orders.InvoiceCharge(4.95m, 0.19m, 0.79m), 93.95m, 15.00m), (invoice.Delivery, invoice.Total, invoice.Vat));
    }

    [Fact]
    public async Task The_demo_promotions_price_the_readme_s_coupon_order()
    {
        var id = _catalog.Id("web");
        using var created = await Host.Client("dev-channel-webshop-key").PostAsJsonAsync("/api/v1/orders", new
        {
            orderId = id, customerId = "c-" + id, coupons = new[] { "WELCOME10" },
            lines = new object[] { new { lineId = "1", sku = "wool-socks-3", quantity = 3, unitPrice = 14.90m }, new { lineId = "2", sku = "tshirt-basic-m", quantity = 1, unitPrice = 19.90m } },
            delivery = new { method = "ship", address = new { country = "DE", latitude = 52.52, longitude = 13.405 } },
        }, SiloHost.Json);
        var order = (await created.Content.ReadFromJsonAsync<Dom.Orders.OrderView>(SiloHost.Json))!;

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // The socks' free pair first (by id), then 10 % of what is left of each line.
        Assert.Equal([("demo-socks-3for2", 14.90m), ("demo-welcome", 2.98m)], order.Lines[0].Discounts!.Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal([("demo-welcome", 1.99m)], order.Lines[1].Discounts!.Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal(44.73m, order.Total);
    }

    [Fact]
    public async Task Master_data_stock_and_availability_round_trip()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var (near, far) = (await _catalog.LocationAsync("near", 52.4, 13.1), await _catalog.LocationAsync("far", 48.1, 11.6));
        var op = Host.Operator();

        using var stock = await op.PutAsJsonAsync($"/api/v1/stock/{near}/{sku}", new { onHand = 12, safetyStock = 2 }, SiloHost.Json);
        await _catalog.StockAsync(sku, far, 5);

        var slot = await stock.Content.ReadFromJsonAsync<SlotSnapshot>(SiloHost.Json);
        Assert.Equal((12, 2, 0, 10), (slot!.OnHand, slot.SafetyStock, slot.Held, slot.Available));
        var article = await op.GetFromJsonAsync<ArticleInfo>($"/api/v1/articles/{sku}", SiloHost.Json);
        Assert.Equal(("shirt", ArticleKind.Physical), (article!.Name, article.Kind));
        var location = await op.GetFromJsonAsync<LocationInfo>($"/api/v1/locations/{near}", SiloHost.Json);
        Assert.Equal((LocationType.Warehouse, 52.4, 100), (location!.Type, location.Latitude, location.CapacityPerDay));
        var availability = await Host.Client("dev-channel-webshop-key").GetFromJsonAsync<JsonElement>($"/api/v1/availability/{sku}");
        Assert.Equal(15, availability.GetProperty("total").GetInt32());
        Assert.Equal(
            [(far, 5), (near, 10)],
            availability.GetProperty("locations").EnumerateArray().Select(l => (l.GetProperty("locationId").GetString()!, l.GetProperty("available").GetInt32())).OrderBy(l => l.Item1 == near));
    }

    [Fact]
    public async Task A_channel_sees_what_it_may_reserve_its_own_pool_included_and_no_other_channels_pool()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var store = await _catalog.LocationAsync("store", 52.4, 13.1);
        await _catalog.StockAsync(sku, store, 5);
        var op = Host.Operator();
        using var pool = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}/pools/marketplace", new { size = 3 }, SiloHost.Json);
        using var inbound = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}/inbound/po-1", new { quantity = 4, eta = DateTimeOffset.UtcNow.AddDays(2) }, SiloHost.Json);

        var marketplace = await Host.Client("dev-channel-marketplace-key").GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{sku}", SiloHost.Json);
        var webshop = await Host.Client("dev-channel-webshop-key").GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{sku}", SiloHost.Json);
        var all = await op.GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{sku}", SiloHost.Json);

        Assert.Equal(HttpStatusCode.OK, pool.StatusCode);
        Assert.Equal((5, "marketplace", 9), (marketplace!.Total, marketplace.Locations.Single().Pools!.Single().Channel, marketplace.Locations.Single().InTransit!.Single().Available));
        Assert.Equal((2, null, 6), (webshop!.Total, webshop.Locations.Single().Pools, webshop.Locations.Single().InTransit!.Single().Available));
        Assert.Equal((2, 3), (all!.Total, all.Locations.Single().Pools!.Single().Available));
    }

    [Fact]
    public async Task A_non_physical_article_is_available_without_a_limit_until_a_slot_counts_it()
    {
        var (card, digital) = (_catalog.Id("card"), _catalog.Id("digital"));
        var op = Host.Operator();
        using var location = await op.PutAsJsonAsync($"/api/v1/locations/{digital}", new { name = "digital", type = "virtual", latitude = 52.5, longitude = 13.4, capacityPerDay = 0 });
        using var article = await op.PutAsJsonAsync($"/api/v1/articles/{card}", new { name = "card", kind = "giftCard", fulfilledBy = digital });
        var channel = Host.Client("dev-channel-webshop-key");

        var unlimited = await channel.GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{card}", SiloHost.Json);
        await _catalog.StockAsync(card, digital, 3);
        var counted = await channel.GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{card}", SiloHost.Json);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (location.StatusCode, article.StatusCode));
        Assert.Equal((true, int.MaxValue), (unlimited!.Unlimited, unlimited.Total));
        Assert.Equal((digital, int.MaxValue), (unlimited.Locations.Single().LocationId, unlimited.Locations.Single().Available));
        Assert.Equal((false, 3), (counted!.Unlimited, counted.Total));
    }

    [Fact]
    public async Task A_non_physical_article_is_served_without_a_limit_only_while_its_location_is_virtual()
    {
        var (card, digital) = (_catalog.Id("card"), _catalog.Id("digital"));
        var op = Host.Operator();
        using var location = await op.PutAsJsonAsync($"/api/v1/locations/{digital}", new { name = "digital", type = "virtual", latitude = 52.5, longitude = 13.4, capacityPerDay = 0 });
        using var article = await op.PutAsJsonAsync($"/api/v1/articles/{card}", new { name = "card", kind = "giftCard", fulfilledBy = digital });
        var channel = Host.Client("dev-channel-webshop-key");
        var before = await channel.GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{card}", SiloHost.Json);

        using var retyped = await op.PutAsJsonAsync($"/api/v1/locations/{digital}", new { name = "digital", type = "warehouse", latitude = 52.5, longitude = 13.4, capacityPerDay = 10 });
        var after = await channel.GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{card}", SiloHost.Json);
        using var reserved = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(_catalog.Id("res"), (card, 1)), SiloHost.Json);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (location.StatusCode, article.StatusCode, retyped.StatusCode));
        Assert.True(before!.Unlimited);
        Assert.Equal((false, 0, 0), (after!.Unlimited, after.Total, after.Locations.Count));
        Assert.Equal(HttpStatusCode.Conflict, reserved.StatusCode);
    }

    [Fact]
    public async Task A_channel_sees_the_bundles_its_pool_can_make_and_a_bundle_is_stocked_only_as_its_components()
    {
        var (jacket, bag, set) = (await _catalog.ArticleAsync("jacket"), await _catalog.ArticleAsync("bag"), _catalog.Id("set"));
        var warehouse = await _catalog.LocationAsync("wh", 52.4, 13.1);
        var op = Host.Operator();
        using var kit = await op.PutAsJsonAsync($"/api/v1/articles/{set}", new { name = "set", components = new[] { new { sku = jacket, quantity = 1 }, new { sku = bag, quantity = 1 } } }, SiloHost.Json);
        foreach (var sku in new[] { jacket, bag })
        {
            await _catalog.StockAsync(sku, warehouse, 3);
            using var pool = await op.PutAsJsonAsync($"/api/v1/stock/{warehouse}/{sku}/pools/marketplace", new { size = 3 }, SiloHost.Json);
        }

        var marketplace = await Host.Client("dev-channel-marketplace-key").GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{set}", SiloHost.Json);
        var webshop = await Host.Client("dev-channel-webshop-key").GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{set}", SiloHost.Json);
        using var counted = await op.PutAsJsonAsync($"/api/v1/stock/{warehouse}/{set}", new { onHand = 7 }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.OK, kit.StatusCode);
        Assert.Equal((3, 0), (marketplace!.Total, webshop!.Total));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, counted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/v1/stock/{warehouse}/{set}")).StatusCode);
    }

    [Fact]
    public async Task Stock_at_a_location_retyped_to_virtual_is_no_longer_shown_as_available()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var (store, other) = (await _catalog.LocationAsync("store", 52.4, 13.1), await _catalog.LocationAsync("other", 52.5, 13.2));
        await _catalog.StockAsync(sku, store, 5);
        await _catalog.StockAsync(sku, other, 2);
        var op = Host.Operator();
        using var retyped = await op.PutAsJsonAsync($"/api/v1/locations/{store}", new { name = "store", type = "virtual", latitude = 52.4, longitude = 13.1, capacityPerDay = 0 }, SiloHost.Json);

        var availability = await Host.Client("dev-channel-webshop-key").GetFromJsonAsync<ArticleAvailability>($"/api/v1/availability/{sku}", SiloHost.Json);

        Assert.Equal(HttpStatusCode.OK, retyped.StatusCode);
        Assert.Equal((2, other), (availability!.Total, availability.Locations.Single().LocationId));
    }

    [Fact]
    public async Task A_stock_count_retried_under_its_id_changes_nothing_and_its_id_with_other_numbers_is_a_409()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var store = await _catalog.LocationAsync("store", 52.4, 13.1);
        var op = Host.Operator();
        using var first = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 10, countId = "c-1" }, SiloHost.Json);
        using var retried = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 10, countId = "c-1" }, SiloHost.Json);
        using var reused = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 4, countId = "c-1" }, SiloHost.Json);
        using var badId = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 4, countId = "not an id!" }, SiloHost.Json);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, retried.StatusCode));
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.BadRequest), (reused.StatusCode, badId.StatusCode));
        Assert.Equal(10, (await op.GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json))!.OnHand);
    }

    [Fact]
    public async Task A_count_without_safety_stock_leaves_it_as_it_is()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var store = await _catalog.LocationAsync("store", 52.4, 13.1);
        var op = Host.Operator();
        using var set = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 10, safetyStock = 2 }, SiloHost.Json);

        using var counted = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 12 }, SiloHost.Json);
        using var cleared = await op.PutAsJsonAsync($"/api/v1/stock/{store}/{sku}", new { onHand = 12, safetyStock = 0 }, SiloHost.Json);

        var slot = await counted.Content.ReadFromJsonAsync<SlotSnapshot>(SiloHost.Json);
        Assert.Equal((12, 2, 10), (slot!.OnHand, slot.SafetyStock, slot.Available));
        Assert.Equal(0, (await cleared.Content.ReadFromJsonAsync<SlotSnapshot>(SiloHost.Json))!.SafetyStock);
    }

    [Fact]
    public async Task A_pickup_location_that_is_none_is_a_422_that_leaves_the_id_free()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var warehouse = await _catalog.LocationAsync("warehouse", 52.4, 13.1);
        await _catalog.StockAsync(sku, warehouse, 10);
        var channel = Host.Client("dev-channel-webshop-key");
        var id = _catalog.Id("r");
        object Body(string pickup) => new
        {
            reservationId = id,
            shipTo = new { country = "DE", latitude = 52.52, longitude = 13.405 },
            lines = new[] { new { sku, quantity = 1 } },
            pickupLocationId = pickup,
        };

        using var unknown = await channel.PostAsJsonAsync("/api/v1/reservations", Body(_catalog.Id("nowhere")), SiloHost.Json);
        using var noCollect = await channel.PostAsJsonAsync("/api/v1/reservations", Body(warehouse), SiloHost.Json);
        var store = _catalog.Id("store");
        using var opened = await Host.Operator().PutAsJsonAsync($"/api/v1/locations/{store}", new { name = "store", type = "store", latitude = 52.5, longitude = 13.4, capacityPerDay = 10 }, SiloHost.Json);
        using var corrected = await channel.PostAsJsonAsync("/api/v1/reservations", Body(store), SiloHost.Json);

        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity), (unknown.StatusCode, noCollect.StatusCode));
        Assert.Contains("offers no click & collect", (await noCollect.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
    }

    [Fact]
    public async Task A_reservation_is_created_read_and_released_over_http()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var near = await _catalog.LocationAsync("near", 52.4, 13.1);
        await _catalog.StockAsync(sku, near, 10);
        var channel = Host.Client("dev-channel-webshop-key");
        var id = _catalog.Id("r");

        using var created = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 4)), SiloHost.Json);
        var json = await created.Content.ReadFromJsonAsync<JsonElement>();
        var read = await channel.GetFromJsonAsync<ReservationView>($"/api/v1/reservations/{id}", SiloHost.Json);
        var released = await channel.DeleteAsync($"/api/v1/reservations/{id}");
        var releasedAgain = await channel.DeleteAsync($"/api/v1/reservations/{id}");
        var after = await channel.GetFromJsonAsync<ReservationView>($"/api/v1/reservations/{id}", SiloHost.Json);
        using var retried = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 4)), SiloHost.Json);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/reservations/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("held", json.GetProperty("status").GetString());
        Assert.Equal(id, json.GetProperty("reservationId").GetString());
        Assert.True(json.TryGetProperty("expiresAt", out _));
        var allocation = json.GetProperty("lines")[0].GetProperty("allocations")[0];
        Assert.Equal((near, 4), (allocation.GetProperty("locationId").GetString(), allocation.GetProperty("quantity").GetInt32()));
        Assert.Equal(ReservationStatus.Held, read!.Status);
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, releasedAgain.StatusCode);
        Assert.Equal(ReservationStatus.Released, after!.Status);
        // Read as text: a JsonElement answers the last of two members with one name, and the problem's status is its code.
        var problem = await retried.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, retried.StatusCode);
        Assert.Equal((1, "released"), (Regex.Count(problem, "\"status\":"), JsonDocument.Parse(problem).RootElement.GetProperty("reservationStatus").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await channel.GetAsync($"/api/v1/reservations/{_catalog.Id("unknown")}")).StatusCode);
    }

    [Fact]
    public async Task Shortages_are_a_409_problem_listing_each_short_line_and_nothing_is_held()
    {
        var (a, b) = (await _catalog.ArticleAsync("a"), await _catalog.ArticleAsync("b"));
        var near = await _catalog.LocationAsync("near", 52.4, 13.1);
        await _catalog.StockAsync(a, near, 10);
        await _catalog.StockAsync(b, near, 2);
        var channel = Host.Client("dev-channel-webshop-key");

        using var response = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(_catalog.Id("r"), (a, 3), (b, 5)), SiloHost.Json);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var shortage = problem.GetProperty("shortages").EnumerateArray().Single();
        Assert.Equal((b, 5, 2), (shortage.GetProperty("sku").GetString(), shortage.GetProperty("requested").GetInt32(), shortage.GetProperty("available").GetInt32()));
        Assert.Equal(10, await AvailableAsync(a, near));
    }

    [Fact]
    public async Task The_reservation_id_is_the_idempotency_key()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var near = await _catalog.LocationAsync("near", 52.4, 13.1);
        await _catalog.StockAsync(sku, near, 10);
        var channel = Host.Client("dev-channel-webshop-key");
        var id = _catalog.Id("r");

        using var first = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        using var retry = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        using var other = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 4)), SiloHost.Json);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(7, await AvailableAsync(sku, near));
    }

    [Fact]
    public async Task A_store_closing_its_capacity_moves_the_next_reservation_elsewhere_at_once()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var (store, far) = (await _catalog.LocationAsync("store", 52.4, 13.1, type: "store"), await _catalog.LocationAsync("far", 48.1, 11.6));
        await _catalog.StockAsync(sku, store, 10);
        await _catalog.StockAsync(sku, far, 10);
        var storeClient = await Host.ClientForAsync("store", store);
        var channel = Host.Client("dev-channel-webshop-key");

        using var before = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(_catalog.Id("r1"), (sku, 1)), SiloHost.Json);
        using var closing = await storeClient.PutAsJsonAsync($"/api/v1/locations/{store}/capacity", new { limit = 0 }, SiloHost.Json);
        using var after = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(_catalog.Id("r2"), (sku, 1)), SiloHost.Json);

        Assert.Equal(store, (await before.Content.ReadFromJsonAsync<ReservationView>(SiloHost.Json))!.Lines[0].Allocations[0].LocationId);
        var capacity = await closing.Content.ReadFromJsonAsync<CapacitySnapshot>(SiloHost.Json);
        Assert.Equal((0, 1, true), (capacity!.Limit, capacity.Booked, capacity.Overbooked));
        Assert.Equal(far, (await after.Content.ReadFromJsonAsync<ReservationView>(SiloHost.Json))!.Lines[0].Allocations[0].LocationId);
    }

    [Fact]
    public async Task Capacity_for_a_given_day_is_set_and_read()
    {
        var location = await _catalog.LocationAsync("l", 52.4, 13.1, capacityPerDay: 40);
        var op = Host.Operator();
        var tomorrow = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1);

        using var set = await op.PutAsJsonAsync($"/api/v1/locations/{location}/capacity", new { date = tomorrow, limit = 12 }, SiloHost.Json);
        var read = await op.GetFromJsonAsync<CapacitySnapshot>($"/api/v1/locations/{location}/capacity?date={tomorrow:yyyy-MM-dd}", SiloHost.Json);
        var today = await op.GetFromJsonAsync<CapacitySnapshot>($"/api/v1/locations/{location}/capacity", SiloHost.Json);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(new CapacitySnapshot(tomorrow, 12, 0, false), read);
        Assert.Equal(40, today!.Limit);
    }

    [Fact]
    public async Task Unknown_articles_and_locations_are_404_problems()
    {
        var sku = await _catalog.ArticleAsync("shirt");
        var op = Host.Operator();

        using var stock = await op.PutAsJsonAsync($"/api/v1/stock/{_catalog.Id("nowhere")}/{sku}", new { onHand = 1 }, SiloHost.Json);
        using var availability = await op.GetAsync($"/api/v1/availability/{_catalog.Id("nothing")}");
        using var capacity = await op.PutAsJsonAsync($"/api/v1/locations/{_catalog.Id("nowhere")}/capacity", new { limit = 1 }, SiloHost.Json);

        Assert.All([stock, availability, capacity], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal("application/problem+json", stock.Content.Headers.ContentType!.MediaType);
    }

    private async Task<int> AvailableAsync(string sku, string locationId) =>
        (await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{locationId}/{sku}", SiloHost.Json))!.Available;
}
