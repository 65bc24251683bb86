namespace Dom.Articles;

/// <summary>An article, keyed by its SKU: master data and the availability index, which lists the locations that
/// stock the article with their last published available quantity. The index only chooses candidates; the slot
/// grains are the authority.</summary>
[Alias("dom.articles.article")]
public interface IArticleGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the master data as <see cref="SaveAsync"/> does, throwing when it is refused; tells
    /// no component (seeding and tests: the API saves through <c>ArticleCatalog</c>, which does).</summary>
    [Alias("put")]
    Task<ArticleInfo> PutAsync(ArticleInfo info);

    /// <summary>Starts a change under <paramref name="token"/> that will join <paramref name="joining"/>: false when
    /// another change holds this article (for a few seconds at most; one that never finished is taken over, and the
    /// components it was joining and the article does not list are told to leave at the next save).</summary>
    [Alias("begin-change")]
    Task<bool> BeginChangeAsync(string token, IReadOnlyList<string> joining);

    /// <summary>Ends the change <paramref name="token"/> without saving (it was refused).</summary>
    [Alias("end-change")]
    Task EndChangeAsync(string token);

    /// <summary>Creates or replaces the master data within the change <paramref name="token"/> (else
    /// <see cref="ArticleSaveAnswer.Busy"/>), unless it makes this article a bundle while a bundle lists it (sourcing
    /// expands a bundle one level). Checked and stored in one turn of this article. The components a bundle stops
    /// listing come back in <see cref="ArticleSaveAnswer.Leaving"/> (kept until <see cref="ForgetLeavingAsync"/>), for
    /// the caller to tell them; no call to another grain is made from here.</summary>
    [Alias("save")]
    Task<ArticleSaveAnswer> SaveAsync(ArticleInfo info, string token);

    /// <summary>Records that <paramref name="bundleSku"/> lists this article as a component; false, recording nothing,
    /// when this article is a bundle itself. Checked and recorded in one turn of this article, so it and this article
    /// becoming a bundle (<see cref="SaveAsync"/>) exclude each other, whichever comes first.</summary>
    [Alias("join-bundle")]
    Task<bool> JoinBundleAsync(string bundleSku);

    /// <summary>Records that <paramref name="bundleSku"/> no longer lists this article.</summary>
    [Alias("leave-bundle")]
    Task LeaveBundleAsync(string bundleSku);

    /// <summary>The components in <paramref name="told"/> know this bundle no longer lists them.</summary>
    [Alias("forget-leaving")]
    Task ForgetLeavingAsync(IReadOnlyList<string> told);

    /// <summary>The master data, or null when the article does not exist.</summary>
    [Alias("get"), ReadOnly]
    Task<ArticleInfo?> GetAsync();

    /// <summary>Adds a location to the index (durably) and records its quantity. Called when a slot is stocked.</summary>
    [Alias("index-location")]
    Task IndexLocationAsync(AvailabilityUpdate update);

    /// <summary>Records a slot's new available quantity. Fire and forget: the index is eventually consistent.</summary>
    [Alias("publish"), OneWay]
    Task PublishAsync(AvailabilityUpdate update);

    /// <summary>Whether orders wait in the article's backorder queue: while they do, a slot's number that rises wakes the
    /// queue, and the units that rose on hand are kept for its next pass (see <see cref="GetPlanningAsync"/>); none wait:
    /// every unit kept is free again. Not stored: the queue says so again on every pass (with
    /// <see cref="BackorderPassBeganAsync"/>), and serves once a minute whatever the article knows.</summary>
    [Alias("backorders-waiting"), AlwaysInterleave]
    Task BackordersWaitingAsync(bool waiting);

    /// <summary>The backorder queue's pass begins (orders wait): the units kept for the queue until now are the pass's to
    /// take, and those kept after this are for the pass that follows it. Apart from <see cref="BackordersWaitingAsync"/>,
    /// which an order joining the queue also sends, in the middle of a pass.</summary>
    [Alias("backorder-pass-began"), AlwaysInterleave]
    Task BackorderPassBeganAsync();

    /// <summary>The backorder queue's pass that began with the last <see cref="BackorderPassBeganAsync"/> is over: the
    /// units that became available before it began are no longer kept for the orders waiting (the pass had them first);
    /// those kept since stay kept when another pass <paramref name="follows"/>, else they are free as well. Also said
    /// (without a pass) when the queue is woken by units that bring no more than a pass that supplied nobody began
    /// with: no pass runs for them.</summary>
    [Alias("backorder-pass-ended"), AlwaysInterleave]
    Task BackorderPassEndedAsync(bool follows);

    /// <summary>The index: every location that stocks the article, with its last published quantity, by location id.
    /// Immutable: passed by reference within a silo, never copied. Reservations read it with
    /// <see cref="GetPlanningAsync"/>.</summary>
    [Alias("get-index"), ReadOnly]
    Task<Immutable<IReadOnlyList<IndexedAvailability>>> GetIndexAsync();

    /// <summary>The master data and the index together: what a reservation plans with, in one call per article, read
    /// fresh from the article (no silo-local copy of master data that could lag behind a change on another silo); with
    /// the units kept for the backorder queue's next pass, which only a routing of waiting orders may take (kept for 30
    /// seconds at most).</summary>
    [Alias("get-planning"), ReadOnly]
    Task<ArticlePlanningView> GetPlanningAsync();
}
