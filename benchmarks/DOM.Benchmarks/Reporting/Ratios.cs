namespace Dom.Benchmarks.Reporting;

internal static class Ratios
{
    /// <summary>Each row's throughput against the lock and cond baselines of the same scenario in the same run.</summary>
    public static void Apply(IReadOnlyList<RowResult> rows)
    {
        foreach (var row in rows)
        {
            row.VsLock = Ratio(row, Find(rows, row.Scenario, SystemInfo.Lock));
            row.VsCond = Ratio(row, Find(rows, row.Scenario, SystemInfo.Cond));
        }
    }

    /// <summary>The targets of issue 3, as measured in this run.</summary>
    public static IReadOnlyList<TargetResult> Targets(IReadOnlyList<RowResult> rows)
    {
        var targets = new List<TargetResult>();
        void AtLeast(string name, string goal, RowResult? row, RowResult? baseline, double factor)
        {
            var ratio = row is null || baseline is null || baseline.ReservationsPerSecond <= 0 ? (double?)null : row.ReservationsPerSecond / baseline.ReservationsPerSecond;
            targets.Add(new TargetResult(name, goal, ratio, ratio is null ? null : ratio >= factor));
        }

        foreach (var scenario in new[] { "uniform", "hot" })
        {
            var pgInProcess = Find(rows, scenario, SystemInfo.PostgresInProcess);
            var pgHttp = Find(rows, scenario, SystemInfo.PostgresHttp);
            var lockRow = Find(rows, scenario, SystemInfo.Lock);
            var cond = Find(rows, scenario, SystemInfo.Cond);
            AtLeast($"{scenario}: engine · PostgreSQL · in-process ÷ lock", scenario == "uniform" ? "≥ 10" : "≥ 20", pgInProcess, lockRow, scenario == "uniform" ? 10 : 20);
            AtLeast($"{scenario}: engine · PostgreSQL · in-process ÷ cond", "> 1", pgInProcess, cond, 1);
            AtLeast($"{scenario}: engine · PostgreSQL · HTTP ÷ cond", "> 1", pgHttp, cond, 1);
            AtLeast($"{scenario}: engine · memory · in-process ÷ ceiling", "≥ 0.5 (within 2×)", Find(rows, scenario, SystemInfo.MemoryInProcess), Find(rows, scenario, SystemInfo.Ceiling), 0.5);
        }

        return targets;
    }

    private static RowResult? Find(IReadOnlyList<RowResult> rows, string scenario, SystemInfo system) =>
        rows.FirstOrDefault(r => r.Scenario == scenario && r.System == system.Key);

    private static double? Ratio(RowResult row, RowResult? baseline) =>
        baseline is null || baseline.ReservationsPerSecond <= 0 || row.System == SystemInfo.Ceiling.Key ? null : row.ReservationsPerSecond / baseline.ReservationsPerSecond;
}
