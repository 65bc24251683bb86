using System.Globalization;
using Dom.Cluster.Tests.Infrastructure;
using Dom.Stock;
using Xunit.Abstractions;

namespace Dom.Cluster.Tests;

/// <summary>Silos crash, join and leave while reservations stream in; nothing acknowledged is lost or doubled.</summary>
[Collection(FailoverCollection.Name)]
public class FailoverTests(FailoverFixture fixture, ITestOutputHelper output)
{
    /// <summary>The worst single HTTP call allowed while a silo dies: the silos' response timeout (5 s) plus slack
    /// for a machine with 2 shared cores.</summary>
    private static readonly TimeSpan WorstCall = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(60);

    private SiloCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Killing_the_silo_that_hosts_the_hot_slot_under_load_loses_no_acknowledged_hold_and_doubles_none()
    {
        await Cluster.EnsureSilosAsync(3);
        var world = await StockWorld.CreateAsync(Cluster);
        await using var load = new ReservationLoad(Cluster.Running.Select(s => s.Address), world.ChannelKey, workers: 8, world.Lines);
        await load.WaitForCreatedAsync(100, TimeSpan.Zero, TimeSpan.FromSeconds(60));

        var victim = await Cluster.HostOfAsync(grains => grains.GetGrain<IStockSlotGrain>(new StockSlotKey(world.Hot, world.Location).ToString()));
        Assert.NotNull(victim);
        var steady = load.Now;
        var killedAt = load.Now;
        await victim.KillAsync();
        output.WriteLine($"killed silo {victim.Index} (pid {victim.Pid}), host of the hot slot, at {killedAt.TotalSeconds:F1} s");

        // The load runs on until the survivors have declared the victim dead, and a while after.
        await Cluster.WaitConvergedAsync();
        output.WriteLine($"the survivors saw it dead {(load.Now - killedAt).TotalMilliseconds:F0} ms after the kill");
        await load.WaitForCreatedAsync(200, killedAt, TimeSpan.FromSeconds(60));
        await load.StopAsync(Drain);

        Report(load, killedAt);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput before the kill: {load.Reservations.Count(r => r.Final == AttemptKind.Created && r.Finished < steady) / steady.TotalSeconds:F0} reservations/s"));
        await world.AssertInvariantsAsync(Cluster, load);
        var worst = load.Attempts.MaxBy(a => a.Latency)!;
        Assert.True(worst.Latency <= WorstCall, $"worst call took {worst.Latency.TotalMilliseconds:F0} ms ({worst.Kind}) at {worst.StartedAt.TotalSeconds:F1} s\n{Cluster.Diagnostics()}");
    }

    [Fact]
    public async Task Adding_a_silo_and_removing_one_gracefully_under_load_fails_no_call_beyond_a_retry()
    {
        await Cluster.EnsureSilosAsync(3);
        var world = await StockWorld.CreateAsync(Cluster);
        await using var load = new ReservationLoad(Cluster.Running.Select(s => s.Address), world.ChannelKey, workers: 8, world.Lines);
        await load.WaitForCreatedAsync(100, TimeSpan.Zero, TimeSpan.FromSeconds(60));

        var outAt = load.Now;
        var added = await Cluster.AddSiloAsync();
        load.AddEndpoint(added.Address);
        output.WriteLine($"silo {added.Index} joined at {load.Now.TotalSeconds:F1} s (started at {outAt.TotalSeconds:F1} s)");
        await load.WaitForCreatedAsync(100, load.Now, TimeSpan.FromSeconds(60));

        // Scale in the silo with the hot slot, so its busiest grain has to move. As Kubernetes does, the load
        // balancer stops sending to it first; requests already on it are drained by the silo itself.
        var leaving = await Cluster.HostOfAsync(grains => grains.GetGrain<IStockSlotGrain>(new StockSlotKey(world.Hot, world.Location).ToString())) ?? Cluster.Running[0];
        load.RemoveEndpoint(leaving.Address);
        var inAt = load.Now;
        await leaving.TerminateAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"silo {leaving.Index} left gracefully (exit {leaving.ExitCode}) between {inAt.TotalSeconds:F1} s and {load.Now.TotalSeconds:F1} s");
        await Cluster.WaitConvergedAsync();
        await load.WaitForCreatedAsync(100, load.Now, TimeSpan.FromSeconds(60));
        await load.StopAsync(Drain);

        Report(load, inAt);
        await world.AssertInvariantsAsync(Cluster, load);
        Assert.Equal(0, leaving.ExitCode);
        var retried = load.Reservations.Where(r => r.Attempts > 2).ToList();
        Assert.True(retried.Count == 0, $"{retried.Count} reservations needed more than one retry (most: {retried.Select(r => r.Attempts).DefaultIfEmpty().Max()})\n{Cluster.Diagnostics()}");
        var worst = load.Attempts.MaxBy(a => a.Latency)!;
        Assert.True(worst.Latency <= WorstCall, $"worst call took {worst.Latency.TotalMilliseconds:F0} ms ({worst.Kind})");
    }

    private void Report(ReservationLoad load, TimeSpan eventAt)
    {
        output.WriteLine(StockWorld.Summary(load));
        var afterwards = load.Attempts.Where(a => a.StartedAt + a.Latency >= eventAt).ToList();
        var failures = afterwards.Where(a => a.Kind is AttemptKind.Unavailable or AttemptKind.Transport).ToList();
        var firstSuccess = load.Reservations
            .Where(r => r.Final == AttemptKind.Created && r.Started >= eventAt)
            .Select(r => r.Finished - eventAt)
            .DefaultIfEmpty()
            .Min();
        var inFlight = load.Reservations.Where(r => r.Started < eventAt && r.Finished >= eventAt).Select(r => (r.Finished - eventAt).TotalMilliseconds).DefaultIfEmpty().Max();
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"after the event: {failures.Count} failed attempts ({failures.Count(f => f.Kind == AttemptKind.Unavailable)} × 503, {failures.Count(f => f.Kind == AttemptKind.Transport)} transport), worst call {afterwards.Select(a => a.Latency.TotalMilliseconds).DefaultIfEmpty().Max():F0} ms, reservations in flight done within {inFlight:F0} ms, first new reservation acknowledged after {firstSuccess.TotalMilliseconds:F0} ms"));
    }
}
