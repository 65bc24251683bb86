using System.Diagnostics.Tracing;

namespace Dom.Benchmarks.Reporting;

/// <summary>
/// A profiling aid, off unless <c>DOM_BENCH_GC=1</c>: splits the garbage collector's pauses in each row's measured
/// window into suspending the threads, the collection itself (by generation) and resuming, and sums the bytes the mark
/// phase promoted by root kind (stacks, handles, older generations through the card table…). Printed to stderr; not
/// part of the report.
/// </summary>
internal sealed class GcPhaseSampler : EventListener
{
    private const long GcKeyword = 0x1;
    private static readonly string[] RootKinds = ["stack", "finalize queue", "handles", "older generation", "sized ref", "overflow", "dependent handles", "new finalize queue", "steal"];

    private readonly Lock _lock = new();
    private readonly double[] _collectMs = new double[3];
    private readonly int[] _collections = new int[3];
    private readonly long[] _promotedByRoot = new long[RootKinds.Length];
    private volatile bool _recording;
    private DateTime? _suspendBegin;
    private DateTime? _collectBegin;
    private int _generation;
    private DateTime? _restartBegin;
    private double _suspendMs;
    private double _restartMs;

    public static bool Enabled => Environment.GetEnvironmentVariable("DOM_BENCH_GC") == "1";

    public void Start() => _recording = true;

    public void Stop(string row)
    {
        _recording = false;
        lock (_lock)
        {
            Console.Error.WriteLine(
                $"  gc phases in {row}: suspending {_suspendMs:N0} ms, resuming {_restartMs:N0} ms, collecting gen0 {_collectMs[0]:N0} ms ({_collections[0]}), "
                + $"gen1 {_collectMs[1]:N0} ms ({_collections[1]}), gen2 {_collectMs[2]:N0} ms ({_collections[2]})");
            Console.Error.WriteLine("    promoted by root: " + string.Join(", ", RootKinds.Select((kind, i) => (kind, i)).Where(x => _promotedByRoot[x.i] > 0).Select(x => $"{x.kind} {_promotedByRoot[x.i] / 1e6:N1} MB")));
        }
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (!_recording)
        {
            return;
        }

        lock (_lock)
        {
            switch (data.EventId)
            {
                case 9: // GCSuspendEEBegin
                    _suspendBegin = data.TimeStamp;
                    break;
                case 8: // GCSuspendEEEnd
                    _suspendMs += Ended(ref _suspendBegin, data.TimeStamp);
                    break;
                case 1: // GCStart
                    _collectBegin = data.TimeStamp;
                    _generation = Math.Clamp(Convert.ToInt32(Value(data, "Depth") ?? 0), 0, 2);
                    break;
                case 2 when _collectBegin is not null: // GCEnd
                    _collectMs[_generation] += Ended(ref _collectBegin, data.TimeStamp);
                    _collections[_generation]++;
                    break;
                case 7: // GCRestartEEBegin
                    _restartBegin = data.TimeStamp;
                    break;
                case 3: // GCRestartEEEnd
                    _restartMs += Ended(ref _restartBegin, data.TimeStamp);
                    break;
                case 202: // GCMarkWithType
                    var kind = Convert.ToInt32(Value(data, "Type") ?? -1);
                    if (kind >= 0 && kind < RootKinds.Length)
                    {
                        _promotedByRoot[kind] += Convert.ToInt64(Value(data, "Bytes") ?? 0L);
                    }

                    break;
            }
        }
    }

    /// <summary>Milliseconds since <paramref name="begin"/> (0 when the phase's start was not seen), and forgets it.</summary>
    private static double Ended(ref DateTime? begin, DateTime end)
    {
        var elapsed = begin is { } at ? (end - at).TotalMilliseconds : 0;
        begin = null;
        return elapsed;
    }

    private static object? Value(EventWrittenEventArgs data, string name) =>
        data.PayloadNames?.IndexOf(name) is { } at and >= 0 ? data.Payload?[at] : null;
}
