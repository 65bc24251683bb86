using Dom.Grains.Hosting;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dom.Grains.Stock;

/// <summary>
/// When a slot's next hold lapses, calls it back to drop what lapsed and publish its availability if that moved it, so
/// the article's index catches up with stock that returned by the clock alone. One schedule and one timer for the
/// whole silo instead of a grain timer per slot that holds something (100,000 of them under checkout load: each an
/// object graph kept for the hold's life, and a timer queue the runtime walks). Only the index depends on it: a hold
/// lapses at its expiry whether or not the schedule runs, as every call on the slot drops what has expired by the clock
/// first. A slot that is not active when its time comes is activated by the call, and publishes what its journal says
/// if holds lapsed meanwhile.
/// </summary>
internal sealed class RepublishSchedule(Action<string> republish, DomClock clock, ILogger? logger = null) : IDisposable
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly Lock _lock = new();
    private readonly PriorityQueue<string, DateTimeOffset> _due = new();
    private ITimer? _timer;
    private DateTimeOffset? _armedFor;
    private bool _disposed;

    /// <summary>The silo's schedule: a slot's time comes as a one-way <see cref="IStockSlotGrain.CatchUpAsync"/>.</summary>
    public static RepublishSchedule For(IServiceProvider services)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        return new RepublishSchedule(
            slot => grains.Get<IStockSlotGrain>(slot).CatchUpAsync().Ignore(),
            services.GetRequiredService<DomClock>(),
            services.GetRequiredService<ILogger<RepublishSchedule>>());
    }

    /// <summary>Asks the slot <paramref name="slot"/> to republish at <paramref name="at"/>. A slot asks again whenever
    /// its next expiry changes; an extra republish only sends the same numbers.</summary>
    public void Add(string slot, DateTimeOffset at)
    {
        // Never a timer due now: a test clock would fire it inside this lock.
        if (at <= clock.UtcNow)
        {
            republish(slot);
            return;
        }

        lock (_lock)
        {
            _due.Enqueue(slot, at);
            if (_armedFor is null || at < _armedFor)
            {
                Arm(at);
            }
        }
    }

    /// <summary>Slots waiting for their time (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _due.Count;
            }
        }
    }

    private void Arm(DateTimeOffset at)
    {
        if (_disposed)
        {
            return;
        }

        _armedFor = at;
        var due = clock.Until(at);
        if (_timer is null)
        {
            _timer = clock.Time.CreateTimer(static state => ((RepublishSchedule)state!).Fire(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        List<string>? slots = null;
        lock (_lock)
        {
            _armedFor = null;
            var now = clock.UtcNow;
            while (_due.TryPeek(out var slot, out var at) && at <= now)
            {
                _due.Dequeue();
                (slots ??= []).Add(slot);
            }

            if (_due.TryPeek(out _, out var next))
            {
                Arm(next);
            }
        }

        // On the timer's thread: a call that throws (a silo shutting down) must neither stop the other slots' calls
        // nor escape, where it would end the process. A slot not called back publishes on its next call.
        foreach (var slot in slots ?? [])
        {
            try
            {
                republish(slot);
            }
            catch (Exception error)
            {
                _logger.LogWarning(error, "Could not ask {Slot} to republish its availability", slot);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
