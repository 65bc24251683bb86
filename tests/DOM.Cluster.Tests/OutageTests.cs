using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Dom.Articles;
using Dom.Cluster.Tests.Infrastructure;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Dom.Cluster.Tests;

/// <summary>PostgreSQL goes away and comes back while the cluster serves reservations.</summary>
[Collection(OutageCollection.Name)]
public class OutageTests(OutageFixture fixture, ITestOutputHelper output)
{
    /// <summary>What "fast" means for a 503 during an outage: far below the 30 s a default timeout would take.</summary>
    private static readonly TimeSpan FastAnswer = TimeSpan.FromSeconds(3);

    /// <summary>From PostgreSQL answering again to reservations being acknowledged again.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(10);

    private SiloCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_PostgreSQL_restart_mid_load_answers_fast_503s_loses_nothing_acknowledged_and_recovers_within_seconds()
    {
        await Cluster.EnsureSilosAsync(2);
        var world = await StockWorld.CreateAsync(Cluster);
        await using var load = new ReservationLoad(Cluster.Running.Select(s => s.Address), world.ChannelKey, workers: 6, world.Lines);
        await load.WaitForCreatedAsync(60, TimeSpan.Zero, TimeSpan.FromSeconds(60));

        var downAt = load.Now;
        await fixture.Postgres.StopAsync();
        var stoppedAt = load.Now;
        output.WriteLine($"PostgreSQL stopped between {downAt.TotalSeconds:F1} s and {stoppedAt.TotalSeconds:F1} s");

        // The outage as callers see it: enough attempts made entirely while the server was down, and readiness.
        await Poll.UntilAsync(() => Task.FromResult(load.Attempts.Count(a => a.StartedAt > stoppedAt) >= 40), TimeSpan.FromSeconds(30), "attempts during the outage");
        foreach (var silo in Cluster.Running)
        {
            using var http = new HttpClient { BaseAddress = silo.Address, Timeout = FastAnswer };
            using var ready = await http.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }

        var upAt = load.Now;
        await fixture.Postgres.RestartAsync();
        var startedAt = load.Now;
        await load.WaitForCreatedAsync(60, startedAt, TimeSpan.FromSeconds(60));
        await Task.WhenAll(Cluster.Running.Select(s => s.WaitReadyAsync(Cluster.Running.Count, TimeSpan.FromSeconds(30))));
        await load.StopAsync(TimeSpan.FromSeconds(60));

        var during = load.Attempts.Where(a => a.StartedAt > stoppedAt && a.StartedAt + a.Latency < upAt).ToList();
        var firstAcknowledged = load.Reservations.Where(r => r.Final == AttemptKind.Created && r.Finished >= startedAt).Min(r => r.Finished) - startedAt;
        var latencies = during.Select(a => a.Latency.TotalMilliseconds).Order().ToList();
        output.WriteLine(StockWorld.Summary(load));
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"during the outage: {during.Count} attempts ({string.Join(", ", during.GroupBy(a => a.Kind).Select(g => $"{g.Key} {g.Count()}"))}), p50 {StockWorld.Percentile(latencies, 0.5):F0} ms, max {latencies.DefaultIfEmpty().Max():F0} ms; PostgreSQL back after {(startedAt - upAt).TotalMilliseconds:F0} ms, first reservation acknowledged {firstAcknowledged.TotalMilliseconds:F0} ms later"));

        await world.AssertInvariantsAsync(Cluster, load);
        Assert.NotEmpty(during);
        Assert.All(during, a => Assert.True(a.Kind == AttemptKind.Unavailable, $"{a.ReservationId} got {a.Kind} {a.Status} during the outage"));
        Assert.True(latencies[^1] <= FastAnswer.TotalMilliseconds, $"slowest 503 took {latencies[^1]:F0} ms");
        Assert.True(firstAcknowledged <= Recovery, $"first reservation acknowledged {firstAcknowledged.TotalMilliseconds:F0} ms after PostgreSQL was back\n{Cluster.Diagnostics()}");
    }

    [Fact]
    public async Task Storage_failures_reach_callers_as_the_engines_own_error_never_as_a_driver_exception()
    {
        await Cluster.EnsureSilosAsync(2);
        var world = await StockWorld.CreateAsync(Cluster);
        var slot = new StockSlotKey(world.Hot, world.Location).ToString();
        using var channel = Cluster.Client(world.ChannelKey);
        using var client = await Cluster.ConnectClientAsync();
        var grains = client.Services.GetRequiredService<IClusterClient>();
        Assert.NotNull(await grains.GetGrain<IStockSlotGrain>(slot).GetAsync());

        await fixture.Postgres.StopAsync();
        try
        {
            // A write on an active grain, across the wire from a silo to this client.
            var write = await Assert.ThrowsAsync<StorageUnavailableException>(() => grains.GetGrain<IStockSlotGrain>(slot).SetStockAsync(new SetStockRequest(7, 0)));
            Assert.Null(write.InnerException);

            // A grain that cannot load its state while activating: Orleans answers every waiting caller with the
            // activation's failure, which must be the engine's error and carry no driver exception.
            var activation = await Assert.ThrowsAnyAsync<Exception>(() => grains.GetGrain<IArticleGrain>($"never-seen-{Guid.NewGuid():N}").GetAsync());
            var chain = Chain(activation).ToList();
            output.WriteLine("activation failure: " + string.Join(" ← ", chain.Select(e => e.GetType().FullName)));
            Assert.Contains(chain, e => e is StorageUnavailableException);
            Assert.DoesNotContain(chain, e => IsDriverType(e.GetType()));
            Assert.DoesNotContain("Npgsql", activation.ToString(), StringComparison.OrdinalIgnoreCase);

            // Over HTTP, from every silo: a quick 503 ProblemDetails with Retry-After and nothing internal in it.
            foreach (var silo in Cluster.Running)
            {
                using var http = new HttpClient { BaseAddress = silo.Address, Timeout = FastAnswer };
                http.DefaultRequestHeaders.Add("X-Api-Key", world.ChannelKey);
                using var response = await http.PostAsJsonAsync("/api/v1/reservations", new
                {
                    reservationId = $"outage-{Guid.NewGuid():N}",
                    shipTo = new { country = "DE", latitude = 52.5, longitude = 13.4 },
                    lines = new[] { new { sku = world.Hot, quantity = 1 } },
                });
                var body = await response.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.True(response.Headers.RetryAfter is not null, "Retry-After is missing");
                Assert.Contains("Temporarily unavailable.", body, StringComparison.Ordinal);
                foreach (var leak in new[] { "Npgsql", "Exception", "   at ", "SELECT", "127.0.0.1", "Orleans" })
                {
                    Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
                }
            }
        }
        finally
        {
            await fixture.Postgres.RestartAsync();
            await client.StopAsync();
        }

        await Task.WhenAll(Cluster.Running.Select(s => s.WaitReadyAsync(Cluster.Running.Count, TimeSpan.FromSeconds(30))));
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    private static bool IsDriverType(Type type) =>
        type.Namespace is { } name && (name.StartsWith("Npgsql", StringComparison.Ordinal) || name.StartsWith("System.Net.Sockets", StringComparison.Ordinal) || name.StartsWith("System.Data", StringComparison.Ordinal));
}
