using CsCheck;
using Dom.Domain.Geo;
using Dom.Domain.Sourcing;

namespace Dom.Domain.Tests.Sourcing;

/// <summary>Properties of the optimiser on random instances: it never breaks a constraint, it finds the same cost as an
/// exhaustive search over every way of allocating every unit, and priority, pools and in-transit supply behave.</summary>
public class SourcingPropertyTests
{
    private static readonly SiteKind[] Physical = [SiteKind.Warehouse, SiteKind.Store, SiteKind.DropShipper, SiteKind.Partner, SiteKind.LogisticsProvider];
    private static readonly string[] Channels = ["web", "marketplace"];

    /// <summary>Small enough for the exhaustive oracle: up to 4 sites, 3 lines of up to 3 units.</summary>
    private static readonly Gen<SourcingProblem> Small = Instances(maxSites: 4, maxLines: 3, maxQuantity: 3, maxStock: 4);

    /// <summary>Larger: up to 30 sites and 6 lines.</summary>
    private static readonly Gen<SourcingProblem> Larger = Instances(maxSites: 30, maxLines: 6, maxQuantity: 8, maxStock: 10);

    [Fact]
    public void The_winner_costs_exactly_the_exhaustive_optimum_under_the_fewer_shipments_rule()
    {
        Small.Sample(problem =>
        {
            var decision = SourcingOptimiser.Decide(problem, explain: true);
            var best = Exhaustive(problem, decision);

            Assert.Equal(best.Any(b => b is not null), decision.Feasible);
            if (!decision.Feasible)
            {
                return;
            }

            var cheapest = best.Where(b => b is not null).Min()!.Value;
            var fewest = Array.FindIndex(best, b => b <= cheapest + problem.Policy.FewerShipmentsTolerance);
            Assert.True(decision.Exact);
            Assert.Equal(best[fewest], decision.Winner!.Cost.Total);
            Assert.Equal(fewest, decision.Winner.Shipments.Count);
            Assert.Equal(cheapest, decision.LowerBound);
        }, iter: 3_000);
    }

    [Fact]
    public void A_plan_never_exceeds_usable_stock_capacity_or_the_shipment_limit_and_keeps_every_rule()
    {
        Larger.Sample(problem =>
        {
            var decision = SourcingOptimiser.Decide(problem);
            if (decision.Feasible)
            {
                CheckConstraints(problem, decision.Winner!);
            }
        }, iter: 1_000);
    }

    [Fact]
    public void The_decision_is_deterministic_and_explaining_it_changes_nothing()
    {
        Larger.Sample(problem =>
        {
            var first = SourcingOptimiser.Decide(problem);
            var again = SourcingOptimiser.Decide(problem with { Sites = problem.Sites.Reverse().ToList(), Supply = problem.Supply.Reverse().ToList() });
            var explained = SourcingOptimiser.Decide(problem, explain: true);

            Assert.Equal(Allocations(first), Allocations(again));
            Assert.Equal(Allocations(first), Allocations(explained));
            Assert.Equal(first.Winner?.Cost, explained.Winner?.Cost);
        }, iter: 500);
    }

    [Fact]
    public void The_engine_never_costs_more_than_the_nearest_location_with_stock()
    {
        Larger.Sample(problem =>
        {
            var nearest = SourcingOptimiser.NearestWithStock(problem);
            if (nearest is null || nearest.Shipments.Count > problem.Policy.MaxShipments)
            {
                return;
            }

            var decision = SourcingOptimiser.Decide(problem);
            Assert.True(decision.Feasible);
            Assert.True(decision.Winner!.Cost.Total <= nearest.Cost.Total + problem.Policy.FewerShipmentsTolerance);
            Assert.True(decision.LowerBound <= nearest.Cost.Total);
        }, iter: 600);
    }

    [Fact]
    public void Priority_never_hurts_and_a_vip_gets_what_a_regular_order_gets()
    {
        Larger.Sample(problem =>
        {
            var regular = problem with { Order = problem.Order with { Priority = false, CustomerTier = null } };
            var vip = problem with { Order = problem.Order with { Priority = false, CustomerTier = "vip" } };
            var (regularDecision, vipDecision) = (SourcingOptimiser.Decide(regular), SourcingOptimiser.Decide(vip));

            if (regularDecision.Feasible)
            {
                Assert.True(vipDecision.Feasible);
                Assert.True(vipDecision.LowerBound <= regularDecision.LowerBound);
            }
        }, iter: 600);
    }

    [Fact]
    public void VIP_beats_a_regular_order_for_the_last_unit()
    {
        var gen = from units in Gen.Int[1, 5]
                  from reserve in Gen.Int[1, 3]
                  from sites in Gen.Int[1, 4]
                  select (units, reserve, sites);

        gen.Sample(t =>
        {
            var sites = Enumerable.Range(0, t.sites).Select(i => Scenario.Site($"l{i}", new GeoPoint(50 + i, 10 + i))).ToList();
            var supply = sites.Select(s => new Supply("a", s.LocationId, t.units)).ToList();
            var policy = SourcingPolicy.Default with { StockReserve = t.reserve, MaxShipments = 1 };
            var order = new SourcingOrder("web", Scenario.Berlin, "DE", [new DemandLine("a", t.units)]);
            SourcingDecision Decide(SourcingOrder o) => SourcingOptimiser.Decide(new SourcingProblem(o, Scenario.Now, sites, supply, [], policy));

            Assert.False(Decide(order).Feasible);
            Assert.True(Decide(order with { CustomerTier = "vip" }).Feasible);
            Assert.True(Decide(order with { Priority = true }).Feasible);
        });
    }

    [Fact]
    public void In_transit_units_are_planned_only_for_a_promised_date_they_can_meet()
    {
        Larger.Sample(problem =>
        {
            var decision = SourcingOptimiser.Decide(problem);
            if (!decision.Feasible)
            {
                return;
            }

            foreach (var shipment in decision.Winner!.Shipments.Where(s => s.NeedBy is not null))
            {
                Assert.NotNull(problem.Order.PromisedBy);
                Assert.True(shipment.DeliveryDate <= problem.Order.PromisedBy);
                Assert.True(shipment.DispatchDay >= DateOnly.FromDateTime(shipment.NeedBy!.Value.UtcDateTime));
            }

            var unpromised = problem with { Order = problem.Order with { PromisedBy = null } };
            var withoutPromise = SourcingOptimiser.Decide(unpromised);
            Assert.True(withoutPromise.Winner?.Shipments.All(s => s.NeedBy is null) ?? true);
        }, iter: 600);
    }

    [Fact]
    public void A_pool_is_used_only_by_its_own_channel()
    {
        Larger.Sample(problem =>
        {
            var decision = SourcingOptimiser.Decide(problem);
            if (!decision.Feasible)
            {
                return;
            }

            // Without the other channels' pools the plan is still within stock: it never counted on them.
            var ownPoolsOnly = problem with
            {
                Supply = problem.Supply.Select(s => s with { Pools = s.Pools?.Where(p => p.Key == problem.Order.Channel).ToDictionary() }).ToList(),
            };
            CheckConstraints(ownPoolsOnly, decision.Winner!);
        }, iter: 600);
    }

    [Fact]
    public void With_a_tiny_search_budget_the_answer_is_a_valid_plan_with_a_known_bound()
    {
        Larger.Sample(problem =>
        {
            var budgeted = problem with { Policy = problem.Policy with { NodeBudget = 3 } };
            var decision = SourcingOptimiser.Decide(budgeted);
            var exact = SourcingOptimiser.Decide(problem);

            Assert.True(exact.Feasible || !decision.Feasible);
            if (decision.Feasible)
            {
                CheckConstraints(budgeted, decision.Winner!);
                Assert.True(decision.LowerBound <= exact.LowerBound);
                Assert.True(decision.Exact || decision.LowerBound <= decision.Winner!.Cost.Total);
            }
        }, iter: 500);
    }

    private static Gen<SourcingProblem> Instances(int maxSites, int maxLines, int maxQuantity, int maxStock)
    {
        var site = from lat in Gen.Double[47.5, 54.5]
                   from lon in Gen.Double[6, 15]
                   from kind in Gen.OneOfConst(Physical)
                   from limit in Gen.Int[1, 4]
                   from booked in Gen.Int[0, 4]
                   from handling in Gen.Int[0, 300]
                   from perUnit in Gen.Int[0, 100]
                   from closedToday in Gen.Int[0, 5]
                   from cutOff in Gen.Int[0, 5]
                   from clickAndCollect in Gen.Bool
                   select (lat, lon, kind, limit, booked: Math.Min(booked, limit), handling, perUnit, closedToday: closedToday == 0, cutOff: cutOff == 0, clickAndCollect);
        var stock = from shared in Gen.Int[0, maxStock]
                    from pool in Gen.Int[0, 2]
                    from poolChannel in Gen.OneOfConst(Channels)
                    from inTransit in Gen.Int[0, 3]
                    from etaHours in Gen.Int[1, 96]
                    select (shared, pool, poolChannel, inTransit, etaHours);

        return from siteCount in Gen.Int[1, maxSites]
               from sites in site.Array[siteCount]
               from lineCount in Gen.Int[1, maxLines]
               from quantities in Gen.Int[1, maxQuantity].Array[lineCount]
               from stocks in stock.Array[siteCount * lineCount]
               from bundle in Gen.Int[0, 2]
               from channel in Gen.OneOfConst(Channels)
               from priority in Gen.Int[0, 3]
               from promised in Gen.Int[-1, 4]
               from maxShipments in Gen.Int[1, 3]
               from split in Gen.Int[0, 500]
               from tolerance in Gen.Int[0, 300]
               from toleranceOn in Gen.Bool
               from stockReserve in Gen.Int[0, 1]
               from capacityReserve in Gen.Int[0, 1]
               from deliveryDay in Gen.Int[0, 200]
               from pressure in Gen.Int[0, 200]
               from allowed in Gen.Int[1, 31]
               select new SourcingProblem(
                   new SourcingOrder(
                       channel,
                       Scenario.Berlin,
                       "DE",
                       quantities.Select((q, i) => new DemandLine($"s{i}", q, Bundle: i < 2 && bundle > 0 ? "kit" : null, KeepTogether: i < 2 && bundle == 2)).ToList(),
                       Priority: priority == 0,
                       CustomerTier: priority == 1 ? "vip" : "standard",
                       PromisedBy: promised < 0 ? null : Scenario.Today.AddDays(promised)),
                   Scenario.Now,
                   sites.Select((s, i) => new Site(
                       $"l{i}",
                       s.kind,
                       new GeoPoint(s.lat, s.lon),
                       "DE",
                       s.limit,
                       s.closedToday || s.cutOff ? new SiteCalendar([], s.closedToday ? [Scenario.Today] : [], s.cutOff ? new TimeOnly(7, 0) : null) : null,
                       s.handling / 100m,
                       s.perUnit / 100m,
                       ClickAndCollect: s.clickAndCollect)).ToList(),
                   stocks.Select((st, i) => new Supply(
                       $"s{i % lineCount}",
                       $"l{i / lineCount}",
                       st.shared,
                       st.pool > 0 ? new Dictionary<string, int> { [st.poolChannel] = st.pool } : null,
                       st.inTransit > 0 ? [new InTransitPoint(Scenario.Now.AddHours(st.etaHours), st.shared + st.inTransit)] : null)).ToList(),
                   sites.SelectMany((s, i) => new[] { new SiteDay($"l{i}", Scenario.Today, s.limit, s.booked), new SiteDay($"l{i}", Scenario.Today.AddDays(1), s.limit, 0) }).ToList(),
                   SourcingPolicy.Default with
                   {
                       MaxShipments = maxShipments,
                       SplitPenalty = split / 100m,
                       FewerShipmentsTolerance = toleranceOn ? tolerance / 100m : 0,
                       StockReserve = stockReserve,
                       CapacityReserve = capacityReserve,
                       DeliveryDayCost = deliveryDay / 100m,
                       CapacityPressureCost = pressure / 100m,
                       AllowedKinds = Physical.Where((_, bit) => (allowed & (1 << bit)) != 0).ToList(),
                   });
    }

    /// <summary>The cheapest plan per number of shipments, over every way to allocate every unit of every line to the
    /// candidates the optimiser could use: independent of the optimiser's search (it only borrows the candidates'
    /// per-shipment costs and usable stock).</summary>
    private static decimal?[] Exhaustive(SourcingProblem problem, SourcingDecision decision)
    {
        var usable = decision.Candidates.Where(c => c.Excluded is null && c.Kind != SiteKind.Virtual).ToList();
        var lines = problem.Order.Lines;
        var policy = problem.Policy;
        var location = usable.Select(c => usable.FindIndex(o => o.LocationId == c.LocationId)).ToArray();
        var together = lines.Select(l => l.KeepTogether && l.Bundle is not null).ToArray();
        var perLine = lines
            .Select(line => Allocations(usable.Select(c => c.Stock.Single(s => s.Sku == line.Sku).Usable).ToArray(), line.Quantity)
                .Select(a => (
                    Mask: a.Select((units, c) => units > 0 ? 1 << c : 0).Sum(),
                    Cost: a.Select((units, c) => units * usable[c].HandlingPerUnit).Sum()))
                .ToArray())
            .ToArray();
        var best = new decimal?[policy.MaxShipments + 1];

        void Walk(int i, int mask, decimal unitCost, int groupMask)
        {
            if (i == lines.Count)
            {
                var used = Enumerable.Range(0, usable.Count).Where(c => (mask & (1 << c)) != 0).ToList();
                if (used.Count > policy.MaxShipments || used.Select(c => location[c]).Distinct().Count() != used.Count)
                {
                    return;
                }

                var cost = used.Sum(c => usable[c].ShipmentCost.Total) + (policy.SplitPenalty * (used.Count - 1)) + unitCost;
                if (best[used.Count] is not { } known || cost < known)
                {
                    best[used.Count] = cost;
                }

                return;
            }

            foreach (var (lineMask, cost) in perLine[i])
            {
                if (together[i] && (System.Numerics.BitOperations.PopCount((uint)lineMask) != 1 || (groupMask != 0 && groupMask != lineMask)))
                {
                    continue;
                }

                Walk(i + 1, mask | lineMask, unitCost + cost, together[i] ? lineMask : groupMask);
            }
        }

        Walk(0, 0, 0, 0);
        return best;
    }

    /// <summary>Every vector of units per candidate that sums to the quantity within each candidate's stock.</summary>
    private static IEnumerable<int[]> Allocations(int[] stock, int quantity)
    {
        var current = new int[stock.Length];

        IEnumerable<int[]> Fill(int c, int left)
        {
            if (c == stock.Length)
            {
                if (left == 0)
                {
                    yield return (int[])current.Clone();
                }

                yield break;
            }

            for (var take = 0; take <= Math.Min(left, stock[c]); take++)
            {
                current[c] = take;
                foreach (var result in Fill(c + 1, left - take))
                {
                    yield return result;
                }
            }

            current[c] = 0;
        }

        return Fill(0, quantity);
    }

    /// <summary>The constraints, computed from the problem's raw data, not from the optimiser's candidates.</summary>
    private static void CheckConstraints(SourcingProblem problem, PlanOption winner)
    {
        var order = problem.Order;
        var policy = problem.Policy;
        var prioritised = order.Priority || order.CustomerTier == "vip";
        var sites = problem.Sites.ToDictionary(s => s.LocationId);

        Assert.True(winner.Shipments.Count <= policy.MaxShipments);
        Assert.Equal(winner.Shipments.Count, winner.Shipments.Select(s => s.LocationId).Distinct().Count());
        foreach (var (line, planned) in order.Lines.Zip(winner.Lines))
        {
            Assert.Equal(line.Quantity, planned.Allocations.Sum(a => a.Quantity));
            Assert.All(planned.Allocations, a => Assert.True(a.Quantity > 0));
        }

        foreach (var bySlot in winner.Lines.SelectMany(l => l.Allocations.Select(a => (l.Sku, a))).GroupBy(x => (x.Sku, x.a.LocationId)))
        {
            var supply = problem.Supply.Single(s => s.Sku == bySlot.Key.Sku && s.LocationId == bySlot.Key.LocationId);
            var by = bySlot.First().a.NeedBy;
            var shared = supply.Shared;
            foreach (var point in supply.InTransit ?? [])
            {
                if (by is not null && point.Eta <= by)
                {
                    shared = Math.Max(shared, point.SharedAvailable);
                }
            }

            var usable = shared + (supply.Pools?.GetValueOrDefault(order.Channel) ?? 0) - (prioritised ? 0 : policy.StockReserve);
            Assert.True(bySlot.Sum(x => x.a.Quantity) <= usable, $"{bySlot.Key} takes {bySlot.Sum(x => x.a.Quantity)} of {usable}");
        }

        foreach (var shipment in winner.Shipments)
        {
            var site = sites[shipment.LocationId];
            Assert.Contains(site.Kind, policy.AllowedKinds);
            var day = problem.Capacity.SingleOrDefault(d => d.LocationId == site.LocationId && d.Date == shipment.DispatchDay) ?? new SiteDay(site.LocationId, shipment.DispatchDay, site.CapacityPerDay, 0);
            Assert.True(day.Limit - day.Booked >= 1 + (prioritised ? 0 : policy.CapacityReserve), $"{site.LocationId} on {day.Date}: {day.Booked}/{day.Limit}");
            Assert.False(site.Calendar?.ClosedDates.Contains(shipment.DispatchDay) ?? false);
            if (order.PromisedBy is { } promised)
            {
                Assert.True(shipment.DeliveryDate <= promised);
            }
        }

        var kept = order.Lines.Select((l, i) => (l, i)).Where(x => x.l.KeepTogether && x.l.Bundle is not null).ToList();
        if (kept.Count > 0)
        {
            Assert.Single(kept.SelectMany(x => winner.Lines[x.i].Allocations).Select(a => a.LocationId).Distinct());
        }
    }

    private static List<(string, string, int, DateTimeOffset?)> Allocations(SourcingDecision decision) =>
        decision.Winner?.Lines.SelectMany(l => l.Allocations.Select(a => (l.Sku, a.LocationId, a.Quantity, a.NeedBy))).ToList() ?? [];
}
