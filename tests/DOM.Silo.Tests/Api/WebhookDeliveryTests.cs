using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dom.Silo.Tests.Api;

/// <summary>A silo configured with a webhook delivers an order's notifications over real HTTP to a receiver on loopback,
/// signed as the README says.</summary>
public class WebhookDeliveryTests
{
    private const string Secret = "a-secret-of-16-chars-or-more";

    [Fact]
    public async Task An_order_placed_through_the_API_is_told_to_the_configured_webhook_signed()
    {
        var received = new ConcurrentQueue<(string Body, string Signature, string EventId)>();
        var confirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        receiverBuilder.Logging.ClearProviders();
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            received.Enqueue((body, request.Headers["X-Dom-Signature"].ToString(), request.Headers["X-Dom-Event-Id"].ToString()));
            confirmed.TrySetResult();
            return Results.NoContent();
        });
        await receiver.StartAsync();
        var hook = new Uri(new Uri(receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hook");
        await using var host = await SiloHost.StartAsync("Development", new Dictionary<string, string>
        {
            ["Demo:Seed"] = "false",
            ["Webhooks:Url"] = hook.ToString(),
            ["Webhooks:Secret"] = Secret,
        });
        var catalog = new Catalog(host);
        var sku = await catalog.ArticleAsync("a");
        await catalog.StockAsync(sku, await catalog.LocationAsync("l", 52.4, 13.1), 5);
        var id = catalog.Id("o");

        using var created = await host.Client("dev-channel-webshop-key").PostAsJsonAsync("/api/v1/orders", new
        {
            orderId = id,
            customerId = "c1",
            lines = new[] { new { lineId = "l1", sku, quantity = 1, unitPrice = 10m } },
            delivery = new { method = "ship", address = new { country = "DE", latitude = 52.5, longitude = 13.4 } },
        }, SiloHost.Json);
        await confirmed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var (body, signature, eventId) = Assert.Single(received);
        var delivered = JsonDocument.Parse(body).RootElement;
        Assert.Equal((id, "orderConfirmed", "webshop", $"{id}-n1"), (delivered.GetProperty("orderId").GetString(), delivered.GetProperty("type").GetString(), delivered.GetProperty("channel").GetString(), eventId));
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))), signature);
    }
}
