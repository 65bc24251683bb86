namespace Dom.Benchmarks.Workload;

/// <summary>The master data every system gets before timing: the same articles, locations and stock numbers.</summary>
internal sealed class Catalog(BenchmarkOptions options, Geography geography)
{
    public const string Channel = "bench";

    /// <summary>Long enough that no hold lapses during a run: the checks compare holds with what was acknowledged.</summary>
    public const int TtlSeconds = 86_400;

    public const int UniformOnHand = 100_000;

    /// <summary>The most the API accepts for one slot; no run takes that much of the hot article at one location.</summary>
    public const int HotOnHand = 10_000_000;

    /// <summary>Orders per day a location can pick: more than any run books (a day's limit through the API is at most
    /// 100,000, so the engine's locations are loaded through the grains).</summary>
    public const int CapacityPerDay = 10_000_000;

    public const string HotSku = "hot-0001";

    public Geography Geography { get; } = geography;

    public IReadOnlyList<Site> Locations => Geography.Locations;

    public string[] UniformSkus { get; } = Enumerable.Range(0, options.Articles).Select(i => $"u-{i:D5}").ToArray();

    public int SellOutUnitsPerSlot { get; } = options.SellOutUnitsPerSlot;

    private readonly int _sellOutArticles = options.SellOutArticles;

    /// <summary>Each sell-out row gets its own articles, so every row starts from the same stock.</summary>
    public string[] SellOutSkus(string tag) => Enumerable.Range(0, _sellOutArticles).Select(i => $"so-{tag}-{i:D4}").ToArray();

    /// <summary>Every article with the on-hand of each of its slots (every article is stocked at every location).</summary>
    public IEnumerable<(string Sku, int OnHand)> Articles(IEnumerable<string> sellOutTags) =>
        UniformSkus.Select(sku => (sku, UniformOnHand))
            .Append((HotSku, HotOnHand))
            .Concat(sellOutTags.SelectMany(tag => SellOutSkus(tag).Select(sku => (sku, SellOutUnitsPerSlot))));

    public int SellOutUnits => _sellOutArticles * Locations.Count * SellOutUnitsPerSlot;
}

/// <summary>The on-hand of the uniform articles' slots as the mixed load raises it (goods received at the stores).
/// A caller only updates articles it owns (index modulo callers), so each slot has one writer and only goes up.</summary>
internal sealed class StockLedger(int articles, int locations)
{
    private readonly int[] _onHand = Enumerable.Repeat(Catalog.UniformOnHand, articles * locations).ToArray();

    public int Add(int article, int location, int delta) => _onHand[(article * locations) + location] += delta;
}

/// <summary>An acknowledged reservation: the loss check must find it afterwards.</summary>
internal readonly record struct Ack(string ReservationId, string Sku, int Quantity);
