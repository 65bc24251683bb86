namespace Dom.Benchmarks.Reporting;

internal sealed record RunSettings(
    int Callers,
    double WarmupSeconds,
    double DurationSeconds,
    int Articles,
    int Locations,
    int SellOutUnits,
    int MixedCapacityPercent,
    int MixedStockPercent,
    string Geography,
    string PostgresSettings,
    bool WarmUntilJitQuiet = false);

/// <summary>An issue-3 target, measured as a ratio from this run. Informational: only the checks fail a run.</summary>
internal sealed record TargetResult(string Name, string Goal, double? Measured, bool? Met);

internal sealed class BenchmarkReport
{
    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required string Mode { get; init; }

    public required string Command { get; init; }

    public required MachineInfo Machine { get; init; }

    public required RunSettings Settings { get; init; }

    public required IReadOnlyList<RowResult> Rows { get; init; }

    public required IReadOnlyList<Check> Checks { get; init; }

    public required IReadOnlyList<TargetResult> Targets { get; init; }

    /// <summary>What else the run observed (load times, for instance).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    public bool Passed => Checks.All(c => c.Passed);
}
