using System.Diagnostics;
using BenchmarkDotNet.Running;
using Dom.Domain.Sourcing;
using Dom.Sourcing.Benchmarks;

if (args is ["--quick", ..])
{
    // A fast check while developing: the best of many runs, which a busy machine disturbs least. Every instance runs
    // for two seconds first, so the JIT has finished its optimised code before anything is timed (without it, the
    // first row timed code of the JIT's first tier: 14.6 µs for a plan that takes 4.7 µs).
    var cases = new[] { "typical", "scarce" }
        .SelectMany(stock => new (int Lines, int Locations)[] { (1, 20), (1, 200), (5, 200), (10, 200) }
            .Select(size => (Stock: stock, size.Lines, size.Locations, Problem: OptimiserBenchmarks.Instance(size.Lines, size.Locations, stock == "scarce"))))
        .ToList();
    var warm = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < warm)
    {
        foreach (var warming in cases)
        {
            SourcingOptimiser.Decide(warming.Problem);
            SourcingOptimiser.NearestWithStock(warming.Problem);
        }
    }

    foreach (var (stock, lines, locations, problem) in cases)
    {
        var decision = SourcingOptimiser.Decide(problem);
        var best = double.MaxValue;
        for (var i = 0; i < 2_000; i++)
        {
            var started = Stopwatch.GetTimestamp();
            SourcingOptimiser.Decide(problem);
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        var allocatedFrom = GC.GetAllocatedBytesForCurrentThread();
        SourcingOptimiser.Decide(problem);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedFrom;

        var nearest = double.MaxValue;
        for (var i = 0; i < 2_000; i++)
        {
            var started = Stopwatch.GetTimestamp();
            SourcingOptimiser.NearestWithStock(problem);
            nearest = Math.Min(nearest, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        Console.WriteLine($"{stock,-8} {lines,2} lines × {locations,3} locations: best {best,8:0.0} µs, {allocated,9:N0} B (nearest {nearest,6:0.0} µs), {decision.Nodes,7} nodes, exact {decision.Exact}, {decision.Winner?.Shipments.Count} shipments, cost {decision.Winner?.Cost.Total}");
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(OptimiserBenchmarks).Assembly).Run(args);
