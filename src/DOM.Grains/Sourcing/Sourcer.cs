using System.Collections.Immutable;
using Dom.Articles;
using Dom.Domain.Geo;
using Dom.Domain.Sourcing;
using Dom.Grains.Articles;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Grains.Locations;
using Dom.Locations;
using Dom.Reservations;
using Dom.Sourcing;
using Dom.Stock;
using static Dom.Grains.Sourcing.SourcingMapping;

namespace Dom.Grains.Sourcing;

/// <summary>
/// Plans with the channel's sourcing profile from the articles' availability index and the locations' master data and
/// capacity (silo-local caches), then executes the plan as a saga: every hold and capacity booking in parallel; on any
/// refusal, release what was taken, learn from the refusal (the refused slots are read live, a full day's capacity is
/// remembered) and re-plan, bounded. The index may be stale: a plan that looks impossible is checked against the slots
/// themselves before a shortage is reported. Explain runs the same preparation and the same optimiser, and stops before
/// holding anything.
/// A silo singleton without state of its own, called in the flow that needs it (the reservation desk in the request's
/// own flow, an order's or the <see cref="SourcingGrain"/>'s turn), so a reservation costs no extra call to reach it.
/// </summary>
internal sealed class Sourcer(
    IGrainFactory grains,
    LocationDirectory locations,
    ProfileDirectory profiles,
    PendingWrites pendingWrites,
    DomClock clock,
    ILogger<Sourcer> logger)
{
    /// <summary>Plans per request. A storm on one article herds every request onto the same next-cheapest location
    /// each round, so a round fills at least one location: enough rounds for a few locations, still bounded.</summary>
    private const int MaxAttempts = 8;

    /// <summary>How long this silo plans without a slot or location whose history turned out damaged before it tries
    /// that one again (an operator may have repaired it): a damaged item costs a failed load per silo and period, not
    /// one per request that would have picked it.</summary>
    private static readonly TimeSpan DamagedFor = TimeSpan.FromSeconds(30);

    // Written rarely (a damaged item found, its period over), read by every plan: immutable, so that the read is one
    // field load and an O(1) emptiness check (a ConcurrentDictionary's IsEmpty takes all its locks when it is empty).
    private ImmutableDictionary<StockSlotKey, DateTimeOffset> _damagedSlots = ImmutableDictionary<StockSlotKey, DateTimeOffset>.Empty;
    private ImmutableDictionary<string, DateTimeOffset> _damagedLocations = ImmutableDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>The calls for articles' planning views in flight, by SKU (<see cref="ReadArticleAsync"/>). A plan that
    /// joins a call gets the article's whole view as that call answers it — availability and master data (Info) alike —
    /// so it is at most one call's round trip older than its own call would have been; the index is allowed to be stale
    /// anyway, and the slots decide.</summary>
    private readonly SharedCalls<string, ArticlePlanningView> _articleReads = new(StringComparer.Ordinal);

    private readonly Func<string, Task<ArticlePlanningView>> _callArticle = sku => grains.Get<IArticleGrain>(sku).GetPlanningAsync();

    /// <summary>Plans and takes the holds and bookings; answers once they are durable.</summary>
    public async Task<SourcingResult> ReserveAsync(SourcingRequest request) => (await ReserveAsync(request, answerEarly: false)).Result;

    /// <summary>As <see cref="ReserveAsync(SourcingRequest)"/>, but slots and locations on this silo answer as soon as
    /// they have decided, and their writes come back unfinished in <c>Writes</c>. The caller must store nothing that
    /// rests on the holds except through <see cref="IGrainJournal.AppendAsync(JournalEntry, IReadOnlyList{Task})"/>
    /// with these writes, and acknowledge nothing before that is durable: the reservation desk records the reservation
    /// in the same flush as its holds instead of one flush later.</summary>
    public Task<(SourcingResult Result, IReadOnlyList<Task> Writes)> ReserveAnsweredEarlyAsync(SourcingRequest request) => ReserveAsync(request, answerEarly: true);

    private async Task<(SourcingResult Result, IReadOnlyList<Task> Writes)> ReserveAsync(SourcingRequest request, bool answerEarly)
    {
        var context = await PrepareAsync(request);
        if (context.UnknownArticles is { } unknown)
        {
            // Not short: not sold here at all. Nothing is planned or held.
            return (Refused(context, []) with { UnknownArticles = unknown }, []);
        }

        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var decision = await DecideAsync(context, explain: false);
            if (!decision.Feasible)
            {
                return (Refused(context, decision.Shortages), []);
            }

            var (failure, writes) = await ExecuteAsync(request, context, decision, answerEarly);
            if (failure is null)
            {
                return (new SourcingResult(ToLines(decision.Winner!), [], context.Profile.Version, decision.Winner!.Cost.Total), writes);
            }

            logger.LogDebug("{HoldId} attempt {Attempt} refused at {Slots} and full at {Locations}; re-planning", request.HoldId, attempt, failure.RefusedSlots.Count, failure.FullDays.Count);
            await LearnAsync(context, failure);
        }

        // Contention outran the retries: report what is known now rather than hold partially.
        return (Refused(context, context.Demand
            .Where(line => line.Physical)
            .Select(line => new PlanShortage(line.Sku, line.Quantity, context.Supply.Values.Where(s => s.Sku == line.Sku).Sum(s => s.UsableBy(request.Channel, null))))
            .ToList()), []);
    }

    public async Task<SourcingExplanation> ExplainAsync(SourcingRequest request)
    {
        var context = await PrepareAsync(request);
        if (context.UnknownArticles is { } unknown)
        {
            return new SourcingExplanation(
                request.Channel,
                context.Profile.Version,
                Feasible: false,
                Prioritised: false,
                Exact: true,
                Reason: $"No article {string.Join(", ", unknown)}.",
                Winner: null,
                Plans: [],
                Candidates: [],
                Shortages: Refused(context, []).Shortages,
                LowerBound: 0,
                SearchNodes: 0);
        }

        var decision = await DecideAsync(context, explain: true);
        return new SourcingExplanation(
            request.Channel,
            context.Profile.Version,
            decision.Feasible,
            decision.Prioritised,
            decision.Exact,
            decision.Reason,
            decision.Winner is { } winner ? ToPlan(winner) : null,
            decision.Considered.Select(ToPlan).ToList(),
            decision.Candidates.Select(ToCandidate).ToList(),
            decision.Feasible ? [] : Shortages(context, decision.Shortages),
            decision.LowerBound,
            decision.Nodes);
    }

    public async Task<ArticleAvailability?> GetAvailabilityAsync(string sku, string? channel = null)
    {
        var article = await grains.Get<IArticleGrain>(sku).GetPlanningAsync();
        if (article.Info is null)
        {
            return null;
        }

        if (article.Info.Components is { Count: > 0 } parts)
        {
            return await BundleAvailabilityAsync(article.Info, parts, channel);
        }

        // Only where sourcing can take it: a physical article at a location that is not virtual, a non-physical one at
        // a virtual location (a location's type can change after its stock was counted).
        var physical = IsPhysical(article.Info);
        var ids = article.Index.Select(entry => entry.LocationId).ToHashSet(StringComparer.Ordinal);
        if (!physical && article.Info.FulfilledBy is { } fulfilledBy)
        {
            ids.Add(fulfilledBy);
        }

        var sites = await locations.GetSitesAsync(ids);
        // For a channel, only the location types its sourcing profile takes from, as sourcing plans it.
        var policy = channel is null ? null : (await profiles.GetAsync(channel)).Policy;
        bool Serves(string locationId) => policy is null
            ? SourcingMapping.Serves(sites.GetValueOrDefault(locationId), physical)
            : SourcingMapping.Serves(sites.GetValueOrDefault(locationId), physical, policy);
        var live = await ReadSlotsAsync(article.Index.Where(entry => Serves(entry.LocationId)).Select(entry => new StockSlotKey(sku, entry.LocationId)));
        var list = live.Values.OfType<IndexedAvailability>().ToList();
        if (channel is not null && article.KeptForBackorders is { } kept)
        {
            // What a channel may sell: the units kept for the orders that waited for them are not (an operator sees them).
            list = [.. list.Select(l => kept.TryGetValue(l.LocationId, out var units) ? l with { Available = Math.Max(0, l.Available - units) } : l)];
        }

        if (!physical && article.Info.FulfilledBy is { } by && article.Index.All(entry => entry.LocationId != by) && Serves(by))
        {
            // Served without a limit by its virtual location, as sourcing plans it: while that location exists and is
            // still virtual (a location's type can change after the article named it).
            list.Add(new IndexedAvailability(by, int.MaxValue));
            return new ArticleAvailability(sku, int.MaxValue, [.. list.OrderBy(l => l.LocationId, StringComparer.Ordinal)], Unlimited: true);
        }

        var all = new ArticleAvailability(sku, list.Sum(l => l.Available), list);
        return channel is null ? all : WithoutReserve(ForChannel(all, channel), policy!.StockReserve);
    }

    /// <summary>What a reservation without priority may take: the units per slot the channel's profile leaves for
    /// priority orders (<c>stockReserve</c>) are not shown, as sourcing does not plan them.</summary>
    private static ArticleAvailability WithoutReserve(ArticleAvailability availability, int reserve)
    {
        if (reserve == 0)
        {
            return availability;
        }

        var locations = availability.Locations.Select(l => l with
        {
            Available = Math.Max(0, l.Available - reserve),
            InTransit = l.InTransit?.Select(t => t with { Available = Math.Max(0, t.Available - reserve) }).ToList(),
        }).ToList();
        return availability with { Total = (int)Math.Min(int.MaxValue, locations.Sum(l => (long)l.Available)), Locations = locations };
    }

    /// <summary>What <paramref name="channel"/> may reserve: the shared units and its own pool's. Other channels' pools
    /// are theirs to take and theirs to know of.</summary>
    private static ArticleAvailability ForChannel(ArticleAvailability all, string channel)
    {
        var locations = all.Locations.Select(l =>
        {
            var own = l.Pools?.Where(p => p.Channel == channel).ToList();
            var pooled = own?.Sum(p => p.Available) ?? 0;
            return l with
            {
                Available = l.Available + pooled,
                Pools = own is { Count: > 0 } ? own : null,
                InTransit = l.InTransit?.Select(t => t with { Available = t.Available + pooled }).ToList(),
            };
        }).ToList();
        return all with { Total = (int)Math.Min(int.MaxValue, locations.Sum(l => (long)l.Available)), Locations = locations };
    }

    /// <summary>How many bundles can be had: at a location, as many as its scarcest component allows there; in all, the
    /// sum over locations, or, when the bundle may be split, as many as each component allows wherever it is. For a
    /// channel, from the components' units it may take (its pools' included).</summary>
    private async Task<ArticleAvailability> BundleAvailabilityAsync(ArticleInfo bundle, IReadOnlyList<BundleComponent> parts, string? channel)
    {
        var components = await Task.WhenAll(parts.Select(async part =>
            (Part: part, Stock: await GetAvailabilityAsync(part.Sku, channel) ?? new ArticleAvailability(part.Sku, 0, []))));
        var locations = components
            .Select(c => c.Stock.Locations.ToDictionary(l => l.LocationId, l => l.Available / c.Part.Quantity, StringComparer.Ordinal))
            .Aggregate((together, next) => together.Where(l => next.ContainsKey(l.Key)).ToDictionary(l => l.Key, l => Math.Min(l.Value, next[l.Key]), StringComparer.Ordinal))
            .Where(l => l.Value > 0)
            .OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => new IndexedAvailability(l.Key, l.Value))
            .ToList();
        // Summed wide: a component served without a limit counts int.MaxValue at its virtual location.
        var total = bundle.AllowSplit ? components.Min(c => c.Stock.Total / c.Part.Quantity) : (int)Math.Min(int.MaxValue, locations.Sum(l => (long)l.Available));
        return new ArticleAvailability(bundle.Sku, total, locations);
    }

    public Task ReleaseAsync(string holdId, IReadOnlyList<ReservationLine> lines) =>
        ReleaseAsync(
            holdId,
            lines.SelectMany(line => line.Allocations.Select(a => new StockSlotKey(line.Sku, a.LocationId))),
            lines.SelectMany(line => line.Allocations.Select(a => a.LocationId)));

    /// <summary>What a decision is made from; kept across re-plans of one request and refreshed by what they learn.</summary>
    private sealed class Context
    {
        public required SourcingRequest Request { get; init; }

        public required DateTimeOffset Now { get; init; }

        public required ActiveSourcingProfile Profile { get; init; }

        public required SourcingPolicy Policy { get; init; }

        public required List<DemandLine> Demand { get; init; }

        public required Dictionary<StockSlotKey, Supply> Supply { get; init; }

        /// <summary>Slots of non-physical articles their fulfilling location serves without a limit.</summary>
        public required HashSet<StockSlotKey> Unlimited { get; init; }

        /// <summary>Requested SKUs (or a bundle's components) that are no article; null when every one is.</summary>
        public required List<string>? UnknownArticles { get; init; }

        public required Dictionary<string, Site> Sites { get; init; }

        public required Dictionary<(string LocationId, DateOnly Date), SiteDay> Capacity { get; init; }

        public bool Live { get; set; }

        /// <summary>Units of a slot kept for the orders that waited for them, which this request plans without (null: none).</summary>
        public Dictionary<StockSlotKey, int>? Kept { get; init; }

        public SourcingProblem Problem => new(
            new SourcingOrder(
                Request.Channel,
                new GeoPoint(Request.ShipTo.Latitude, Request.ShipTo.Longitude),
                Request.ShipTo.Country,
                Demand,
                Request.Priority == RequestPriority.High,
                Request.CustomerTier,
                Request.PickupLocationId,
                Request.PromisedBy),
            Now,
            [.. Sites.Values],
            [.. Supply.Values],
            [.. Capacity.Values],
            Policy,
            Profile.Version);
    }

    private async Task<Context> PrepareAsync(SourcingRequest request)
    {
        var profileCall = profiles.GetAsync(request.Channel);
        var articles = new Dictionary<string, ArticlePlanningView>(StringComparer.Ordinal);
        await ReadArticlesAsync(request.Lines.Select(line => line.Sku), articles);
        var components = request.Lines.SelectMany(line => ComponentsOf(line, articles) ?? []).Select(component => component.Sku).ToList();
        if (components.Count > 0)
        {
            await ReadArticlesAsync(components, articles);
        }

        var demand = Explode(request.Lines, articles);
        List<string>? unknown = null;
        foreach (var line in demand)
        {
            if (articles.GetValueOrDefault(line.Sku)?.Info is null && unknown?.Contains(line.Sku) != true)
            {
                (unknown ??= []).Add(line.Sku);
            }
        }

        var (profile, policy) = await profileCall;
        if (unknown is not null)
        {
            // Nothing is planned for a request naming what is no article: no sites or capacity to read.
            return new Context
            {
                Request = request, Now = clock.UtcNow, Profile = profile, Policy = policy, Demand = demand, Supply = [], Unlimited = [],
                UnknownArticles = unknown, Sites = [], Capacity = [],
            };
        }

        var slots = 0;
        foreach (var view in articles.Values)
        {
            slots += view.Index.Count;
        }

        var supply = new Dictionary<StockSlotKey, Supply>(slots);
        Dictionary<StockSlotKey, int>? kept = null;
        foreach (var line in demand)
        {
            if (articles.TryGetValue(line.Sku, out var view))
            {
                // Units kept for the orders that waited for them are not this request's, unless it routes those orders.
                if (view.KeptForBackorders is { } keptHere && !request.ForBackorders)
                {
                    kept ??= [];
                    foreach (var (locationId, units) in keptHere)
                    {
                        kept[new StockSlotKey(line.Sku, locationId)] = units;
                    }
                }

                foreach (var entry in view.Index)
                {
                    var slot = new StockSlotKey(line.Sku, entry.LocationId);
                    supply[slot] = Planned(slot, entry, kept);
                }
            }
        }

        // A non-physical article is fulfilled without a limit by its own location, unless a slot there counts it.
        var unlimited = new HashSet<StockSlotKey>();
        foreach (var line in demand.Where(line => !line.Physical))
        {
            if (articles.GetValueOrDefault(line.Sku)?.Info?.FulfilledBy is { } by && new StockSlotKey(line.Sku, by) is var slot && !supply.ContainsKey(slot))
            {
                supply[slot] = new Supply(line.Sku, by, 0, Unlimited: true);
                unlimited.Add(slot);
            }
        }

        var ids = new HashSet<string>(supply.Count + 1, StringComparer.Ordinal);
        foreach (var slot in supply.Keys)
        {
            ids.Add(slot.LocationId);
        }

        if (request.PickupLocationId is { } pickup)
        {
            ids.Add(pickup);
        }

        var sites = await locations.GetSitesAsync(ids);
        if (unlimited.Count > 0)
        {
            // Only a location that is still virtual serves without a limit (its type can change after the article named it).
            unlimited.RemoveWhere(slot => !SourcingMapping.Serves(sites.GetValueOrDefault(slot.LocationId), physical: false) && supply.Remove(slot));
        }

        foreach (var excluded in request.ExcludedLocations ?? [])
        {
            if (excluded == request.PickupLocationId)
            {
                // Still where the customer collects: only its own stock is left out, and units come by transfer.
                foreach (var slot in supply.Keys.Where(slot => slot.LocationId == excluded).ToList())
                {
                    supply.Remove(slot);
                    unlimited.Remove(slot);
                }
            }
            else
            {
                sites.Remove(excluded);
            }
        }

        if (!Volatile.Read(ref _damagedSlots).IsEmpty || !Volatile.Read(ref _damagedLocations).IsEmpty)
        {
            LeaveOutDamaged(supply, unlimited, sites);
        }

        var context = new Context
        {
            Request = request,
            Now = clock.UtcNow,
            Profile = profile,
            Policy = policy,
            Demand = demand,
            Supply = supply,
            Unlimited = unlimited,
            UnknownArticles = unknown,
            Sites = sites,
            Capacity = new(sites.Count),
            Kept = kept,
        };
        await ReadCapacityAsync(context);
        return context;
    }

    /// <summary>Takes the slots and locations recently found damaged out of a plan; forgets those whose period is over.</summary>
    private void LeaveOutDamaged(Dictionary<StockSlotKey, Supply> supply, HashSet<StockSlotKey> unlimited, Dictionary<string, Site> sites)
    {
        var now = clock.UtcNow;
        foreach (var slot in LeftOut(ref _damagedSlots, now))
        {
            if (supply.Remove(slot))
            {
                unlimited.Remove(slot);
            }
        }

        foreach (var location in LeftOut(ref _damagedLocations, now))
        {
            sites.Remove(location);
        }
    }

    /// <summary>The items still left out at <paramref name="now"/>; those whose period is over are forgotten (unless
    /// found damaged again meanwhile).</summary>
    private static List<TKey> LeftOut<TKey>(ref ImmutableDictionary<TKey, DateTimeOffset> damaged, DateTimeOffset now)
        where TKey : notnull
    {
        var leftOut = new List<TKey>();
        foreach (var (key, until) in Volatile.Read(ref damaged))
        {
            if (until > now)
            {
                leftOut.Add(key);
            }
            else
            {
                ImmutableInterlocked.Update(
                    ref damaged,
                    static (items, seen) => items.TryGetValue(seen.key, out var at) && at == seen.until ? items.Remove(seen.key) : items,
                    (key, until));
            }
        }

        return leftOut;
    }

    /// <summary>Leaves <paramref name="key"/> out of this silo's plans for <see cref="DamagedFor"/>.</summary>
    private void MarkDamaged<TKey>(ref ImmutableDictionary<TKey, DateTimeOffset> damaged, TKey key)
        where TKey : notnull
    {
        var until = clock.UtcNow + DamagedFor;
        ImmutableInterlocked.AddOrUpdate(ref damaged, key, until, (_, _) => until);
    }

    /// <summary>Adds the master data and availability index of each article in <paramref name="skus"/> that
    /// <paramref name="into"/> does not hold yet: one read per article, all at once.</summary>
    private async Task ReadArticlesAsync(IEnumerable<string> skus, Dictionary<string, ArticlePlanningView> into)
    {
        var missing = skus.Where(sku => !into.ContainsKey(sku)).Distinct(StringComparer.Ordinal).ToList();
        var views = await Task.WhenAll(missing.Select(ReadArticleAsync));
        for (var i = 0; i < missing.Count; i++)
        {
            into[missing[i]] = views[i];
        }
    }

    /// <summary>An article's planning view. Requests of this silo that plan on the same article at the same time share
    /// one call to its grain (<see cref="SharedCalls{TKey, TValue}"/>): on a flash sale they would otherwise queue one
    /// call each on the article's one activation. A request that joins a call in flight plans on an index at most that
    /// call old, which the index's eventual consistency allows: the slots decide every hold.</summary>
    private Task<ArticlePlanningView> ReadArticleAsync(string sku) => _articleReads.GetAsync(sku, _callArticle);

    /// <summary>Bundles become their components, each bundle kept together unless it allows a split (those the line names
    /// and its split, as an order took them; else the article's); every line learns whether it is physical. An unknown
    /// article counts as physical here; <see cref="PrepareAsync"/> names it, and nothing is planned.</summary>
    private static List<DemandLine> Explode(IReadOnlyList<LineRequest> lines, Dictionary<string, ArticlePlanningView> articles)
    {
        var demand = new List<DemandLine>(lines.Count);
        foreach (var line in lines)
        {
            var info = articles.GetValueOrDefault(line.Sku)?.Info;
            if (ComponentsOf(line, articles) is { } parts)
            {
                demand.AddRange(parts.Select(part => new DemandLine(
                    part.Sku,
                    line.Quantity * part.Quantity,
                    IsPhysical(articles.GetValueOrDefault(part.Sku)?.Info),
                    line.Sku,
                    KeepTogether: !(line.Components is { Count: > 0 } ? line.AllowSplit : info!.AllowSplit),
                    BundleUnits: line.Quantity)));
            }
            else
            {
                demand.Add(new DemandLine(line.Sku, line.Quantity, IsPhysical(info)));
            }
        }

        return demand;
    }

    /// <summary>The components a line asks for: those it names (a bundle as an order took it; none named: the article as
    /// such, as an order took it), else the article's; null for a line of a single article.</summary>
    private static IReadOnlyList<BundleComponent>? ComponentsOf(LineRequest line, Dictionary<string, ArticlePlanningView> articles) =>
        line.Components is { } named ? (named.Count > 0 ? named : null)
        : articles.GetValueOrDefault(line.Sku)?.Info?.Components is { Count: > 0 } listed ? listed
        : null;

    private static bool IsPhysical(ArticleInfo? info) => info is null || info.Kind == ArticleKind.Physical;

    /// <summary>Reads the capacity of every day a site could dispatch on: now, and after each in-transit arrival.</summary>
    private async Task ReadCapacityAsync(Context context)
    {
        var days = new HashSet<(string LocationId, DateOnly Date)>(context.Sites.Count);
        foreach (var site in context.Sites.Values)
        {
            if (site.Kind == SiteKind.Virtual)
            {
                continue;
            }

            if (site.NextDispatchDay(context.Now) is { } day)
            {
                days.Add((site.LocationId, day));
            }

            if (context.Request.PromisedBy is not null)
            {
                AddArrivalDays(context, site, days);
            }
        }

        days.ExceptWith(context.Capacity.Keys);
        await locations.ReadCapacityAsync(days, context.Capacity);
    }

    /// <summary>The days <paramref name="site"/> would dispatch on after each of its in-transit arrivals.</summary>
    private static void AddArrivalDays(Context context, Site site, HashSet<(string LocationId, DateOnly Date)> days)
    {
        foreach (var supply in context.Supply.Values.Where(s => s.LocationId == site.LocationId && s.InTransit is not null))
        {
            foreach (var point in supply.InTransit!)
            {
                if (site.NextDispatchDay(point.Eta > context.Now ? point.Eta : context.Now) is { } later)
                {
                    days.Add((site.LocationId, later));
                }
            }
        }
    }

    private async Task<SourcingDecision> DecideAsync(Context context, bool explain)
    {
        var decision = SourcingOptimiser.Decide(context.Problem, explain);
        if (!decision.Feasible && !context.Live)
        {
            // The index may be stale (a hold lapsed by the clock alone): ask the slots before saying no.
            context.Live = true;
            await ReadLiveSupplyAsync(context, context.Supply.Keys.Where(slot => !context.Unlimited.Contains(slot)));
            await ReadCapacityAsync(context);
            decision = SourcingOptimiser.Decide(context.Problem, explain);
        }

        return decision;
    }

    private async Task<Dictionary<StockSlotKey, IndexedAvailability?>> ReadSlotsAsync(IEnumerable<StockSlotKey> slots)
    {
        var keys = slots.ToList();
        var supplies = await Task.WhenAll(keys.Select(ReadSlotAsync));
        return keys.Zip(supplies).ToDictionary(pair => pair.First, pair => pair.Second);
    }

    /// <summary>A slot's live number; none for a slot whose history is damaged (it logged that itself): nothing is
    /// planned or shown on a state that never existed.</summary>
    private async Task<IndexedAvailability?> ReadSlotAsync(StockSlotKey slot)
    {
        try
        {
            return await grains.Get<IStockSlotGrain>(slot.ToString()).GetSupplyAsync();
        }
        catch (JournalDamagedException)
        {
            MarkDamaged(ref _damagedSlots, slot);
            return null;
        }
    }

    private static bool IsDamaged(Task call) => call.IsFaulted && call.Exception!.InnerExceptions.All(e => e is JournalDamagedException);

    private sealed record Failure(List<StockSlotKey> RefusedSlots, List<(string LocationId, DateOnly Date, CapacitySnapshot? Capacity)> FullDays);

    /// <summary>Holds and books everything in the winning plan at once. Returns no failure when all of it succeeded;
    /// otherwise releases what was taken and returns what was refused. With <paramref name="answerEarly"/>, grains on
    /// this silo answer before their writes are durable, and the writes of a success are returned unfinished.</summary>
    private async Task<(Failure? Failure, List<Task> Writes)> ExecuteAsync(SourcingRequest request, Context context, SourcingDecision decision, bool answerEarly)
    {
        var winner = decision.Winner!;
        var stockReserve = decision.Prioritised ? 0 : context.Policy.StockReserve;
        var capacityReserve = decision.Prioritised ? 0 : context.Policy.CapacityReserve;
        var early = answerEarly ? pendingWrites.Silo : null;
        var bookings = winner.Shipments
            .Select(s => (s.LocationId, s.DispatchDay, Call: grains.Get<ILocationGrain>(s.LocationId).BookAsync(new BookingRequest(request.HoldId, s.DispatchDay, request.ExpiresAt, capacityReserve, early))))
            .ToList();

        // One hold per slot: a bundle's component may share its SKU with another line.
        var positions = new Dictionary<StockSlotKey, int>();
        var perSlot = new List<(StockSlotKey Slot, int Quantity, DateTimeOffset? NeedBy)>();
        foreach (var line in winner.Lines)
        {
            foreach (var allocation in line.Allocations)
            {
                var slot = new StockSlotKey(line.Sku, allocation.LocationId);
                if (context.Unlimited.Contains(slot))
                {
                    continue;
                }

                if (positions.TryGetValue(slot, out var at))
                {
                    perSlot[at] = (slot, perSlot[at].Quantity + allocation.Quantity, Later(perSlot[at].NeedBy, allocation.NeedBy));
                }
                else
                {
                    positions[slot] = perSlot.Count;
                    perSlot.Add((slot, allocation.Quantity, allocation.NeedBy));
                }
            }
        }

        var holds = perSlot
            .Select(sum => (sum.Slot, Call: grains.Get<IStockSlotGrain>(sum.Slot.ToString()).HoldAsync(new HoldRequest(
                request.HoldId,
                sum.Quantity,
                request.Channel,
                request.ExpiresAt,
                sum.NeedBy,
                stockReserve,
                early))))
            .ToList();

        try
        {
            await Task.WhenAll(bookings.Select(b => (Task)b.Call).Concat(holds.Select(h => h.Call)));
        }
        catch (Exception exception)
        {
            // Something could not be stored: undo whatever did succeed and acknowledge nothing.
            logger.LogWarning(exception, "{HoldId} failed while holding; compensating", request.HoldId);
            Redeem(holds.Where(h => h.Call.IsCompletedSuccessfully).Select(h => h.Call.Result.Ticket), bookings.Where(b => b.Call.IsCompletedSuccessfully).Select(b => b.Call.Result.Ticket));
            var compensated = true;
            try
            {
                await ReleaseAsync(
                    request.HoldId,
                    holds.Where(h => h.Call.IsCompletedSuccessfully && h.Call.Result.Status == HoldStatus.Held).Select(h => h.Slot),
                    bookings.Where(b => b.Call.IsCompletedSuccessfully && b.Call.Result.Status == BookingStatus.Booked).Select(b => b.LocationId));
            }
            catch (Exception releaseFailure)
            {
                compensated = false;
                logger.LogWarning(releaseFailure, "{HoldId} could not be compensated now; its holds lapse at {ExpiresAt}", request.HoldId, request.ExpiresAt);
            }

            var calls = holds.Select(h => (Task)h.Call).Concat(bookings.Select(b => b.Call)).Where(call => !call.IsCompletedSuccessfully).ToList();
            // Planning again under the same hold id is safe only once this attempt's holds are given back: one left
            // behind would be held beyond the plan, or conflict with the next plan's quantity at that slot.
            if (compensated && calls.TrueForAll(IsDamaged))
            {
                // Only damaged history (each grain logged its own): no retry heals that, and the rest of the network can
                // still serve the request, so the plan goes on without those slots and locations, as if they did not exist.
                foreach (var hold in holds.Where(h => IsDamaged(h.Call)))
                {
                    MarkDamaged(ref _damagedSlots, hold.Slot);
                }

                foreach (var booking in bookings.Where(b => IsDamaged(b.Call)))
                {
                    MarkDamaged(ref _damagedLocations, booking.LocationId);
                }

                LeaveOutDamaged(context.Supply, context.Unlimited, context.Sites);
                return (new Failure([], []), []);
            }

            throw new StorageUnavailableException();
        }

        var writes = Redeem(holds.Select(h => h.Call.Result.Ticket), bookings.Select(b => b.Call.Result.Ticket));
        foreach (var booking in bookings.Where(b => b.Call.Result.Capacity is not null))
        {
            locations.Remember(booking.LocationId, booking.Call.Result.Capacity!);
        }

        var refused = holds.Where(h => !h.Call.Result.Succeeded).Select(h => h.Slot).ToList();
        var full = bookings.Where(b => !b.Call.Result.Succeeded).Select(b => (b.LocationId, b.DispatchDay, b.Call.Result.Capacity)).ToList();
        if (refused.Count == 0 && full.Count == 0)
        {
            return (null, writes);
        }

        // Give back only what this attempt took. A hold or booking that already existed under the same id belongs to an
        // earlier attempt of the same reservation, which may have been recorded: it stays, and lapses at its expiry if not.
        // The releases follow the holds in each grain's stream, so they are stored after them or not at all.
        await ReleaseAsync(
            request.HoldId,
            holds.Where(h => h.Call.Result.Status == HoldStatus.Held).Select(h => h.Slot),
            bookings.Where(b => b.Call.Result.Status == BookingStatus.Booked).Select(b => b.LocationId));
        return (new Failure(refused, full), []);
    }

    /// <summary>The later need-by of two (as <c>Max</c> over nullable dates: null only when both are).</summary>
    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : b > a ? b : a;

    /// <summary>The writes behind the tickets of grains that answered early. A ticket this silo does not know (which a
    /// grain on it cannot have handed out) stands for a write nobody can vouch for: it counts as failed.</summary>
    private List<Task> Redeem(IEnumerable<long?> holdTickets, IEnumerable<long?> bookingTickets)
    {
        var writes = new List<Task>();
        foreach (var ticket in holdTickets.Concat(bookingTickets))
        {
            if (ticket is { } t)
            {
                writes.Add(pendingWrites.Redeem(t) ?? Task.FromException(new StorageUnavailableException("A write answered early is not known on this silo.")));
            }
        }

        return writes;
    }

    /// <summary>The refused articles' slots are read live; a full day's capacity is what the location just said; an
    /// unknown location is dropped.</summary>
    private async Task LearnAsync(Context context, Failure failure)
    {
        foreach (var (locationId, date, capacity) in failure.FullDays)
        {
            if (capacity is null)
            {
                context.Sites.Remove(locationId);
            }
            else
            {
                context.Capacity[(locationId, date)] = new SiteDay(locationId, date, capacity.Limit, capacity.Booked);
            }
        }

        // The index was wrong about these articles somewhere: learn every location's number for them, not just the
        // refused one, so a storm on one article converges in one more attempt instead of one location per attempt.
        var skus = failure.RefusedSlots.Select(slot => slot.Sku).ToHashSet(StringComparer.Ordinal);
        var slots = context.Supply.Keys.Where(slot => skus.Contains(slot.Sku) && !context.Unlimited.Contains(slot)).Union(failure.RefusedSlots);
        await ReadLiveSupplyAsync(context, slots);
    }

    /// <summary>Replaces the index's numbers for <paramref name="slots"/> with what the slots say now; a slot that no
    /// longer exists leaves the plan.</summary>
    private async Task ReadLiveSupplyAsync(Context context, IEnumerable<StockSlotKey> slots)
    {
        foreach (var (slot, supply) in await ReadSlotsAsync(slots))
        {
            if (supply is null)
            {
                context.Supply.Remove(slot);
            }
            else
            {
                context.Supply[slot] = Planned(slot, supply, context.Kept);
            }
        }
    }

    /// <summary>What a request plans with of <paramref name="slot"/>'s <paramref name="availability"/>: less the units kept
    /// for backorders there, unless the request may take them (<paramref name="kept"/> null or without the slot).</summary>
    private static Supply Planned(StockSlotKey slot, IndexedAvailability availability, Dictionary<StockSlotKey, int>? kept)
    {
        var supply = ToSupply(slot.Sku, availability);
        return kept is not null && kept.TryGetValue(slot, out var units) ? WithoutKept(supply, units) : supply;
    }

    /// <summary><paramref name="supply"/> less <paramref name="kept"/> units kept for backorders (of the units every
    /// channel may take: the rise that kept them was of those), on hand and at every arrival of supply on its way: those
    /// numbers are cumulative (the units on hand and what arrives by then), so a request promised late enough would
    /// otherwise take the units kept through them.</summary>
    private static Supply WithoutKept(Supply supply, int kept) => supply with
    {
        Shared = Math.Max(0, supply.Shared - kept),
        InTransit = supply.InTransit?.Select(point => point with { SharedAvailable = Math.Max(0, point.SharedAvailable - kept) }).ToList(),
    };

    private async Task ReleaseAsync(string holdId, IEnumerable<StockSlotKey> slots, IEnumerable<string> locationIds)
    {
        var release = new ReleaseRequest(holdId);
        await Task.WhenAll(
            slots.Distinct().Select(slot => (Task)grains.Get<IStockSlotGrain>(slot.ToString()).ReleaseAsync(release))
                .Concat(locationIds.Distinct(StringComparer.Ordinal).Select(id => grains.Get<ILocationGrain>(id).ReleaseBookingAsync(holdId))));
    }

    private static SourcingResult Refused(Context context, IReadOnlyList<PlanShortage> shortages) =>
        new([], Shortages(context, shortages), context.Profile.Version);

    /// <summary>Shortages per requested line: a bundle is short by as many bundles as its scarcest component allows.</summary>
    private static List<Shortage> Shortages(Context context, IReadOnlyList<PlanShortage> shortages)
    {
        var result = new List<Shortage>();
        foreach (var line in context.Request.Lines)
        {
            var parts = context.Demand.Where(d => d.Bundle == line.Sku).ToList();
            if (parts.Count == 0)
            {
                if (shortages.FirstOrDefault(s => s.Sku == line.Sku) is { } shortage)
                {
                    result.Add(new Shortage(line.Sku, line.Quantity, shortage.Available));
                }

                continue;
            }

            var scarce = parts.Where(p => shortages.Any(s => s.Sku == p.Sku)).ToList();
            if (scarce.Count > 0)
            {
                var bundles = scarce.Min(p => shortages.First(s => s.Sku == p.Sku).Available / Math.Max(1, p.Quantity / line.Quantity));
                result.Add(new Shortage(line.Sku, line.Quantity, bundles));
            }
        }

        return result.Count > 0 ? result : context.Request.Lines.Select(l => new Shortage(l.Sku, l.Quantity, 0)).ToList();
    }
}
