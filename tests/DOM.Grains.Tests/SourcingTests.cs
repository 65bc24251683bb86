using Dom.Articles;
using Dom.Locations;
using Dom.Reservations;
using Dom.Sourcing;
using Dom.Stock;

namespace Dom.Grains.Tests;

/// <summary>Sourcing through real grains: each factor moves a reservation, profiles are versioned and recorded, and
/// explain tells what a reservation then does. Every test has its own channel, since profiles are per channel.</summary>
[Collection(ClusterCollection.Name)]
public class SourcingTests
{
    private static readonly ShipTo Berlin = new("DE", 52.52, 13.405);
    private readonly ClusterFixture _fixture;
    private readonly World _world;
    private readonly string _channel;

    public SourcingTests(ClusterFixture fixture)
    {
        _fixture = fixture;
        _world = new World(fixture.Grains);
        _channel = _world.Id("web");
    }

    private IGrainFactory Grains => _fixture.Grains;

    private static DateOnly Today => DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime);

    private ISourcingProfileGrain Profile => Grains.GetGrain<ISourcingProfileGrain>(_channel);

    [Fact]
    public async Task Safety_stock_is_never_promised_and_moves_the_order_to_the_next_location()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, onHand: 5, safetyStock: 4);
        await _world.StockAsync(a, munich, onHand: 5);

        var twoUnits = await ReserveAsync(Request(new LineRequest(a, 2)));
        var oneUnit = await ReserveAsync(Request(new LineRequest(a, 1)));

        Assert.Equal([munich], Locations(twoUnits));
        Assert.Equal([potsdam], Locations(oneUnit));
        Assert.Equal(0, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task A_regular_order_leaves_the_reserve_and_a_vip_or_prioritised_order_takes_the_last_unit()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, onHand: 2);
        await UseProfileAsync(new SourcingProfileDraft { StockReserve = 1 });

        var regular = await ReserveAsync(Request(new LineRequest(a, 2)));
        var vip = await ReserveAsync(Request(new LineRequest(a, 1)) with { CustomerTier = "vip" });
        var regularAgain = await ReserveAsync(Request(new LineRequest(a, 1)));
        var prioritised = await ReserveAsync(Request(new LineRequest(a, 1)) with { Priority = RequestPriority.High });

        Assert.Equal(ReservationOutcome.Refused, regular.Outcome);
        Assert.Equal([new Shortage(a, 2, 1)], regular.Reservation.Shortages);
        Assert.Equal([potsdam], Locations(vip));
        Assert.Equal(ReservationOutcome.Refused, regularAgain.Outcome);
        Assert.Equal([potsdam], Locations(prioritised));
        Assert.Equal(0, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task As_many_bundles_as_availability_reports_can_be_reserved_on_one_line()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        foreach (var (sku, location) in new[] { (a, potsdam), (b, potsdam), (a, munich), (b, munich) })
        {
            await _world.StockAsync(sku, location, 1);
        }

        var kit = _world.Id("kit");
        await Grains.GetGrain<IArticleGrain>(kit).PutAsync(new ArticleInfo(kit, "kit", ArticleKind.Physical, null, [new BundleComponent(a, 1), new BundleComponent(b, 1)]));

        var availability = await Grains.GetGrain<ISourcingGrain>(0).GetAvailabilityAsync(kit);
        var reserved = await ReserveAsync(Request(new LineRequest(kit, 2)));

        Assert.Equal(2, availability!.Total);
        Assert.Equal(ReservationOutcome.Created, reserved.Outcome);
        Assert.Equal([munich, potsdam], Locations(reserved).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_articles_change_holds_it_until_saved_or_lapsed_and_a_lapsed_change_cannot_save()
    {
        var kit = _world.Id("kit");
        var article = Grains.GetGrain<IArticleGrain>(kit);
        var info = new ArticleInfo(kit, "kit", ArticleKind.Physical, null);

        var first = await article.BeginChangeAsync("t1", []);
        var second = await article.BeginChangeAsync("t2", []);
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(11));
        var afterLapse = await article.BeginChangeAsync("t2", []);
        var lapsedSave = await article.SaveAsync(info, "t1");
        var save = await article.SaveAsync(info, "t2");

        Assert.Equal((true, false, true), (first, second, afterLapse));
        Assert.True(lapsedSave.Busy);
        Assert.Equal(info, save.Stored);
    }

    [Fact]
    public async Task A_vip_customers_order_takes_the_reserve_only_where_the_channels_profile_names_the_tier()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        // The one unit is the reserve: only a priority order may take it.
        await _world.StockAsync(a, potsdam, onHand: 1);
        var (customer, first, second) = (_world.Id("c"), _world.Id("o1"), _world.Id("o2"));
        await Grains.GetGrain<Dom.Customers.ICustomerGrain>(customer).SetTierAsync(Dom.Customers.CustomerTier.Vip);
        await UseProfileAsync(new SourcingProfileDraft { StockReserve = 1 });
        var order = (string id) => new Dom.Orders.CreateOrderRequest(
            id, _channel, customer, null, [new Dom.Orders.OrderLineRequest("l1", a, 1, 10m)],
            new Dom.Orders.Delivery(Dom.Orders.DeliveryMethod.Ship, new Dom.Orders.Address("DE", 52.5, 13.4, null, null, null), null),
            null, null, [], "EUR", false, null, null);

        var vip = await Grains.GetGrain<Dom.Orders.IOrderGrain>(first).CreateAsync(order(first));
        await UseProfileAsync(new SourcingProfileDraft { PriorityTiers = [] });
        await _world.StockAsync(a, potsdam, onHand: 2);
        var notPriority = await Grains.GetGrain<Dom.Orders.IOrderGrain>(second).CreateAsync(order(second));

        Assert.Equal(1, vip.Order!.Lines.Single().AllocatedQuantity);
        Assert.Equal(0, notPriority.Order!.Lines.Single().AllocatedQuantity);
    }

    [Fact]
    public async Task A_regular_order_leaves_the_last_capacity_to_priority_orders()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06, capacityPerDay: 2), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 10);
        await _world.StockAsync(a, munich, 10);
        await UseProfileAsync(new SourcingProfileDraft { CapacityReserve = 1 });

        var first = await ReserveAsync(Request(new LineRequest(a, 1)));
        var second = await ReserveAsync(Request(new LineRequest(a, 1)));
        var vip = await ReserveAsync(Request(new LineRequest(a, 1)) with { CustomerTier = "vip" });

        Assert.Equal([potsdam], Locations(first));
        Assert.Equal([munich], Locations(second));
        Assert.Equal([potsdam], Locations(vip));
        Assert.Equal(2, (await Grains.GetGrain<ILocationGrain>(potsdam).GetCapacityAsync(Today))!.Booked);
    }

    [Fact]
    public async Task A_draft_changes_nothing_until_activated_every_decision_records_its_version_and_rollback_restores()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (potsdam, spandau, munich) = await SplitOrFarAsync(a, b);

        var before = await ReserveAsync(Request(new LineRequest(a, 1), new LineRequest(b, 1)));
        var draft = await Profile.CreateDraftAsync(new SourcingProfileDraft { Note = "split freely", SplitPenalty = 0, FewerShipmentsTolerance = 0 });
        var drafted = await ReserveAsync(Request(new LineRequest(a, 1), new LineRequest(b, 1)));
        var activated = await Profile.ActivateAsync(new ActivateProfileRequest(draft.Version));
        var after = await ReserveAsync(Request(new LineRequest(a, 1), new LineRequest(b, 1)));
        var rolledBack = await Profile.RollBackAsync();
        var restored = await ReserveAsync(Request(new LineRequest(a, 1), new LineRequest(b, 1)));

        Assert.Equal((1, ProfileStatus.Draft), (draft.Version, draft.Status));
        Assert.Equal((munich, 0), (Where(before), before.Reservation.ProfileVersion));
        Assert.Equal((munich, 0), (Where(drafted), drafted.Reservation.ProfileVersion));
        Assert.Equal((ProfileChangeStatus.Activated, 1), (activated.Status, activated.Book.ActiveVersion));
        Assert.Equal((string.Join(",", new[] { potsdam, spandau }.Order(StringComparer.Ordinal)), 1), (Where(after), after.Reservation.ProfileVersion));
        Assert.Equal((0, ProfileStatus.Retired), (rolledBack.Book.ActiveVersion, rolledBack.Book.Versions.Single().Status));
        Assert.Equal((munich, 0), (Where(restored), restored.Reservation.ProfileVersion));
        Assert.Equal(ProfileChangeStatus.NothingToRollBack, (await Profile.RollBackAsync()).Status);
        Assert.Equal(ProfileChangeStatus.UnknownVersion, (await Profile.ActivateAsync(new ActivateProfileRequest(9))).Status);
    }

    [Fact]
    public async Task A_bundle_is_reserved_as_its_components_from_one_location_unless_it_allows_a_split()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (potsdam, spandau, munich) = await SplitOrFarAsync(a, b);
        await UseProfileAsync(new SourcingProfileDraft { SplitPenalty = 0, FewerShipmentsTolerance = 0 });
        var kit = await BundleAsync("kit", allowSplit: false, new(a, 1), new(b, 2));
        var looseKit = await BundleAsync("loose-kit", allowSplit: true, new(a, 1), new(b, 2));

        var together = await ReserveAsync(Request(new LineRequest(kit, 1)));
        var split = await ReserveAsync(Request(new LineRequest(looseKit, 1)));
        await Grains.GetGrain<IReservationGrain>(together.Reservation.ReservationId).ReleaseAsync(_channel);

        Assert.Equal(
            [new ReservationLine(a, 1, [new Allocation(munich, 1)], kit), new ReservationLine(b, 2, [new Allocation(munich, 2)], kit)],
            together.Reservation.Lines.Select(l => l with { Allocations = [.. l.Allocations] }),
            new LineComparer());
        Assert.Equal([potsdam, spandau], Locations(split).Order().ToList());
        Assert.Equal((5, 5), (await _world.AvailableAsync(a, munich), await _world.AvailableAsync(b, munich)));
    }

    [Fact]
    public async Task A_change_to_an_articles_master_data_is_planned_with_by_the_next_reservation()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        await _world.StockAsync(b, potsdam, 5);
        var kit = await BundleAsync("kit", allowSplit: false, new BundleComponent(a, 1));
        var before = await ReserveAsync(Request(new LineRequest(kit, 1)));

        // Straight to the grain, as an operator's change on another silo would arrive: nothing on this silo is told.
        var article = Grains.GetGrain<IArticleGrain>(kit);
        await article.PutAsync((await article.GetAsync())! with { Components = [new BundleComponent(b, 2)] });
        var after = await ReserveAsync(Request(new LineRequest(kit, 1)));

        Assert.Equal((ReservationOutcome.Created, ReservationOutcome.Created), (before.Outcome, after.Outcome));
        Assert.Equal([a], before.Reservation.Lines.Select(l => l.Sku));
        Assert.Equal([(b, 2)], after.Reservation.Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal((4, 3), (await _world.AvailableAsync(a, potsdam), await _world.AvailableAsync(b, potsdam)));
    }

    [Fact]
    public async Task Non_physical_articles_go_to_their_virtual_location_without_a_limit_or_with_their_own_counter()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        var digital = await PlaceAsync("digital", 52.52, 13.40, LocationType.Virtual);
        var giftCard = await ArticleAsync("gift-card", ArticleKind.GiftCard, info => info with { FulfilledBy = digital });
        var licence = await ArticleAsync("licence", ArticleKind.DigitalLicence);
        await _world.StockAsync(licence, digital, onHand: 1);
        await UseProfileAsync(new SourcingProfileDraft { MaxShipments = 1 });

        var withCard = await ReserveAsync(Request(new LineRequest(a, 1), new LineRequest(giftCard, 3)));
        var twoLicences = await ReserveAsync(Request(new LineRequest(licence, 2)));
        var oneLicence = await ReserveAsync(Request(new LineRequest(licence, 1)));

        Assert.Equal(ReservationOutcome.Created, withCard.Outcome);
        Assert.Equal([new Allocation(digital, 3)], withCard.Reservation.Lines[1].Allocations);
        Assert.Null(await _world.Slot(giftCard, digital).GetAsync());
        Assert.Equal([new Shortage(licence, 2, 1)], twoLicences.Reservation.Shortages);
        Assert.Equal([digital], Locations(oneLicence));
        Assert.Equal(0, await _world.AvailableAsync(licence, digital));
        Assert.Equal(0, (await Grains.GetGrain<ILocationGrain>(digital).GetCapacityAsync(Today))!.Booked);
    }

    [Fact]
    public async Task Click_and_collect_takes_the_pickup_stores_stock_first_then_ships_to_the_store()
    {
        var a = await _world.ArticleAsync("a");
        var store = await PlaceAsync("mitte", 52.52, 13.40, LocationType.Store);
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, store, 2);
        await _world.StockAsync(a, potsdam, 5);

        var fromStore = await ReserveAsync(Request(new LineRequest(a, 2)) with { PickupLocationId = store });
        var transferred = await ReserveAsync(Request(new LineRequest(a, 2)) with { PickupLocationId = store });

        Assert.Equal([store], Locations(fromStore));
        Assert.Equal([potsdam], Locations(transferred));
        Assert.Equal(1, (await Grains.GetGrain<ILocationGrain>(store).GetCapacityAsync(Today))!.Booked);
    }

    [Fact]
    public async Task A_channel_pool_serves_its_channel_only_and_a_resize_applies_to_the_next_reservation()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 3);
        await _world.StockAsync(a, munich, 10);
        var marketplace = _world.Id("marketplace");
        await _world.Slot(a, potsdam).SetPoolAsync(new SetPoolRequest(marketplace, 3));

        var web = await ReserveAsync(Request(new LineRequest(a, 1)));
        var pooled = await ReserveAsync(Request(new LineRequest(a, 1)) with { Channel = marketplace });
        await _world.Slot(a, potsdam).SetPoolAsync(new SetPoolRequest(marketplace, 0));
        var webAfterResize = await ReserveAsync(Request(new LineRequest(a, 1)));

        Assert.Equal([munich], Locations(web));
        Assert.Equal([potsdam], Locations(pooled));
        Assert.Equal([potsdam], Locations(webAfterResize));
    }

    [Fact]
    public async Task In_transit_supply_is_reserved_when_the_promised_date_allows_and_holds_against_its_arrival()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, leipzig) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("leipzig", 51.34, 12.37));
        await _world.StockAsync(a, potsdam, 0);
        await _world.Slot(a, potsdam).SetInboundAsync(new SetInboundRequest("po-7", 5, ClusterFixture.Time.GetUtcNow().AddDays(1)));
        await _world.StockAsync(a, leipzig, 5);

        var unpromised = await ReserveAsync(Request(new LineRequest(a, 2)));
        var promised = await ReserveAsync(Request(new LineRequest(a, 2)) with { PromisedBy = Today.AddDays(4) });

        Assert.Equal([leipzig], Locations(unpromised));
        Assert.Equal([potsdam], Locations(promised));
        var slot = await _world.Slot(a, potsdam).GetAsync();
        Assert.Equal((2, 0), (slot!.Held, slot.Available));
        Assert.Equal(1, (await Grains.GetGrain<ILocationGrain>(potsdam).GetCapacityAsync(Today.AddDays(1)))!.Booked);
    }

    [Fact]
    public async Task A_location_closed_today_books_the_capacity_of_its_next_working_day()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await PlaceAsync("potsdam", 52.39, 13.06, configure: info => info with { Calendar = new LocationCalendar([], [Today], null) });
        await _world.StockAsync(a, potsdam, 5);

        var reserved = await ReserveAsync(Request(new LineRequest(a, 1)));

        Assert.Equal([potsdam], Locations(reserved));
        var location = Grains.GetGrain<ILocationGrain>(potsdam);
        Assert.Equal((0, 1), ((await location.GetCapacityAsync(Today))!.Booked, (await location.GetCapacityAsync(Today.AddDays(1)))!.Booked));
    }

    [Fact]
    public async Task Explain_tells_what_the_reservation_then_does_and_takes_nothing()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (potsdam, spandau, munich) = await SplitOrFarAsync(a, b);
        var request = Request(new LineRequest(a, 2), new LineRequest(b, 1));
        var sourcing = Grains.GetGrain<ISourcingGrain>(0);

        var explanation = await sourcing.ExplainAsync(new SourcingRequest("x", _channel, Berlin, request.Lines, ClusterFixture.Time.GetUtcNow().AddMinutes(10)));
        var untouched = (await _world.AvailableAsync(a, munich), (await Grains.GetGrain<ILocationGrain>(munich).GetCapacityAsync(Today))!.Booked);
        var reserved = await ReserveAsync(request);

        Assert.True(explanation.Feasible);
        Assert.Equal((5, 0), untouched);
        Assert.Equal(explanation.Winner!.Lines.Select(l => (l.Sku, l.Allocations.Single())), reserved.Reservation.Lines.Select(l => (l.Sku, l.Allocations.Single())));
        Assert.Equal(explanation.Winner.Cost.Total, reserved.Reservation.Cost);
        Assert.Equal(new[] { potsdam, spandau, munich }.Order(StringComparer.Ordinal), explanation.Candidates.Select(c => c.LocationId).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(explanation.Plans, p => p.Rank > 1 && p.Verdict.Length > 0);
    }

    [Fact]
    public async Task A_bundles_availability_is_what_its_scarcest_component_allows_at_each_location()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 5);
        await _world.StockAsync(b, potsdam, 1);
        await _world.StockAsync(a, munich, 4);
        await _world.StockAsync(b, munich, 3);
        var kit = _world.Id("kit");
        await Grains.GetGrain<IArticleGrain>(kit).PutAsync(new ArticleInfo(kit, "kit", ArticleKind.Physical, null, [new BundleComponent(a, 2), new BundleComponent(b, 1)]));

        var availability = await Grains.GetGrain<ISourcingGrain>(0).GetAvailabilityAsync(kit);
        var reserved = await ReserveAsync(Request(new LineRequest(kit, 2)));

        Assert.Equal(3, availability!.Total);
        Assert.Equal(new[] { (munich, 2), (potsdam, 1) }.OrderBy(l => l.Item1, StringComparer.Ordinal), availability.Locations.Select(l => (l.LocationId, l.Available)));
        Assert.Equal(ReservationOutcome.Created, reserved.Outcome);
    }

    [Fact]
    public async Task A_location_stored_with_a_type_that_does_not_exist_is_left_out_not_every_plan()
    {
        var a = await _world.ArticleAsync("a");
        var good = await _world.LocationAsync("good", 48.14, 11.58);
        var bad = _world.Id("bad");
        // As a location PUT with "partner, logisticsProvider" was stored before the API read enums strictly.
        await Grains.GetGrain<ILocationGrain>(bad).PutAsync(new LocationInfo(bad, "bad", (LocationType)7, 52.5, 13.4, 100, "DE"));
        await _world.StockAsync(a, good, 5);
        await _world.StockAsync(a, bad, 5);

        var reserved = await ReserveAsync(Request(new LineRequest(a, 1)));

        Assert.Equal((ReservationOutcome.Created, good), (reserved.Outcome, Where(reserved)));
    }

    [Fact]
    public async Task A_draft_changing_one_types_shipping_rate_keeps_the_other_types_rates()
    {
        var a = await _world.ArticleAsync("a");
        var store = await PlaceAsync("store", 48.14, 11.58, LocationType.Store);
        await _world.StockAsync(a, store, 5);

        await UseProfileAsync(new SourcingProfileDraft { ShippingRates = [new ShippingRate(LocationType.Warehouse, 3.5m, 0.01m)] });
        var explained = await Grains.GetGrain<ISourcingGrain>(0).ExplainAsync(new SourcingRequest("x", _channel, Berlin, [new LineRequest(a, 1)], ClusterFixture.Time.GetUtcNow().AddMinutes(10)));

        Assert.True(explained.Candidates.Single(c => c.LocationId == store).ShipmentCost.Shipping > 5m);
    }

    private CreateReservationRequest Request(params LineRequest[] lines) => new(_world.Id($"r{Guid.NewGuid():N}"[..20]), _channel, 600, Berlin, lines);

    private async Task<CreateReservationResult> ReserveAsync(CreateReservationRequest request) =>
        await Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request);

    private static List<string> Locations(CreateReservationResult result) =>
        result.Reservation.Lines.SelectMany(l => l.Allocations).Select(a => a.LocationId).Distinct().ToList();

    private static string Where(CreateReservationResult result) => string.Join(",", Locations(result).Order(StringComparer.Ordinal));

    private async Task UseProfileAsync(SourcingProfileDraft draft)
    {
        var version = await Profile.CreateDraftAsync(draft);
        Assert.Equal(ProfileChangeStatus.Activated, (await Profile.ActivateAsync(new ActivateProfileRequest(version.Version))).Status);
    }

    /// <summary>a near in Potsdam, b near in Spandau, both far in Munich: one far shipment or two near ones.</summary>
    private async Task<(string Potsdam, string Spandau, string Munich)> SplitOrFarAsync(string a, string b)
    {
        var (potsdam, spandau, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("spandau", 52.50, 13.30), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 5);
        await _world.StockAsync(b, spandau, 5);
        await _world.StockAsync(a, munich, 5);
        await _world.StockAsync(b, munich, 5);
        return (potsdam, spandau, munich);
    }

    private async Task<string> PlaceAsync(string name, double latitude, double longitude, LocationType type = LocationType.Warehouse, Func<LocationInfo, LocationInfo>? configure = null)
    {
        var id = _world.Id(name);
        var info = new LocationInfo(id, name, type, latitude, longitude, 1_000, "DE");
        await Grains.GetGrain<ILocationGrain>(id).PutAsync(configure?.Invoke(info) ?? info);
        return id;
    }

    private async Task<string> ArticleAsync(string name, ArticleKind kind, Func<ArticleInfo, ArticleInfo>? configure = null)
    {
        var sku = _world.Id(name);
        var info = new ArticleInfo(sku, name, kind, null);
        await Grains.GetGrain<IArticleGrain>(sku).PutAsync(configure?.Invoke(info) ?? info);
        return sku;
    }

    private Task<string> BundleAsync(string name, bool allowSplit, params BundleComponent[] components) =>
        ArticleAsync(name, ArticleKind.Physical, info => info with { Components = components, AllowSplit = allowSplit });

    /// <summary>Lines are equal when their members and allocations are.</summary>
    private sealed class LineComparer : IEqualityComparer<ReservationLine>
    {
        public bool Equals(ReservationLine? x, ReservationLine? y) =>
            x is not null && y is not null && (x.Sku, x.Quantity, x.Bundle) == (y.Sku, y.Quantity, y.Bundle) && x.Allocations.SequenceEqual(y.Allocations);

        public int GetHashCode(ReservationLine obj) => obj.Sku.GetHashCode(StringComparison.Ordinal);
    }
}
