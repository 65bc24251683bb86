using System.Diagnostics;
using BenchmarkDotNet.Running;
using Dom.Domain.Sourcing;
using Dom.Sourcing.Benchmarks;

if (args is ["--quick", ..])
{
    // A fast check while developing: the best of many runs, which a busy machine disturbs least.
    foreach (var stock in new[] { "typical", "scarce" })
    {
        foreach (var lines in new[] { 1, 5, 10 })
        {
            var problem = OptimiserBenchmarks.Instance(lines, 200, stock == "scarce");
            var decision = SourcingOptimiser.Decide(problem);
            var best = double.MaxValue;
            for (var i = 0; i < 2_000; i++)
            {
                var started = Stopwatch.GetTimestamp();
                SourcingOptimiser.Decide(problem);
                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }

            var nearest = double.MaxValue;
            for (var i = 0; i < 2_000; i++)
            {
                var started = Stopwatch.GetTimestamp();
                SourcingOptimiser.NearestWithStock(problem);
                nearest = Math.Min(nearest, Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            }

            Console.WriteLine($"{stock,-8} {lines,2} lines: best {best,8:0.0} µs (nearest {nearest,6:0.0} µs), {decision.Nodes,7} nodes, exact {decision.Exact}, {decision.Winner?.Shipments.Count} shipments, cost {decision.Winner?.Cost.Total}");
        }
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(OptimiserBenchmarks).Assembly).Run(args);
