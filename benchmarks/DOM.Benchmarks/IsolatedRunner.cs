using System.Diagnostics;
using Dom.Benchmarks.Reporting;
using Dom.Benchmarks.Workload;

namespace Dom.Benchmarks;

/// <summary>
/// A run whose system groups (the baseline patterns, the engine on memory, the engine on PostgreSQL) each run in a
/// process of their own, against the same PostgreSQL server, so none inherits another's heap, thread pool, JIT state or
/// runtime settings; with <see cref="BenchmarkOptions.Repeat"/> rounds, the groups run again in a rotated order each
/// round, and every row reports its median round. A single run on shared cores varies by up to a third from one minute
/// to the next; the median of interleaved rounds is what makes two systems' numbers comparable.
/// </summary>
internal static class IsolatedRunner
{
    /// <summary>The system groups, in the order of the first round; each later round starts one group further on.</summary>
    private static readonly string[][] Groups = [["lock", "cond"], ["engine-memory"], ["engine-postgres"]];

    /// <summary>The order of the rows in the table: by group, then scenario, then system.</summary>
    private static readonly string[] RowOrder =
        [SystemInfo.Lock.Key, SystemInfo.Cond.Key, SystemInfo.Ceiling.Key, SystemInfo.MemoryInProcess.Key, SystemInfo.MemoryHttp.Key, SystemInfo.PostgresInProcess.Key, SystemInfo.PostgresHttp.Key];

    public static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, string[] args, Action<string> log)
    {
        var started = DateTimeOffset.UtcNow;
        var machine = await MachineInfo.CollectAsync(options.PostgresAdmin);
        var groups = Groups.Select(group => group.Where(options.Runs).ToArray()).Where(group => group.Length > 0).ToList();
        var work = Directory.CreateTempSubdirectory("dom-bench-rounds-");
        try
        {
            var rounds = new List<BenchmarkReport[]>();
            for (var round = 1; round <= options.Repeat; round++)
            {
                var reports = new List<BenchmarkReport>();
                for (var g = 0; g < groups.Count; g++)
                {
                    var group = groups[(g + round - 1) % groups.Count];
                    log($"round {round} of {options.Repeat}: {string.Join(", ", group)} in a process of its own");
                    var output = Path.Combine(work.FullName, $"round{round}-{string.Join('+', group)}");
                    reports.Add(await RunChildAsync(ChildArguments(args, group, output), output, log));
                }

                rounds.Add([.. reports]);
            }

            return Merge(options, machine, started, rounds);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The rows of every round: per scenario and system, the round with the median throughput (the lower
    /// of the middle two for an even count), carrying every round's throughput; ratios from those medians.</summary>
    public static BenchmarkReport Merge(BenchmarkOptions options, MachineInfo machine, DateTimeOffset started, IReadOnlyList<IReadOnlyList<BenchmarkReport>> rounds)
    {
        var scenarios = Enum.GetValues<Scenario>().Select(s => s.Name()).ToList();
        var rows = rounds
            .SelectMany((reports, round) => reports.SelectMany(report => report.Rows).Select(row => (Round: round, Row: row)))
            .GroupBy(x => (x.Row.Scenario, x.Row.System))
            .OrderBy(g => Array.IndexOf(RowOrder, g.Key.System) switch { < 2 => 0, < 5 => 1, _ => 2 })
            .ThenBy(g => scenarios.IndexOf(g.Key.Scenario))
            .ThenBy(g => Array.IndexOf(RowOrder, g.Key.System))
            .Select(g =>
            {
                var byRound = g.OrderBy(x => x.Round).Select(x => x.Row).ToList();
                var median = byRound.OrderBy(row => row.ReservationsPerSecond).ElementAt((byRound.Count - 1) / 2);
                median.Rounds = byRound.Select(row => row.ReservationsPerSecond).ToList();
                return median;
            })
            .ToList();
        Ratios.Apply(rows);

        var several = rounds.Count > 1;
        var all = rounds.SelectMany(reports => reports).ToList();
        var checks = rounds
            .SelectMany((reports, round) => reports.SelectMany(report => report.Checks).Select(check => several ? check with { Name = $"round {round + 1}: {check.Name}" } : check))
            .ToList();
        var notes = new List<string>
        {
            several
                ? $"Each system group (the baseline patterns, the engine on memory, the engine on PostgreSQL) ran in a process of its own, {rounds.Count} rounds in a rotated order; each row is its median round, and the rounds column lists every round's reservations/s in round order. Ratios are between medians."
                : "Each system group (the baseline patterns, the engine on memory, the engine on PostgreSQL) ran in a process of its own, against the same PostgreSQL server.",
        };
        notes.AddRange(rounds[0].SelectMany(report => report.Notes));
        var settings = all.Select(report => report.Settings).FirstOrDefault(s => s.PostgresSettings.Length > 0) ?? all[0].Settings;
        return new BenchmarkReport
        {
            StartedAt = started,
            FinishedAt = DateTimeOffset.UtcNow,
            Mode = options.IsSmoke ? "smoke" : "full",
            Command = options.CommandLine,
            Machine = machine,
            Settings = settings,
            Rows = rows,
            Checks = checks,
            Targets = Ratios.Targets(rows),
            Notes = notes,
        };
    }

    /// <summary>This run's arguments for one group: its systems, its own output directory, in one process.</summary>
    public static List<string> ChildArguments(string[] args, IEnumerable<string> group, string output)
    {
        var child = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--systems" or "--out" or "--repeat")
            {
                i++;
                continue;
            }

            if (args[i] != "--one-process")
            {
                child.Add(args[i]);
            }
        }

        child.AddRange(["--systems", string.Join(',', group), "--out", output, "--one-process"]);
        return child;
    }

    /// <summary>Runs this benchmark again as a child process (its output goes to <paramref name="log"/>) and reads its report.
    /// A child that fails its checks still writes its report (exit code 1): the merged report fails with it.</summary>
    private static async Task<BenchmarkReport> RunChildAsync(List<string> arguments, string output, Action<string> log)
    {
        // The same build of this benchmark, under the dotnet host that runs this process (or the test host's).
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
            : "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(IsolatedRunner).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        var gate = new Lock();
        void Forward(object? sender, DataReceivedEventArgs line)
        {
            if (line.Data is { } text)
            {
                lock (gate)
                {
                    log(text);
                }
            }
        }

        process.OutputDataReceived += Forward;
        process.ErrorDataReceived += Forward;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync();
        var json = Path.Combine(output, "latest.json");
        if (process.ExitCode is not (0 or 1) || !File.Exists(json))
        {
            throw new InvalidOperationException($"A benchmark process ({string.Join(' ', arguments.Where(a => !a.Contains("Host=", StringComparison.Ordinal)))}) ended with exit code {process.ExitCode} and no report.");
        }

        return await ReportWriter.ReadAsync(json);
    }
}
