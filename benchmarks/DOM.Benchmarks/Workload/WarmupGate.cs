using System.Diagnostics;
using System.Runtime;

namespace Dom.Benchmarks.Workload;

/// <summary>
/// Ends a row's warm-up: after its minimum, and (unless fixed) once the JIT has compiled nothing for a second. On two
/// busy cores the background tier-up of a large path (the engine over HTTP: Kestrel, JSON, authentication, Orleans)
/// outlasts a few seconds of load, and a window that opens before it ends measures the compiler and tier-0 code, not
/// the system. A path whose compilation never settles (code generated per request) shows as a warm-up at its limit.
/// </summary>
internal static class WarmupGate
{
    /// <summary>How long the JIT must have compiled nothing.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    /// <summary>How much longer than the minimum a warm-up may wait for the JIT.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits out the warm-up and returns how long it took and whether the JIT was quiet at the end.</summary>
    public static async Task<(TimeSpan Took, bool Quiet)> WaitAsync(TimeSpan minimum, bool untilJitQuiet)
    {
        var start = Stopwatch.GetTimestamp();
        if (minimum > TimeSpan.Zero)
        {
            await Task.Delay(minimum);
        }

        if (!untilJitQuiet)
        {
            return (Stopwatch.GetElapsedTime(start), true);
        }

        var compiled = JitInfo.GetCompiledMethodCount();
        var since = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(since) < Quiet)
        {
            if (Stopwatch.GetElapsedTime(start) >= minimum + Limit)
            {
                return (Stopwatch.GetElapsedTime(start), false);
            }

            await Task.Delay(Poll);
            var now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                (compiled, since) = (now, Stopwatch.GetTimestamp());
            }
        }

        return (Stopwatch.GetElapsedTime(start), true);
    }
}
