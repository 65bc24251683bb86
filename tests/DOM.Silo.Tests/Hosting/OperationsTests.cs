using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dom.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dom.Silo.Tests.Hosting;

/// <summary>What operators watch: the health endpoints and the engine's own meter.</summary>
[Collection(ApiCollection.Name)]
public class OperationsTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    [Fact]
    public async Task Readiness_and_liveness_report_the_silos_membership_as_json_without_internals()
    {
        var client = Host.Client();

        var ready = await client.GetFromJsonAsync<JsonElement>("/health/ready");
        var live = await client.GetFromJsonAsync<JsonElement>("/health/live");

        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        var membership = ready.GetProperty("checks").GetProperty("membership");
        Assert.Equal("Active", membership.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal(1, membership.GetProperty("data").GetProperty("activeSilos").GetInt32());
        Assert.False(ready.GetProperty("checks").TryGetProperty("storage", out _), "in-memory providers have no storage check");
        Assert.Equal("Healthy", live.GetProperty("checks").GetProperty("silo").GetProperty("status").GetString());
        Assert.DoesNotContain("127.0.0.1", ready.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reservations_holds_bookings_and_active_slots_are_recorded_in_the_engine_meter()
    {
        var meter = Host.Services.GetRequiredService<IMeterFactory>().Create(EngineMetrics.MeterName);
        var measurements = new ConcurrentBag<(string Instrument, long Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Add((instrument.Name, value, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Add((instrument.Name, 1, Tags(tags))));
        listener.Start();
        var sku = await _catalog.ArticleAsync("metered");
        var location = await _catalog.LocationAsync("metered", 52.4, 13.1);
        await _catalog.StockAsync(sku, location, 3);
        var channel = Host.Client("dev-channel-webshop-key");

        using var created = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(_catalog.Id("r1"), (sku, 2)), SiloHost.Json);
        using var refused = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(_catalog.Id("r2"), (sku, 2)), SiloHost.Json);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Conflict), (created.StatusCode, refused.StatusCode));
        var seen = measurements.ToList();
        Assert.Contains(("dom.reservations", 1L, "outcome=created"), seen);
        Assert.Contains(("dom.reservations", 1L, "outcome=refused"), seen);
        Assert.Contains(("dom.reservation.duration", 1L, "outcome=created"), seen);
        Assert.Contains(("dom.stock.holds", 1L, "status=held"), seen);
        Assert.Contains(("dom.stock.hold.duration", 1L, "status=held"), seen);
        Assert.Contains(("dom.capacity.bookings", 1L, "status=booked"), seen);
        Assert.Contains(("dom.stock.slots.active", 1L, ""), seen);
    }

    private static string Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new List<string>();
        foreach (var tag in tags)
        {
            text.Add($"{tag.Key}={tag.Value}");
        }

        return string.Join(',', text);
    }
}
