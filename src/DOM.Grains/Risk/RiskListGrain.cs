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

    /// <summary>The entries as the lists compare them (entries stored under an earlier form of the comparison
    /// included), each under every key it is found by, rebuilt when the lists change.</summary>
    private HashSet<RiskListEntry> Index
    {
        get
        {
            if (!ReferenceEquals(_indexed, State))
            {
                _index = State.Entries.SelectMany(RiskKeys.ListedUnder).ToHashSet();
                _indexed = State;
            }

            return _index;
        }
    }

    private RiskListState? _indexed;
    private HashSet<RiskListEntry> _index = [];

    public async Task AddAsync(RiskListEntry entry)
    {
        EnsureUsable();
        entry = RiskKeys.Normalize(entry);
        if (!Index.Contains(entry))
        {
            await Raise(new RiskEntryAdded(entry));
        }
    }

    public async Task RemoveAsync(RiskListEntry entry)
    {
        EnsureUsable();
        entry = RiskKeys.Normalize(entry);
        foreach (var stored in State.Entries.Where(e => RiskKeys.Normalize(e) == entry).ToList())
        {
            await Raise(new RiskEntryRemoved(stored));
        }
    }

    public Task<IReadOnlyList<RiskListEntry>> GetAsync()
    {
        EnsureUsable();
        return Task.FromResult<IReadOnlyList<RiskListEntry>>(State.Entries.OrderBy(e => e.List).ThenBy(e => e.Subject).ThenBy(e => e.Value, StringComparer.Ordinal).ToList());
    }

    public Task<IReadOnlyList<RiskListEntry>> MatchAsync(IReadOnlyList<RiskListEntry> candidates)
    {
        EnsureUsable();
        var index = Index;
        return Task.FromResult<IReadOnlyList<RiskListEntry>>(candidates.Select(RiskKeys.Normalize).Where(index.Contains).Distinct().ToList());
    }
}
