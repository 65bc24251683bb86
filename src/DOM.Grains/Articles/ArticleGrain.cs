using System.Collections.Immutable;
using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Stock;

namespace Dom.Grains.Articles;

/// <summary>An article's master data and its availability index (eventually consistent; only for choosing
/// candidates).</summary>
internal sealed class ArticleGrain(
    [PersistentState(DomStorage.ArticleState, DomStorage.Name)] IPersistentState<ArticleState> state,
    DomClock clock,
    ILogger<ArticleGrain> logger) : Grain, IArticleGrain
{
    private static readonly Comparer<IndexedAvailability> ByLocation =
        Comparer<IndexedAvailability>.Create((a, b) => string.CompareOrdinal(a.LocationId, b.LocationId));

    /// <summary>The index as planners read it, sorted by location id, with the version of each entry. Replaced, never
    /// mutated, on every publication (readers in this silo share the array), one entry at a time; it is rebuilt from the
    /// stored state only when the set of locations changes. Publications are not stored: after a restart every slot
    /// publishes again.</summary>
    private (IndexedAvailability[] Entries, long[] Versions)? _index;

    /// <summary>True while orders wait in the article's backorder queue (as the queue last said): a slot's number that
    /// rises then wakes the queue, and the units that rose are kept for its next pass. Not stored: the queue says so
    /// again on every pass while orders wait (<see cref="BackorderPassBeganAsync"/>).</summary>
    private bool _backordersWaiting;

    /// <summary>How long units stay kept for the backorder queue at most: its pass ends long before, unless the queue
    /// could not say so (then they are free again after this).</summary>
    internal static readonly TimeSpan KeptForBackordersFor = TimeSpan.FromSeconds(30);

    /// <summary>Units that became available while orders waited, by location, kept for the queue's next pass (see
    /// <see cref="Keep"/>): how many, the sequence number they were last added under, and when. Not stored: a restart
    /// only gives them back to everyone a little early.</summary>
    private Dictionary<string, (int Units, long Seq, DateTimeOffset At)>? _kept;

    /// <summary>What planners read of <see cref="_kept"/> while none of it lapsed (see <see cref="KeptNow"/>; null while
    /// nothing is kept: the reservation path allocates nothing for it).</summary>
    private IReadOnlyDictionary<string, int>? _keptView;

    /// <summary>Orders the keeping of units against the passes: <see cref="_passBegan"/> is the number the queue's pass
    /// began at.</summary>
    private long _seq;

    private long _passBegan;

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
        if (info.Components is { Count: > 0 } && !State.PartOf.IsEmpty)
        {
            throw new InvalidOperationException($"Article {info.Sku} is listed in a bundle and cannot become one.");
        }

        await state.WriteAsync(State with { Info = info }, GrainContext, logger);
        return info;
    }

    public async Task<bool> BeginChangeAsync(string token, IReadOnlyList<string> joining)
    {
        if (State.Change is { } held && held.Token != token && held.Until > clock.UtcNow)
        {
            return false;
        }

        // A change that never finished may have joined components this article does not list: told at the next save.
        var listed = Listed(State.Info);
        var leftOver = State.Change?.Joining.Where(c => !listed.Contains(c)) ?? [];
        await state.WriteAsync(
            State with { Change = new ArticleChange(token, clock.UtcNow.Add(ChangeHeld), joining), Leaving = State.Leaving.Union(leftOver) },
            GrainContext,
            logger);
        return true;
    }

    public async Task EndChangeAsync(string token)
    {
        if (State.Change?.Token == token)
        {
            // Its joins were taken back, or it is left to lapse (the next change tells what it joined).
            var listed = Listed(State.Info);
            await state.WriteAsync(State with { Change = null, Leaving = State.Leaving.Union(State.Change.Joining.Where(c => !listed.Contains(c))) }, GrainContext, logger);
        }
    }

    public async Task<ArticleSaveAnswer> SaveAsync(ArticleInfo info, string token)
    {
        if (State.Change?.Token != token)
        {
            return new ArticleSaveAnswer(null, Busy: true);
        }

        var listed = Listed(info);
        if (listed.Count > 0 && !State.PartOf.IsEmpty)
        {
            return new ArticleSaveAnswer(null, ListedIn: [.. State.PartOf]);
        }

        var dropped = Listed(State.Info).Where(c => !listed.Contains(c));
        var leaving = State.Leaving.Union(dropped).Union(State.Change.Joining).Except(listed);
        // The change holds the article until the components it dropped are told (EndChangeAsync after them): a next
        // change could otherwise list one of them again, and this change's late leave take that back.
        await state.WriteAsync(State with { Info = info, Leaving = leaving, Change = leaving.IsEmpty ? null : State.Change }, GrainContext, logger);
        return new ArticleSaveAnswer(info, Leaving: leaving.IsEmpty ? null : [.. leaving]);
    }

    /// <summary>How long a change holds the article: far beyond a PUT's few calls, short enough that one that died is
    /// taken over soon.</summary>
    private static readonly TimeSpan ChangeHeld = TimeSpan.FromSeconds(10);

    private static HashSet<string> Listed(ArticleInfo? info) => (info?.ComponentSkus() ?? []).ToHashSet(StringComparer.Ordinal);

    public async Task<bool> JoinBundleAsync(string bundleSku)
    {
        if (State.Info?.Components is { Count: > 0 })
        {
            return false;
        }

        if (!State.PartOf.Contains(bundleSku))
        {
            await state.WriteAsync(State with { PartOf = State.PartOf.Add(bundleSku) }, GrainContext, logger);
        }

        return true;
    }

    public async Task LeaveBundleAsync(string bundleSku)
    {
        if (State.PartOf.Contains(bundleSku))
        {
            await state.WriteAsync(State with { PartOf = State.PartOf.Remove(bundleSku) }, GrainContext, logger);
        }
    }

    public async Task ForgetLeavingAsync(IReadOnlyList<string> told)
    {
        if (State.Leaving.Overlaps(told))
        {
            await state.WriteAsync(State with { Leaving = State.Leaving.Except(told) }, GrainContext, logger);
        }
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
        if (_index is { } live)
        {
            var (entries, versions) = live;
            // Keep the live quantities of the other locations: publications are not in the stored state.
            var at = ~Array.BinarySearch(entries, new IndexedAvailability(update.LocationId, 0), ByLocation);
            _index = (
                [.. entries[..at], Indexed(update), .. entries[at..]],
                [.. versions[..at], update.Version, .. versions[at..]]);
        }

        WakeBackordersIfRisen(null, Indexed(update));
    }

    public Task PublishAsync(AvailabilityUpdate update)
    {
        Apply(update);
        return Task.CompletedTask;
    }

    public Task BackordersWaitingAsync(bool waiting)
    {
        // No pass begins here: an order joining in the middle of a pass says so too, and the units kept since that pass
        // began (past the orders it routed already) would be given back at its end instead of kept for the pass after it.
        _backordersWaiting = waiting;
        if (!waiting)
        {
            SetKept(null);
        }

        return Task.CompletedTask;
    }

    public Task BackorderPassBeganAsync()
    {
        _backordersWaiting = true;
        _passBegan = ++_seq;
        return Task.CompletedTask;
    }

    public Task BackorderPassEndedAsync(bool follows)
    {
        // Units kept since the pass began stay kept for the pass that follows (the queue runs one when woken meanwhile).
        // When none follows (a pass that supplied nobody and its own releases, or a wake bringing nothing new), they
        // would be kept for nobody until they lapse.
        if (!follows)
        {
            SetKept(null);
        }
        else if (_kept is { } kept && kept.Values.Any(k => k.Seq < _passBegan))
        {
            SetKept(kept.Where(k => k.Value.Seq > _passBegan).ToDictionary());
        }

        return Task.CompletedTask;
    }

    public Task<Immutable<IReadOnlyList<IndexedAvailability>>> GetIndexAsync() =>
        Task.FromResult(new Immutable<IReadOnlyList<IndexedAvailability>>(Index().Entries));

    public Task<ArticlePlanningView> GetPlanningAsync() => Task.FromResult(new ArticlePlanningView(State.Info, Index().Entries, KeptNow()));

    /// <summary>The units kept for the backorder queue as planners read them now: those kept longer than
    /// <see cref="KeptForBackordersFor"/> ago are everyone's again. Read without changing what is kept (planners read it
    /// through a [ReadOnly] call); units that lapsed leave it with the next change of what is kept.</summary>
    private IReadOnlyDictionary<string, int>? KeptNow()
    {
        if (_kept is not { } kept)
        {
            return null;
        }

        var now = clock.UtcNow;
        foreach (var units in kept.Values)
        {
            if (Lapsed(units.At, now))
            {
                var live = kept.Where(k => !Lapsed(k.Value.At, now)).ToDictionary(k => k.Key, k => k.Value.Units, StringComparer.Ordinal);
                return live.Count > 0 ? live : null;
            }
        }

        return _keptView;
    }

    private (IndexedAvailability[] Entries, long[] Versions) Index()
    {
        if (_index is { } index)
        {
            return index;
        }

        var sorted = State.Index.OrderBy(entry => entry.Key, StringComparer.Ordinal).ToArray();
        _index = index = (
            sorted.Select(entry => new IndexedAvailability(entry.Key, entry.Value.Available, entry.Value.Pools, entry.Value.InTransit)).ToArray(),
            sorted.Select(entry => entry.Value.Version).ToArray());
        return index;
    }

    private void Apply(AvailabilityUpdate update)
    {
        // Only known locations: a publication racing ahead of IndexLocationAsync is covered by that call itself.
        var (entries, versions) = Index();
        var at = Array.BinarySearch(entries, new IndexedAvailability(update.LocationId, 0), ByLocation);
        if (at < 0 || versions[at] >= update.Version)
        {
            return;
        }

        var next = (IndexedAvailability[])entries.Clone();
        next[at] = Indexed(update);
        versions[at] = update.Version;
        _index = (next, versions);
        WakeBackordersIfRisen(entries[at], next[at]);
    }

    /// <summary>Wakes the backorder queue while orders wait in it and a location has more to give than it had
    /// (<paramref name="before"/>; null: a location new to the index): stock counted or received, units returned or
    /// released, a pool topped up, supply on its way; the units that rose on hand are kept for the queue's next pass
    /// (<see cref="Keep"/>). One-way: the index never waits for routing.</summary>
    private void WakeBackordersIfRisen(IndexedAvailability? before, IndexedAvailability after)
    {
        if (_backordersWaiting
            && (after.Available > (before?.Available ?? 0) || InTransit(after) > InTransit(before) || Pooled(after) > Pooled(before)))
        {
            Keep(after.LocationId, after.Available - (before?.Available ?? 0), after.Available);
            GrainFactory.Get<Dom.Orders.IBackorderQueueGrain>(this.GetPrimaryKeyString()).WakeAsync(SupplyOf(Index().Entries)).Ignore();
        }
    }

    /// <summary>Keeps <paramref name="risen"/> units that became available at a location while orders wait for the queue's
    /// next pass (no more than the <paramref name="available"/> there): new orders and reservations plan without them
    /// until that pass is over, so the orders that waited longest get them first (best effort: a planner reading the
    /// index just before still may take them; the slots know nothing of it).</summary>
    private void Keep(string locationId, int risen, int available)
    {
        if (risen <= 0)
        {
            return;
        }

        // Only planners share what is kept, through the copy SetKept makes: this one is changed in place.
        var kept = _kept ?? new Dictionary<string, (int Units, long Seq, DateTimeOffset At)>(StringComparer.Ordinal);
        var units = kept.TryGetValue(locationId, out var before) && !Lapsed(before.At, clock.UtcNow) ? before.Units : 0;
        kept[locationId] = (Math.Min(available, units + risen), ++_seq, clock.UtcNow);
        SetKept(kept);
    }

    /// <summary>Whether units kept at <paramref name="at"/> are everyone's again at <paramref name="now"/>.</summary>
    private static bool Lapsed(DateTimeOffset at, DateTimeOffset now) => at + KeptForBackordersFor <= now;

    private void SetKept(Dictionary<string, (int Units, long Seq, DateTimeOffset At)>? kept)
    {
        _kept = kept is { Count: > 0 } ? kept : null;
        _keptView = _kept?.ToDictionary(k => k.Key, k => k.Value.Units, StringComparer.Ordinal);
    }

    /// <summary>What an index holds for backorders: units available, set aside for channels and on their way, at every
    /// location.</summary>
    internal static int SupplyOf(IEnumerable<IndexedAvailability> index) => index.Sum(e => e.Available + Pooled(e) + InTransit(e));

    private static int Pooled(IndexedAvailability? entry) => entry?.Pools?.Sum(p => p.Available) ?? 0;

    private static int InTransit(IndexedAvailability? entry) => entry?.InTransit?.Sum(t => t.Available) ?? 0;

    private static IndexedAvailability Indexed(AvailabilityUpdate update) => new(update.LocationId, update.Available, update.Pools, update.InTransit);

    private static IndexEntry Entry(AvailabilityUpdate update) => new(update.Available, update.Version, update.Pools, update.InTransit);
}
