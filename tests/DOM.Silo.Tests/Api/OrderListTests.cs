using System.Net.Http.Json;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Dom.Silo.Tests.Api;

/// <summary>The order list pages through every order once, even when many were created in the same tick.</summary>
public class OrderListTests
{
    [Fact]
    public async Task Paging_skips_no_order_created_in_the_same_tick_as_the_last_of_a_page()
    {
        // The business clock stands still: every order is created at the same instant.
        await using var host = await SiloHost.StartAsync("Development", businessTime: new FakeTimeProvider(DateTimeOffset.UtcNow));
        var catalog = new Catalog(host);
        var sku = await catalog.ArticleAsync("a");
        await catalog.StockAsync(sku, await catalog.LocationAsync("l", 52.4, 13.1), 10);
        var customer = catalog.Id("c");
        var channel = host.Client("dev-channel-webshop-key");
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = catalog.Id($"o{i}");
            using var response = await channel.PostAsJsonAsync("/api/v1/orders", new
            {
                orderId = id,
                customerId = customer,
                lines = new[] { new { lineId = "l1", sku, quantity = 1 } },
                delivery = new { method = "ship", address = new { country = "DE", latitude = 52.5, longitude = 13.4 } },
            }, SiloHost.Json);
            response.EnsureSuccessStatusCode();
            created.Add(id);
        }

        var listed = new List<string>();
        var path = $"/api/v1/orders?customerId={customer}&limit=2";
        for (var pages = 0; pages < 10; pages++)
        {
            var page = (await host.Operator().GetFromJsonAsync<OrderPage>(path, SiloHost.Json))!;
            listed.AddRange(page.Items.Select(o => o.OrderId));
            if (page.Next is not { } next)
            {
                break;
            }

            path = $"/api/v1/orders?customerId={customer}&limit=2&createdBefore={Uri.EscapeDataString(next.ToString("O"))}&after={page.NextAfter}";
        }

        Assert.Equal(created.Order(StringComparer.Ordinal), listed);
    }
}
