using Dom.Orders;
using Dom.Sourcing;

namespace Dom.Grains.Tests;

/// <summary>A click &amp; collect customer who will collect at another store: while nothing is ready at the old one or on
/// its way there, every unit goes to the new store (the old store's own units by transfer, units out of the new store's
/// reach routed again first), and the customer is told.</summary>
[Collection(ClusterCollection.Name)]
public class PickupStoreChangeTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task The_old_store_s_own_units_are_sent_to_the_new_store_and_handed_over_there_once_per_change()
    {
        var (sku, old, store) = (await _world.ArticleAsync("a"), await _world.StoreAsync("old"), await _world.StoreAsync("new"));
        await _world.StockAsync(sku, old, 5);
        var id = await _world.PickupOrderAsync(sku, old, 2);

        var changed = await Order(id).ChangePickupStoreAsync("c1", store);
        var retried = await Order(id).ChangePickupStoreAsync("c1", store);
        var elsewhere = await Order(id).ChangePickupStoreAsync("c1", old);
        var readyAtOld = await Order(id).ReportAsync(Event("r0", old, FulfilmentEventType.ReadyForPickup));
        var shipped = await Order(id).ReportAsync(Event("s", old, FulfilmentEventType.Shipped));
        var ready = await Order(id).ReportAsync(Event("r", store, FulfilmentEventType.ReadyForPickup));
        var pickedUp = (await Order(id).ReportAsync(Event("p", store, FulfilmentEventType.PickedUp))).Order!;
        var messages = (await Order(id).MessagesAsync())!;

        Assert.Equal((OrderCommandStatus.Done, store), (changed.Status, changed.Order!.Delivery.PickupLocationId));
        Assert.Equal((OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict), (retried.Status, elsewhere.Status));
        // At the old store the units are no longer the customer's to collect: it sends them on.
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.Done, OrderCommandStatus.Done), (readyAtOld.Status, shipped.Status, ready.Status));
        Assert.Equal(OrderStatus.Delivered, pickedUp.Status);
        Assert.Equal(2, pickedUp.Invoices.Sum(i => i.Lines.Sum(l => l.Quantity)));
        Assert.Equal((3, 0), ((await _world.Slot(sku, old).GetAsync())!.OnHand, (await _world.Slot(sku, old).GetAsync())!.Allocated));
        Assert.Equal($"Your order {id} will wait for you at {store}; we tell you when it is ready there.", messages.Single(m => m.Type == "pickupStoreChanged").Text);
        Assert.Equal($"Your order {id} is waiting for you at {store}.", messages.Single(m => m.Type == "readyForPickup").Text);
    }

    [Fact]
    public async Task Units_ready_at_the_old_store_on_their_way_to_it_or_packed_for_it_keep_the_store_and_a_store_without_click_and_collect_is_refused()
    {
        var (sku, old, store, warehouse) = (await _world.ArticleAsync("a"), await _world.StoreAsync("old"), await _world.StoreAsync("new"), await _world.LocationAsync("w", 52.6, 13.5));
        await _world.StockAsync(sku, old, 5);
        await _world.StockAsync(sku, warehouse, 5);
        var ready = await _world.PickupOrderAsync(sku, old, 1, "o1");
        await Order(ready).ReportAsync(Event("r", old, FulfilmentEventType.ReadyForPickup));
        var sent = await _world.PickupOrderAsync(sku, old, 1, "o2");
        // The old store rejects its unit: it comes from the warehouse, which sends it.
        await Order(sent).ReportAsync(Event("x", old, FulfilmentEventType.Rejected));
        await Order(sent).ReportAsync(Event("s", warehouse, FulfilmentEventType.Shipped));
        var open = await _world.PickupOrderAsync(sku, old, 1, "o3");
        // Packed at the warehouse for the old store: its parcel is labelled for it.
        var packed = await _world.PickupOrderAsync(sku, old, 1, "o4");
        await Order(packed).ReportAsync(Event("x", old, FulfilmentEventType.Rejected));
        await Order(packed).ReportAsync(Event("p", warehouse, FulfilmentEventType.Packed));

        var fromShelf = await Order(ready).ChangePickupStoreAsync("c", store);
        var onTheirWay = await Order(sent).ChangePickupStoreAsync("c", store);
        var labelled = await Order(packed).ChangePickupStoreAsync("c", store);
        var toWarehouse = await Order(open).ChangePickupStoreAsync("c1", warehouse);
        var toNowhere = await Order(open).ChangePickupStoreAsync("c2", _world.Id("nowhere"));

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (fromShelf.Status, onTheirWay.Status));
        Assert.Contains("ready for pickup", fromShelf.Problem);
        Assert.Contains($"on their way from {warehouse}", onTheirWay.Problem);
        Assert.Equal((OrderCommandStatus.NotAllowed, $"Units of line l1 are packed for {old} at {warehouse}."), (labelled.Status, labelled.Problem));
        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (toWarehouse.Status, toNowhere.Status));
        Assert.Contains("offers no click & collect", toWarehouse.Problem);
        Assert.Equal(old, (await Order(open).GetAsync())!.Delivery.PickupLocationId);
    }

    [Fact]
    public async Task Units_waiting_for_supply_are_routed_to_the_new_store()
    {
        var (sku, old, store) = (await _world.ArticleAsync("a"), await _world.StoreAsync("old"), await _world.StoreAsync("new"));
        var id = await _world.PickupOrderAsync(sku, old, 1);

        var changed = await Order(id).ChangePickupStoreAsync("c", store);
        await _world.StockAsync(sku, store, 1);
        var routed = (await Order(id).RetryBackordersAsync()).Order!;

        Assert.Equal(OrderStatus.Backordered, changed.Order!.Status);
        Assert.Equal([(store, AllocationStatus.Allocated)], routed.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(Event("r", store, FulfilmentEventType.ReadyForPickup))).Status);
    }

    [Fact]
    public async Task A_change_to_the_store_it_already_has_is_answered_as_first_when_retried_after_another_change()
    {
        var (sku, old, store) = (await _world.ArticleAsync("a"), await _world.StoreAsync("old"), await _world.StoreAsync("new"));
        await _world.StockAsync(sku, old, 5);
        var id = await _world.PickupOrderAsync(sku, old, 1);

        var same = await Order(id).ChangePickupStoreAsync("c1", old);
        await Order(id).ChangePickupStoreAsync("c2", store);
        // The answer to c1 was lost: the channel sends it again.
        var retried = await Order(id).ChangePickupStoreAsync("c1", old);

        Assert.Equal(OrderCommandStatus.Done, same.Status);
        Assert.Equal((OrderCommandStatus.AlreadyDone, store), (retried.Status, (await Order(id).GetAsync())!.Delivery.PickupLocationId));
    }

    [Fact]
    public async Task An_order_shipped_to_an_address_has_no_pickup_store_to_change()
    {
        var (sku, warehouse, store) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.6, 13.5), await _world.StoreAsync("new"));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(World.PickupOrder(id, sku, 1, store) with { Delivery = new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null) });

        var changed = await Order(id).ChangePickupStoreAsync("c", store);

        Assert.Equal(OrderCommandStatus.NotAllowed, changed.Status);
        Assert.Contains("ships to an address", changed.Problem);
    }

    [Fact]
    public async Task Units_at_a_location_out_of_the_new_store_s_reach_are_routed_again_first_or_the_store_stays()
    {
        // The channel ships no further than 300 km: Berlin's warehouse does not reach a store in Munich.
        var channel = _world.Id("web");
        var profile = fixture.Grains.GetGrain<ISourcingProfileGrain>(channel);
        var version = await profile.CreateDraftAsync(new SourcingProfileDraft { MaxDistanceKm = 300 });
        Assert.Equal(ProfileChangeStatus.Activated, (await profile.ActivateAsync(new ActivateProfileRequest(version.Version))).Status);
        var (sku, berlin, munich) = (await _world.ArticleAsync("a"), await _world.LocationAsync("berlin", 52.52, 13.40), await _world.LocationAsync("munich", 48.14, 11.58));
        var (old, there) = (await _world.StoreAsync("old"), await _world.StoreAsync("there", 48.14, 11.57));
        await _world.StockAsync(sku, berlin, 2);
        var (moved, stuck) = (_world.Id("o1"), _world.Id("o2"));
        await Order(moved).CreateAsync(World.PickupOrder(moved, sku, 1, old) with { Channel = channel });
        await Order(stuck).CreateAsync(World.PickupOrder(stuck, sku, 1, old) with { Channel = channel });

        var refused = await Order(stuck).ChangePickupStoreAsync("c", there);
        await _world.StockAsync(sku, munich, 1);
        var changed = await Order(moved).ChangePickupStoreAsync("c", there);

        Assert.Equal(OrderCommandStatus.NotAllowed, refused.Status);
        Assert.Equal($"No location that reaches the new store can take over line l1 now; the pickup store is unchanged.", refused.Problem);
        Assert.Equal(old, refused.Order!.Delivery.PickupLocationId);
        Assert.Equal(OrderCommandStatus.Done, changed.Status);
        Assert.Equal([(berlin, AllocationStatus.Cancelled), (munich, AllocationStatus.Allocated)], changed.Order!.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        // Berlin keeps the other order's unit, and has this one back.
        Assert.Equal((1, 1), ((await _world.Slot(sku, berlin).GetAsync())!.Allocated, await _world.AvailableAsync(sku, berlin)));
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static FulfilmentEvent Event(string eventId, string at, FulfilmentEventType type) => new(eventId, "l1", at, type, null, null, null);
}
