using System.Collections.Concurrent;
using Orleans.Runtime;

namespace Dom.Grains.Journal;

/// <summary>
/// Hands the journal's task of a write from the grain that made it to the caller on the same silo that will rest its
/// own entry on it (<see cref="IGrainJournal.AppendAsync(JournalEntry, IReadOnlyList{Task})"/>): a stock slot answers a
/// hold as soon as it is decided, with a ticket; the reservation desk redeems the ticket for the hold's write and
/// records the reservation so that it is stored together with the hold or after it, never without it. A task cannot
/// travel in a grain call, so it waits here, in the silo's memory, for the one redemption its ticket allows.
/// </summary>
internal sealed class PendingWrites(SiloAddress silo, long keepAtLeast = PendingWrites.DefaultKeepAtLeast, long sweepEvery = PendingWrites.DefaultSweepEvery)
{
    private readonly ConcurrentDictionary<long, Task> _writes = new();
    private long _lastTicket;

    /// <summary>This silo: a grain answers early, with a ticket, only to a caller on it.</summary>
    public SiloAddress Silo { get; } = silo;

    /// <summary>How many writes wait to be redeemed (a diagnostic: it should stay near the calls in flight).</summary>
    public int Count => _writes.Count;

    /// <summary>A ticket for <paramref name="write"/> when <paramref name="caller"/> (a request's <c>AnswerEarlyOn</c>)
    /// is this silo, so the grain may answer before the write is durable; null otherwise (answer once it is).</summary>
    public long? HandIfLocal(SiloAddress? caller, Task write) => caller is not null && caller.Equals(Silo) ? Hand(write) : null;

    public long Hand(Task write)
    {
        var ticket = Interlocked.Increment(ref _lastTicket);
        _writes[ticket] = write;
        if (ticket % sweepEvery == 0)
        {
            Sweep(ticket - keepAtLeast);
        }

        return ticket;
    }

    /// <summary>A ticket is redeemed within the call that received it, milliseconds later. One never redeemed (its
    /// caller gave up waiting for the answer) is dropped once its write has finished and this many tickets have been
    /// handed out after it: minutes even at tens of thousands of holds a second, so a caller that was merely slow (a
    /// pause, a slow call beside it) still finds its write.</summary>
    public const long DefaultKeepAtLeast = 1 << 22;

    /// <summary>How often (in tickets) the abandoned ones are looked for.</summary>
    public const long DefaultSweepEvery = 1 << 16;

    private void Sweep(long before)
    {
        foreach (var (ticket, write) in _writes)
        {
            if (ticket < before && write.IsCompleted)
            {
                _writes.TryRemove(ticket, out _);
            }
        }
    }

    /// <summary>The write behind <paramref name="ticket"/>, once; null for an unknown ticket (already redeemed, or
    /// handed on another silo), which the caller must treat as a write it cannot vouch for.</summary>
    public Task? Redeem(long ticket) => _writes.TryRemove(ticket, out var write) ? write : null;
}
