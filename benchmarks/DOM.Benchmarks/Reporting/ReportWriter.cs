using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dom.Benchmarks.Reporting;

/// <summary>The table on the console, and latest.md, latest.json and latest.svg in the output directory.</summary>
internal static class ReportWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly string[] Header = ["scenario", "system", "reservations/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "refused", "× lock", "× cond"];

    public static async Task WriteAsync(BenchmarkReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.md"), Markdown(report));
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.json"), JsonSerializer.Serialize(report, Json) + "\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.svg"), SvgChart.Render(report));
    }

    /// <summary>Writes latest.md and latest.svg again from a latest.json (after a change to the report's layout).</summary>
    public static async Task<BenchmarkReport> RenderAgainAsync(string jsonPath)
    {
        var report = await ReadAsync(jsonPath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(jsonPath))!;
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.md"), Markdown(report));
        await File.WriteAllTextAsync(Path.Combine(directory, "latest.svg"), SvgChart.Render(report));
        return report;
    }

    public static async Task<BenchmarkReport> ReadAsync(string jsonPath) =>
        JsonSerializer.Deserialize<BenchmarkReport>(await File.ReadAllTextAsync(jsonPath), Json)
            ?? throw new InvalidDataException($"{jsonPath} holds no report.");

    public static string ConsoleTable(BenchmarkReport report)
    {
        var header = Columns(report);
        var cells = report.Rows.Select(row => Cells(row, header.Length)).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => cells.Max(row => row[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in cells)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i < 2 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        }

        return text.ToString();
    }

    public static string MarkdownTable(BenchmarkReport report)
    {
        var header = Columns(report);
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", header) + " |");
        text.AppendLine("|" + string.Join("|", header.Select((_, i) => i < 2 ? "---" : "---:")) + "|");
        foreach (var row in report.Rows)
        {
            text.AppendLine("| " + string.Join(" | ", Cells(row, header.Length)) + " |");
        }

        return text.ToString();
    }

    public static string Markdown(BenchmarkReport report)
    {
        var s = report.Settings;
        var text = new StringBuilder();
        text.AppendLine(Invariant, $"# DOM.Orleans benchmark: latest {report.Mode} run");
        text.AppendLine();
        var command = ("benchmarks/run.sh " + report.Command).Trim();
        text.AppendLine(Invariant, $"Run {report.StartedAt:yyyy-MM-dd HH:mm} UTC, {(report.FinishedAt - report.StartedAt).TotalMinutes:0.0} min: `{command}`");
        text.AppendLine();
        text.AppendLine(Invariant, $"- **Machine**: {report.Machine.Summary}");
        text.AppendLine(Invariant, $"- **PostgreSQL** (one private server for every row): {s.PostgresSettings}");
        text.AppendLine(Invariant, $"- **Load**: {s.Callers} concurrent callers (closed loop), {(s.WarmUntilJitQuiet ? "at least " : "")}{s.WarmupSeconds:0.##} s warm-up{(s.WarmUntilJitQuiet ? " and until the JIT had compiled nothing for a second (each row's own warm-up is in the JSON)" : "")} then {s.DurationSeconds:0.##} s measured per row; "
            + $"uniform and mixed over {s.Articles:N0} articles × {s.Locations} locations, hot on one article at {s.Locations} locations, "
            + $"sell-out of {s.SellOutUnits:N0} units per row; mixed = {100 - s.MixedCapacityPercent - s.MixedStockPercent}% reservations, "
            + $"{s.MixedCapacityPercent}% capacity updates, {s.MixedStockPercent}% stock updates; quantity 1; locations and ship-to: {s.Geography}");
        text.AppendLine();
        text.AppendLine(MarkdownTable(report));
        text.AppendLine("![throughput and p99 per scenario and system](latest.svg)");
        text.AppendLine();
        text.AppendLine("reservations/s: granted reservations per second of the measured window (sell-out: units granted ÷ time to sell out; ceiling: grain calls). "
            + "Latency per reservation attempt, closed loop. errors: exceptions, timeouts, unexpected answers. refused: answered \"sold out\". "
            + "× lock / × cond: throughput against that baseline in the same scenario of this run.");
        if (report.Rows.Any(r => r.CpuProcessMicros is not null))
        {
            text.AppendLine();
            text.AppendLine("CPU per granted reservation in the measured window (µs; the engine's process includes the load driver and, for HTTP rows, the client; PostgreSQL is every process of the local server):");
            text.AppendLine();
            text.AppendLine("| scenario | system | this process | PostgreSQL | total |");
            text.AppendLine("|---|---|---:|---:|---:|");
            foreach (var row in report.Rows.Where(r => r.CpuProcessMicros is not null))
            {
                var pg = row.CpuPostgresMicros is { } micros ? micros.ToString("N0", Invariant) : "n/a";
                var total = row.CpuProcessMicros + (row.CpuPostgresMicros ?? 0);
                text.AppendLine(string.Create(Invariant, $"| {row.Scenario} | {row.Label} | {row.CpuProcessMicros:N0} | {pg} | {total:N0} |"));
            }
        }

        if (report.Rows.Any(r => r.Updates > 0))
        {
            text.AppendLine();
            text.AppendLine("Mixed rows, updates per second (capacity + stock) beside the reservations: "
                + string.Join(", ", report.Rows.Where(r => r.Updates > 0).Select(r => string.Create(Invariant, $"{r.System} {r.Updates / r.Seconds:N0}/s"))) + ".");
        }

        if (report.Rows.Any(r => r.Retried > 0))
        {
            text.AppendLine();
            text.AppendLine("Attempts refused although units were left (lost races, tried again): "
                + string.Join(", ", report.Rows.Where(r => r.Retried > 0).Select(r => string.Create(Invariant, $"{r.Scenario} {r.System} {r.Retried}"))) + ".");
        }

        foreach (var note in report.Notes)
        {
            text.AppendLine();
            text.AppendLine(note);
        }

        text.AppendLine();
        text.AppendLine("## Targets of issue 3 (ratios from this run)");
        text.AppendLine();
        text.AppendLine("| target | goal | measured | met |");
        text.AppendLine("|---|---|---:|---|");
        foreach (var target in report.Targets)
        {
            text.AppendLine(Invariant, $"| {target.Name} | {target.Goal} | {(target.Measured is { } m ? m.ToString(m >= 0.1 ? "0.00" : "0.000#", Invariant) : "n/a")} | {(target.Met is null ? "n/a" : target.Met.Value ? "yes" : "**no**")} |");
        }

        text.AppendLine();
        text.AppendLine("## Oversell and loss checks");
        text.AppendLine();
        foreach (var check in report.Checks)
        {
            text.AppendLine(Invariant, $"- {(check.Passed ? "passed" : "**FAILED**")}: {check.Name} ({check.Detail})");
        }

        text.AppendLine();
        text.AppendLine(report.Passed ? "All checks passed." : "**The run failed its checks.**");
        return text.ToString();
    }

    private static string Ratio(double ratio) => ratio.ToString(ratio >= 0.1 ? "0.00" : "0.000", Invariant);

    /// <summary>The table's columns: with several rounds, a last one lists every round's throughput.</summary>
    private static string[] Columns(BenchmarkReport report) =>
        report.Rows.Any(row => row.Rounds.Count > 1) ? [.. Header, "rounds (reservations/s)"] : Header;

    private static string[] Cells(RowResult row, int columns) => columns > Header.Length ? [.. Cells(row), string.Join(" · ", row.Rounds.Select(r => r.ToString("N0", Invariant)))] : Cells(row);

    private static string[] Cells(RowResult row) =>
    [
        row.Scenario,
        row.Label,
        row.ReservationsPerSecond.ToString("N0", Invariant),
        row.P50Ms.ToString("0.00", Invariant),
        row.P99Ms.ToString("0.00", Invariant),
        row.P999Ms.ToString("0.00", Invariant),
        row.Errors.ToString(Invariant),
        row.Refused.ToString(Invariant),
        row.VsLock is { } l ? Ratio(l) : "",
        row.VsCond is { } c ? Ratio(c) : "",
    ];
}
