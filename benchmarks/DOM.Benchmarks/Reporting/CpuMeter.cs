using System.Diagnostics;
using System.Globalization;

namespace Dom.Benchmarks.Reporting;

/// <summary>
/// CPU time spent by this process (driver, silo, API and HTTP client alike) and by the local PostgreSQL server's
/// processes, read from <c>/proc</c>, so every row can say what a reservation costs in CPU on each side. PostgreSQL's
/// share is known only when the server runs on this machine (the private server of <c>run.sh</c>); otherwise null.
/// </summary>
internal readonly record struct CpuSample(TimeSpan Process, TimeSpan? Postgres, TimeSpan GcPause, int Gen0, int Gen1, int Gen2)
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux

    public static CpuSample Take() => new(
        System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime,
        PostgresTime(),
        GC.GetTotalPauseDuration(),
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2));

    /// <summary>The garbage collector between <paramref name="from"/> and this sample: the share of the wall time
    /// <paramref name="elapsed"/> this process was paused, and the collections by generation (a gen 1 count includes
    /// the gen 2 ones, as the runtime counts them).</summary>
    public GcShare GcSince(CpuSample from, TimeSpan elapsed)
    {
        var last = GC.GetGCMemoryInfo(GCKind.Ephemeral);
        return new(
            elapsed > TimeSpan.Zero ? 100 * (GcPause - from.GcPause).TotalMilliseconds / elapsed.TotalMilliseconds : 0,
            Gen0 - from.Gen0,
            Gen1 - from.Gen1,
            Gen2 - from.Gen2,
            last.PauseDurations.Length > 0 ? last.PauseDurations[0].TotalMilliseconds : 0,
            last.PromotedBytes / 1e6,
            last.HeapSizeBytes / 1e6);
    }

    /// <summary>Microseconds of CPU per reservation between <paramref name="from"/> and this sample, per side.</summary>
    public (double? Process, double? Postgres) PerReservation(CpuSample from, long reservations) =>
        reservations <= 0
            ? (null, null)
            : ((Process - from.Process).TotalMicroseconds / reservations,
               Postgres is { } to && from.Postgres is { } at ? (to - at).TotalMicroseconds / reservations : null);

    private static TimeSpan? PostgresTime()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        double ticks = 0;
        var found = false;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));

                // pid (comm) state ppid … : utime and stime are fields 14 and 15, counted after the closing parenthesis.
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(stat.IndexOf('(') + 1, close - stat.IndexOf('(') - 1).StartsWith("postgres"))
                {
                    continue;
                }

                var fields = stat[(close + 2)..].Split(' ');
                ticks += double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
                found = true;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended while it was read, or is not ours to read.
            }
        }

        return found ? TimeSpan.FromSeconds(ticks / ClockTicksPerSecond) : null;
    }
}

/// <summary>What the garbage collector cost in a measured window: percent of the wall time paused, collections.
/// The last ephemeral collection's pause, promoted megabytes and heap size tell what a pause is made of.</summary>
internal sealed record GcShare(double PausePercent, int Gen0, int Gen1, int Gen2, double LastPauseMs, double LastPromotedMb, double HeapMb)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"gc paused {PausePercent:0.0} % ({Gen0}/{Gen1}/{Gen2} gen0/1/2; last: {LastPauseMs:0.0} ms, {LastPromotedMb:0.0} MB promoted, heap {HeapMb:0} MB)");
}
