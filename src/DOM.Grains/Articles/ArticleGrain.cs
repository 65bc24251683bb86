using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Stock;

namespace Dom.Grains.Articles;

/// <summary>An article's master data and its availability index (eventually consistent; only for choosing
/// candidates).</summary>
internal sealed class ArticleGrain(
    [PersistentState(DomStorage.ArticleState, DomStorage.Name)] IPersistentState<ArticleState> state,
    ILogger<ArticleGrain> logger) : Grain, IArticleGrain
{
    /// <summary>The index as last read, until the next change (readers share it: it is never mutated).</summary>
    private List<IndexedAvailability>? _index;

    private ArticleState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The stored quantities may be stale after a restart: ask every slot to publish its number again.
        // One-way calls, so activation never waits on a slot that may itself be waiting on this grain.
        foreach (var locationId in State.Index.Keys)
        {
            GrainFactory.Get<IStockSlotGrain>(new StockSlotKey(this.GetPrimaryKeyString(), locationId).ToString())
                .RepublishAsync()
                .Ignore();
        }

        return Task.CompletedTask;
    }

    public async Task<ArticleInfo> PutAsync(ArticleInfo info)
    {
        await state.WriteAsync(State with { Info = info }, GrainContext, logger);
        return info;
    }

    public Task<ArticleInfo?> GetAsync() => Task.FromResult(State.Info);

    public async Task IndexLocationAsync(AvailabilityUpdate update)
    {
        if (State.Index.ContainsKey(update.LocationId))
        {
            Apply(update);
            return;
        }

        await state.WriteAsync(
            State with { Index = State.Index.SetItem(update.LocationId, Entry(update)) },
            GrainContext,
            logger);
        _index = null;
    }

    public Task PublishAsync(AvailabilityUpdate update)
    {
        Apply(update);
        return Task.CompletedTask;
    }

    public Task<Immutable<IReadOnlyList<IndexedAvailability>>> GetIndexAsync()
    {
        _index ??= State.Index
            .OrderBy(entry => entry.Key, StringComparer.Ordinal)
            .Select(entry => new IndexedAvailability(entry.Key, entry.Value.Available, entry.Value.Pools, entry.Value.InTransit))
            .ToList();
        return Task.FromResult(new Immutable<IReadOnlyList<IndexedAvailability>>(_index));
    }

    private void Apply(AvailabilityUpdate update)
    {
        // Only known locations: a publication racing ahead of IndexLocationAsync is covered by that call itself.
        if (State.Index.TryGetValue(update.LocationId, out var entry) && entry.Version < update.Version)
        {
            state.State = State with { Index = State.Index.SetItem(update.LocationId, Entry(update)) };
            _index = null;
        }
    }

    private static IndexEntry Entry(AvailabilityUpdate update) => new(update.Available, update.Version, update.Pools, update.InTransit);
}
