using Dom.Articles;
using Dom.Locations;
using Dom.Stock;

namespace Dom.Grains.Tests;

/// <summary>The slot's channel pools, in-transit supply and priority reserve, and the location's capacity reserve.</summary>
[Collection(ClusterCollection.Name)]
public class SlotSupplyTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    private static DateTimeOffset Now => ClusterFixture.Time.GetUtcNow();

    private static DateTimeOffset InAnHour => Now.AddHours(1);

    [Fact]
    public async Task A_pool_is_held_only_by_its_channel_and_an_operator_resizes_it_at_once()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        var pooled = await slot.SetPoolAsync(new SetPoolRequest("marketplace", 4));

        var web = await slot.HoldAsync(new HoldRequest("w1", 7, "web", InAnHour));
        var marketplace = await slot.HoldAsync(new HoldRequest("m1", 8, "marketplace", InAnHour));
        var shrunk = await slot.SetPoolAsync(new SetPoolRequest("marketplace", 1));

        Assert.Equal(6, pooled!.Available);
        Assert.Equal(new HoldResult(HoldStatus.Refused, 6), web);
        Assert.Equal(new HoldResult(HoldStatus.Held, 2), marketplace);
        Assert.Equal([new PoolView("marketplace", 1, 4)], shrunk!.Pools!);
        Assert.Equal((8, 2, 0), (shrunk.Held, shrunk.Available, shrunk.Overcommitted));
        Assert.Equal(HoldStatus.Held, (await slot.HoldAsync(new HoldRequest("w2", 2, "web", InAnHour))).Status);
        Assert.Equal(HoldStatus.Refused, (await slot.HoldAsync(new HoldRequest("m2", 1, "marketplace", InAnHour))).Status);
    }

    [Fact]
    public async Task Removing_a_pool_leaves_its_holds_counted_on_the_shared_stock()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.SetPoolAsync(new SetPoolRequest("marketplace", 4));
        await slot.HoldAsync(new HoldRequest("m1", 4, "marketplace", InAnHour));

        var removed = await slot.SetPoolAsync(new SetPoolRequest("marketplace", 0));

        Assert.Equal((4, 6, 0), (removed!.Held, removed.Available, removed.Overcommitted));
        Assert.Equal(HoldStatus.Refused, (await slot.HoldAsync(new HoldRequest("w1", 7, "web", InAnHour))).Status);
        Assert.Equal(HoldStatus.Held, (await slot.HoldAsync(new HoldRequest("w2", 6, "web", InAnHour))).Status);
        Assert.Equal(HoldStatus.Refused, (await slot.HoldAsync(new HoldRequest("m2", 1, "marketplace", InAnHour))).Status);
    }

    [Fact]
    public async Task Pools_that_together_set_aside_more_than_is_there_let_each_channel_take_from_what_is_there()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.SetPoolAsync(new SetPoolRequest("marketplace", 8));
        await slot.SetPoolAsync(new SetPoolRequest("partner", 8));

        var shared = await slot.HoldAsync(new HoldRequest("w1", 1, "web", InAnHour));
        var marketplace = await slot.HoldAsync(new HoldRequest("m1", 8, "marketplace", InAnHour));
        var partnerTooMany = await slot.HoldAsync(new HoldRequest("p1", 3, "partner", InAnHour));
        var partner = await slot.HoldAsync(new HoldRequest("p2", 2, "partner", InAnHour));
        var after = await slot.GetAsync();

        Assert.Equal(HoldStatus.Refused, shared.Status);
        Assert.Equal(HoldStatus.Held, marketplace.Status);
        Assert.Equal(new HoldResult(HoldStatus.Refused, 2), partnerTooMany);
        Assert.Equal(HoldStatus.Held, partner.Status);
        Assert.Equal((10, 0, 0), (after!.Held, after.Available, after.Overcommitted));
    }

    [Fact]
    public async Task An_order_converting_a_pool_hold_keeps_using_the_pool_until_its_units_ship()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 6);
        var slot = _world.Slot(sku, location);
        await slot.SetPoolAsync(new SetPoolRequest("marketplace", 4));
        await slot.HoldAsync(new HoldRequest("m1", 4, "marketplace", InAnHour));

        var converted = await slot.AllocateAsync(new AllocateRequest("o1/1", 4, "m1"));
        var second = await slot.HoldAsync(new HoldRequest("m2", 4, "marketplace", InAnHour));
        var allocated = await slot.GetAsync();
        await fixture.DeactivateAllAsync();
        var reloaded = await slot.GetAsync();
        await slot.EndAllocationAsync(new EndAllocationRequest("o1/1", 1, AllocationEnd.Shipped));
        var partlyShipped = await slot.GetAsync();
        await slot.EndAllocationAsync(new EndAllocationRequest("o1/1", 0, AllocationEnd.Shipped));
        var shipped = await slot.GetAsync();

        Assert.Equal(AllocateStatus.Allocated, converted.Status);
        Assert.Equal(new HoldResult(HoldStatus.Refused, 2), second);
        Assert.Equal([new PoolView("marketplace", 4, 0, 4)], allocated!.Pools!);
        Assert.Equal((4, 2), (allocated.Allocated, allocated.Available));
        Assert.Equal([new PoolView("marketplace", 4, 0, 4)], reloaded!.Pools!);
        Assert.Equal((4, 2), (reloaded.Allocated, reloaded.Available));
        Assert.Equal([new PoolView("marketplace", 4, 0, 1)], partlyShipped!.Pools!);
        Assert.Equal((3, 1, 0), (partlyShipped.OnHand, partlyShipped.Allocated, partlyShipped.Available));
        Assert.Equal([new PoolView("marketplace", 4, 0, 0)], shipped!.Pools!);
        Assert.Equal((2, 0, 0, 0), (shipped.OnHand, shipped.Allocated, shipped.Available, shipped.Overcommitted));
        Assert.Equal(new HoldResult(HoldStatus.Refused, 2), await slot.HoldAsync(new HoldRequest("m3", 3, "marketplace", InAnHour)));
        Assert.Equal(HoldStatus.Held, (await slot.HoldAsync(new HoldRequest("m4", 2, "marketplace", InAnHour))).Status);
    }

    [Fact]
    public async Task A_pool_larger_than_the_stock_left_gives_its_channel_only_what_is_there()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.HoldAsync(new HoldRequest("w1", 6, "web", InAnHour));
        await slot.SetStockAsync(new SetStockRequest(8, 0));

        var pooled = await slot.SetPoolAsync(new SetPoolRequest("marketplace", 4));
        var tooMany = await slot.HoldAsync(new HoldRequest("m1", 3, "marketplace", InAnHour));
        var entry = (await fixture.Grains.GetGrain<IArticleGrain>(sku).GetIndexAsync()).Value.Single();

        Assert.Equal((0, 0), (pooled!.Available, pooled.Overcommitted));
        Assert.Equal(new HoldResult(HoldStatus.Refused, 2), tooMany);
        Assert.Equal([new PoolAvailability("marketplace", 2)], entry.Pools!);
        Assert.Equal(HoldStatus.Held, (await slot.HoldAsync(new HoldRequest("m2", 2, "marketplace", InAnHour))).Status);
        Assert.Equal(HoldStatus.Refused, (await slot.HoldAsync(new HoldRequest("m3", 1, "marketplace", InAnHour))).Status);
    }

    [Fact]
    public async Task A_pool_hold_takes_on_hand_units_from_the_pool_and_waits_for_supply_for_the_rest()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 2);
        var slot = _world.Slot(sku, location);
        var eta = Now.AddDays(1);
        await slot.SetPoolAsync(new SetPoolRequest("marketplace", 5));
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 3, eta));

        var held = await slot.HoldAsync(new HoldRequest("m1", 5, "marketplace", InAnHour, NeedBy: eta));
        var after = await slot.GetAsync();
        var onHandOnly = await slot.HoldAsync(new HoldRequest("m2", 1, "marketplace", InAnHour));

        Assert.Equal(HoldStatus.Held, held.Status);
        Assert.Equal((5, 0), (after!.Held, after.Overcommitted));
        Assert.Equal([new PoolView("marketplace", 5, 2, 0)], after.Pools!);
        Assert.Equal(HoldStatus.Refused, onHandOnly.Status);
    }

    [Fact]
    public async Task In_transit_supply_covers_only_holds_that_can_wait_for_it()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 2);
        var slot = _world.Slot(sku, location);
        var eta = Now.AddDays(2);
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 5, eta));

        var onHandOnly = await slot.HoldAsync(new HoldRequest("h1", 3, "web", InAnHour));
        var tooEarly = await slot.HoldAsync(new HoldRequest("h2", 3, "web", InAnHour, NeedBy: eta.AddHours(-1)));
        var waiting = await slot.HoldAsync(new HoldRequest("h3", 6, "web", InAnHour, NeedBy: eta.AddDays(1)));
        var lastOnHand = await slot.HoldAsync(new HoldRequest("h4", 1, "web", InAnHour));
        var noMore = await slot.HoldAsync(new HoldRequest("h5", 1, "web", InAnHour));

        Assert.Equal(new HoldResult(HoldStatus.Refused, 2), onHandOnly);
        Assert.Equal(HoldStatus.Refused, tooEarly.Status);
        Assert.Equal(HoldStatus.Held, waiting.Status);
        Assert.Equal(HoldStatus.Held, lastOnHand.Status);
        Assert.Equal(new HoldResult(HoldStatus.Refused, 0), noMore);
        var supply = await slot.GetSupplyAsync();
        Assert.Equal(0, supply!.Available);
        var received = await slot.ReceiveInboundAsync(new ReceiveInboundRequest("po-1"));
        Assert.Equal((7, 7, 0, 0), (received!.OnHand, received.Held, received.Available, received.Overcommitted));
        Assert.Null(received.InTransit);
        var again = await slot.ReceiveInboundAsync(new ReceiveInboundRequest("po-1"));
        var resent = await slot.ExpectInboundAsync(new SetInboundRequest("po-1", 5, eta));
        Assert.Equal((7, 7), (again!.OnHand, again.Held));
        Assert.Equal((InboundOutcome.AlreadyReceived, 7), (resent.Outcome, resent.Slot!.OnHand));
        Assert.Null((await slot.GetAsync())!.InTransit);
        Assert.Null(await slot.ReceiveInboundAsync(new ReceiveInboundRequest("po-2")));
    }

    [Fact]
    public async Task Units_shipped_before_their_delivery_was_booked_in_are_not_added_again_by_the_receipt()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 0);
        var slot = _world.Slot(sku, location);
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 5, Now.AddDays(1)));
        await slot.HoldAsync(new HoldRequest("r1", 5, "web", InAnHour, NeedBy: Now.AddDays(2)));
        await slot.AllocateAsync(new AllocateRequest("o1/l1", 5, "r1"));

        await slot.EndAllocationAsync(new EndAllocationRequest("o1/l1", 0, AllocationEnd.Shipped));
        var shipped = await slot.GetAsync();
        var received = await slot.ReceiveInboundAsync(new ReceiveInboundRequest("po-1"));

        Assert.Equal((-5, 0, 0), (shipped!.OnHand, shipped.Available, shipped.Overcommitted));
        Assert.Equal((0, 0, 0), (received!.OnHand, received.Available, received.Overcommitted));
    }

    [Fact]
    public async Task A_write_off_at_a_slot_shipped_below_zero_takes_nothing_more_and_gives_nothing_back()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 5);
        var slot = _world.Slot(sku, location);
        await slot.AllocateAsync(new AllocateRequest("a/1", 3, null));
        await slot.AllocateAsync(new AllocateRequest("b/1", 2, null));
        await _world.StockAsync(sku, location, onHand: 2);
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 1, Now.AddDays(1)));
        await slot.EndAllocationAsync(new EndAllocationRequest("a/1", 0, AllocationEnd.Shipped));

        await slot.EndAllocationAsync(new EndAllocationRequest("b/1", 0, AllocationEnd.WrittenOff));
        var writtenOff = await slot.GetAsync();
        var received = await slot.ReceiveInboundAsync(new ReceiveInboundRequest("po-1"));

        Assert.Equal((-1, 0, 0), (writtenOff!.OnHand, writtenOff.Allocated, writtenOff.Available));
        Assert.Equal((0, 0), (received!.OnHand, received.Available));
    }

    [Fact]
    public async Task A_delivery_received_a_hundred_and_fifty_deliveries_ago_is_not_booked_in_again()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 0);
        var slot = _world.Slot(sku, location);
        for (var i = 0; i < 150; i++)
        {
            await slot.SetInboundAsync(new SetInboundRequest($"po-{i}", 1, Now.AddDays(1)));
            await slot.ReceiveInboundAsync(new ReceiveInboundRequest($"po-{i}"));
        }

        var late = await slot.ExpectInboundAsync(new SetInboundRequest("po-0", 1, Now.AddDays(1)));
        var again = await slot.ReceiveInboundAsync(new ReceiveInboundRequest("po-0"));

        Assert.Equal((InboundOutcome.AlreadyReceived, 150), (late.Outcome, late.Slot!.OnHand));
        Assert.Equal(150, again!.OnHand);
    }

    [Fact]
    public async Task An_order_taking_over_a_hold_that_waits_for_a_delivery_keeps_waiting_for_it()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 2);
        var slot = _world.Slot(sku, location);
        var eta = Now.AddDays(2);
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 5, eta));
        var held = await slot.HoldAsync(new HoldRequest("r1", 6, "web", InAnHour, NeedBy: eta.AddDays(1)));
        var before = await slot.GetAsync();

        var allocated = await slot.AllocateAsync(new AllocateRequest("o1/l1", 6, "r1"));
        var after = await slot.GetAsync();
        await slot.EndAllocationAsync(new EndAllocationRequest("o1/l1", 0, AllocationEnd.Released));
        var released = await slot.GetAsync();

        Assert.Equal((HoldStatus.Held, AllocateStatus.Allocated), (held.Status, allocated.Status));
        Assert.Equal((0, 1), (before!.Overcommitted, before.Available));
        Assert.Equal((6, 0, 1), (after!.Allocated, after.Overcommitted, after.Available));
        Assert.Equal((0, 2), (released!.Allocated, released.Available));
    }

    [Fact]
    public async Task An_order_taking_over_part_of_a_hold_that_waits_for_a_delivery_promises_no_more_than_is_on_hand()
    {
        // Six units held to wait for the delivery; the order takes two of them. Only those two may still wait: the
        // two on hand are all an on-hand-only hold can have.
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 2);
        var slot = _world.Slot(sku, location);
        var eta = Now.AddDays(2);
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 5, eta));
        await slot.HoldAsync(new HoldRequest("r1", 6, "web", InAnHour, NeedBy: eta.AddDays(1)));

        var allocated = await slot.AllocateAsync(new AllocateRequest("o1/l1", 2, "r1"));
        var after = await slot.GetAsync();
        var tooMany = await slot.HoldAsync(new HoldRequest("h1", 3, "web", InAnHour));

        Assert.Equal(AllocateStatus.Allocated, allocated.Status);
        Assert.Equal((0, 2, 2, 0), (after!.Held, after.Allocated, after.Available, after.Overcommitted));
        Assert.Equal(new HoldResult(HoldStatus.Refused, 2), tooMany);
    }

    [Fact]
    public async Task An_order_taking_over_part_of_a_pool_hold_that_waits_for_a_delivery_counts_each_unit_once()
    {
        // Five units held: the pool's three on hand, and two waiting for the delivery. One line of the order takes
        // three of them (another line of the same SKU takes the rest under the same hold): those three are the pool's
        // units on hand, not also two waiting ones, or the slot promises two units on hand that are the order's.
        var (slot, held) = await PoolHoldWaitingForADeliveryAsync();

        var allocated = await slot.AllocateAsync(new AllocateRequest("o1/l1", 3, "m1"));
        var after = await slot.GetAsync();
        var onHand = await slot.HoldAsync(new HoldRequest("w1", 1, "web", InAnHour));

        Assert.Equal((HoldStatus.Held, AllocateStatus.Allocated), (held.Status, allocated.Status));
        Assert.Equal((3, 0, 0), (after!.Allocated, after.Available, after.Overcommitted));
        Assert.Equal(HoldStatus.Refused, onHand.Status);
    }

    [Fact]
    public async Task Units_of_a_pool_allocation_that_waits_for_a_delivery_ending_in_part_leave_each_unit_counted_once()
    {
        // The order's five units: the pool's three on hand and two waiting for the delivery. Two are released: the
        // shared ones end first, so the three left are the pool's on hand and wait for nothing.
        var (slot, _) = await PoolHoldWaitingForADeliveryAsync();
        await slot.AllocateAsync(new AllocateRequest("o1/l1", 5, "m1"));

        var ended = await slot.EndAllocationAsync(new EndAllocationRequest("o1/l1", 3, AllocationEnd.Released));
        var after = await slot.GetAsync();
        var onHand = await slot.HoldAsync(new HoldRequest("w1", 1, "web", InAnHour));

        Assert.Equal(2, ended);
        Assert.Equal((3, 0, 0), (after!.Allocated, after.Available, after.Overcommitted));
        Assert.Equal(HoldStatus.Refused, onHand.Status);
    }

    /// <summary>A slot with 3 units on hand, all in the marketplace's pool, and a delivery of 2 tomorrow; hold "m1" of the
    /// marketplace takes the 3 and waits for the 2.</summary>
    private async Task<(IStockSlotGrain Slot, HoldResult Held)> PoolHoldWaitingForADeliveryAsync()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 3);
        var slot = _world.Slot(sku, location);
        var eta = Now.AddDays(1);
        await slot.SetPoolAsync(new SetPoolRequest("marketplace", 3));
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 2, eta));
        return (slot, await slot.HoldAsync(new HoldRequest("m1", 5, "marketplace", InAnHour, NeedBy: eta)));
    }

    [Fact]
    public async Task The_slot_publishes_pools_and_in_transit_to_the_index()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 5);
        var slot = _world.Slot(sku, location);
        var eta = Now.AddDays(3);
        await slot.SetPoolAsync(new SetPoolRequest("marketplace", 2));
        await slot.SetInboundAsync(new SetInboundRequest("po-1", 4, eta));

        var entry = (await fixture.Grains.GetGrain<IArticleGrain>(sku).GetIndexAsync()).Value.Single();

        Assert.Equal(3, entry.Available);
        Assert.Equal([new PoolAvailability("marketplace", 2)], entry.Pools!);
        Assert.Equal([new InTransitAvailability(eta, 7)], entry.InTransit!);
    }

    [Fact]
    public async Task Indexing_a_new_location_keeps_what_the_other_locations_published()
    {
        var sku = await _world.ArticleAsync("a");
        var (first, second) = (await _world.LocationAsync("first", 52, 13), await _world.LocationAsync("second", 48, 11));
        await _world.StockAsync(sku, first, onHand: 5);
        await _world.Slot(sku, first).SetPoolAsync(new SetPoolRequest("marketplace", 2));

        await _world.StockAsync(sku, second, onHand: 4);
        var index = (await fixture.Grains.GetGrain<IArticleGrain>(sku).GetIndexAsync()).Value;

        Assert.Equal([first, second], index.Select(e => e.LocationId).Order(StringComparer.Ordinal));
        Assert.Equal([new PoolAvailability("marketplace", 2)], index.Single(e => e.LocationId == first).Pools!);
        Assert.Equal(4, index.Single(e => e.LocationId == second).Available);
    }

    [Fact]
    public async Task A_hold_that_must_keep_a_reserve_cannot_take_the_last_units()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 3);
        var slot = _world.Slot(sku, location);

        var all = await slot.HoldAsync(new HoldRequest("h1", 3, "web", InAnHour, KeepFree: 1));
        var allButOne = await slot.HoldAsync(new HoldRequest("h2", 2, "web", InAnHour, KeepFree: 1));
        var last = await slot.HoldAsync(new HoldRequest("h3", 1, "web", InAnHour, KeepFree: 0));

        Assert.Equal(new HoldResult(HoldStatus.Refused, 3), all);
        Assert.Equal(HoldStatus.Held, allButOne.Status);
        Assert.Equal(new HoldResult(HoldStatus.Held, 0), last);
    }

    [Fact]
    public async Task A_booking_that_must_keep_a_reserve_cannot_take_the_last_capacity()
    {
        var location = fixture.Grains.GetGrain<ILocationGrain>(await _world.LocationAsync("l", 52, 13, capacityPerDay: 2));
        var today = DateOnly.FromDateTime(Now.UtcDateTime);

        var first = await location.BookAsync(new BookingRequest("b1", today, InAnHour, KeepFree: 1));
        var second = await location.BookAsync(new BookingRequest("b2", today, InAnHour, KeepFree: 1));
        var priority = await location.BookAsync(new BookingRequest("b3", today, InAnHour));

        Assert.Equal(BookingStatus.Booked, first.Status);
        Assert.Equal(BookingStatus.Full, second.Status);
        Assert.Equal(new CapacitySnapshot(today, 2, 2, false), priority.Capacity);
    }

    [Fact]
    public async Task A_booking_confirmed_after_the_reservations_lapsed_goes_on_the_next_working_day()
    {
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var id = _world.Id("closed-today");
        var location = fixture.Grains.GetGrain<ILocationGrain>(id);
        await location.PutAsync(new LocationInfo(id, "store", LocationType.Store, 52, 13, 10, "DE", new LocationCalendar([], [today], null)));
        await location.BookAsync(new BookingRequest("r1", today.AddDays(1), Now.AddSeconds(1)));
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(2));

        var confirmed = await location.ConfirmBookingAsync("r1", "o1", DateOnly.FromDateTime(Now.UtcDateTime));

        Assert.Equal((BookingStatus.Booked, today.AddDays(1)), (confirmed.Status, confirmed.Capacity!.Date));
        Assert.Equal(0, (await location.GetCapacityAsync(today))!.Booked);
    }

    [Fact]
    public async Task A_booking_whose_day_passed_before_the_order_came_goes_on_the_first_working_day_with_room()
    {
        var location = fixture.Grains.GetGrain<ILocationGrain>(await _world.LocationAsync("cap", 52, 13, capacityPerDay: 1));
        var day1 = DateOnly.FromDateTime(Now.UtcDateTime);
        var pastMidnight = day1.AddDays(1).ToDateTime(TimeOnly.FromTimeSpan(TimeSpan.FromHours(1)), DateTimeKind.Utc) - Now.UtcDateTime;
        await location.BookAsync(new BookingRequest("r1", day1, Now + pastMidnight + TimeSpan.FromHours(1)));
        ClusterFixture.Time.Advance(pastMidnight);
        var day2 = DateOnly.FromDateTime(Now.UtcDateTime);
        await location.BookAsync(new BookingRequest("r2", day2, Now.AddHours(1)));

        var late = await location.ConfirmBookingAsync("r1", "o1", day2);
        var onTime = await location.ConfirmBookingAsync("r2", "o2", day2);

        Assert.Equal((BookingStatus.Booked, day2.AddDays(1)), (late.Status, late.Capacity!.Date));
        Assert.Equal((BookingStatus.Booked, day2), (onTime.Status, onTime.Capacity!.Date));
        Assert.Equal((1, 1, 0), ((await location.GetCapacityAsync(day2))!.Booked, (await location.GetCapacityAsync(day2.AddDays(1)))!.Booked, (await location.GetCapacityAsync(day1))!.Booked));
    }

    [Fact]
    public async Task A_booking_whose_day_passed_is_not_kept_when_the_location_works_no_day_ahead()
    {
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var id = _world.Id("closed");
        var location = fixture.Grains.GetGrain<ILocationGrain>(id);
        var closed = Enumerable.Range(1, Dom.Domain.Sourcing.SiteCalendar.HorizonDays + 1).Select(d => today.AddDays(d)).ToList();
        await location.PutAsync(new LocationInfo(id, "store", LocationType.Store, 52, 13, 10, "DE", new LocationCalendar([], closed, null)));
        var untilMidnight = today.AddDays(1).ToDateTime(TimeOnly.FromTimeSpan(TimeSpan.FromHours(1)), DateTimeKind.Utc) - Now.UtcDateTime;
        await location.BookAsync(new BookingRequest("r1", today, Now + untilMidnight + TimeSpan.FromHours(1)));
        ClusterFixture.Time.Advance(untilMidnight);

        var confirmed = await location.ConfirmBookingAsync("r1", "o1", DateOnly.FromDateTime(Now.UtcDateTime));

        Assert.Equal(BookingStatus.Full, confirmed.Status);
        Assert.Equal(1, (await location.GetCapacityAsync(today))!.Booked);
    }

    [Fact]
    public async Task A_repeated_booking_answers_with_the_day_it_booked()
    {
        var location = fixture.Grains.GetGrain<ILocationGrain>(await _world.LocationAsync("cap", 52, 13, capacityPerDay: 3));
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        await location.BookAsync(new BookingRequest("r1", today, Now.AddHours(1)));

        var again = await location.BookAsync(new BookingRequest("r1", today.AddDays(1), Now.AddHours(1)));

        Assert.Equal((BookingStatus.AlreadyBooked, today, 1), (again.Status, again.Capacity!.Date, again.Capacity.Booked));
    }

    [Fact]
    public async Task A_location_forgets_the_bookings_of_days_long_past_and_keeps_the_rest()
    {
        var location = fixture.Grains.GetGrain<ILocationGrain>(await _world.LocationAsync("l", 52, 13, capacityPerDay: 5));
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var later = today.AddDays(Locations.LocationGrain.DaysKept + 3);
        await location.ConfirmBookingAsync("r1", "o1", today);
        await location.ConfirmBookingAsync("r2", "o2", today);
        await location.ConfirmBookingAsync("r3", "o3", later);
        await location.SetCapacityAsync(new SetCapacityRequest(today, 3));

        ClusterFixture.Time.Advance(TimeSpan.FromDays(Locations.LocationGrain.DaysKept + 1));
        var past = await location.GetCapacityAsync(today);
        await fixture.DeactivateAllAsync();
        var reloaded = (await location.GetCapacityAsync(today), await location.GetCapacityAsync(later));

        Assert.Equal((0, 5), (past!.Booked, past.Limit));
        Assert.Equal((0, 1), (reloaded.Item1!.Booked, reloaded.Item2!.Booked));
    }
}
