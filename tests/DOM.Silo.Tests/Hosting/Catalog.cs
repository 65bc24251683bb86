using System.Net;
using System.Net.Http.Json;

namespace Dom.Silo.Tests.Hosting;

/// <summary>Fresh master data for one test, created through the API as an operator.</summary>
public sealed class Catalog(SiloHost host)
{
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..10];
    private readonly HttpClient _operator = host.Operator();

    public string Id(string name) => $"{name}-{_prefix}";

    public async Task<string> ArticleAsync(string name)
    {
        var sku = Id(name);
        await PutAsync($"/api/v1/articles/{sku}", new { name });
        return sku;
    }

    public async Task<string> LocationAsync(string name, double latitude, double longitude, int capacityPerDay = 100, string type = "warehouse")
    {
        var id = Id(name);
        await PutAsync($"/api/v1/locations/{id}", new { name, type, latitude, longitude, capacityPerDay, country = "DE" });
        return id;
    }

    public Task StockAsync(string sku, string locationId, int onHand, int safetyStock = 0) =>
        PutAsync($"/api/v1/stock/{locationId}/{sku}", new { onHand, safetyStock });

    public static object Reservation(string reservationId, params (string Sku, int Quantity)[] lines) => new
    {
        reservationId,
        ttlSeconds = 600,
        shipTo = new { country = "DE", latitude = 52.52, longitude = 13.405 },
        lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }),
    };

    private async Task PutAsync(string path, object body)
    {
        using var response = await _operator.PutAsJsonAsync(path, body, SiloHost.Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
