using Dom.Domain.Geo;
using Dom.Domain.Sourcing;
using static Dom.Domain.Tests.Sourcing.Scenario;

namespace Dom.Domain.Tests.Sourcing;

/// <summary>Every factor of the cost model and every constraint changes a decision here: each test shows the winner
/// with the factor and the other winner without it.</summary>
public class SourcingFactorTests
{
    private static readonly GeoPoint Spandau = new(52.50, 13.30);
    private static readonly GeoPoint Mitte = new(52.52, 13.40);

    private static readonly Scenario Base = new();

    [Fact]
    public void Distance_the_nearer_location_wins()
    {
        var scenario = Base.With(Site("potsdam", Potsdam), ("a", 5)).With(Site("hamburg", Hamburg), ("a", 5)).Ordering(("a", 1));

        Assert.Equal(["potsdam"], scenario.Winner());
        Assert.Equal(["hamburg"], scenario.For(o => o with { ShipTo = new GeoPoint(53.6, 10.0) }).Winner());
    }

    [Fact]
    public void The_shipping_rate_per_location_type_decides_between_a_near_store_and_a_farther_warehouse()
    {
        var scenario = Base.With(Site("store", Potsdam, SiteKind.Store), ("a", 5)).With(Site("warehouse", Leipzig), ("a", 5)).Ordering(("a", 1));

        Assert.Equal(["store"], scenario.Winner());
        Assert.Equal(["warehouse"], scenario.Profile(p => p with { Rates = [.. p.Rates.Where(r => r.Kind != SiteKind.Store), new ShippingRate(SiteKind.Store, 7.00m, 0.012m)] }).Winner());
    }

    [Fact]
    public void A_zone_table_prices_a_cross_border_shipment_and_a_missing_zone_excludes_it()
    {
        var slubice = Site("slubice", new GeoPoint(52.35, 14.56), country: "PL");
        var scenario = Base.With(slubice, ("a", 5)).With(Site("munich", Munich), ("a", 5)).Ordering(("a", 1));
        var zones = scenario.Profile(p => p with { Shipping = ShippingModel.Zones, Zones = [new("DE", "DE", 6.00m), new("PL", "DE", 12.00m)] });

        Assert.Equal(["slubice"], scenario.Winner());
        Assert.Equal(["munich"], zones.Winner());
        var withoutZone = zones.Profile(p => p with { Zones = [new("DE", "DE", 6.00m)] }).Decide();
        Assert.Equal("no zone rate from PL to DE", withoutZone.Candidates.Single(c => c.LocationId == "slubice").Excluded);
        Assert.Equal([("munich", false), ("slubice", true)], withoutZone.Candidates.Select(c => (c.LocationId, c.OutOfReach)).Order());
    }

    [Fact]
    public void Handling_per_shipment_of_a_location_moves_the_order_to_another()
    {
        var scenario = Base.With(Site("potsdam", Potsdam), ("a", 5)).With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1));

        Assert.Equal(["potsdam"], scenario.Winner());
        Assert.Equal(["leipzig"], (scenario with { Sites = [scenario.Sites[0] with { HandlingPerShipment = 3.00m }, scenario.Sites[1]] }).Winner());
    }

    [Fact]
    public void Handling_per_unit_matters_with_the_quantity()
    {
        var scenario = Base.With(Site("potsdam", Potsdam) with { HandlingPerUnit = 0.50m }, ("a", 20)).With(Site("leipzig", Leipzig), ("a", 20));

        Assert.Equal(["potsdam"], scenario.Ordering(("a", 1)).Winner());
        Assert.Equal(["leipzig"], scenario.Ordering(("a", 10)).Winner());
    }

    [Fact]
    public void The_split_penalty_turns_two_near_shipments_into_one_far_one()
    {
        var scenario = Base
            .With(Site("potsdam", Potsdam), ("a", 5))
            .With(Site("spandau", Spandau), ("b", 5))
            .With(Site("munich", Munich), ("a", 5), ("b", 5))
            .Ordering(("a", 1), ("b", 1))
            .Profile(p => p with { FewerShipmentsTolerance = 0 });

        Assert.Equal(["potsdam", "spandau"], scenario.Profile(p => p with { SplitPenalty = 0 }).Winner());
        Assert.Equal(["munich"], scenario.Profile(p => p with { SplitPenalty = 3 }).Winner());
    }

    [Fact]
    public void Fewer_shipments_win_when_they_cost_at_most_the_tolerance_more()
    {
        var scenario = Base
            .With(Site("potsdam", Potsdam), ("a", 5))
            .With(Site("spandau", Spandau), ("b", 5))
            .With(Site("munich", Munich), ("a", 5), ("b", 5))
            .Ordering(("a", 1), ("b", 1))
            .Profile(p => p with { SplitPenalty = 0 });

        var tolerant = scenario.Profile(p => p with { FewerShipmentsTolerance = 1.00m }).Decide();

        Assert.Equal(["potsdam", "spandau"], scenario.Profile(p => p with { FewerShipmentsTolerance = 0 }).Winner());
        Assert.Equal(["munich"], tolerant.Winner!.Locations);
        Assert.Contains("tolerance", tolerant.Reason, StringComparison.Ordinal);
        Assert.Contains(tolerant.Considered, o => o.Verdict.StartsWith("cheaper by", StringComparison.Ordinal));
    }

    [Fact]
    public void Days_until_delivery_cost_and_move_the_order_to_the_faster_location()
    {
        var scenario = Base
            .With(Site("hamburg", Hamburg) with { HandlingPerShipment = 3.00m }, ("a", 5))
            .With(Site("munich", Munich), ("a", 5))
            .Ordering(("a", 1));

        Assert.Equal(["hamburg"], scenario.Winner());
        Assert.Equal(["munich"], scenario.Profile(p => p with { DeliveryDayCost = 0 }).Winner());
        var munich = scenario.Decide().Candidates.Single(c => c.LocationId == "munich");
        Assert.Equal(Today.AddDays(2), munich.DeliveryDate);
    }

    [Fact]
    public void Capacity_pressure_prefers_the_less_loaded_of_two_equal_locations()
    {
        var scenario = Base
            .With(Site("a-busy", Potsdam, capacity: 10), ("a", 5))
            .With(Site("b-quiet", Potsdam, capacity: 10), ("a", 5))
            .Booked("a-busy", Today, 10, 8)
            .Ordering(("a", 1));

        Assert.Equal(["b-quiet"], scenario.Winner());
        Assert.Equal(["a-busy"], scenario.Profile(p => p with { CapacityPressureCost = 0 }).Winner());
    }

    [Fact]
    public void A_location_whose_day_is_fully_booked_is_excluded()
    {
        var scenario = Base
            .With(Site("potsdam", Potsdam, capacity: 10), ("a", 5))
            .With(Site("munich", Munich), ("a", 5))
            .Ordering(("a", 1));

        Assert.Equal(["potsdam"], scenario.Booked("potsdam", Today, 10, 9).Winner());
        var full = scenario.Booked("potsdam", Today, 10, 10);
        Assert.Equal(["munich"], full.Winner());
        Assert.StartsWith("capacity full", full.Decide().Candidates.Single(c => c.LocationId == "potsdam").Excluded, StringComparison.Ordinal);
    }

    [Fact]
    public void Priority_orders_may_book_the_last_capacity_others_leave_the_reserve()
    {
        var scenario = Base
            .With(Site("potsdam", Potsdam, capacity: 10), ("a", 5))
            .With(Site("munich", Munich), ("a", 5))
            .Booked("potsdam", Today, 10, 9)
            .Ordering(("a", 1))
            .Profile(p => p with { CapacityReserve = 1 });

        Assert.Equal(["munich"], scenario.Winner());
        Assert.Equal(["potsdam"], scenario.For(o => o with { CustomerTier = "VIP" }).Winner());
        Assert.Equal(["potsdam"], scenario.For(o => o with { Priority = true }).Winner());
        Assert.Equal(["potsdam"], scenario.Profile(p => p with { CapacityReserve = 0 }).Winner());
    }

    [Fact]
    public void A_vip_may_take_the_last_unit_and_a_regular_customer_may_not()
    {
        var scenario = Base.With(Site("potsdam", Potsdam), ("a", 1)).Ordering(("a", 1)).Profile(p => p with { StockReserve = 1 });

        var regular = scenario.Decide();
        var vip = scenario.For(o => o with { CustomerTier = "vip" }).Decide();
        var gold = scenario.For(o => o with { CustomerTier = "gold" }).Profile(p => p with { PriorityTiers = ["vip", "gold"] }).Decide();

        Assert.False(regular.Feasible);
        Assert.Equal([new PlanShortage("a", 1, 0)], regular.Shortages);
        Assert.True(vip.Feasible);
        Assert.True(vip.Prioritised);
        Assert.True(gold.Feasible);
    }

    [Fact]
    public void A_closed_day_in_the_calendar_delays_dispatch_and_moves_the_order()
    {
        var potsdam = Site("potsdam", Potsdam);
        var scenario = Base.With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1)).Profile(p => p with { DeliveryDayCost = 2 });
        var closedToday = potsdam with { Calendar = new SiteCalendar([], [Today], null) };

        Assert.Equal(["potsdam"], scenario.With(potsdam, ("a", 5)).Winner());
        var decision = scenario.With(closedToday, ("a", 5)).Decide();
        Assert.Equal(["leipzig"], decision.Winner!.Locations);
        Assert.Equal(Today.AddDays(1), decision.Candidates.Single(c => c.LocationId == "potsdam").DispatchDay);
    }

    [Fact]
    public void A_site_closed_for_the_whole_horizon_dispatches_on_no_day_and_is_not_planned()
    {
        var closed = Enumerable.Range(0, SiteCalendar.HorizonDays + 1).Select(d => Today.AddDays(d)).ToList();
        var potsdam = Site("potsdam", Potsdam) with { Calendar = new SiteCalendar([], closed, null) };
        var scenario = Base.With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1));

        Assert.Null(potsdam.NextDispatchDay(new DateTimeOffset(Today.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
        Assert.Equal(["leipzig"], scenario.With(potsdam, ("a", 5)).Winner());
    }

    [Fact]
    public void Opening_hours_without_the_weekday_mean_no_dispatch_that_day()
    {
        var weekdaysButThursday = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Friday }
            .Select(d => new SiteHours(d, new TimeOnly(9, 0), new TimeOnly(18, 0)))
            .ToList();
        var scenario = Base.With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1)).Profile(p => p with { DeliveryDayCost = 2 });

        Assert.Equal(["potsdam"], scenario.With(Site("potsdam", Potsdam), ("a", 5)).Winner());
        Assert.Equal(["leipzig"], scenario.With(Site("potsdam", Potsdam) with { Calendar = new SiteCalendar(weekdaysButThursday, [], null) }, ("a", 5)).Winner());
    }

    [Fact]
    public void After_the_cut_off_or_closing_time_the_days_capacity_no_longer_counts()
    {
        var cutOff = Site("potsdam", Potsdam) with { Calendar = new SiteCalendar([], [], new TimeOnly(14, 0)) };
        var closesAtNoon = Site("potsdam", Potsdam) with
        {
            Calendar = new SiteCalendar(Enum.GetValues<DayOfWeek>().Select(d => new SiteHours(d, new TimeOnly(8, 0), new TimeOnly(12, 0))).ToList(), [], null),
        };
        var scenario = Base.With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1)).Profile(p => p with { DeliveryDayCost = 2 });
        var noon = Today.ToDateTime(new TimeOnly(13, 0));
        var afternoon = Today.ToDateTime(new TimeOnly(15, 0));

        Assert.Equal(["potsdam"], (scenario.With(cutOff, ("a", 5)) with { At = new DateTimeOffset(noon, TimeSpan.Zero) }).Winner());
        Assert.Equal(["leipzig"], (scenario.With(cutOff, ("a", 5)) with { At = new DateTimeOffset(afternoon, TimeSpan.Zero) }).Winner());
        Assert.Equal(["leipzig"], (scenario.With(closesAtNoon, ("a", 5)) with { At = new DateTimeOffset(noon, TimeSpan.Zero) }).Winner());
    }

    [Fact]
    public void In_transit_supply_is_used_only_when_the_promised_date_allows_it()
    {
        var arriving = new Supply("a", "potsdam", 0, InTransit: [new InTransitPoint(Now.AddDays(1).AddHours(2), 5)]);
        var scenario = Base.With(Site("potsdam", Potsdam)).With(arriving).With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 2));

        var unpromised = scenario.Decide();
        var roomy = scenario.For(o => o with { PromisedBy = Today.AddDays(3) }).Decide();
        var tight = scenario.For(o => o with { PromisedBy = Today.AddDays(1) }).Decide();

        Assert.Equal(["leipzig"], unpromised.Winner!.Locations);
        Assert.Contains(unpromised.Candidates, c => c.LocationId == "potsdam" && c.InTransitBy is not null && c.Excluded!.Contains("promised date", StringComparison.Ordinal));
        Assert.Equal(["potsdam"], roomy.Winner!.Locations);
        Assert.Equal(Now.AddDays(1).AddHours(2), roomy.Winner.Lines.Single().Allocations.Single().NeedBy);
        Assert.Equal(Today.AddDays(2), roomy.Winner.Shipments.Single().DeliveryDate);
        Assert.Equal(["leipzig"], tight.Winner!.Locations);
        Assert.Equal(["leipzig"], scenario.For(o => o with { PromisedBy = Today.AddDays(3) }).Profile(p => p with { UseInTransit = false }).Winner());
    }

    [Fact]
    public void A_channel_pool_is_used_by_its_channel_only()
    {
        var pooled = new Supply("a", "potsdam", 0, Pools: new Dictionary<string, int> { ["marketplace"] = 3 });
        var scenario = Base.With(Site("potsdam", Potsdam)).With(pooled).With(Site("munich", Munich), ("a", 5)).Ordering(("a", 2));

        Assert.Equal(["munich"], scenario.Winner());
        Assert.Equal(["potsdam"], scenario.For(o => o with { Channel = "marketplace" }).Winner());
        Assert.False(scenario.For(o => o with { Channel = "marketplace", Lines = [new DemandLine("a", 9)] }).Decide().Feasible);
    }

    [Fact]
    public void The_maximum_number_of_shipments_is_never_exceeded()
    {
        var scenario = Base
            .With(Site("potsdam", Potsdam), ("a", 5))
            .With(Site("spandau", Spandau), ("b", 5))
            .With(Site("leipzig", Leipzig), ("c", 5))
            .Ordering(("a", 1), ("b", 1), ("c", 1));

        var two = scenario.Profile(p => p with { MaxShipments = 2 }).Decide();

        Assert.Equal(["leipzig", "potsdam", "spandau"], scenario.Winner());
        Assert.False(two.Feasible);
        Assert.Contains("within 2 shipment(s)", two.Reason, StringComparison.Ordinal);
        Assert.Equal(3, two.Shortages.Count);
    }

    [Fact]
    public void A_bundle_stays_together_unless_its_article_allows_a_split()
    {
        var scenario = Base
            .With(Site("potsdam", Potsdam), ("a", 5))
            .With(Site("spandau", Spandau), ("b", 5))
            .With(Site("munich", Munich), ("a", 5), ("b", 5))
            .Profile(p => p with { SplitPenalty = 0, FewerShipmentsTolerance = 0 });

        var together = scenario.Ordering(new DemandLine("a", 1, Bundle: "kit", KeepTogether: true), new DemandLine("b", 1, Bundle: "kit", KeepTogether: true)).Decide();
        var split = scenario.Ordering(new DemandLine("a", 1, Bundle: "kit"), new DemandLine("b", 1, Bundle: "kit"));

        Assert.Equal(["munich"], together.Winner!.Locations);
        Assert.All(together.Winner.Lines, l => Assert.Equal("kit", l.Bundle));
        Assert.Equal(["potsdam", "spandau"], split.Winner());
    }

    [Fact]
    public void Two_bundles_sharing_a_component_are_each_kept_together_where_the_locations_allow_it()
    {
        // The nearest location can take either kit but not both: the first kit placed there first left the second none.
        var decision = Base
            .With(Site("potsdam", Potsdam), ("x", 1), ("y", 1), ("z", 1))
            .With(Site("munich", Munich), ("x", 1), ("y", 1))
            .Ordering(
                new DemandLine("x", 1, Bundle: "k1", KeepTogether: true), new DemandLine("y", 1, Bundle: "k1", KeepTogether: true),
                new DemandLine("x", 1, Bundle: "k2", KeepTogether: true), new DemandLine("z", 1, Bundle: "k2", KeepTogether: true))
            .Decide();

        Assert.True(decision.Feasible, decision.Reason);
        Assert.Equal(["munich"], decision.Winner!.Lines.Where(l => l.Bundle == "k1").SelectMany(l => l.Allocations).Select(a => a.LocationId).Distinct());
        Assert.Equal(["potsdam"], decision.Winner.Lines.Where(l => l.Bundle == "k2").SelectMany(l => l.Allocations).Select(a => a.LocationId).Distinct());
    }

    [Fact]
    public void Two_bundles_of_one_line_may_each_come_whole_from_a_different_location()
    {
        var twoKits = Base
            .With(Site("potsdam", Potsdam), ("x", 1), ("y", 2))
            .With(Site("munich", Munich), ("x", 1), ("y", 2))
            .Ordering(new DemandLine("x", 2, Bundle: "kit", KeepTogether: true, BundleUnits: 2), new DemandLine("y", 4, Bundle: "kit", KeepTogether: true, BundleUnits: 2))
            .Decide();

        Assert.True(twoKits.Feasible, twoKits.Reason);
        // One kit (an x and two y) from each: no kit is split.
        Assert.Equal(
            [("potsdam", "x", 1), ("potsdam", "y", 2), ("munich", "x", 1), ("munich", "y", 2)],
            twoKits.Winner!.Lines.SelectMany(l => l.Allocations.Select(a => (a.LocationId, l.Sku, a.Quantity))).OrderBy(a => a.LocationId != "potsdam").ThenBy(a => a.Sku));
    }

    [Fact]
    public void A_location_holding_a_second_kit_of_a_line_counts_as_helping_the_plan()
    {
        // Two kits (A+B each), C and D. Four cheap locations together are the plan: one holds a kit (and a spare A), one
        // B and D, one the second kit, one C; a dear one holds everything. The first two hold every unit of A, B and D
        // and "a kit", so the third, adding only the second kit, was passed over as helping nothing, and the dear
        // location won as if proven optimal.
        var twoKits = new[]
        {
            new DemandLine("a", 2, Bundle: "kit", KeepTogether: true, BundleUnits: 2), new DemandLine("b", 2, Bundle: "kit", KeepTogether: true, BundleUnits: 2),
            new DemandLine("c", 1), new DemandLine("d", 1),
        };
        var decision = Base
            .With(Site("one", Spandau), ("a", 2), ("b", 1))
            .With(Site("two", Spandau) with { HandlingPerShipment = 0.1m }, ("b", 1), ("d", 1))
            .With(Site("three", Spandau) with { HandlingPerShipment = 0.2m }, ("a", 1), ("b", 1))
            .With(Site("four", Spandau) with { HandlingPerShipment = 0.3m }, ("c", 1))
            .With(Site("dear", Mitte) with { HandlingPerShipment = 50 }, ("a", 2), ("b", 2), ("c", 1), ("d", 1))
            .Profile(p => p with { MaxShipments = 4, SplitPenalty = 0.5m })
            .Ordering(twoKits)
            .Decide();

        Assert.True(decision.Feasible, decision.Reason);
        Assert.Equal(["four", "one", "three", "two"], decision.Winner!.Locations.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Placing_many_bundles_that_cannot_all_fit_stops_at_its_budget_and_says_the_answer_is_not_proven()
    {
        // Sixteen bundles of two x each, three locations of eleven: the sums cover them, but only fifteen fit whole.
        var scenario = Base;
        foreach (var (id, at) in new[] { ("potsdam", Potsdam), ("spandau", Spandau), ("munich", Munich) })
        {
            scenario = scenario.With(Site(id, at), ("x", 11));
        }

        var decision = scenario.Ordering([.. Enumerable.Range(0, 16).Select(i => new DemandLine("x", 2, Bundle: $"k{i}", KeepTogether: true))]).Decide();

        Assert.False(decision.Feasible);
        Assert.False(decision.Exact);
    }

    [Fact]
    public void A_bundle_of_one_component_that_may_not_split_is_not_split()
    {
        var decision = Base
            .With(Site("potsdam", Potsdam), ("x", 3))
            .With(Site("munich", Munich), ("x", 3))
            .Ordering(new DemandLine("x", 6, Bundle: "six-pack", KeepTogether: true))
            .Decide();

        Assert.False(decision.Feasible, string.Join(", ", decision.Winner?.Lines.SelectMany(l => l.Allocations).Select(a => $"{a.Quantity}@{a.LocationId}") ?? []));
    }

    [Fact]
    public void Two_lines_of_one_counted_non_physical_article_take_no_more_than_its_counter()
    {
        var licences = Base.With(new Site("keys", SiteKind.Virtual, Berlin, "DE", 0), ("lic", 3));

        var over = licences.Ordering(new DemandLine("lic", 2, Physical: false), new DemandLine("lic", 2, Physical: false, Bundle: "kit", KeepTogether: true)).Decide();
        var within = licences.Ordering(new DemandLine("lic", 2, Physical: false), new DemandLine("lic", 1, Physical: false, Bundle: "kit", KeepTogether: true)).Decide();

        Assert.False(over.Feasible, string.Join(", ", over.Winner?.Lines.SelectMany(l => l.Allocations).Select(a => $"{a.Quantity}@{a.LocationId}") ?? []));
        Assert.True(within.Feasible, within.Reason);
    }

    [Fact]
    public void Click_and_collect_takes_the_pickup_stores_own_stock_first()
    {
        var store = Site("store-mitte", Mitte, SiteKind.Store) with { ClickAndCollect = true, HandlingPerShipment = 50 };
        var scenario = Base.With(store, ("a", 5)).With(Site("potsdam", Potsdam), ("a", 5)).Ordering(("a", 2)).For(o => o with { PickupLocationId = "store-mitte" });

        var decision = scenario.Decide();

        Assert.Equal(["store-mitte"], decision.Winner!.Locations);
        Assert.Equal("the pickup store has every line in stock", decision.Reason);
        Assert.Equal(Today, decision.Winner.Shipments.Single().DeliveryDate);
        Assert.Contains(decision.Considered, o => o.Locations.SequenceEqual(["potsdam"]) && o.Verdict.Contains("pickup store's own stock comes first", StringComparison.Ordinal));
        Assert.Equal(["potsdam"], scenario.For(o => o with { PickupLocationId = null }).Winner());
    }

    [Fact]
    public void Click_and_collect_ships_to_the_store_with_the_transfer_time_when_the_store_lacks_stock()
    {
        var store = Site("store-mitte", Mitte, SiteKind.Store) with { ClickAndCollect = true };
        var scenario = Base.With(store, ("a", 1)).With(Site("potsdam", Potsdam), ("a", 5)).Ordering(("a", 2)).For(o => o with { PickupLocationId = "store-mitte" });

        var decision = scenario.Decide();

        Assert.Equal(["potsdam"], decision.Winner!.Locations);
        Assert.Equal(Today.AddDays(2), decision.Winner.Shipments.Single().DeliveryDate);
        Assert.Equal(Today.AddDays(1), scenario.Profile(p => p with { TransferDays = 0 }).Decide().Winner!.Shipments.Single().DeliveryDate);
        Assert.False(scenario.For(o => o with { PickupLocationId = "potsdam" }).Decide().Feasible);
    }

    [Fact]
    public void Non_physical_articles_go_to_virtual_locations_without_a_limit_or_with_their_own_counter()
    {
        var digital = Site("digital", Mitte, SiteKind.Virtual);
        var scenario = Base
            .With(Site("potsdam", Potsdam), ("a", 5))
            .With(digital)
            .With(new Supply("gift-card", "digital", 0, Unlimited: true))
            .With(new Supply("licence", "digital", 1))
            .Profile(p => p with { MaxShipments = 1 });

        var card = scenario.Ordering(new DemandLine("a", 1), new DemandLine("gift-card", 500, Physical: false)).Decide();
        var licences = scenario.Ordering(new DemandLine("licence", 2, Physical: false)).Decide();

        Assert.True(card.Feasible, card.Reason);
        Assert.Equal(["potsdam"], card.Winner!.Locations);
        Assert.Equal(new SourcedAllocation("digital", 500, null, Unlimited: true), card.Winner.Lines[1].Allocations.Single());
        Assert.False(licences.Feasible);
        Assert.Equal([new PlanShortage("licence", 2, 1)], licences.Shortages);
        Assert.True(scenario.Ordering(new DemandLine("licence", 1, Physical: false)).Decide().Feasible);
    }

    [Fact]
    public void The_profile_decides_which_location_types_a_channel_may_use()
    {
        var scenario = Base.With(Site("dropship", Potsdam, SiteKind.DropShipper), ("a", 5)).With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1));

        Assert.Equal(["dropship"], scenario.Winner());
        Assert.Equal(["leipzig"], scenario.Profile(p => p with { AllowedKinds = [SiteKind.Warehouse, SiteKind.Store] }).Winner());
    }

    [Fact]
    public void A_distance_limit_excludes_far_locations()
    {
        var scenario = Base.With(Site("munich", Munich), ("a", 5)).With(Site("potsdam", Potsdam), ("a", 1)).Ordering(("a", 2));

        Assert.Equal(["munich"], scenario.Winner());
        var limited = scenario.Profile(p => p with { MaxDistanceKm = 300 }).Decide();
        Assert.False(limited.Feasible);
        // The address rules Munich out whatever its stock; Potsdam is in reach, only short of units.
        Assert.Equal([("munich", true), ("potsdam", false)], limited.Candidates.Select(c => (c.LocationId, c.OutOfReach)).Order());
    }

    [Fact]
    public void A_store_that_does_not_ship_to_customers_is_not_a_candidate_for_delivery()
    {
        var scenario = Base.With(Site("store", Potsdam, SiteKind.Store), ("a", 5)).With(Site("leipzig", Leipzig), ("a", 5)).Ordering(("a", 1));

        Assert.Equal(["store"], scenario.Winner());
        Assert.Equal(["leipzig"], (scenario with { Sites = [scenario.Sites[0] with { ShipsToCustomers = false }, scenario.Sites[1]] }).Winner());
    }

    [Fact]
    public void The_explanation_lists_every_candidate_with_its_cost_and_why_each_other_plan_lost()
    {
        var decision = Base
            .With(Site("potsdam", Potsdam), ("a", 5))
            .With(Site("hamburg", Hamburg), ("a", 5))
            .With(Site("munich", Munich, capacity: 1), ("a", 5))
            .Booked("munich", Today, 1, 1)
            .Ordering(("a", 1))
            .Decide();

        Assert.Equal(["hamburg", "munich", "potsdam"], decision.Candidates.Select(c => c.LocationId));
        var potsdam = decision.Candidates.Single(c => c.LocationId == "potsdam");
        Assert.Equal(new CostBreakdown(4.275m, 0, 0.02m, 1.00m, 0), potsdam.ShipmentCost);
        Assert.Equal(27.5, potsdam.DistanceKm);
        Assert.Equal(["potsdam"], decision.Winner!.Locations);
        Assert.Equal("the cheapest plan (proven optimal)", decision.Reason);
        Assert.True(decision.Exact);
        Assert.Equal(decision.Winner.Cost.Total, decision.LowerBound);
        var hamburg = decision.Considered.Single(o => o.Locations.SequenceEqual(["hamburg"]));
        Assert.Equal($"costs {hamburg.Cost.Total - decision.Winner.Cost.Total:0.00#} more", hamburg.Verdict);
        Assert.DoesNotContain(decision.Considered, o => o.Locations.Contains("munich"));
    }

    [Fact]
    public void Explaining_does_not_change_the_decision()
    {
        var scenario = Base.With(Site("potsdam", Potsdam), ("a", 5)).With(Site("leipzig", Leipzig), ("a", 5), ("b", 2)).Ordering(("a", 3), ("b", 1));

        var plain = SourcingOptimiser.Decide(scenario.Problem);
        var explained = SourcingOptimiser.Decide(scenario.Problem, explain: true);

        Assert.Empty(plain.Candidates);
        Assert.Equal(plain.Winner!.Lines.SelectMany(l => l.Allocations), explained.Winner!.Lines.SelectMany(l => l.Allocations));
        Assert.Equal(plain.Winner.Cost, explained.Winner.Cost);
    }
}
