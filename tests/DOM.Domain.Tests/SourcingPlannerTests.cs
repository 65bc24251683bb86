using CsCheck;
using Dom.Domain.Geo;
using Dom.Domain.Sourcing;

namespace Dom.Domain.Tests;

public class SourcingPlannerTests
{
    private static readonly GeoPoint Berlin = new(52.52, 13.405);
    private static readonly PlanLocation Potsdam = new("potsdam", new GeoPoint(52.39, 13.06));
    private static readonly PlanLocation Hamburg = new("hamburg", new GeoPoint(53.55, 9.99));
    private static readonly PlanLocation Munich = new("munich", new GeoPoint(48.14, 11.58));
    private static readonly PlanLocation[] All = [Potsdam, Hamburg, Munich];

    [Fact]
    public void Haversine_distance_matches_a_known_city_pair()
    {
        Assert.InRange(Berlin.DistanceKmTo(new GeoPoint(48.1351, 11.5820)), 500, 510);
    }

    [Fact]
    public void A_line_comes_from_the_nearest_location_with_enough_stock()
    {
        var plan = SourcingPlanner.Plan(new PlanInput(Berlin, [new PlanLine("a", 2)], All,
            [new PlanStock("a", "potsdam", 1), new PlanStock("a", "hamburg", 5), new PlanStock("a", "munich", 9)]));

        Assert.True(plan.IsComplete);
        Assert.Equal([new PlannedAllocation("hamburg", 2)], plan.Lines.Single().Allocations);
    }

    [Fact]
    public void One_location_with_every_line_wins_over_nearer_single_lines()
    {
        var plan = SourcingPlanner.Plan(new PlanInput(Berlin, [new PlanLine("a", 1), new PlanLine("b", 1)], All,
            [new PlanStock("a", "potsdam", 1), new PlanStock("a", "munich", 1), new PlanStock("b", "hamburg", 1), new PlanStock("b", "munich", 1)]));

        Assert.Equal(["munich"], plan.Locations);
    }

    [Fact]
    public void A_line_is_split_nearest_first_when_no_single_location_has_enough()
    {
        var plan = SourcingPlanner.Plan(new PlanInput(Berlin, [new PlanLine("a", 6)], All,
            [new PlanStock("a", "potsdam", 2), new PlanStock("a", "hamburg", 3), new PlanStock("a", "munich", 4)]));

        Assert.Equal([new PlannedAllocation("potsdam", 2), new PlannedAllocation("hamburg", 3), new PlannedAllocation("munich", 1)], plan.Lines.Single().Allocations);
    }

    [Fact]
    public void Shortages_report_what_is_available_and_plan_nothing()
    {
        var plan = SourcingPlanner.Plan(new PlanInput(Berlin, [new PlanLine("a", 1), new PlanLine("b", 10)], All,
            [new PlanStock("a", "potsdam", 5), new PlanStock("b", "hamburg", 3), new PlanStock("b", "munich", 4)]));

        Assert.False(plan.IsComplete);
        Assert.Empty(plan.Lines);
        Assert.Equal([new PlanShortage("b", 10, 7)], plan.Shortages);
    }

    [Fact]
    public void Stock_at_a_location_the_planner_may_not_use_does_not_count()
    {
        var plan = SourcingPlanner.Plan(new PlanInput(Berlin, [new PlanLine("a", 3)], [Potsdam],
            [new PlanStock("a", "potsdam", 1), new PlanStock("a", "hamburg", 10)]));

        Assert.Equal([new PlanShortage("a", 3, 1)], plan.Shortages);
    }

    [Fact]
    public void Any_plan_covers_every_line_exactly_and_never_exceeds_stock()
    {
        var input =
            from locations in Gen.Int[1, 8].Select(n => Enumerable.Range(0, n).Select(i => new PlanLocation($"l{i}", new GeoPoint(45 + i, 5 + (i * 1.5)))).ToList())
            from skuCount in Gen.Int[1, 4]
            from quantities in Gen.Int[1, 12].Array[skuCount]
            from stock in Gen.Int[0, 8].Array[locations.Count * skuCount]
            from shipTo in Gen.Double[44, 54].Select(Gen.Double[4, 16])
            select new PlanInput(
                new GeoPoint(shipTo.Item1, shipTo.Item2),
                quantities.Select((q, s) => new PlanLine($"s{s}", q)).ToList(),
                locations,
                stock.Select((units, i) => new PlanStock($"s{i % skuCount}", $"l{i / skuCount}", units)).ToList());

        input.Sample(plan => Check(plan, SourcingPlanner.Plan(plan)), iter: 2_000);
    }

    private static void Check(PlanInput input, Plan plan)
    {
        var totals = input.Lines.ToDictionary(l => l.Sku, l => input.Stock.Where(s => s.Sku == l.Sku).Sum(s => s.Available));
        Assert.Equal(input.Lines.All(l => totals[l.Sku] >= l.Quantity), plan.IsComplete);
        if (!plan.IsComplete)
        {
            Assert.Empty(plan.Lines);
            return;
        }

        foreach (var line in plan.Lines)
        {
            Assert.Equal(line.Quantity, line.Allocations.Sum(a => a.Quantity));
            Assert.All(line.Allocations, a =>
            {
                Assert.True(a.Quantity > 0);
                Assert.True(a.Quantity <= input.Stock.Single(s => s.Sku == line.Sku && s.LocationId == a.LocationId).Available);
            });
        }
    }
}
