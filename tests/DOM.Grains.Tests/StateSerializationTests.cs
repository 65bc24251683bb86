using System.Collections.Immutable;
using Dom.Articles;
using Dom.Grains.Articles;
using Dom.Grains.Locations;
using Dom.Grains.Reservations;
using Dom.Grains.Stock;
using Dom.Locations;
using Dom.Orders;
using Dom.Reservations;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Dom.Grains.Tests;

/// <summary>Every journaled event and snapshot goes through the Orleans serializer (as the journal stores it), and
/// every grain-storage state through the storage serializer PostgreSQL uses, and comes back equal.</summary>
[Collection(ClusterCollection.Name)]
public class StateSerializationTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private Serializer Serializer => fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();

    public static TheoryData<object> Events => new()
    {
        new StockCounted(12, 2),
        new StockCounted(12, 2, "count-1"),
        new UnitsReturned("o/r1/l1", 2),
        new AllocationEnded("o/1", 2, AllocationEnd.Shipped, BelowZero: true),
        new HoldPlaced("r1", 3, "web", At),
        new HoldReleased("r1"),
        new LocationDefined(new LocationInfo("l", "L", LocationType.Store, 52.5, 13.4, 40, "DE")),
        new CapacityLimitSet(new DateOnly(2026, 11, 27), 0),
        new CapacityBooked("r1", new DateOnly(2026, 11, 26), At),
        new CapacityBookingReleased("r1"),
        new ReservationRecorded("F", "web", new ReservationView("r", ReservationStatus.Held, At, [], [])),
        new ReservationStatusChanged(ReservationStatus.Released),
        new ReservationAbandoned("r~1"),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Journal_events_round_trip_through_their_base_type(object @event)
    {
        var copy = @event switch
        {
            SlotEvent e => (object)RoundTrip(e),
            LocationEvent e => RoundTrip(e),
            ReservationEvent e => RoundTrip(e),
            _ => throw new InvalidOperationException(),
        };

        Assert.Equal(@event.GetType(), copy.GetType());
        if (@event is not ReservationRecorded)
        {
            Assert.Equal(@event, copy);
        }
    }

    [Fact]
    public void A_slot_state_read_by_a_silo_that_knows_no_allocation_waits_counts_those_allocations_as_due_now()
    {
        // No units on hand, 5 arriving tomorrow; a reservation promised by day 3 holds them, an order takes it over.
        var converted = (new StockSlotState { Exists = true } with { Inbound = ImmutableDictionary<string, InboundBatch>.Empty.Add("po-1", new InboundBatch(5, At.AddDays(1))) })
            .WithHold("r1", new SlotHold(5, "web", At.AddHours(1), 0, At.AddDays(3)))
            .WithAllocation("o1/l1", 5, "r1");
        // What an earlier build keeps of its snapshot (the members it knows), which then takes the delivery in, ships
        // the order's units and hears of the next delivery.
        var earlierBuild = converted with { AllocationWaits = ImmutableDictionary<string, WaitingShare>.Empty, Received = [] };
        var shipped = (earlierBuild with { OnHand = 5, Inbound = earlierBuild.Inbound.Remove("po-1") }).WithAllocationEnded("o1/l1", 5, AllocationEnd.Shipped);
        var announced = shipped with { Inbound = shipped.Inbound.Add("po-2", new InboundBatch(10, At.AddDays(2))) };

        Assert.Equal((0, 0), (converted.Overcommitted, converted.Available));
        Assert.Equal((0, 0, 0), (announced.OnHand, announced.Allocated, announced.Available));
    }

    [Fact]
    public void A_shipment_an_earlier_build_stored_replays_clamped_at_zero_as_it_was_acknowledged()
    {
        var allocated = new StockSlotState { Exists = true, OnHand = 3 }.WithAllocation("o/1", 5, null);
        var stored = RoundTrip<SlotEvent>(new AllocationEnded("o/1", 5, AllocationEnd.Shipped));
        var fromThisBuild = RoundTrip<SlotEvent>(new AllocationEnded("o/1", 5, AllocationEnd.Shipped, BelowZero: true));

        var earlier = (AllocationEnded)stored;
        var now = (AllocationEnded)fromThisBuild;

        Assert.Equal(0, allocated.WithAllocationEnded(earlier.AllocationId, earlier.Quantity, earlier.End, earlier.BelowZero).OnHand);
        Assert.Equal(-2, allocated.WithAllocationEnded(now.AllocationId, now.Quantity, now.End, now.BelowZero).OnHand);
    }

    [Fact]
    public void Api_key_states_round_trip_through_grain_storage_s_serializer()
    {
        var key = new Access.ApiKeyState { Grant = new Dom.Access.ApiKeyGrant(Dom.Access.ApiRole.Store, "store-1"), RevokedAt = At };
        var entry = new Dom.Access.IssuedKeyEntry(new string('A', 64), Dom.Access.ApiRole.Channel, "web", At, null);
        var registry = new Access.ApiKeyRegistryState { Keys = ImmutableDictionary<string, Dom.Access.IssuedKeyEntry>.Empty.Add(entry.KeyId, entry) };

        var (keyCopy, registryCopy) = (RoundTrip(key), RoundTrip(registry));

        Assert.Equal(key, keyCopy);
        Assert.Equal(entry, registryCopy.Keys[entry.KeyId]);
        Assert.Single(registryCopy.Keys);
    }

    [Fact]
    public void The_promotion_catalogue_and_an_order_s_discounts_round_trip_through_the_storage_serializer()
    {
        var promotion = new Dom.Promotions.Promotion("p1", "3 for 2", Dom.Promotions.PromotionKind.BuyXGetY, 50m, null, null, 2, 1, ["a"], ["web"], "CODE", "EUR", At, At.AddDays(1), 3, true);
        var catalog = new Promotions.PromotionCatalogState { Promotions = ImmutableDictionary<string, Dom.Promotions.Promotion>.Empty.Add("p1", promotion) };
        var order = new Orders.OrderState { Discounts = [new Orders.PricedDiscount("l1", "p1", "3 for 2", 10m)] };
        var line = new Dom.Orders.OrderLine("l1", "a", 3, 30m, Dom.Orders.LineStatus.Open, [], Discounts: [new Dom.Orders.LineDiscount("p1", "3 for 2", 10m)]);

        var (catalogCopy, orderCopy, lineCopy) = (RoundTrip(catalog), RoundTrip(order), RoundTrip(line));

        var copied = catalogCopy.Promotions["p1"];
        Assert.Equal(promotion with { Skus = null, Channels = null }, copied with { Skus = null, Channels = null });
        Assert.Equal(["a"], copied.Skus!);
        Assert.Equal(["web"], copied.Channels!);
        Assert.Equal(order.Discounts, orderCopy.Discounts);
        Assert.Equal((10m, 80m), (lineCopy.Discount, lineCopy.Value));
    }

    [Fact]
    public void A_bundle_s_parts_and_a_backorder_queue_round_trip_through_the_storage_serializer()
    {
        var part = new Dom.Orders.BundlePart("l1", "kit", 2, 15.01m, AllowSplit: true);
        var order = new Orders.OrderState { Parts = [new Orders.PlannedPart("l1.1", "a", 4, part)] };
        var line = new Dom.Orders.OrderLine("l1.1", "a", 4, 3.75m, Dom.Orders.LineStatus.Open, [], Bundle: part);
        var entry = new Dom.Orders.BackorderEntry("o1", At, true);
        var queue = new Orders.BackorderQueueState { Entries = ImmutableDictionary<string, Dom.Orders.BackorderEntry>.Empty.Add("o1", entry) };

        var (orderCopy, lineCopy, queueCopy) = (RoundTrip(order), RoundTrip(line), RoundTrip(queue));

        Assert.Equal(order.Parts, orderCopy.Parts);
        Assert.Equal((part, 15.01m), (lineCopy.Bundle, lineCopy.Value));
        Assert.Equal(entry, queueCopy.Entries["o1"]);
    }

    [Fact]
    public void Ledger_events_an_order_s_location_notices_and_payment_events_round_trip_through_the_storage_serializer()
    {
        var entry = new Dom.Finance.LedgerEntry("o/Invoice/i1/0", At, Dom.Finance.LedgerEntryKind.Invoice, "o", "web", "c", "i1", "card", 10m, "EUR", 1.60m);
        var order = new Orders.OrderState
        {
            Notices = [new Orders.LocationNotice("o-l1", "allocated", At, "ds", "l1", "a", 2, "o/l1@ds")],
            NoticesSent = 1,
            View = null,
        };
        var payment = new Dom.Orders.PaymentRecord("p1", Dom.Orders.PaymentEventType.Chargeback, 0, "card", 5m, "i1", "dispute", At);
        var returned = new Dom.Orders.OrderReturn("r1", "store", Dom.Orders.ReturnStatus.Received, [], At, At, 25m, [], 3.99m);

        var (ledgerCopy, orderCopy, paymentCopy, returnCopy) = (RoundTrip(new Finance.LedgerAppended([entry])), RoundTrip(order), RoundTrip(payment), RoundTrip(returned));

        Assert.Equal(entry, ledgerCopy.Entries.Single());
        Assert.Equal((order.Notices.Single(), 1), (orderCopy.Notices.Single(), orderCopy.NoticesSent));
        Assert.Equal(payment, paymentCopy);
        Assert.Equal((25m, 3.99m), (returnCopy.Refund, returnCopy.Vat));
    }

    [Fact]
    public void A_customer_s_orders_round_trip_with_their_channel_and_name()
    {
        var placed = new Dom.Customers.CustomerOrderPlaced("o1", At, "a@b.de", "Ada", "web");
        var state = new Customers.CustomerState { Exists = true, Orders = [new Customers.CustomerOrderRef("o1", At, "a@b.de", "web", "Ada")] };

        var (eventCopy, stateCopy) = (RoundTrip<Customers.CustomerEvent>(new Customers.CustomerOrdered(placed)), RoundTrip(state));

        Assert.Equal(placed, ((Customers.CustomerOrdered)eventCopy).Order);
        Assert.Equal(state.Orders, stateCopy.Orders);
    }

    [Fact]
    public void Slot_snapshot_round_trips()
    {
        var state = new StockSlotState { Exists = true, OnHand = 12, SafetyStock = 2, Allocated = 1, Counts = [new RecordedCount("count-1", 12, 2)] }
            .WithHold("r1", new SlotHold(3, "web", At));

        var copy = RoundTrip(state);

        Assert.Equal((state.Exists, state.OnHand, state.SafetyStock, state.Allocated, 3), (copy.Exists, copy.OnHand, copy.SafetyStock, copy.Allocated, copy.Held));
        Assert.Equal(state.Counts, copy.Counts);
        Assert.Equal(state.Holds.Values.ToList(), copy.Holds.Values.ToList());
    }

    [Fact]
    public void A_slot_snapshot_taken_with_immutable_holds_loads_into_the_owned_map()
    {
        var legacy = new LegacySlotState
        {
            Exists = true,
            OnHand = 12,
            Held = 5,
            Holds = ImmutableDictionary<string, SlotHold>.Empty.Add("r1", new SlotHold(3, "web", At)).Add("r2", new SlotHold(2, "pos", At)),
        };

        var loaded = Serializer.Deserialize<StockSlotState>(Serializer.SerializeToArray(legacy))!;

        Assert.Equal((true, 12, 5), (loaded.Exists, loaded.OnHand, loaded.Held));
        Assert.Equal(legacy.Holds.OrderBy(h => h.Key).ToList(), loaded.Holds.Values.OrderBy(h => h.Key).ToList());
        Assert.Equal(2, loaded.WithoutHolds(["r1"]).Held);
    }

    [Fact]
    public void A_location_snapshot_taken_with_immutable_bookings_loads_into_the_owned_maps()
    {
        var day = new DateOnly(2026, 11, 26);
        var legacy = new LegacyLocationState
        {
            Info = new LocationInfo("l", "L", LocationType.Store, 52.5, 13.4, 40, "DE"),
            Bookings = ImmutableDictionary<string, CapacityBooking>.Empty.Add("r1", new CapacityBooking(day, At)).Add("r2", new CapacityBooking(day, At)),
            Booked = ImmutableDictionary<DateOnly, int>.Empty.Add(day, 2),
        };

        var loaded = Serializer.Deserialize<LocationState>(Serializer.SerializeToArray(legacy))!;

        Assert.Equal(legacy.Info, loaded.Info);
        Assert.Equal(legacy.Bookings.OrderBy(b => b.Key).ToList(), loaded.Bookings.Values.OrderBy(b => b.Key).ToList());
        Assert.Equal(2, loaded.Capacity(day).Booked);
        Assert.Equal(1, loaded.WithoutBookings(["r2"]).Capacity(day).Booked);
    }

    [Fact]
    public void Location_snapshot_round_trips()
    {
        var state = new LocationState { Info = new LocationInfo("l", "L", LocationType.Store, 52.5, 13.4, 40, "DE") }
            .WithBooking("r1", new CapacityBooking(new DateOnly(2026, 11, 26), At)) with
        {
            Limits = ImmutableDictionary<DateOnly, int>.Empty.Add(new DateOnly(2026, 11, 27), 0),
        };

        var copy = RoundTrip(state);

        Assert.Equal(state.Info, copy.Info);
        Assert.Equal(state.Limits.ToList(), copy.Limits.ToList());
        Assert.Equal(state.Bookings.Values.ToList(), copy.Bookings.Values.ToList());
        Assert.Equal(state.Booked.Values.ToList(), copy.Booked.Values.ToList());
    }

    [Fact]
    public void Reservation_state_round_trips()
    {
        var view = new ReservationView("r", ReservationStatus.Held, At, [new ReservationLine("a", 2, [new Allocation("l", 2)])], [new Shortage("b", 3, 1)]);

        var copy = RoundTrip(new ReservationState { Fingerprint = "F", Channel = "web", View = view });

        Assert.Equal(("F", "web"), (copy.Fingerprint, copy.Channel));
        Assert.Equal((view.ReservationId, view.Status, view.ExpiresAt), (copy.View!.ReservationId, copy.View.Status, copy.View.ExpiresAt));
        Assert.Equal(view.Lines.Single().Allocations, copy.View.Lines.Single().Allocations);
        Assert.Equal(view.Shortages, copy.View.Shortages);
    }

    [Fact]
    public void An_order_s_returns_and_the_restock_it_owes_round_trip()
    {
        var received = new OrderReturn("r1", "store", ReturnStatus.Received, [new ReturnLine("l1", "a", 2, "tooSmall", 1, 1, 39.98m, 2)], At, At.AddDays(2), 39.98m);
        var effects = new Dom.Grains.Orders.OrderEffects([], [], [new Dom.Grains.Orders.Restock("a", "store", "o/r1/l1", 1)]);

        var (returned, owed) = (RoundTrip(received), RoundTrip(effects));

        Assert.Equal(received with { Lines = [] }, returned with { Lines = [] });
        Assert.Equal(received.Lines, returned.Lines);
        Assert.Equal(effects.Restocks, owed.Restocks);
    }

    [Fact]
    public void Article_state_round_trips_through_the_grain_storage_serializer()
    {
        var storage = new OrleansGrainStorageSerializer(Serializer);
        var state = new ArticleState
        {
            Info = new ArticleInfo("a", "A", ArticleKind.GiftCard, "text"),
            Index = ImmutableDictionary<string, IndexEntry>.Empty.Add("l", new IndexEntry(4, 9)),
            PartOf = ImmutableSortedSet.Create(StringComparer.Ordinal, "kit-b", "kit-a"),
            Leaving = ImmutableSortedSet.Create(StringComparer.Ordinal, "old"),
        };

        var copy = storage.Deserialize<ArticleState>(storage.Serialize(state))!;

        Assert.Equal(state.Info, copy.Info);
        Assert.Equal(state.Index.ToList(), copy.Index.ToList());
        Assert.Equal(["kit-a", "kit-b"], copy.PartOf);
        Assert.Equal(["old"], copy.Leaving);
        Assert.True(copy.PartOf.Add("kit-a").SequenceEqual(copy.PartOf));
    }

    private T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;
}

/// <summary>A stock slot's snapshot as it was stored before holds became an <see cref="Dom.Grains.Hosting.OwnedMap{TKey, TValue}"/>.</summary>
[GenerateSerializer, Alias("dom.tests.legacy-slot-state")]
public sealed record LegacySlotState
{
    [Id(0)] public bool Exists { get; init; }

    [Id(1)] public int OnHand { get; init; }

    [Id(3)] public ImmutableDictionary<string, SlotHold> Holds { get; init; } = ImmutableDictionary<string, SlotHold>.Empty;

    [Id(5)] public int Held { get; init; }
}

/// <summary>A location's snapshot as it was stored before bookings became <see cref="Dom.Grains.Hosting.OwnedMap{TKey, TValue}"/>s.</summary>
[GenerateSerializer, Alias("dom.tests.legacy-location-state")]
public sealed record LegacyLocationState
{
    [Id(0)] public LocationInfo? Info { get; init; }

    [Id(2)] public ImmutableDictionary<string, CapacityBooking> Bookings { get; init; } = ImmutableDictionary<string, CapacityBooking>.Empty;

    [Id(3)] public ImmutableDictionary<DateOnly, int> Booked { get; init; } = ImmutableDictionary<DateOnly, int>.Empty;
}
