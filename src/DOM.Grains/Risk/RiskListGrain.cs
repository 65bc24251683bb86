using System.Collections.Immutable;
using Dom.Grains.Journal;
using Dom.Risk;
using Orleans.Serialization;

namespace Dom.Grains.Risk;

[GenerateSerializer, Immutable, Alias("dom.risk.state")]
public sealed record RiskListState
{
    [Id(0)] public ImmutableHashSet<RiskListEntry> Entries { get; init; } = [];
}

[GenerateSerializer, Alias("dom.risk.event")]
public abstract record RiskListEvent;

[GenerateSerializer, Immutable, Alias("dom.risk.added")]
public sealed record RiskEntryAdded([property: Id(0)] RiskListEntry Entry) : RiskListEvent;

[GenerateSerializer, Immutable, Alias("dom.risk.removed")]
public sealed record RiskEntryRemoved([property: Id(0)] RiskListEntry Entry) : RiskListEvent;

/// <summary>The black and white lists (one grain: operators change them rarely; every intake reads them).</summary>
internal sealed class RiskListGrain(IGrainJournal journal, Serializer serializer, ILogger<RiskListGrain> logger)
    : JournaledGrain<RiskListState, RiskListEvent>(journal, serializer, logger), IRiskListGrain
{
    public const string Key = "lists";

    protected override string Stream => $"risk/{this.GetPrimaryKeyString()}";

    protected override RiskListState Initial => new();

    protected override int SnapshotEvery => 200;

    protected override RiskListState Apply(RiskListState state, RiskListEvent @event) => @event switch
    {
        RiskEntryAdded added => state with { Entries = state.Entries.Add(added.Entry) },
        RiskEntryRemoved removed => state with { Entries = state.Entries.Remove(removed.Entry) },
        _ => throw new InvalidOperationException($"Unknown risk list event {@event.GetType().Name}."),
    };

    public async Task AddAsync(RiskListEntry entry)
    {
        if (!State.Entries.Contains(entry))
        {
            await Raise(new RiskEntryAdded(entry));
        }
    }

    public async Task RemoveAsync(RiskListEntry entry)
    {
        if (State.Entries.Contains(entry))
        {
            await Raise(new RiskEntryRemoved(entry));
        }
    }

    public Task<IReadOnlyList<RiskListEntry>> GetAsync() =>
        Task.FromResult<IReadOnlyList<RiskListEntry>>(State.Entries.OrderBy(e => e.List).ThenBy(e => e.Subject).ThenBy(e => e.Value, StringComparer.Ordinal).ToList());
}
