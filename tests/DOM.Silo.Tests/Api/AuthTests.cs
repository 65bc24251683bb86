using System.Net;
using System.Net.Http.Json;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;

namespace Dom.Silo.Tests.Api;

/// <summary>Who may do what: 401 without a valid key, 403 for a role or scope that does not fit, and nothing changes.</summary>
[Collection(ApiCollection.Name)]
public class AuthTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    public static TheoryData<string, string, string, HttpStatusCode> Matrix => new()
    {
        // role, method, path template ({sku}, {own}, {other}), expected
        { "none", "GET", "/api/v1/availability/{sku}", HttpStatusCode.Unauthorized },
        { "unknown", "GET", "/api/v1/availability/{sku}", HttpStatusCode.Unauthorized },
        { "operator", "GET", "/api/v1/availability/{sku}", HttpStatusCode.OK },
        { "channel", "GET", "/api/v1/availability/{sku}", HttpStatusCode.OK },
        { "store", "GET", "/api/v1/availability/{sku}", HttpStatusCode.Forbidden },
        { "partner", "GET", "/api/v1/availability/{sku}", HttpStatusCode.Forbidden },
        { "none", "PUT", "/api/v1/stock/{own}/{sku}", HttpStatusCode.Unauthorized },
        { "operator", "PUT", "/api/v1/stock/{own}/{sku}", HttpStatusCode.OK },
        { "store", "PUT", "/api/v1/stock/{own}/{sku}", HttpStatusCode.OK },
        { "store", "PUT", "/api/v1/stock/{other}/{sku}", HttpStatusCode.Forbidden },
        { "channel", "PUT", "/api/v1/stock/{own}/{sku}", HttpStatusCode.Forbidden },
        { "partner", "PUT", "/api/v1/stock/{own}/{sku}", HttpStatusCode.Forbidden },
        { "store", "PUT", "/api/v1/locations/{own}/capacity", HttpStatusCode.OK },
        { "store", "PUT", "/api/v1/locations/{other}/capacity", HttpStatusCode.Forbidden },
        { "channel", "PUT", "/api/v1/locations/{own}/capacity", HttpStatusCode.Forbidden },
        { "store", "PUT", "/api/v1/articles/{sku}", HttpStatusCode.Forbidden },
        { "channel", "PUT", "/api/v1/locations/{own}", HttpStatusCode.Forbidden },
        { "operator", "POST", "/api/v1/reservations", HttpStatusCode.Forbidden },
        { "store", "POST", "/api/v1/reservations", HttpStatusCode.Forbidden },
        { "none", "POST", "/api/v1/reservations", HttpStatusCode.Unauthorized },
        { "channel", "POST", "/api/v1/api-keys", HttpStatusCode.Forbidden },
        { "store", "POST", "/api/v1/api-keys", HttpStatusCode.Forbidden },
        { "partner", "DELETE", "/api/v1/api-keys/" + new string('A', 64), HttpStatusCode.Forbidden },
        { "none", "DELETE", "/api/v1/api-keys/" + new string('A', 64), HttpStatusCode.Unauthorized },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Roles_and_scopes_decide_access_and_a_refused_call_changes_nothing(string role, string method, string template, HttpStatusCode expected)
    {
        var sku = await _catalog.ArticleAsync("a");
        var (own, other) = (await _catalog.LocationAsync("own", 52.4, 13.1, type: "store"), await _catalog.LocationAsync("other", 52.5, 13.2, type: "store"));
        await _catalog.StockAsync(sku, own, 5);
        await _catalog.StockAsync(sku, other, 5);
        var client = role switch
        {
            "none" => Host.Client(),
            "unknown" => Host.Client("not-a-key-of-this-engine"),
            "operator" => Host.Operator(),
            "store" => await Host.ClientForAsync("store", own),
            "partner" => await Host.ClientForAsync(role, await _catalog.LocationAsync("partner", 51.3, 12.4, type: "dropShipper")),
            _ => await Host.ClientForAsync(role, _catalog.Id(role)),
        };
        var path = template.Replace("{sku}", sku).Replace("{own}", own).Replace("{other}", other);
        object body = template switch
        {
            _ when template.StartsWith("/api/v1/stock", StringComparison.Ordinal) => new { onHand = 9 },
            _ when template.EndsWith("/capacity", StringComparison.Ordinal) => new { limit = 3 },
            _ when template.StartsWith("/api/v1/articles", StringComparison.Ordinal) => new { name = "changed" },
            _ when template.StartsWith("/api/v1/locations", StringComparison.Ordinal) => new { name = "changed", type = "store", latitude = 1.0, longitude = 1.0, capacityPerDay = 1 },
            _ when template == "/api/v1/api-keys" => new { role = "channel", scope = "web" },
            _ => Catalog.Reservation(_catalog.Id("r"), (sku, 1)),
        };

        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : JsonContent.Create(body, options: SiloHost.Json) };
        using var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            var slots = await Task.WhenAll(new[] { own, other }.Select(l => Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{l}/{sku}", SiloHost.Json)));
            Assert.All(slots, slot => Assert.Equal((5, 0), (slot!.OnHand, slot.Held)));
        }
    }
}
