using BenchmarkDotNet.Attributes;
using Dom.Domain.Geo;
using Dom.Domain.Sourcing;

namespace Dom.Sourcing.Benchmarks;

/// <summary>
/// The optimiser on one order over 200 candidate locations spread over Germany, as a checkout sees it.
/// <c>Typical</c>: each article is stocked at 40 % of the locations (one shipment usually covers the order).
/// <c>Scarce</c>: each article at 8 % of them with few units (the plan has to split, which is the search's hard case).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class OptimiserBenchmarks
{
    private SourcingProblem _problem = null!;

    [Params(1, 5, 10)]
    public int Lines { get; set; }

    [Params(200)]
    public int Locations { get; set; }

    [Params("typical", "scarce")]
    public string Stock { get; set; } = "typical";

    [GlobalSetup]
    public void Setup() => _problem = Instance(Lines, Locations, Stock == "scarce");

    [Benchmark(Description = "plan (optimiser)")]
    public SourcingDecision Plan() => SourcingOptimiser.Decide(_problem);

    [Benchmark(Description = "plan + explanation")]
    public SourcingDecision Explain() => SourcingOptimiser.Decide(_problem, explain: true);

    [Benchmark(Description = "nearest with stock (baseline)")]
    public PlanOption? Nearest() => SourcingOptimiser.NearestWithStock(_problem);

    /// <summary>A deterministic instance: the same numbers on every run.</summary>
    public static SourcingProblem Instance(int lines, int locations, bool scarce)
    {
        var random = new Random(20261126);
        var kinds = new[] { SiteKind.Warehouse, SiteKind.Store, SiteKind.Store, SiteKind.Store, SiteKind.DropShipper, SiteKind.Partner };
        var now = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        var sites = Enumerable.Range(0, locations)
            .Select(i => new Site(
                $"loc-{i:D3}",
                kinds[random.Next(kinds.Length)],
                new GeoPoint(47.5 + (random.NextDouble() * 7), 6 + (random.NextDouble() * 9)),
                "DE",
                20 + random.Next(200),
                HandlingPerShipment: random.Next(0, 200) / 100m,
                HandlingPerUnit: random.Next(0, 40) / 100m))
            .ToList();
        var skus = Enumerable.Range(0, lines).Select(i => $"sku-{i}").ToList();
        var supply = new List<Supply>();
        foreach (var site in sites)
        {
            foreach (var sku in skus)
            {
                if (random.NextDouble() < (scarce ? 0.08 : 0.4))
                {
                    supply.Add(new Supply(sku, site.LocationId, scarce ? 1 + random.Next(3) : 1 + random.Next(10)));
                }
            }
        }

        var capacity = sites.Select(s => new SiteDay(s.LocationId, DateOnly.FromDateTime(now.UtcDateTime), s.CapacityPerDay, random.Next(s.CapacityPerDay))).ToList();
        var order = new SourcingOrder("web", new GeoPoint(52.52, 13.405), "DE", skus.Select(sku => new DemandLine(sku, 1 + random.Next(3))).ToList());
        return new SourcingProblem(order, now, sites, supply, capacity, SourcingPolicy.Default with { MaxShipments = 5 });
    }
}
