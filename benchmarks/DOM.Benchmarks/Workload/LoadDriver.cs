using Dom.Benchmarks.Reporting;
using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace Dom.Benchmarks.Workload;

/// <summary>One row to run: a scenario against a system.</summary>
internal sealed record RowPlan(
    Scenario Scenario,
    string Tag,
    IReadOnlyList<string> Skus,
    int Locations,
    int Customers,
    int Callers,
    TimeSpan Warmup,
    TimeSpan Duration,
    TimeSpan SellOutTimeout,
    int Seed,
    int CapacityPercent = 0,
    int StockPercent = 0,
    StockLedger? Ledger = null,
    bool WarmUntilJitQuiet = false,
    string? StatementsServer = null);

/// <summary>One row of the report.</summary>
internal sealed class RowResult
{
    public required string Scenario { get; init; }

    public required string System { get; init; }

    public required string Label { get; init; }

    /// <summary>Reservations granted in the measured window (for the ceiling: calls).</summary>
    public long Reservations { get; init; }

    public long Attempts { get; init; }

    /// <summary>Attempts refused because the article had nothing left (expected in sell-out only).</summary>
    public long Refused { get; init; }

    /// <summary>Attempts refused although units were left (a lost race), tried again by the caller.</summary>
    public long Retried { get; init; }

    /// <summary>Exceptions, timeouts and unexpected answers, over the whole row including warm-up.</summary>
    public long Errors { get; init; }

    /// <summary>Capacity and stock updates in the measured window (mixed only).</summary>
    public long Updates { get; init; }

    public double Seconds { get; init; }

    /// <summary>How long the warm-up took (its minimum, or longer while the JIT was still compiling).</summary>
    public double WarmupSeconds { get; init; }

    /// <summary>False when the warm-up reached its limit with the JIT still compiling.</summary>
    public bool WarmupQuiet { get; init; } = true;

    public double ReservationsPerSecond { get; init; }

    public double P50Ms { get; init; }

    public double P99Ms { get; init; }

    public double P999Ms { get; init; }

    public double MaxMs { get; init; }

    public double? VsLock { get; set; }

    public double? VsCond { get; set; }

    /// <summary>Granted reservations per second of the measured window, to show a system slowing down as it fills.</summary>
    public IReadOnlyList<long> PerSecond { get; init; } = [];

    public IReadOnlyList<string> ErrorSamples { get; init; } = [];

    /// <summary>Sell-out only: every article was reported sold out before the time limit.</summary>
    public bool? SoldOut { get; init; }

    /// <summary>CPU of this process (driver, silo, API, HTTP client) per granted reservation in the measured window, µs.</summary>
    public double? CpuProcessMicros { get; init; }

    /// <summary>CPU of the local PostgreSQL server per granted reservation in the measured window, µs (null when the
    /// server is not on this machine).</summary>
    public double? CpuPostgresMicros { get; init; }

    /// <summary>This process's garbage collections in the measured window, and the share of it spent paused.</summary>
    public GcShare? Gc { get; init; }

    /// <summary>The PostgreSQL server's statements, rows and WAL per granted reservation in the measured window (only
    /// with <c>DOM_BENCH_PG_STATEMENTS=1</c>).</summary>
    public PgWork? PgStatements { get; init; }

    /// <summary>A run of several rounds: every round's <see cref="ReservationsPerSecond"/>, in round order (this row
    /// is the median round). Empty for a single round.</summary>
    public IReadOnlyList<double> Rounds { get; set; } = [];
}

/// <summary>The closed-loop load: <see cref="RowPlan.Callers"/> callers, each sending its next request as soon as its
/// last one is answered. Latency is recorded per reservation attempt (HdrHistogram, microseconds, 3 digits).</summary>
internal static class LoadDriver
{
    private const long HighestMicros = 10L * 60 * 1_000_000;

    /// <summary>How often one timed attempt tries again after losing a race to stock that was there.</summary>
    private const int MaxRetries = 8;
    private const int MaxErrorSamples = 5;

    public static async Task<(RowResult Row, List<Ack> Acks)> RunAsync(RowPlan plan, ITarget target)
    {
        var sellOut = plan.Scenario == Scenario.SellOut;
        var warmup = sellOut ? TimeSpan.Zero : plan.Warmup;
        var window = sellOut ? plan.SellOutTimeout : plan.Duration;
        var untilJitQuiet = !sellOut && plan.WarmUntilJitQuiet;
        var soldOut = new int[plan.Skus.Count];
        var remaining = plan.Skus.Count;
        var perSecond = new long[(int)Math.Ceiling(window.TotalSeconds) + 2];
        var errorSamples = new ConcurrentQueue<string>();
        long errors = 0;
        var callers = new List<Task<CallerTotals>>();

        // Every caller connects first, then all start together.
        var connected = await Task.WhenAll(Enumerable.Range(0, plan.Callers).Select(target.ConnectAsync));

        // The window opens when the warm-up ends (its minimum, and the JIT quiet if asked): until then nothing counts.
        var start = Stopwatch.GetTimestamp();
        var measureFrom = warmup > TimeSpan.Zero || untilJitQuiet ? long.MaxValue : start;
        var end = measureFrom == long.MaxValue ? long.MaxValue : start + Ticks(window);

        for (var c = 0; c < plan.Callers; c++)
        {
            var index = c;
            callers.Add(Task.Run(() => CallerAsync(index, connected[index])));
        }

        // CPU from the end of the warm-up to the end of the window, on both sides.
        using var allocations = AllocationSampler.Enabled ? new AllocationSampler() : null;
        using var gcPhases = GcPhaseSampler.Enabled ? new GcPhaseSampler() : null;
        var statements = plan.StatementsServer is { } server ? new PgStatementsSampler(server) : null;
        var (warmedFor, warmQuiet) = (TimeSpan.Zero, true);
        CpuSample from;
        if (measureFrom == long.MaxValue)
        {
            (warmedFor, warmQuiet) = await WarmupGate.WaitAsync(warmup, untilJitQuiet);
            from = await OpenWindowAsync();
            var opened = Stopwatch.GetTimestamp();
            Volatile.Write(ref end, opened + Ticks(window));
            Volatile.Write(ref measureFrom, opened);
        }
        else
        {
            from = await OpenWindowAsync();
        }

        var totals = await Task.WhenAll(callers);
        var sampled = CpuSample.Take();
        var granted = totals.Sum(t => t.Granted);
        var cpu = sampled.PerReservation(from, granted);
        var rowName = $"{plan.Scenario.Name()} {target.System.Key}";
        allocations?.Stop(rowName, granted);
        gcPhases?.Stop(rowName);
        var pgWork = statements is null ? null : await statements.StopAsync(rowName, granted);
        foreach (var caller in connected)
        {
            await caller.DisposeAsync();
        }

        var histogram = new LongHistogram(HighestMicros, 3);
        foreach (var total in totals)
        {
            histogram.Add(total.Histogram);
        }

        var lastDone = totals.Max(t => t.LastDone);
        var seconds = Math.Max(Stopwatch.GetElapsedTime(measureFrom, Math.Max(lastDone, measureFrom)).TotalSeconds, 1e-3);
        var row = new RowResult
        {
            Scenario = plan.Scenario.Name(),
            System = target.System.Key,
            Label = target.System.Label,
            Reservations = granted,
            Attempts = totals.Sum(t => t.Attempts),
            Refused = totals.Sum(t => t.Refused),
            Retried = totals.Sum(t => t.Retried),
            Errors = Interlocked.Read(ref errors),
            Updates = totals.Sum(t => t.Updates),
            Seconds = seconds,
            WarmupSeconds = warmedFor.TotalSeconds,
            WarmupQuiet = warmQuiet,
            ReservationsPerSecond = granted / seconds,
            P50Ms = Millis(histogram, 50),
            P99Ms = Millis(histogram, 99),
            P999Ms = Millis(histogram, 99.9),
            MaxMs = histogram.TotalCount == 0 ? 0 : histogram.GetMaxValue() / 1000.0,
            PerSecond = perSecond.Take((int)Math.Ceiling(seconds)).ToArray(),
            ErrorSamples = errorSamples.Distinct().ToArray(),
            SoldOut = sellOut ? Volatile.Read(ref remaining) == 0 : null,
            CpuProcessMicros = cpu.Process,
            CpuPostgresMicros = cpu.Postgres,
            Gc = sampled.GcSince(from, Stopwatch.GetElapsedTime(measureFrom, Math.Max(lastDone, measureFrom))),
            PgStatements = pgWork,
        };
        return (row, totals.SelectMany(t => t.Acks).ToList());

        async Task<CpuSample> OpenWindowAsync()
        {
            if (statements is not null)
            {
                await statements.StartAsync();
            }

            allocations?.Start();
            gcPhases?.Start();
            return CpuSample.Take();
        }

        async Task<CallerTotals> CallerAsync(int index, ICaller caller)
        {
            var random = new Random(HashCode.Combine(plan.Seed, plan.Tag, index));
            var totals = new CallerTotals(new LongHistogram(HighestMicros, 3));
            long sequence = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= Volatile.Read(ref end) || (sellOut && Volatile.Read(ref remaining) == 0))
                {
                    break;
                }

                var measuring = now >= Volatile.Read(ref measureFrom);
                var roll = random.Next(100);
                long began = 0;
                try
                {
                    if (roll < plan.CapacityPercent)
                    {
                        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1 + random.Next(7));
                        await caller.SetCapacityAsync(random.Next(plan.Locations), day, 50_000 + random.Next(50_001));
                        totals.Count(measuring, update: true);
                        continue;
                    }

                    if (roll < plan.CapacityPercent + plan.StockPercent && plan.Ledger is { } ledger)
                    {
                        // Only articles this caller owns, so each slot has one writer and its on-hand only rises.
                        var owned = (plan.Skus.Count - 1 - index) / plan.Callers;
                        var article = index + (random.Next(owned + 1) * plan.Callers);
                        var location = random.Next(plan.Locations);
                        var delta = 1 + random.Next(5);
                        await caller.AddStockAsync(plan.Skus[article], location, delta, ledger.Add(article, location, delta));
                        totals.Count(measuring, update: true);
                        continue;
                    }

                    var skuIndex = random.Next(plan.Skus.Count);
                    if (sellOut)
                    {
                        for (var probe = 0; probe < soldOut.Length && Volatile.Read(ref soldOut[skuIndex]) == 1; probe++)
                        {
                            skuIndex = (skuIndex + 1) % soldOut.Length;
                        }
                    }

                    var id = $"{plan.Tag}-{index}-{sequence++}";
                    var sku = plan.Skus[skuIndex];
                    var customer = random.Next(plan.Customers);
                    began = Stopwatch.GetTimestamp();
                    var status = await caller.ReserveAsync(id, sku, customer);
                    // Lost a race to stock that was there (the engine's index, cond's conditional update): tried again
                    // within the same timed attempt, under a new id (a refused id answers its refusal), as a client would.
                    for (var again = 1; status == ReserveStatus.Retry && again <= MaxRetries; again++)
                    {
                        totals.Retried += measuring ? 1 : 0;
                        id = $"{plan.Tag}-{index}-{sequence - 1}.{again}";
                        status = await caller.ReserveAsync(id, sku, customer);
                    }

                    var done = Stopwatch.GetTimestamp();
                    totals.LastDone = done;
                    if (measuring)
                    {
                        totals.Attempts++;
                        totals.Histogram.RecordValue(Math.Max(1, (done - began) * 1_000_000 / Stopwatch.Frequency));
                    }

                    switch (status)
                    {
                        case ReserveStatus.Granted:
                            totals.Acks.Add(new Ack(id, sku, 1));
                            if (measuring)
                            {
                                totals.Granted++;
                                var second = (int)((done - Volatile.Read(ref measureFrom)) / Stopwatch.Frequency);
                                if (second < perSecond.Length)
                                {
                                    Interlocked.Increment(ref perSecond[second]);
                                }
                            }

                            break;
                        case ReserveStatus.SoldOut:
                            totals.Refused += measuring ? 1 : 0;
                            if (sellOut && Interlocked.Exchange(ref soldOut[skuIndex], 1) == 0)
                            {
                                Interlocked.Decrement(ref remaining);
                            }

                            break;
                        case ReserveStatus.Retry:
                            // Still losing after the retries: counted as given up (retried once more than the retries).
                            totals.Retried += measuring ? 1 : 0;
                            break;
                    }
                }
                catch (Exception exception)
                {
                    // A failed reservation is an attempt too, and its time (a timeout is the tail) is in the latencies.
                    if (measuring && began != 0)
                    {
                        var failed = Stopwatch.GetTimestamp();
                        totals.LastDone = failed;
                        totals.Attempts++;
                        totals.Histogram.RecordValue(Math.Max(1, Math.Min(HighestMicros, (failed - began) * 1_000_000 / Stopwatch.Frequency)));
                    }

                    Interlocked.Increment(ref errors);
                    if (errorSamples.Count < MaxErrorSamples)
                    {
                        errorSamples.Enqueue($"{exception.GetType().Name}: {FirstLine(exception.Message)}");
                    }
                }
            }

            return totals;
        }
    }

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static double Millis(LongHistogram histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile) / 1000.0;

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }

    private sealed class CallerTotals(LongHistogram histogram)
    {
        public LongHistogram Histogram { get; } = histogram;

        public List<Ack> Acks { get; } = [];

        public long Attempts { get; set; }

        public long Granted { get; set; }

        public long Refused { get; set; }

        public long Retried { get; set; }

        public long Updates { get; set; }

        public long LastDone { get; set; }

        public void Count(bool measuring, bool update)
        {
            LastDone = Stopwatch.GetTimestamp();
            if (measuring && update)
            {
                Updates++;
            }
        }
    }
}
