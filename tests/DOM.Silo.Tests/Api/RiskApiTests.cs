using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dom.Orders;
using Dom.Risk;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dom.Silo.Tests.Api;

/// <summary>The black and white lists over HTTP: what an entry may be, and which orders it matches.</summary>
[Collection(ApiCollection.Name)]
public class RiskApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    private HttpClient Webshop => Host.Client("dev-channel-webshop-key");

    public static TheoryData<string, string, string> Unmatchable => new()
    {
        // what, the list and subject, the value (JSON-escaped)
        { "a customer id no order can have", "black/customer", "not a valid id!" },
        { "a white-listed customer of a zero-width space", "white/customer", "\\u200B" },
        { "an e-mail without '@'", "black/email", "no-at-sign-here" },
        { "a payment instrument of dashes and spaces", "black/payment", "- -" },
        { "a payment instrument of a zero-width space", "black/payment", "\\u200B" },
        { "an address with postal code and city in one part", "black/address", "Hauptstr. 1, 10117 Berlin, DE" },
        { "an address naming its country", "black/address", "Hauptstr. 1, 10117, Berlin, Germany" },
        { "an address without a street", "black/address", " , 10117, Berlin, DE" },
        { "an address with only street and country", "black/address", "Hauptstr. 1, , , DE" },
        { "an address in five parts", "black/address", "Hinterhaus, Hauptstr. 1, 10117, Berlin, DE" },
    };

    [Theory]
    [MemberData(nameof(Unmatchable))]
    public async Task An_entry_no_order_could_match_is_a_400_naming_the_value_and_stores_nothing(string because, string path, string value)
    {
        var before = await ListsAsync();

        using var response = await Host.Operator().PutAsync($"/api/v1/risk/lists/{path}", new StringContent($$"""{ "value": "{{value}}" }""", Encoding.UTF8, "application/json"));

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: {(int)response.StatusCode} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty("value", out _), $"{because}: {problem}");
        Assert.Equal(before, await ListsAsync());
    }

    [Fact]
    public async Task A_payment_instrument_that_normalizes_to_nothing_matches_no_entry()
    {
        var sku = await _catalog.ArticleAsync("a");
        var near = await _catalog.LocationAsync("near", 52.4, 13.1);
        await _catalog.StockAsync(sku, near, 5);
        // As an earlier build's API took "- -": an empty entry.
        var lists = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IRiskListGrain>("lists"); // RiskListGrain.Key
        await lists.AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Payment, "- -"));
        try
        {
            var order = await PlaceAsync(Order(_catalog.Id("o"), sku) with { Payments = [new PaymentBody("card", 20m, "-")] });

            Assert.Equal((OrderStatus.Released, RiskDecision.Accept), (order.Status, order.Risk.Decision));
        }
        finally
        {
            await lists.RemoveAsync(new RiskListEntry(RiskList.Black, RiskSubject.Payment, ""));
        }
    }

    [Fact]
    public async Task A_listed_address_matches_an_order_that_leaves_out_its_postal_code_or_city_and_no_other_address()
    {
        var sku = await _catalog.ArticleAsync("a");
        var near = await _catalog.LocationAsync("near", 52.4, 13.1);
        await _catalog.StockAsync(sku, near, 20);
        var (full, noPostal) = ($"Fraudweg {_catalog.Id("n")}", $"Betrugstr {_catalog.Id("m")}");
        using var listedFull = await Host.Operator().PutAsJsonAsync("/api/v1/risk/lists/black/address", new { value = $"{full}, 10117, Berlin, DE" }, SiloHost.Json);
        using var listedNoPostal = await Host.Operator().PutAsJsonAsync("/api/v1/risk/lists/black/address", new { value = $"{noPostal}, , Berlin, DE" }, SiloHost.Json);
        var placed = 0;
        async Task<OrderStatus> PlaceAtAsync(string street, string? postalCode, string? city, string country = "DE") =>
            (await PlaceAsync(Order(_catalog.Id($"o{++placed}"), sku, new AddressBody(country, 52.52, 13.405, street, postalCode, city)))).Status;

        var matched = new[]
        {
            await PlaceAtAsync(full, "10117", "Berlin"),
            await PlaceAtAsync(full, null, "Berlin"),
            await PlaceAtAsync(full, "10117", null),
            await PlaceAtAsync(full.ToUpperInvariant() + ",", " 10117", "BERLIN"),
            await PlaceAtAsync(noPostal, "10117", "Berlin"),
            await PlaceAtAsync(noPostal, null, "Berlin"),
        };
        var notMatched = new[]
        {
            await PlaceAtAsync(full, "10115", "Berlin"),
            await PlaceAtAsync(full, null, "Potsdam"),
            await PlaceAtAsync(full, "10117", "Potsdam"),
            await PlaceAtAsync(full, null, null),
            await PlaceAtAsync(full, "10117", "Berlin", "AT"),
            await PlaceAtAsync(noPostal, "10117", null),
        };

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (listedFull.StatusCode, listedNoPostal.StatusCode));
        Assert.All(matched, status => Assert.Equal(OrderStatus.Rejected, status));
        Assert.All(notMatched, status => Assert.Equal(OrderStatus.Released, status));
    }

    private async Task<List<string>> ListsAsync() =>
        (await Host.Operator().GetFromJsonAsync<List<RiskListEntry>>("/api/v1/risk/lists", SiloHost.Json))!.Select(e => $"{e.List} {e.Subject} {e.Value}").ToList();

    private static OrderBody Order(string orderId, string sku, AddressBody? address = null) => new(
        orderId,
        "c-" + orderId,
        [new OrderLineBody("l1", sku, 1, 20m)],
        new DeliveryBody(DeliveryMethod.Ship, address ?? new AddressBody("DE", 52.52, 13.405, "Unter den Linden 1", "10117", "Berlin")),
        Payments: [new PaymentBody("card", 20m, "tok_visa_4242")],
        Currency: "EUR");

    private async Task<OrderView> PlaceAsync(OrderBody body)
    {
        using var response = await Webshop.PostAsJsonAsync("/api/v1/orders", body, SiloHost.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
    }
}
