using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Dom.Benchmarks.Reporting;

/// <summary>
/// A profiling aid, off unless <c>DOM_BENCH_ALLOCATIONS=1</c>: samples the runtime's allocation ticks (one per ~100 KB
/// allocated) during each row's measured window and prints the types that allocate most, with their estimated bytes per
/// granted reservation. Not part of the report: it costs some CPU itself.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const long GcKeyword = 0x1;
    private const int AllocationTickEvent = 10;

    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private volatile bool _recording;

    public static bool Enabled => Environment.GetEnvironmentVariable("DOM_BENCH_ALLOCATIONS") == "1";

    public void Start()
    {
        _bytes.Clear();
        _recording = true;
    }

    /// <summary>Stops sampling and prints the top types.</summary>
    public void Stop(string row, long reservations, int top = 30)
    {
        _recording = false;
        var total = _bytes.Values.Sum();
        Console.Error.WriteLine($"  allocations in {row}: ~{total / Math.Max(1, reservations):N0} B per reservation (sampled)");
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(top))
        {
            Console.Error.WriteLine($"    {bytes / Math.Max(1, reservations),8:N0} B  {100.0 * bytes / Math.Max(1, total),5:F1} %  {type}");
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
        if (!_recording || data.EventId != AllocationTickEvent || data.Payload is null || data.PayloadNames is null)
        {
            return;
        }

        var type = data.Payload[data.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = data.PayloadNames.IndexOf("AllocationAmount64") is var at and >= 0 ? Convert.ToInt64(data.Payload[at]) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
