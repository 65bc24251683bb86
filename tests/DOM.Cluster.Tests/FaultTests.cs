using System.Globalization;
using Dom.Cluster.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Dom.Cluster.Tests;

/// <summary>
/// Faults of the storage short of an outage, injected under load: the journal's connections cut mid-statement, and the
/// journal table locked so every write stalls. Whatever the silos answered must be what storage holds: each test ends
/// by crashing every silo and checking the reservations again on silos that load everything from PostgreSQL.
/// </summary>
[Collection(OutageCollection.Name)]
public class FaultTests(OutageFixture fixture, ITestOutputHelper output)
{
    /// <summary>The worst single HTTP call allowed: the silos' response timeout (5 s) plus slack for 2 shared cores.</summary>
    private static readonly TimeSpan WorstCall = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    private SiloCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Connections_cut_mid_write_under_load_lose_nothing_acknowledged_and_double_nothing_after_a_crash()
    {
        await Cluster.EnsureSilosAsync(2);
        var world = await StockWorld.CreateAsync(Cluster);
        await using var load = new ReservationLoad(Cluster.Running.Select(s => s.Address), world.ChannelKey, workers: 6, world.Lines);
        await load.WaitForCreatedAsync(60, TimeSpan.Zero, TimeSpan.FromSeconds(60));

        // Every session of the silos is cut, again and again, each time once the load has made progress since the last
        // cut: statements die wherever they are, a batch's commit among them, whose writer then cannot know whether
        // it was stored. At least 8 rounds, and on until a cut has failed some attempt (at most 40 rounds).
        var (cut, rounds, firstCut) = (0, 0, load.Now);
        bool CutFailedAnAttempt() => load.Attempts.Any(a => a.Kind == AttemptKind.Unavailable && a.StartedAt + a.Latency >= firstCut);
        while (rounds < 8 || (rounds < 40 && !CutFailedAnAttempt()))
        {
            var at = load.Now;
            cut += await TerminateSilosSessionsAsync();
            rounds++;
            await load.WaitForCreatedAsync(25, at, TimeSpan.FromSeconds(60));
        }

        await load.StopAsync(Drain);
        var attempts = load.Attempts.ToList();
        output.WriteLine($"{cut} sessions cut in {rounds} rounds; " + StockWorld.Summary(load));
        Assert.True(cut > 0, "no session of the silos was there to cut");
        Assert.True(CutFailedAnAttempt(), $"no attempt failed in {rounds} rounds of cuts");
        await world.AssertInvariantsAsync(Cluster, load);
        AssertNoSlowCall(attempts);

        await Cluster.CrashAllAndStartOverAsync(2);
        await world.AssertInvariantsAsync(Cluster, load);
    }

    [Fact]
    public async Task A_stalled_journal_answers_503_within_the_response_timeout_and_loses_nothing_acknowledged_after_a_crash()
    {
        await Cluster.EnsureSilosAsync(2);
        var world = await StockWorld.CreateAsync(Cluster);
        await using var load = new ReservationLoad(Cluster.Running.Select(s => s.Address), world.ChannelKey, workers: 6, world.Lines);
        await load.WaitForCreatedAsync(60, TimeSpan.Zero, TimeSpan.FromSeconds(60));

        // A lock that conflicts with every INSERT and no SELECT: writes queue behind it, reads go on. Held until enough
        // attempts started after it have been answered.
        TimeSpan lockedAt, releasedAt;
        await using (var connection = new NpgsqlConnection(Unpooled(fixture.Database.ConnectionString)))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE dom_journal IN SHARE MODE", connection, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            lockedAt = load.Now;
            await Poll.UntilAsync(() => Task.FromResult(load.Attempts.Count(a => a.StartedAt > lockedAt) >= 30), TimeSpan.FromSeconds(60), "attempts answered while the journal is locked");
            await transaction.RollbackAsync();
            releasedAt = load.Now;
        }

        await load.WaitForCreatedAsync(60, releasedAt, TimeSpan.FromSeconds(60));
        await load.StopAsync(Drain);
        var attempts = load.Attempts.ToList();
        var during = attempts.Where(a => a.StartedAt > lockedAt && a.StartedAt + a.Latency < releasedAt).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"journal locked from {lockedAt.TotalSeconds:F1} s to {releasedAt.TotalSeconds:F1} s: {during.Count} attempts within ({string.Join(", ", during.GroupBy(a => a.Kind).Select(g => $"{g.Key} {g.Count()}"))}); ") + StockWorld.Summary(load));
        Assert.NotEmpty(during);
        Assert.All(during, a => Assert.True(a.Kind == AttemptKind.Unavailable, $"{a.ReservationId} got {a.Kind} {a.Status} while the journal was locked"));
        await world.AssertInvariantsAsync(Cluster, load);
        AssertNoSlowCall(attempts);

        await Cluster.CrashAllAndStartOverAsync(2);
        await world.AssertInvariantsAsync(Cluster, load);
    }

    private void AssertNoSlowCall(IReadOnlyList<Attempt> attempts)
    {
        var worst = attempts.MaxBy(a => a.Latency)!;
        Assert.True(worst.Latency <= WorstCall, $"worst call took {worst.Latency.TotalMilliseconds:F0} ms ({worst.Kind}) at {worst.StartedAt.TotalSeconds:F1} s\n{Cluster.Diagnostics()}");
    }

    /// <summary>A connection of its own for each statement: a pooled one may have been cut by an earlier test's restart
    /// of the server (the outage tests share it).</summary>
    private static string Unpooled(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    /// <summary>Terminates every session of the cluster's database but this one; returns how many.</summary>
    private async Task<int> TerminateSilosSessionsAsync()
    {
        await using var connection = new NpgsqlConnection(Unpooled(fixture.Postgres.AdminConnectionString));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @name AND pid <> pg_backend_pid()", connection);
        command.Parameters.AddWithValue("name", fixture.Database.Name);
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }
}
