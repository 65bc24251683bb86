using Dom.Benchmarks;
using Dom.Benchmarks.Baseline;
using Dom.Benchmarks.Engine;
using Dom.Benchmarks.Workload;
using Dom.Stock;
using Npgsql;

namespace Dom.Benchmarks.Tests;

/// <summary>The benchmark's oversell and loss checks fail when they should: a passing run means something only if a
/// stray hold, a lost acknowledgement or an oversold row would have failed it.</summary>
public sealed class CheckTests
{
    private static readonly BenchmarkOptions Options = BenchmarkOptions.Smoke("") with { Articles = 3, SellOutArticles = 1, OlistDirectory = null };

    [Fact]
    public async Task The_engine_check_fails_for_a_stray_hold_and_for_an_acknowledgement_that_was_never_stored()
    {
        var catalog = new Catalog(Options, Geography.Load(null, Options.Locations, Options.Seed));
        await using var host = await EngineHost.StartAsync(postgres: false, connectionString: null, catalog);
        await host.LoadAsync([]);
        var sku = catalog.UniformSkus[0];
        await using (var caller = await host.InProcess(SystemInfo.MemoryInProcess).ConnectAsync(0))
        {
            Assert.Equal(ReserveStatus.Granted, await caller.ReserveAsync("check-1", sku, 0));
        }

        Ack[] acknowledged = [new("check-1", sku, 1)];
        var clean = await host.CheckAsync("clean", acknowledged, [sku], new Dictionary<string, IReadOnlyList<Ack>>(), exact: true);
        var never = await host.CheckAsync("never stored", [.. acknowledged, new Ack("check-never", sku, 1)], [sku], new Dictionary<string, IReadOnlyList<Ack>>(), exact: true);
        // A hold no acknowledgement accounts for: in the per-slot sums it could stand in for a lost acknowledged one.
        var slot = host.Grains.GetGrain<IStockSlotGrain>(new StockSlotKey(sku, catalog.Locations[^1].Id).ToString());
        Assert.True((await slot.HoldAsync(new HoldRequest("stray", 1, Catalog.Channel, DateTimeOffset.UtcNow.AddHours(1)))).Succeeded);
        var stray = await host.CheckAsync("stray", acknowledged, [sku], new Dictionary<string, IReadOnlyList<Ack>>(), exact: true);
        var afterFailures = await host.CheckAsync("after failed attempts", acknowledged, [sku], new Dictionary<string, IReadOnlyList<Ack>>(), exact: false);

        Assert.All(clean, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
        Assert.Equal(["never stored: every acknowledged reservation is readable and held as acknowledged"], Failed(never));
        Assert.Equal(["stray: every slot holds exactly the units acknowledged on it"], Failed(stray));
        Assert.Empty(Failed(afterFailures));
    }

    [Fact]
    public async Task The_baseline_check_fails_for_an_oversold_row_and_for_an_acknowledgement_that_was_never_stored()
    {
        var admin = Environment.GetEnvironmentVariable(BenchmarkOptions.TestPostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{BenchmarkOptions.TestPostgresVariable} is not set: the baseline needs a real server. Run the suite with tests/run.sh, which starts one.");
        var catalog = new Catalog(Options, Geography.Load(null, Options.Locations, Options.Seed));
        await using var baseline = await PostgresBaseline.CreateAsync(admin, $"chk{Guid.NewGuid():N}"[..16], catalog, ["lock"], 1);
        var sku = catalog.UniformSkus[0];
        await using (var caller = await baseline.Lock.ConnectAsync(0))
        {
            Assert.Equal(ReserveStatus.Granted, await caller.ReserveAsync("check-1", sku, 0));
        }

        Ack[] acknowledged = [new("check-1", sku, 1)];
        var clean = await baseline.CheckAsync(acknowledged, new Dictionary<string, IReadOnlyList<Ack>>());
        var never = await baseline.CheckAsync([.. acknowledged, new Ack("check-never", sku, 1)], new Dictionary<string, IReadOnlyList<Ack>>());
        await using (var connection = new NpgsqlConnection(baseline.ConnectionString))
        {
            await connection.OpenAsync();
            await using var oversell = new NpgsqlCommand("UPDATE bench_stock SET reserved = on_hand + 1 WHERE sku = $1 AND location_id = (SELECT min(location_id) FROM bench_stock WHERE sku = $1)", connection);
            oversell.Parameters.Add(new NpgsqlParameter { Value = catalog.UniformSkus[1] });
            Assert.Equal(1, await oversell.ExecuteNonQueryAsync());
        }

        var oversold = await baseline.CheckAsync(acknowledged, new Dictionary<string, IReadOnlyList<Ack>>());

        Assert.All(clean, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
        Assert.Equal(["baseline: every acknowledged reservation is stored as acknowledged"], Failed(never));
        Assert.Equal(["baseline: no stock row oversold (reserved ≤ on_hand)", "baseline: every row's reserved equals its reservation rows"], Failed(oversold));
    }

    private static List<string> Failed(IEnumerable<Check> checks) => checks.Where(c => !c.Passed).Select(c => c.Name).ToList();
}
