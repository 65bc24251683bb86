using System.Collections.Immutable;
using Dom.Finance;
using Dom.Grains.Journal;
using Orleans.Serialization;

namespace Dom.Grains.Finance;

[GenerateSerializer, Immutable, Alias("dom.finance.ledger-state")]
public sealed record LedgerState
{
    [Id(0)] public ImmutableDictionary<string, LedgerEntry> Entries { get; init; } = ImmutableDictionary<string, LedgerEntry>.Empty;
}

[GenerateSerializer, Immutable, Alias("dom.finance.ledger-appended")]
public sealed record LedgerAppended([property: Id(0)] IReadOnlyList<LedgerEntry> Entries);

/// <summary>A day's ledger entries of a bucket of orders (see <see cref="ILedgerGrain"/>), journaled: each post appends
/// only its new entries, so a day with many orders costs O(1) per entry, not a growing blob per write.</summary>
internal sealed class LedgerGrain(IGrainJournal journal, Serializer serializer, ILogger<LedgerGrain> logger)
    : JournaledGrain<LedgerState, LedgerAppended>(journal, serializer, logger), ILedgerGrain
{
    protected override string Stream => $"ledger/{this.GetPrimaryKeyString()}";

    protected override LedgerState Initial => new();

    protected override int StateSize => State.Entries.Count;

    protected override LedgerState Apply(LedgerState state, LedgerAppended @event) =>
        state with { Entries = state.Entries.SetItems(@event.Entries.Select(e => KeyValuePair.Create(e.EntryId, e))) };

    public async Task AppendAsync(IReadOnlyList<LedgerEntry> entries)
    {
        EnsureUsable();
        var fresh = entries.Where(e => !State.Entries.ContainsKey(e.EntryId)).DistinctBy(e => e.EntryId).ToList();
        if (fresh.Count == 0)
        {
            // Posted before (a retry): answered once that post is stored.
            await EarlierWritesAsync();
            return;
        }

        await Raise(new LedgerAppended(fresh));
    }

    public async Task<IReadOnlyList<LedgerEntry>> EntriesAsync()
    {
        EnsureUsable();
        await EarlierWritesAsync();
        return State.Entries.Values.OrderBy(e => e.At).ThenBy(e => e.EntryId, StringComparer.Ordinal).ToList();
    }
}
