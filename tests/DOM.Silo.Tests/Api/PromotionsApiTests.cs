using System.Net;
using System.Net.Http.Json;
using Dom.Orders;
using Dom.Promotions;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;

namespace Dom.Silo.Tests.Api;

/// <summary>Promotions over HTTP: operators keep them, orders carry coupons and show what each promotion took off.</summary>
[Collection(ApiCollection.Name)]
public class PromotionsApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task An_operator_creates_reads_changes_lists_and_removes_a_promotion_and_a_retry_changes_nothing()
    {
        var id = _catalog.Id("p");
        var body = new { name = "Summer", kind = "percentage", percent = 10, skus = new[] { "a" } };

        using var created = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{id}", body, SiloHost.Json);
        using var retried = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{id}", body, SiloHost.Json);
        using var changed = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{id}", body with { percent = 15 }, SiloHost.Json);
        var read = await Host.Operator().GetFromJsonAsync<Promotion>($"/api/v1/promotions/{id}", SiloHost.Json);
        var listed = await Host.Operator().GetFromJsonAsync<PromotionList>("/api/v1/promotions", SiloHost.Json);
        using var removed = await Host.Operator().DeleteAsync($"/api/v1/promotions/{id}");
        using var gone = await Host.Operator().GetAsync($"/api/v1/promotions/{id}");
        using var removedAgain = await Host.Operator().DeleteAsync($"/api/v1/promotions/{id}");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK), (created.StatusCode, retried.StatusCode, changed.StatusCode));
        Assert.Equal((PromotionKind.Percentage, 15m, "a"), (read!.Kind, read.Percent, read.Skus!.Single()));
        Assert.Contains(listed!.Promotions, p => p.PromotionId == id);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (removed.StatusCode, gone.StatusCode, removedAgain.StatusCode));
    }

    [Fact]
    public async Task Only_operators_keep_promotions()
    {
        var channel = await Host.ClientForAsync("channel", _catalog.Id("shop"));
        var store = await Host.ClientForAsync("store", await _catalog.LocationAsync("store", 52.5, 13.4, type: "store"));

        using var byChannel = await channel.PutAsJsonAsync($"/api/v1/promotions/{_catalog.Id("p")}", new { name = "x", kind = "percentage", percent = 90 }, SiloHost.Json);
        using var listedByStore = await store.GetAsync("/api/v1/promotions");

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (byChannel.StatusCode, listedByStore.StatusCode));
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/promotions/{_catalog.Id("p")}")).StatusCode);
    }

    [Fact]
    public async Task A_promotion_that_cannot_apply_as_written_is_a_400_naming_the_field_and_a_code_taken_a_409()
    {
        var bodies = new (object Body, string Field)[]
        {
            (new { name = "x", kind = "percentage", percent = 120 }, "percent"),
            (new { name = "x", kind = "percentage" }, "percent"),
            (new { name = "x", kind = "threshold", amount = 5, threshold = 50 }, "currency"),
            (new { name = "x", kind = "amount", amount = 5.001, currency = "EUR" }, "amount"),
            (new { name = "x", kind = "buyXGetY", buy = 0, get = 1 }, "buy"),
            (new { name = "x", kind = "percentage", percent = 5, skus = Array.Empty<string>() }, "skus"),
            (new { name = "x", kind = "percentage", percent = 5, code = "no spaces" }, "code"),
            (new { name = " ", kind = "percentage", percent = 5 }, "name"),
            (new { name = "x", percent = 5 }, "kind"),
        };
        var id = _catalog.Id("p");
        foreach (var (body, field) in bodies)
        {
            using var response = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{id}", body, SiloHost.Json);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var code = _catalog.Id("CODE");
        using var first = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{_catalog.Id("first")}", new { name = "x", kind = "percentage", percent = 5, code }, SiloHost.Json);
        using var second = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{id}", new { name = "x", kind = "percentage", percent = 5, code = code.ToLowerInvariant() }, SiloHost.Json);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Conflict), (first.StatusCode, second.StatusCode));
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/promotions/{id}")).StatusCode);
    }

    [Fact]
    public async Task An_order_with_a_coupon_shows_what_each_promotion_took_off_and_a_coupon_that_unlocks_nothing_is_a_422()
    {
        var (a, b) = (await _catalog.ArticleAsync("a"), await _catalog.ArticleAsync("b"));
        var warehouse = await _catalog.LocationAsync("w", 52.5, 13.4);
        await _catalog.StockAsync(a, warehouse, 5);
        await _catalog.StockAsync(b, warehouse, 5);
        var shopName = _catalog.Id("shop");
        var shop = await Host.ClientForAsync("channel", shopName);
        var code = _catalog.Id("TEN");
        await PutAsync("auto", new { name = "3 for 2", kind = "buyXGetY", buy = 2, get = 1, skus = new[] { a }, channels = new[] { shopName } });
        await PutAsync("coupon", new { name = "10 off from 50", kind = "threshold", amount = 10, threshold = 50, currency = "EUR", code, channels = new[] { shopName } });

        using var refused = await shop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id("refused"), a, b, _catalog.Id("NONE")), SiloHost.Json);
        using var twice = await shop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id("twice"), a, b, code, code.ToLowerInvariant()), SiloHost.Json);
        using var created = await shop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id("o"), a, b, code), SiloHost.Json);
        var order = (await created.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains(_catalog.Id("NONE"), await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/orders/{_catalog.Id("refused")}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // 3 × 20.00 less one free (20.00) is 40.00, with 20.00 of b 60.00: the coupon's 10.00 over 40 and 20.
        Assert.Equal([(_catalog.Id("auto"), 20m), (_catalog.Id("coupon"), 6.67m)], order.Lines[0].Discounts!.Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal([(_catalog.Id("coupon"), 3.33m)], order.Lines[1].Discounts!.Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal(50m, order.Total);
    }

    [Fact]
    public async Task A_store_sees_its_lines_at_what_the_promotions_left_rounded_to_the_cent()
    {
        var a = await _catalog.ArticleAsync("a");
        var storeId = await _catalog.LocationAsync("store", 52.4, 13.1, type: "store");
        await _catalog.StockAsync(a, storeId, 10);
        var shopName = _catalog.Id("shop");
        var shop = await Host.ClientForAsync("channel", shopName);
        await PutAsync("one-off", new { name = "1 off", kind = "threshold", amount = 1, threshold = 1, currency = "EUR", skus = new[] { a }, channels = new[] { shopName } });
        var id = _catalog.Id("o");

        using var created = await shop.PostAsJsonAsync("/api/v1/orders",
            new OrderBody(id, "c-" + id, [new OrderLineBody("l1", a, 7, 1m)], new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)), Currency: "EUR"), SiloHost.Json);
        var seen = (await (await Host.ClientForAsync("store", storeId)).GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;

        // 7 × 1.00 less 1.00 is 6.00: not seven times 6/7 of a euro, which decimal cannot hold exactly.
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal((7, 6m), (seen.Lines.Single().AllocatedQuantity, seen.Total));
    }

    private async Task PutAsync(string name, object body)
    {
        using var response = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{_catalog.Id(name)}", body, SiloHost.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static OrderBody Order(string orderId, string a, string b, params string[] coupons) => new(
        orderId,
        "c-" + orderId,
        [new OrderLineBody("l1", a, 3, 20m), new OrderLineBody("l2", b, 1, 20m)],
        new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405)),
        Currency: "EUR",
        Coupons: [.. coupons]);
}
