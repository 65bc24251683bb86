using Dom.Benchmarks;
using Dom.Benchmarks.Reporting;
using Dom.Benchmarks.Workload;
using Xunit.Abstractions;

namespace Dom.Benchmarks.Tests;

/// <summary>
/// The benchmark's smoke mode, inside the suite so the benchmark never rots: every row must produce numbers and every
/// oversell and loss check must pass. It never asserts a time or a throughput: those vary from machine to machine.
/// </summary>
public sealed class SmokeBenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Smoke_run_measures_every_row_and_passes_the_oversell_and_loss_checks()
    {
        var admin = Environment.GetEnvironmentVariable(BenchmarkOptions.TestPostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{BenchmarkOptions.TestPostgresVariable} is not set: the benchmark's baseline and PostgreSQL rows need a real server. Run the suite with tests/run.sh, which starts one.");
        var results = Directory.CreateTempSubdirectory("dom-bench-smoke-");
        try
        {
            var options = BenchmarkOptions.Smoke(admin) with { OutputDirectory = results.FullName, OlistDirectory = null };

            var report = await BenchmarkRunner.RunAsync(options, output.WriteLine);
            await ReportWriter.WriteAsync(report, options.OutputDirectory);
            output.WriteLine(ReportWriter.ConsoleTable(report));

            Assert.All(report.Checks, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
            Assert.True(report.Passed);
            // The checks that make a pass mean something are there (CheckTests shows each fails when it should).
            Assert.All(
                new[]
                {
                    "baseline: no stock row oversold", "baseline: every acknowledged reservation is stored",
                    "engine memory: every acknowledged reservation is readable", "engine memory: every slot holds exactly",
                    "engine PostgreSQL: its connections commit with synchronous_commit on",
                    "engine PostgreSQL after restart: every acknowledged reservation is readable", "engine PostgreSQL after restart: every slot holds exactly",
                    "engine PostgreSQL pg-inproc sell-out: units granted = units held = units on hand = units stocked",
                },
                name => Assert.Contains(report.Checks, check => check.Name.StartsWith(name, StringComparison.Ordinal)));
            var expected = new[] { SystemInfo.Lock, SystemInfo.Cond, SystemInfo.MemoryInProcess, SystemInfo.MemoryHttp, SystemInfo.PostgresInProcess, SystemInfo.PostgresHttp }
                .SelectMany(system => Enum.GetValues<Scenario>().Select(scenario => (scenario.Name(), system.Key)))
                .Concat([(Scenario.Uniform.Name(), SystemInfo.Ceiling.Key), (Scenario.Hot.Name(), SystemInfo.Ceiling.Key)])
                .Order()
                .ToList();
            Assert.Equal(expected, report.Rows.Select(row => (row.Scenario, row.System)).Order().ToList());
            Assert.All(report.Rows, row =>
            {
                Assert.True(row.Reservations > 0, $"{row.Scenario} {row.System}: no reservation granted");
                Assert.True(row.ReservationsPerSecond > 0 && row.P50Ms > 0 && row.P99Ms >= row.P50Ms && row.P999Ms >= row.P99Ms, $"{row.Scenario} {row.System}: no latency numbers");
                Assert.True(row.Errors == 0, $"{row.Scenario} {row.System}: {row.Errors} errors, e.g. {string.Join("; ", row.ErrorSamples)}");
                Assert.True(row.System is "lock" or "cond" or "ceiling" || row.VsLock > 0 && row.VsCond > 0, $"{row.Scenario} {row.System}: no ratio to the baselines");
            });
            Assert.All(report.Rows.Where(row => row.Scenario == Scenario.SellOut.Name()), row => Assert.Equal(options.SellOutUnits, row.Reservations));
            Assert.All(new[] { "latest.md", "latest.json", "latest.svg" }, file => Assert.True(new FileInfo(Path.Combine(results.FullName, file)).Length > 0, file));
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    /// <summary>The documented command runs each system group in a process of its own and merges the rounds; the
    /// baseline alone keeps this short.</summary>
    [Fact]
    public async Task An_isolated_smoke_run_merges_the_rounds_of_each_groups_own_process()
    {
        var admin = Environment.GetEnvironmentVariable(BenchmarkOptions.TestPostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{BenchmarkOptions.TestPostgresVariable} is not set: the benchmark's baseline needs a real server. Run the suite with tests/run.sh, which starts one.");
        var results = Directory.CreateTempSubdirectory("dom-bench-isolated-");
        try
        {
            string[] args = ["--smoke", "--no-olist", "--systems", "lock,cond", "--scenarios", "uniform,hot", "--repeat", "2", "--postgres", admin, "--out", results.FullName];
            var options = BenchmarkOptions.Parse(args);

            var report = await IsolatedRunner.RunAsync(options, args, output.WriteLine);

            Assert.True(report.Passed, string.Join("; ", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}")));
            Assert.Equal(
                [("hot", "cond"), ("hot", "lock"), ("uniform", "cond"), ("uniform", "lock")],
                report.Rows.Select(row => (row.Scenario, row.System)).Order().ToList());
            Assert.All(report.Rows, row =>
            {
                Assert.Equal(2, row.Rounds.Count);
                Assert.Contains(row.ReservationsPerSecond, row.Rounds);
                Assert.True(row.Rounds.All(r => r > 0), $"{row.Scenario} {row.System}: a round granted nothing");
            });
            Assert.Contains(report.Checks, check => check.Name.StartsWith("round 2: ", StringComparison.Ordinal));
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }
}
