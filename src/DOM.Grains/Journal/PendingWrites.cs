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
internal sealed class PendingWrites(SiloAddress silo)
{
    private readonly ConcurrentDictionary<long, Task> _writes = new();
    private long _lastTicket;

    /// <summary>This silo: a grain answers early, with a ticket, only to a caller on it.</summary>
    public SiloAddress Silo { get; } = silo;

    /// <summary>How many writes wait to be redeemed (a diagnostic: it should stay near the calls in flight).</summary>
    public int Count => _writes.Count;

    public long Hand(Task write)
    {
        var ticket = Interlocked.Increment(ref _lastTicket);
        _writes[ticket] = write;
        if (ticket % SweepEvery == 0)
        {
            Sweep(ticket - SweepEvery);
        }

        return ticket;
    }

    /// <summary>A ticket is redeemed within the call that received it, milliseconds later. One never redeemed (its
    /// caller gave up waiting for the answer) is dropped once <see cref="SweepEvery"/> tickets have been handed out
    /// after it and its write has finished.</summary>
    private const long SweepEvery = 1 << 16;

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
