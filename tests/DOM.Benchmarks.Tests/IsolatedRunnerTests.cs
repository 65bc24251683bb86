using Dom.Benchmarks;
using Dom.Benchmarks.Reporting;
using Dom.Benchmarks.Workload;

namespace Dom.Benchmarks.Tests;

/// <summary>How the rounds of an isolated run become one table: each row is its median round, and the ratios are
/// between medians, not taken from any one round.</summary>
public sealed class IsolatedRunnerTests
{
    private static readonly MachineInfo Machine = new(2, "cpu", 1, "0 0 0", "os", ".NET", "Orleans", true, "PostgreSQL");

    [Fact]
    public void Each_row_is_its_median_round_and_the_ratios_are_between_medians()
    {
        var rounds = new[]
        {
            new[] { Report(Row("uniform", "lock", 1_000, p99: 10)), Report(Row("uniform", "engine-pg-inproc", 9_000, p99: 1)) },
            new[] { Report(Row("uniform", "engine-pg-inproc", 5_000, p99: 2)), Report(Row("uniform", "lock", 3_000, p99: 30)) },
            new[] { Report(Row("uniform", "lock", 2_000, p99: 20)), Report(Row("uniform", "engine-pg-inproc", 7_000, p99: 3)) },
        };

        var report = IsolatedRunner.Merge(BenchmarkOptions.Full("Host=127.0.0.1") with { Repeat = 3 }, Machine, DateTimeOffset.UnixEpoch, rounds);

        var lockRow = Assert.Single(report.Rows, row => row.System == "lock");
        var engine = Assert.Single(report.Rows, row => row.System == "engine-pg-inproc");
        Assert.Equal(2_000, lockRow.ReservationsPerSecond);
        Assert.Equal(20, lockRow.P99Ms);
        Assert.Equal([1_000d, 3_000d, 2_000d], lockRow.Rounds);
        Assert.Equal(7_000, engine.ReservationsPerSecond);
        Assert.Equal(3, engine.P99Ms);
        Assert.Equal([9_000d, 5_000d, 7_000d], engine.Rounds);
        Assert.Equal(3.5, engine.VsLock);
        Assert.Equal(["lock", "engine-pg-inproc"], report.Rows.Select(row => row.System));
    }

    [Fact]
    public void An_even_number_of_rounds_takes_the_lower_middle_round()
    {
        var rounds = new[] { new[] { Report(Row("hot", "cond", 4_000)) }, new[] { Report(Row("hot", "cond", 2_000)) } };

        var report = IsolatedRunner.Merge(BenchmarkOptions.Full("Host=127.0.0.1") with { Repeat = 2 }, Machine, DateTimeOffset.UnixEpoch, rounds);

        Assert.Equal(2_000, Assert.Single(report.Rows).ReservationsPerSecond);
    }

    [Fact]
    public void A_check_failed_in_any_round_fails_the_run_and_names_its_round()
    {
        var passed = Report([Row("uniform", "lock", 1_000)], new Check("lock oversell", true, "ok"));
        var failed = Report([Row("uniform", "lock", 1_000)], new Check("lock oversell", false, "2 units oversold"));

        var report = IsolatedRunner.Merge(BenchmarkOptions.Full("Host=127.0.0.1") with { Repeat = 2 }, Machine, DateTimeOffset.UnixEpoch, [[passed], [failed]]);

        Assert.False(report.Passed);
        Assert.Equal(["round 1: lock oversell", "round 2: lock oversell"], report.Checks.Select(check => check.Name));
        Assert.False(report.Checks[1].Passed);
    }

    [Fact]
    public void A_groups_process_gets_the_run_arguments_with_its_own_systems_and_output()
    {
        string[] args = ["--duration", "6", "--systems", "lock,engine-memory", "--repeat", "3", "--out", "results", "--olist", "/data"];

        var child = IsolatedRunner.ChildArguments(args, ["lock", "cond"], "/tmp/round1");

        Assert.Equal(["--duration", "6", "--olist", "/data", "--systems", "lock,cond", "--out", "/tmp/round1", "--one-process"], child);
        Assert.True(BenchmarkOptions.Parse([.. child, "--postgres", "Host=127.0.0.1"]).OneProcess);
    }

    [Fact]
    public void Repeat_must_be_positive_and_cannot_share_one_process()
    {
        Assert.Throws<ArgumentException>(() => BenchmarkOptions.Parse(["--postgres", "Host=127.0.0.1", "--repeat", "0"]));
        Assert.Throws<ArgumentException>(() => BenchmarkOptions.Parse(["--postgres", "Host=127.0.0.1", "--repeat", "2", "--one-process"]));
        Assert.Equal(3, BenchmarkOptions.Parse(["--postgres", "Host=127.0.0.1", "--repeat", "3"]).Repeat);
    }

    private static RowResult Row(string scenario, string system, double perSecond, double p99 = 5) => new()
    {
        Scenario = scenario,
        System = system,
        Label = system,
        Reservations = (long)perSecond,
        ReservationsPerSecond = perSecond,
        P50Ms = 1,
        P99Ms = p99,
        P999Ms = p99,
        Seconds = 1,
    };

    internal static BenchmarkReport Report(params RowResult[] rows) => Report(rows, []);

    private static BenchmarkReport Report(RowResult[] rows, params Check[] checks) => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        FinishedAt = DateTimeOffset.UnixEpoch,
        Mode = "full",
        Command = "",
        Machine = Machine,
        Settings = new RunSettings(32, 1, 1, 10, 2, 10, 5, 5, "generated", ""),
        Rows = rows,
        Checks = checks,
        Targets = [],
        Notes = [],
    };
}
