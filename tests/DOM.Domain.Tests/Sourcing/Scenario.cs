using Dom.Domain.Geo;
using Dom.Domain.Sourcing;

namespace Dom.Domain.Tests.Sourcing;

/// <summary>Small sourcing problems around Berlin, built fluently for one test.</summary>
internal sealed record Scenario
{
    /// <summary>A Thursday morning.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

    public static readonly DateOnly Today = DateOnly.FromDateTime(Now.UtcDateTime);

    public static readonly GeoPoint Berlin = new(52.52, 13.405);

    public static readonly GeoPoint Potsdam = new(52.39, 13.06);

    public static readonly GeoPoint Leipzig = new(51.34, 12.37);

    public static readonly GeoPoint Hamburg = new(53.55, 9.99);

    public static readonly GeoPoint Munich = new(48.14, 11.58);

    public static readonly GeoPoint Warsaw = new(52.23, 21.01);

    public List<Site> Sites { get; init; } = [];

    public List<Supply> Supply { get; init; } = [];

    public List<SiteDay> Capacity { get; init; } = [];

    public SourcingPolicy Policy { get; init; } = SourcingPolicy.Default;

    public SourcingOrder Order { get; init; } = new("web", Berlin, "DE", []);

    public DateTimeOffset At { get; init; } = Now;

    public static Site Site(string id, GeoPoint at, SiteKind kind = SiteKind.Warehouse, int capacity = 100, string country = "DE") =>
        new(id, kind, at, country, capacity);

    public Scenario With(Site site, params (string Sku, int Units)[] stock) => this with
    {
        Sites = [.. Sites, site],
        Supply = [.. Supply, .. stock.Select(s => new Supply(s.Sku, site.LocationId, s.Units))],
    };

    public Scenario With(Supply supply) => this with { Supply = [.. Supply, supply] };

    public Scenario Booked(string locationId, DateOnly date, int limit, int booked) => this with { Capacity = [.. Capacity, new SiteDay(locationId, date, limit, booked)] };

    public Scenario Ordering(params (string Sku, int Quantity)[] lines) =>
        this with { Order = Order with { Lines = lines.Select(l => new DemandLine(l.Sku, l.Quantity)).ToList() } };

    public Scenario Ordering(params DemandLine[] lines) => this with { Order = Order with { Lines = lines } };

    public Scenario Profile(Func<SourcingPolicy, SourcingPolicy> change) => this with { Policy = change(Policy) };

    public Scenario For(Func<SourcingOrder, SourcingOrder> change) => this with { Order = change(Order) };

    public SourcingProblem Problem => new(Order, At, Sites, Supply, Capacity, Policy);

    public SourcingDecision Decide(bool explain = true) => SourcingOptimiser.Decide(Problem, explain);

    /// <summary>The winner's shipping locations, in the order the plan lists them.</summary>
    public string[] Winner()
    {
        var decision = Decide();
        Assert.True(decision.Feasible, decision.Reason);
        return decision.Winner!.Shipments.Select(s => s.LocationId).Order(StringComparer.Ordinal).ToArray();
    }
}
