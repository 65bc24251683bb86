using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;

namespace Dom.Silo.Tests.Api;

/// <summary>Each key, and each address without a valid key, gets so many requests per period; beyond it a 429 with
/// Retry-After that changes nothing. The period is an hour here, so nothing refills while the test runs.</summary>
public class RateLimitTests
{
    private static readonly Dictionary<string, string> Limits = new()
    {
        ["RateLimits:PerKey"] = "5",
        ["RateLimits:Anonymous"] = "2",
        ["RateLimits:KeyLookups"] = "100",
        ["RateLimits:Period"] = "01:00:00",
    };

    [Fact]
    public async Task A_key_over_its_limit_gets_a_429_with_retry_after_and_holds_nothing_while_other_keys_go_on()
    {
        await using var host = await SiloHost.StartAsync("Development", Limits);
        var catalog = new Catalog(host);
        var sku = await catalog.ArticleAsync("a");
        var location = await catalog.LocationAsync("l", 52.4, 13.1);
        await catalog.StockAsync(sku, location, 10);
        var channel = host.Client("dev-channel-webshop-key");

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var reserved = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(catalog.Id($"r{i}"), (sku, 1)), SiloHost.Json);
            answers.Add(reserved.StatusCode);
        }

        using var refused = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(catalog.Id("r-last"), (sku, 1)), SiloHost.Json);
        var slot = await host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);
        using var otherChannel = await host.Client("dev-channel-marketplace-key").GetAsync($"/api/v1/availability/{sku}");

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Created, 5), HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Equal(429, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.Equal((5, 5), (slot!.Held, slot.Available));
        Assert.Equal(HttpStatusCode.OK, otherChannel.StatusCode);
    }

    [Fact]
    public async Task An_address_looks_up_only_so_many_unknown_keys_and_configured_keys_go_on()
    {
        // Requests without a valid key unlimited: only the lookups of keys of the issued shape are.
        await using var host = await SiloHost.StartAsync("Development", new Dictionary<string, string>(Limits) { ["RateLimits:Anonymous"] = "0", ["RateLimits:KeyLookups"] = "2" });

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await host.Client($"dom_{i}{new string('A', 42)}").GetAsync("/api/v1/orders");
            answers.Add(response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(i < 2, response.Headers.RetryAfter is null);
        }

        // A key issued and never used on this silo needs a lookup too: none is left for this address, so it is not
        // looked up (a lookup would find it).
        using var issuedKey = await (await host.ClientForAsync("channel", "web")).GetAsync("/api/v1/orders");
        using var notIssuedShape = await host.Client("not-a-key-of-this-silo").GetAsync("/api/v1/orders");
        using var configured = await host.Operator().GetAsync("/api/v1/orders");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.TooManyRequests, issuedKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, notIssuedShape.StatusCode);
        Assert.Equal(HttpStatusCode.OK, configured.StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_limited_by_address()
    {
        await using var host = await SiloHost.StartAsync("Development", Limits);
        var unknown = host.Client("not-a-key-of-this-silo");

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await unknown.GetAsync("/api/v1/orders");
            answers.Add(response.StatusCode);
        }

        using var issuedShape = await host.Client("dom_" + new string('A', 43)).GetAsync("/api/v1/orders");
        using var withKey = await host.Operator().GetAsync("/api/v1/orders");
        using var probe = await unknown.GetAsync("/health/live");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal(HttpStatusCode.TooManyRequests, issuedShape.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }
}
