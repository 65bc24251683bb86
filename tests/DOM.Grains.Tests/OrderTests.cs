using Dom.Locations;
using Dom.Orders;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

[Collection(ClusterCollection.Name)]
public class OrderTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task An_order_past_its_promised_date_without_delivery_is_late_and_listed_as_late()
    {
        var (sku, location) = await StockedAsync();
        var (late, onTime) = (_world.Id("late"), _world.Id("ontime"));
        var promised = ClusterFixture.Time.GetUtcNow().AddHours(2);
        await Order(late).CreateAsync(Request(late, sku, promised));
        await Order(onTime).CreateAsync(Request(onTime, sku, promised.AddDays(1)));

        ClusterFixture.Time.Advance(TimeSpan.FromHours(3));
        var lateView = await Order(late).GetAsync();
        var lateList = await fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(late))
            .QueryAsync(new OrderQuery(null, null, "c-" + late, null, true, null, 10));

        Assert.True(lateView!.Late);
        Assert.False((await Order(onTime).GetAsync())!.Late);
        Assert.Equal([late], lateList.Select(o => o.OrderId));
    }

    [Fact]
    public async Task An_order_is_late_only_past_its_promised_time_the_same_in_its_view_and_in_the_list()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, ClusterFixture.Time.GetUtcNow().AddHours(2)));
        var index = fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(id));
        async Task<(bool View, bool Listed)> LateAsync() =>
            ((await Order(id).GetAsync())!.Late, (await index.QueryAsync(new OrderQuery(null, null, "c-" + id, null, null, null, 10))).Single().Late);

        ClusterFixture.Time.Advance(TimeSpan.FromHours(2));
        var atThePromise = await LateAsync();
        ClusterFixture.Time.Advance(TimeSpan.FromTicks(1));
        var past = await LateAsync();

        Assert.Equal((false, false), atThePromise);
        Assert.Equal((true, true), past);
    }

    [Fact]
    public async Task A_click_and_collect_order_ready_at_the_store_is_not_late_and_the_customer_is_told_once()
    {
        var (id, store) = await PickupOrderOfTwoLinesAsync(ClusterFixture.Time.GetUtcNow().AddHours(1));

        var first = await Order(id).ReportAsync(new FulfilmentEvent("r1", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        var second = await Order(id).ReportAsync(new FulfilmentEvent("r2", "l2", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        ClusterFixture.Time.Advance(TimeSpan.FromHours(3));
        var waiting = await Order(id).GetAsync();
        var listed = (await fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(id)).QueryAsync(new OrderQuery(null, null, "c-" + id, null, null, null, 10))).Single();

        Assert.DoesNotContain(first.Order!.Outbox, n => n.Type == "readyForPickup");
        Assert.Single(second.Order!.Outbox, n => n.Type == "readyForPickup");
        Assert.Equal((OrderStatus.Shipped, false), (waiting!.Status, waiting.Late));
        Assert.False(listed.Late);
    }

    [Fact]
    public async Task A_click_and_collect_customer_is_told_when_the_last_line_not_ready_is_cancelled()
    {
        var (id, store) = await PickupOrderOfTwoLinesAsync(null);

        await Order(id).ReportAsync(new FulfilmentEvent("r1", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        var cancelled = await Order(id).CancelAsync("l2");

        Assert.Equal(OrderStatus.Shipped, cancelled.Order!.Status);
        Assert.Single(cancelled.Order.Outbox, n => n.Type == "readyForPickup");
    }

    [Fact]
    public async Task A_held_order_whose_lines_are_all_cancelled_as_unavailable_is_no_longer_held()
    {
        var sku = await _world.ArticleAsync("a");
        await _world.LocationAsync("l", 52, 13);
        var id = _world.Id("o");
        var held = await Order(id).CreateAsync(Request(id, sku, null) with { Channel = "marketplace", Lines = [new OrderLineRequest("l1", sku, 1, 3_000m)] });

        var released = await Order(id).ReviewAsync(new ReviewDecision(true, null));

        Assert.Equal((RiskDecision.Review, OrderStatus.Cancelled), (held.Order!.Risk.Decision, held.Order.Status));
        Assert.Equal(OrderCommandStatus.NotAllowed, released.Status);
        Assert.DoesNotContain(released.Order!.Outbox, n => n.Type == "orderConfirmed");
    }

    [Fact]
    public async Task The_backorder_retry_leaves_out_the_location_that_rejected_the_line()
    {
        var sku = await _world.ArticleAsync("a");
        var x = await _world.LocationAsync("x", 52.5, 13.4);
        await _world.StockAsync(sku, x, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));

        var rejected = await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", x, FulfilmentEventType.Rejected, null, null, null));
        var retried = await Order(id).RetryBackordersAsync();

        Assert.Equal(0, rejected.Order!.Lines.Single().AllocatedQuantity);
        Assert.Equal(0, retried.Order!.Lines.Single().AllocatedQuantity);
        Assert.Equal((4, 0), ((await _world.Slot(sku, x).GetAsync())!.OnHand, (await _world.Slot(sku, x).GetAsync())!.Allocated));
    }

    [Fact]
    public async Task Click_and_collect_from_a_warehouse_is_shipped_to_the_store_made_ready_there_and_picked_up()
    {
        var sku = await _world.ArticleAsync("a");
        var (store, warehouse) = (await _world.StoreAsync(), await _world.LocationAsync("w", 52.6, 13.5));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 2) with { Delivery = PickupAt(store) });
        FulfilmentEvent Event(string eventId, string at, FulfilmentEventType type) => new(eventId, "l1", at, type, null, null, null);

        var readyTooEarly = await Order(id).ReportAsync(Event("r0", store, FulfilmentEventType.ReadyForPickup));
        var readyFromWarehouse = await Order(id).ReportAsync(Event("r1", warehouse, FulfilmentEventType.ReadyForPickup));
        var shipped = await Order(id).ReportAsync(Event("s", warehouse, FulfilmentEventType.Shipped));
        var ready = await Order(id).ReportAsync(Event("r2", store, FulfilmentEventType.ReadyForPickup));
        var pickedUp = await Order(id).ReportAsync(Event("p", store, FulfilmentEventType.PickedUp));
        var slot = await _world.Slot(sku, warehouse).GetAsync();

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (readyTooEarly.Status, readyFromWarehouse.Status));
        Assert.Equal((OrderCommandStatus.Done, OrderCommandStatus.Done, OrderCommandStatus.Done), (shipped.Status, ready.Status, pickedUp.Status));
        Assert.DoesNotContain(shipped.Order!.Outbox, n => n.Type == "shipped");
        Assert.Single(ready.Order!.Outbox, n => n.Type == "readyForPickup");
        Assert.Equal(OrderStatus.Delivered, pickedUp.Order!.Status);
        Assert.Equal((3, 0), (slot!.OnHand, slot.Allocated));
    }

    [Fact]
    public async Task A_line_the_pickup_store_rejects_comes_from_a_warehouse_by_transfer()
    {
        var sku = await _world.ArticleAsync("a");
        var (store, warehouse) = (await _world.StoreAsync(), await _world.LocationAsync("w", 52.6, 13.5));
        // More at the store than it rejects: the re-route must leave its stock out, not find it empty.
        await _world.StockAsync(sku, store, 5);
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, sku, null) with { Delivery = PickupAt(store) });

        var rejected = await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.Rejected, null, null, null));
        var nowhere = _world.Id("o2");
        var unrouted = await Order(nowhere).CreateAsync(Request(nowhere, await _world.ArticleAsync("none"), null) with { Delivery = PickupAt(store) });
        var storeList = await fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(nowhere)).QueryAsync(new OrderQuery(null, null, "c-" + nowhere, store, null, null, 10));

        Assert.Equal(store, created.Order!.Lines.Single().Allocations.Single().LocationId);
        // A pickup order with nothing on its way to the store is not in the store's list (it could not open it).
        Assert.Equal(OrderStatus.Backordered, unrouted.Order!.Status);
        Assert.Empty(storeList);
        Assert.Equal([(store, AllocationStatus.Rejected), (warehouse, AllocationStatus.Allocated)], rejected.Order!.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.DoesNotContain(rejected.Order.Outbox, n => n.Type is "itemUnavailable" or "lineCancelled");
    }

    [Fact]
    public async Task Two_locations_may_use_the_same_event_id_for_their_own_events()
    {
        var (id, x, y) = await OrderOfTwoLinesAtTwoLocationsAsync();

        var atX = await Order(id).ReportAsync(new FulfilmentEvent("1", "l1", x, FulfilmentEventType.Accepted, null, null, null));
        var atY = await Order(id).ReportAsync(new FulfilmentEvent("1", "l2", y, FulfilmentEventType.Accepted, null, null, null));
        var retriedAtX = await Order(id).ReportAsync(new FulfilmentEvent("1", "l1", x, FulfilmentEventType.Accepted, null, null, null));

        Assert.Equal((OrderCommandStatus.Done, OrderCommandStatus.Done, OrderCommandStatus.AlreadyDone), (atX.Status, atY.Status, retriedAtX.Status));
        Assert.All(atY.Order!.Lines, l => Assert.Equal(AllocationStatus.Accepted, l.Allocations.Single().Status));
    }

    [Fact]
    public async Task A_delivered_order_is_never_late()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, ClusterFixture.Time.GetUtcNow().AddHours(1)));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", location, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", location, FulfilmentEventType.Delivered, null, null, null));

        ClusterFixture.Time.Advance(TimeSpan.FromHours(2));

        Assert.Equal((OrderStatus.Delivered, false), ((await Order(id).GetAsync())!.Status, (await Order(id).GetAsync())!.Late));
    }

    [Fact]
    public async Task A_shipped_partial_quantity_leaves_the_rest_allocated()
    {
        var (sku, location) = await StockedAsync(10);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 5));

        var first = await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", location, FulfilmentEventType.Shipped, 2, "UPS", "1Z1"));
        var tooMany = await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", location, FulfilmentEventType.Shipped, 4, "UPS", "1Z2"));
        var rest = await Order(id).ReportAsync(new FulfilmentEvent("s3", "l1", location, FulfilmentEventType.Shipped, 3, "UPS", "1Z3"));
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.Equal(OrderStatus.PartiallyShipped, first.Order!.Status);
        Assert.Equal(OrderCommandStatus.NotAllowed, tooMany.Status);
        Assert.Equal(OrderStatus.Shipped, rest.Order!.Status);
        Assert.Equal((5, 0, 5), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task Parcels_are_delivered_one_by_one_and_the_rest_cancelled_leaves_the_line_delivered()
    {
        var (sku, location) = await StockedAsync(10);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 5));
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", location, FulfilmentEventType.Shipped, 2, "UPS", "1Z1"));

        var first = await Order(id).ReportAsync(new FulfilmentEvent("d1", "l1", location, FulfilmentEventType.Delivered, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", location, FulfilmentEventType.Shipped, 2, "UPS", "1Z2"));
        var tooMany = await Order(id).ReportAsync(new FulfilmentEvent("d2", "l1", location, FulfilmentEventType.Delivered, 3, null, null));
        var second = await Order(id).ReportAsync(new FulfilmentEvent("d3", "l1", location, FulfilmentEventType.Delivered, 2, null, null));
        var cancelled = await Order(id).CancelAsync(null);
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.Equal((OrderStatus.PartiallyShipped, AllocationStatus.Shipped, 2), (first.Order!.Status, first.Order.Lines.Single().Allocations.Single().Status, first.Order.Lines.Single().Allocations.Single().Delivered));
        Assert.Equal(OrderCommandStatus.NotAllowed, tooMany.Status);
        Assert.Equal((OrderStatus.PartiallyShipped, 4), (second.Order!.Status, second.Order.Lines.Single().Allocations.Single().Delivered));
        Assert.Equal((OrderStatus.Delivered, LineStatus.Delivered, AllocationStatus.Delivered), (cancelled.Order!.Status, cancelled.Order.Lines.Single().Status, cancelled.Order.Lines.Single().Allocations.Single().Status));
        Assert.Equal((6, 0, 6), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task A_parcel_carrying_two_lines_is_one_shipped_message_and_the_next_parcel_another()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var location = await _world.LocationAsync("l", 52, 13);
        await _world.StockAsync(a, location, 5);
        await _world.StockAsync(b, location, 5);
        var id = _world.Id("o");
        var request = Request(id, a, null, quantity: 2);
        await Order(id).CreateAsync(request with { Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)] });

        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", location, FulfilmentEventType.Shipped, 1, "UPS", "1Z1"));
        var together = await Order(id).ReportAsync(new FulfilmentEvent("s2", "l2", location, FulfilmentEventType.Shipped, null, "UPS", "1Z1"));
        var next = await Order(id).ReportAsync(new FulfilmentEvent("s3", "l1", location, FulfilmentEventType.Shipped, null, "UPS", "1Z2"));

        Assert.Single(together.Order!.Outbox, n => n.Type == "shipped");
        Assert.Equal(2, next.Order!.Outbox.Count(n => n.Type == "shipped"));
    }

    [Fact]
    public async Task An_order_whose_id_looks_like_another_orders_routing_books_capacity_of_its_own()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52.5, 13.4));
        await _world.StockAsync(sku, location, 5);
        var first = _world.Id("o");
        var second = $"{first}.1";

        await Order(second).CreateAsync(Request(second, sku, null));
        var routed = await Order(first).CreateAsync(Request(first, sku, null));

        Assert.Equal([location], routed.Order!.Lines.Single().Allocations.Select(a => a.LocationId));
        Assert.Equal(2, await BookedAsync(location));
    }

    [Fact]
    public async Task A_pickup_order_at_a_location_without_click_and_collect_is_refused_and_stores_nothing()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");

        var refused = await Order(id).CreateAsync(Request(id, sku, null) with { Delivery = PickupAt(warehouse) });

        Assert.Equal(OrderOutcome.Unsupported, refused.Outcome);
        Assert.Null(await Order(id).GetAsync());
        Assert.Equal(5, (await _world.Slot(sku, warehouse).GetAsync())!.Available);
    }

    [Fact]
    public async Task A_step_reported_late_is_recorded_but_does_not_move_the_allocation_back()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));

        await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", location, FulfilmentEventType.Packed, null, null, null));
        var late = await Order(id).ReportAsync(new FulfilmentEvent("a", "l1", location, FulfilmentEventType.Accepted, null, null, null));
        var picked = await Order(id).ReportAsync(new FulfilmentEvent("k", "l1", location, FulfilmentEventType.Picked, null, null, null));

        Assert.Equal(OrderCommandStatus.Done, late.Status);
        Assert.Equal(AllocationStatus.Packed, late.Order!.Lines.Single().Allocations.Single().Status);
        Assert.Equal(AllocationStatus.Packed, picked.Order!.Lines.Single().Allocations.Single().Status);
        Assert.Contains(late.Order.History, h => h.Event == "accepted");
    }

    [Fact]
    public async Task A_retried_cancel_after_a_partial_shipment_answers_as_the_first()
    {
        var (sku, location) = await StockedAsync(10);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 5));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", location, FulfilmentEventType.Shipped, 2, "UPS", "1Z"));

        var cancelled = await Order(id).CancelAsync(null);
        var retried = await Order(id).CancelAsync(null);
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.Equal(OrderCommandStatus.Done, cancelled.Status);
        Assert.Equal(OrderCommandStatus.AlreadyDone, retried.Status);
        Assert.Equal((8, 0, 8), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task A_change_stored_while_the_order_list_is_damaged_is_answered_as_stored()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));
        var bucket = $"order-index/{Dom.Grains.Orders.OrderIndexGrain.BucketOf(id)}";
        ClusterFixture.Journal.Damage(bucket, events => [events[0], .. events]);
        await fixture.DeactivateAllAsync();

        var shipped = await Record.ExceptionAsync(() => Order(id).ReportAsync(new FulfilmentEvent("s", "l1", location, FulfilmentEventType.Shipped, null, null, null)));
        ClusterFixture.Journal.Repair(bucket);

        Assert.Null(shipped);
        Assert.Equal(OrderStatus.Shipped, (await Order(id).GetAsync())!.Status);
    }

    [Fact]
    public async Task The_order_list_catches_up_with_a_change_it_missed_at_the_orders_next_call()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));
        var bucket = $"order-index/{Dom.Grains.Orders.OrderIndexGrain.BucketOf(id)}";
        // About a sixteenth of all orders share the bucket (an earlier test's order may write to it on its reminder): only
        // this order's listing fails.
        var serializer = fixture.Cluster.Client.ServiceProvider.GetRequiredService<Serializer>();
        ClusterFixture.Journal.FailNext(bucket, entry => serializer.Deserialize<Dom.Grains.Orders.OrderIndexed>(entry.Payload)?.Summary.OrderId == id);

        var shipped = await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", location, FulfilmentEventType.Shipped, null, null, null));
        var missed = await ListedAsync(id);
        await Order(id).RetryBackordersAsync();
        var caughtUp = await ListedAsync(id);

        Assert.Equal(OrderStatus.Shipped, shipped.Order!.Status);
        Assert.Equal(OrderStatus.Released, missed);
        Assert.Equal(OrderStatus.Shipped, caughtUp);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_reroute_whose_save_fails_is_finished_by_the_retry_and_claims_stock_once(int savesBeforeFailure)
    {
        var sku = await _world.ArticleAsync("a");
        var (x, y, z) = (await _world.LocationAsync("x", 52.5, 13.4), await _world.LocationAsync("y", 52.7, 13.4), await _world.LocationAsync("z", 48, 11));
        foreach (var location in new[] { x, y, z })
        {
            await _world.StockAsync(sku, location, 2);
        }

        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        var rejected = new FulfilmentEvent("r", "l1", x, FulfilmentEventType.Rejected, null, null, null);
        ClusterFixture.Journal.FailNext($"order/{id}", after: savesBeforeFailure);

        var failed = await Record.ExceptionAsync(() => Order(id).ReportAsync(rejected));
        var retried = await Order(id).ReportAsync(rejected);
        var line = (await Order(id).GetAsync())!.Lines.Single();
        var slots = new Dictionary<string, SlotSnapshot>
        {
            [y] = (await _world.Slot(sku, y).GetAsync())!,
            [z] = (await _world.Slot(sku, z).GetAsync())!,
        };

        // Where the retry routes depends on whether the index has seen the failed attempt's holds given back; what
        // matters is that the order's one allocation is the only one, and no hold is left behind.
        Assert.Equal(x, created.Order!.Lines.Single().Allocations.Single().LocationId);
        Assert.IsType<StorageUnavailableException>(failed);
        Assert.True(retried.Status is OrderCommandStatus.Done or OrderCommandStatus.AlreadyDone, retried.Problem);
        var allocation = Assert.Single(line.Allocations, a => a.Status == AllocationStatus.Allocated);
        Assert.Equal(2, allocation.Quantity);
        Assert.All(slots, slot => Assert.Equal((slot.Key == allocation.LocationId ? 2 : 0, 0), (slot.Value.Allocated, slot.Value.Held)));
    }

    [Fact]
    public async Task A_rejection_whose_routing_elsewhere_fails_leaves_the_backorder_reminder_to_route_it()
    {
        var sku = await _world.ArticleAsync("a");
        var (x, y) = (await _world.LocationAsync("x", 52.5, 13.4), await _world.LocationAsync("y", 52.7, 13.4));
        await _world.StockAsync(sku, x, 2);
        await _world.StockAsync(sku, y, 2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        // The rejection is stored; holding its units elsewhere fails, before any plan is stored.
        ClusterFixture.Journal.FailNext($"slot/{new StockSlotKey(sku, y)}");

        var failed = await Record.ExceptionAsync(() => Order(id).ReportAsync(new FulfilmentEvent("r", "l1", x, FulfilmentEventType.Rejected, null, null, null)));
        var armed = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");
        // What the reminder does on its tick, the location never sending the event again.
        var retried = await Order(id).RetryBackordersAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.NotNull(armed);
        Assert.Equal((y, 2), retried.Order!.Lines.Single().Allocations.Where(a => a.Status == AllocationStatus.Allocated).Select(a => (a.LocationId, a.Quantity)).Single());
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "backorders"));
    }

    [Fact]
    public async Task A_line_rerouted_to_a_location_it_is_already_allocated_at_gets_its_units_there()
    {
        var sku = await _world.ArticleAsync("a");
        var (near, far) = (await _world.LocationAsync("near", 52.5, 13.4), await _world.LocationAsync("far", 52.8, 13.4));
        await _world.StockAsync(sku, near, 2);
        await _world.StockAsync(sku, far, 1);
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, sku, null, quantity: 3));
        await _world.StockAsync(sku, near, 10);

        var rerouted = await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", far, FulfilmentEventType.Rejected, null, null, null));
        var slot = await _world.Slot(sku, near).GetAsync();
        var shipped = await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", near, FulfilmentEventType.Shipped, null, null, null));
        var shippedRest = await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", near, FulfilmentEventType.Shipped, null, null, null));
        var afterShipping = await _world.Slot(sku, near).GetAsync();

        Assert.Equal([(far, 1), (near, 2)], created.Order!.Lines.Single().Allocations.Select(a => (a.LocationId, a.Quantity)).OrderBy(a => a.LocationId, StringComparer.Ordinal));
        Assert.Equal(0, rerouted.Order!.Lines.Single().OpenQuantity);
        Assert.Equal((3, 0), (slot!.Allocated, slot.Held));
        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Shipped), (shippedRest.Status, shippedRest.Order!.Status));
        Assert.Equal(OrderCommandStatus.Done, shipped.Status);
        Assert.Equal((7, 0), (afterShipping!.OnHand, afterShipping.Allocated));
    }

    [Theory]
    [InlineData(1, OrderOutcome.Created)]
    [InlineData(2, OrderOutcome.Replayed)]
    public async Task An_intake_whose_save_fails_is_finished_by_the_retry(int savesBeforeFailure, OrderOutcome outcome)
    {
        // The first save accepts the request, the second writes the order, the ones after route it.
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        ClusterFixture.Journal.FailNext($"order/{id}", after: savesBeforeFailure);

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(Request(id, sku, null, quantity: 2)));
        var retried = await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal((outcome, OrderStatus.Released), (retried.Outcome, retried.Order!.Status));
        Assert.Equal(2, retried.Order.Lines.Single().AllocatedQuantity);
        Assert.Equal((2, 0, 3), (slot!.Allocated, slot.Held, slot.Available));
    }

    [Fact]
    public async Task An_order_whose_acceptance_is_not_stored_leaves_its_reservation_and_its_customer_as_they_were()
    {
        var (sku, location) = await StockedAsync();
        var (id, reservation) = (_world.Id("o"), await ReserveAsync(sku, 2));
        ClusterFixture.Journal.FailNext($"order/{id}");

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(Request(id, sku, null, quantity: 2) with { ReservationId = reservation }));
        var held = await fixture.Grains.GetGrain<Dom.Reservations.IReservationGrain>(reservation).GetAsync("web");
        var customer = await fixture.Grains.GetGrain<Dom.Customers.ICustomerGrain>("c-" + id).GetAsync();
        var order = await Order(id).GetAsync();

        // The client that never retries leaves no order id behind: not as the reservation's taker, not in the
        // customer's history (and so not in their velocity).
        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal(Dom.Reservations.ReservationStatus.Held, held!.Status);
        Assert.True(customer is null || customer.Orders.Count == 0, $"customer's orders: {string.Join(", ", customer?.Orders ?? [])}");
        Assert.Null(order);
    }

    [Fact]
    public async Task An_accepted_order_whose_client_never_comes_back_is_taken_in_by_its_reminder_as_placed_when_accepted()
    {
        var (sku, location) = await StockedAsync();
        var (id, reservation) = (_world.Id("o"), await ReserveAsync(sku, 2));
        var acceptedAt = ClusterFixture.Time.GetUtcNow();
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(Request(id, sku, null, quantity: 2) with { ReservationId = reservation }));
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync(id, "intake");
        var order = await Order(id).GetAsync();
        var customer = await fixture.Grains.GetGrain<Dom.Customers.ICustomerGrain>("c-" + id).GetAsync();
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal((OrderStatus.Released, 2, acceptedAt), (order!.Status, order.Lines.Single().AllocatedQuantity, order.CreatedAt));
        Assert.Equal([id], customer!.Orders);
        Assert.Equal((2, 0, 3), (slot!.Allocated, slot.Held, slot.Available));
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "intake"));
    }

    [Fact]
    public async Task A_read_of_an_accepted_order_not_written_yet_takes_it_in_so_a_cancel_after_it_finds_it()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(Request(id, sku, null, quantity: 2)));
        var read = await Order(id).GetAsync();
        var cancelled = await Order(id).CancelAsync(null);
        var slot = await _world.Slot(sku, location).GetAsync();

        // The read is what the API checks a cancel's caller against: a 404 there would leave the order to its reminder.
        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal((OrderStatus.Released, 2), (read!.Status, read.Lines.Single().AllocatedQuantity));
        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Cancelled), (cancelled.Status, cancelled.Order!.Status));
        Assert.Equal((0, 0, 5), (slot!.Allocated, slot.Held, slot.Available));
    }

    [Fact]
    public async Task A_risk_rejected_order_gives_its_reservation_back_only_once_the_rejection_is_stored()
    {
        var (sku, location) = await StockedAsync();
        var (id, reservation) = (_world.Id("o"), await ReserveAsync(sku, 2));
        await fixture.Grains.GetGrain<Dom.Risk.IRiskListGrain>(Risk.RiskListGrain.Key).AddAsync(new Dom.Risk.RiskListEntry(Dom.Risk.RiskList.Black, Dom.Risk.RiskSubject.Customer, "c-" + id));
        var request = Request(id, sku, null, quantity: 2) with { ReservationId = reservation };
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(request));
        var meanwhile = await _world.Slot(sku, location).GetAsync();
        var retried = await Order(id).CreateAsync(request);
        var slot = await _world.Slot(sku, location).GetAsync();

        // Given back before the rejection was stored, the units would be free while the retry may yet decide otherwise.
        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal((2, 3), (meanwhile!.Held, meanwhile.Available));
        Assert.Equal((RiskDecision.Reject, OrderStatus.Rejected), (retried.Order!.Risk.Decision, retried.Order.Status));
        Assert.Equal((0, 0, 5), (slot!.Allocated, slot.Held, slot.Available));
    }

    [Fact]
    public async Task An_accepted_order_whose_reservation_is_released_before_it_is_claimed_is_refused_and_its_id_is_free()
    {
        var (sku, location) = await StockedAsync();
        var (id, reservation) = (_world.Id("o"), await ReserveAsync(sku, 2));
        var request = Request(id, sku, null, quantity: 2) with { ReservationId = reservation };
        ClusterFixture.Journal.FailNext($"reservation/{reservation}");

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(request));
        await fixture.Grains.GetGrain<Dom.Reservations.IReservationGrain>(reservation).ReleaseAsync("web");
        var refused = await Order(id).CreateAsync(request);
        var disarmed = await Reminders.ReadRow(Order(id).GetGrainId(), "intake");
        var other = await Order(id).CreateAsync(Request(id, sku, null, quantity: 1));
        var customer = await fixture.Grains.GetGrain<Dom.Customers.ICustomerGrain>("c-" + id).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal(OrderOutcome.ReservationMismatch, refused.Outcome);
        Assert.Contains("released", refused.Problem);
        Assert.Null(disarmed);
        Assert.Equal((OrderOutcome.Created, 1), (other.Outcome, other.Order!.Lines.Single().AllocatedQuantity));
        Assert.Equal([id], customer!.Orders);
    }

    [Fact]
    public async Task A_cancel_of_an_accepted_order_not_taken_in_yet_is_not_lost_when_its_reminder_takes_it_in()
    {
        // The first save accepts the request; the second (the order) fails: the client gets an error and cancels.
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(Request(id, sku, null, quantity: 2)));
        var cancelled = await Order(id).CancelAsync(null);
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync(id, "intake");
        var order = await Order(id).GetAsync();
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Cancelled, 0), (cancelled.Status, order!.Status, slot!.Allocated));
    }

    [Fact]
    public async Task A_cancel_before_a_converted_reservation_is_recorded_gives_its_units_and_capacity_back()
    {
        // Accepted, the order written, the reservation's holds allocated at the slot; the save recording them fails.
        var (sku, location) = await StockedAsync();
        var (id, reservation) = (_world.Id("o"), await ReserveAsync(sku, 2));
        ClusterFixture.Journal.FailNext($"order/{id}", after: 2);

        var failed = await Record.ExceptionAsync(() => Order(id).CreateAsync(Request(id, sku, null, quantity: 2) with { ReservationId = reservation }));
        var meanwhile = await Order(id).GetAsync();
        var cancelled = await Order(id).CancelAsync(null);
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync(id, "intake");
        var order = await Order(id).GetAsync();
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.NotNull(meanwhile);
        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Cancelled), (cancelled.Status, order!.Status));
        Assert.Equal((0, 0, 5), (slot!.Allocated, slot.Held, slot.Available));
        Assert.Equal(0, await BookedAsync(location));
        Assert.Equal("cancelled", order.Outbox[^1].Type);
    }

    private async Task<string> ReserveAsync(string sku, int quantity)
    {
        var id = _world.Id("r");
        var created = await fixture.Grains.GetGrain<Dom.Reservations.IReservationDeskGrain>(0).CreateAsync(
            new Dom.Reservations.CreateReservationRequest(id, "web", 600, new Dom.Reservations.ShipTo("DE", 52, 13), [new Dom.Reservations.LineRequest(sku, quantity)]));
        Assert.Equal(Dom.Reservations.ReservationStatus.Held, created.Reservation.Status);
        return id;
    }

    [Fact]
    public async Task A_cancel_whose_save_fails_changes_no_stock_so_a_later_shipment_still_takes_the_units_off_the_shelf()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        ClusterFixture.Journal.FailNext($"order/{id}");

        var failed = await Record.ExceptionAsync(() => Order(id).CancelAsync(null));
        var afterFailure = await _world.Slot(sku, location).GetAsync();
        var shipped = await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", location, FulfilmentEventType.Shipped, null, null, null));
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal((5, 2), (afterFailure!.OnHand, afterFailure.Allocated));
        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Shipped), (shipped.Status, shipped.Order!.Status));
        Assert.Equal((3, 0, 3), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task A_cancel_stored_while_its_slot_fails_is_acknowledged_and_its_units_go_back_on_the_retry()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        ClusterFixture.Journal.FailNext($"slot/{new StockSlotKey(sku, location)}");

        var cancelled = await Order(id).CancelAsync(null);
        var meanwhile = await _world.Slot(sku, location).GetAsync();
        var armed = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");
        await Order(id).RetryBackordersAsync();
        var slot = await _world.Slot(sku, location).GetAsync();
        var disarmed = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");

        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Cancelled), (cancelled.Status, cancelled.Order!.Status));
        Assert.Equal(2, meanwhile!.Allocated);
        Assert.NotNull(armed);
        Assert.Equal((5, 0, 5), (slot!.OnHand, slot.Allocated, slot.Available));
        Assert.Null(disarmed);
    }

    [Fact]
    public async Task A_wrong_item_report_whose_save_fails_is_finished_with_the_same_replacement_and_a_retry_replaces_the_rest()
    {
        var sku = await _world.ArticleAsync("a");
        var (a, b) = (await _world.LocationAsync("a", 52.5, 13.4), await _world.LocationAsync("b", 48, 11));
        await _world.StockAsync(sku, a, 1);
        await _world.StockAsync(sku, b, 1);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        await DeliverAsync(id, a);
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).ReportWrongItemAsync("l1"));
        await DeliverAsync(id, b);
        var retried = await Order(id).ReportWrongItemAsync("l1");
        var replacements = await Task.WhenAll(retried.Order!.Replacements.Select(r => Order(r).GetAsync()));

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.True(retried.Status == OrderCommandStatus.Done, retried.Problem);
        Assert.Equal([$"{id}-r1", $"{id}-r2"], retried.Order.Replacements);
        Assert.All(replacements, r => Assert.Equal((id, 1), (r!.ReplacementFor, r.Lines.Single().Quantity)));
        Assert.Equal(2, retried.Order.Outbox.Count(n => n.Type == "replacementCreated"));
    }

    [Fact]
    public async Task A_replacement_skips_an_id_a_channel_used_for_an_order_of_its_own()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));
        await Order($"{id}-r1").CreateAsync(Request($"{id}-r1", sku, null));
        await DeliverAsync(id, location);

        var reported = await Order(id).ReportWrongItemAsync("l1");
        var replacement = await Order($"{id}-r2").GetAsync();

        Assert.True(reported.Status == OrderCommandStatus.Done, reported.Problem);
        Assert.Equal([$"{id}-r2"], reported.Order!.Replacements);
        Assert.Equal(id, replacement!.ReplacementFor);
    }

    [Fact]
    public async Task A_replacement_waits_for_supply_on_a_channel_that_cancels_unavailable_lines()
    {
        var (sku, location) = await StockedAsync(1);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null) with { Channel = "marketplace" });
        await DeliverAsync(id, location);

        var reported = await Order(id).ReportWrongItemAsync("l1");
        var replacement = await Order(reported.Order!.Replacements.Single()).GetAsync();
        var customer = await fixture.Grains.GetGrain<Dom.Customers.ICustomerGrain>("c-" + id).GetAsync();

        Assert.Equal(OrderCommandStatus.Done, reported.Status);
        Assert.Equal((OrderStatus.Backordered, 0), (replacement!.Status, replacement.Lines.Single().CancelledQuantity));
        Assert.Equal([id], customer!.Orders);
    }

    [Fact]
    public async Task A_retry_writing_its_amounts_with_other_trailing_zeros_is_the_same_order()
    {
        var (sku, location) = await StockedAsync();
        var id = _world.Id("o");
        var request = Request(id, sku, null) with { Payments = [new Payment("card", null, 10m)] };
        await Order(id).CreateAsync(request);

        var retried = await Order(id).CreateAsync(request with { Lines = [request.Lines[0] with { UnitPrice = 10.00m }], Payments = [new Payment("card", null, 10.0m)] });
        var other = await Order(id).CreateAsync(request with { Lines = [request.Lines[0] with { UnitPrice = 10.01m }] });

        Assert.Equal(OrderOutcome.Replayed, retried.Outcome);
        Assert.Equal(OrderOutcome.IdempotencyConflict, other.Outcome);
    }

    [Fact]
    public async Task A_backorder_retry_that_finds_no_stock_stores_nothing_and_a_later_one_routes_the_line()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, sku, null, quantity: 2));
        var stored = (await ClusterFixture.Journal.LoadAsync($"order/{id}")).Events.Count;

        var first = await Order(id).RetryBackordersAsync();
        var second = await Order(id).RetryBackordersAsync();
        var afterRetries = (await ClusterFixture.Journal.LoadAsync($"order/{id}")).Events.Count;
        await _world.StockAsync(sku, location, 2);
        var supplied = await Order(id).RetryBackordersAsync();
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.Equal(OrderStatus.Backordered, created.Order!.Status);
        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Backordered), (first.Status, first.Order!.Status));
        Assert.Equal(OrderStatus.Backordered, second.Order!.Status);
        Assert.Equal(stored, afterRetries);
        Assert.Equal((OrderStatus.Released, 2), (supplied.Order!.Status, supplied.Order.Lines.Single().AllocatedQuantity));
        Assert.Equal((2, 0, 0), (slot!.Allocated, slot.Held, slot.Available));
    }

    [Fact]
    public async Task A_backorder_retry_whose_save_fails_keeps_its_reminder_and_the_next_tick_finishes_it()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));
        // The count does not wake the backorder queue (its pass would route the order first): the operator's retry does.
        using var unwoken = GrainCalls.Lose(fixture.Grains.GetGrain<IBackorderQueueGrain>(sku), nameof(IBackorderQueueGrain.WakeAsync));
        await _world.StockAsync(sku, location, 1);

        // The plan is stored first; the save after it, which records the allocation, fails.
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).RetryBackordersAsync());
        var armed = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");
        var retried = await Order(id).RetryBackordersAsync();
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.NotNull(armed);
        Assert.Equal((OrderStatus.Released, 1), (retried.Order!.Status, retried.Order.Lines.Single().AllocatedQuantity));
        Assert.Equal((1, 0), (slot!.Allocated, slot.Available));
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "backorders"));
    }

    [Fact]
    public async Task A_location_rejecting_some_units_has_only_those_written_off_and_routed_elsewhere_even_after_a_partial_shipment()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (x, y) = (await _world.LocationAsync("x", 52.5, 13.4), await _world.LocationAsync("y", 48, 11));
        foreach (var sku in new[] { a, b })
        {
            await _world.StockAsync(sku, x, 5);
            await _world.StockAsync(sku, y, 10);
        }

        var (one, two) = (_world.Id("o1"), _world.Id("o2"));
        await Order(one).CreateAsync(Request(one, a, null, quantity: 5));
        await Order(two).CreateAsync(Request(two, b, null, quantity: 5));

        var rejected = await Order(one).ReportAsync(new FulfilmentEvent("r", "l1", x, FulfilmentEventType.Rejected, 1, null, null));
        var atX = await _world.Slot(a, x).GetAsync();
        await Order(two).ReportAsync(new FulfilmentEvent("s", "l1", x, FulfilmentEventType.Shipped, 3, "UPS", "1Z"));
        var afterShipping = await Order(two).ReportAsync(new FulfilmentEvent("r", "l1", x, FulfilmentEventType.Rejected, null, null, null));
        var atXAfter = await _world.Slot(b, x).GetAsync();

        Assert.Equal(OrderCommandStatus.Done, rejected.Status);
        Assert.Equal([(x, 4, AllocationStatus.Allocated), (x, 1, AllocationStatus.Rejected), (y, 1, AllocationStatus.Allocated)],
            rejected.Order!.Lines.Single().Allocations.Select(a => (a.LocationId, a.Quantity, a.Status)));
        Assert.Equal((4, 4), (atX!.OnHand, atX.Allocated));
        Assert.True(afterShipping.Status == OrderCommandStatus.Done, afterShipping.Problem);
        Assert.Equal([(x, 3, AllocationStatus.Shipped), (x, 2, AllocationStatus.Rejected), (y, 2, AllocationStatus.Allocated)],
            afterShipping.Order!.Lines.Single().Allocations.Select(a => (a.LocationId, a.Quantity, a.Status)));
        Assert.Equal((0, 0), (atXAfter!.OnHand, atXAfter.Allocated));
    }

    [Fact]
    public async Task Capacity_a_location_used_for_a_shipment_stays_booked_when_another_line_is_cancelled()
    {
        var (id, x, y) = await OrderOfTwoLinesAtTwoLocationsAsync();
        var before = await BookedAsync(x);

        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", x, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).CancelAsync("l2");

        Assert.Equal(1, before);
        Assert.Equal(1, await BookedAsync(x));
        Assert.Equal(0, await BookedAsync(y));
    }

    [Fact]
    public async Task An_order_held_for_review_whose_lines_are_all_cancelled_is_cancelled_and_no_longer_held()
    {
        var (sku, other) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var location = await _world.LocationAsync("l", 52, 13);
        await _world.StockAsync(sku, location, 10);
        await _world.StockAsync(other, location, 10);
        var id = _world.Id("o");
        var request = Request(id, sku, null) with { Lines = [new OrderLineRequest("l1", sku, 1, 1_500m), new OrderLineRequest("l2", other, 1, 1_500m)] };
        var held = await Order(id).CreateAsync(request);

        await Order(id).CancelAsync("l1");
        var cancelled = await Order(id).CancelAsync("l2");
        var released = await Order(id).ReviewAsync(new ReviewDecision(true, null));

        Assert.Equal(OrderStatus.HeldForReview, held.Order!.Status);
        Assert.Equal(OrderStatus.Cancelled, cancelled.Order!.Status);
        Assert.Equal(OrderCommandStatus.NotAllowed, released.Status);
        Assert.DoesNotContain(released.Order!.Outbox, n => n.Type == "orderConfirmed");
    }

    [Fact]
    public async Task A_line_routed_after_another_was_cancelled_keeps_the_capacity_it_booked()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var x = await _world.LocationAsync("x", 52, 13);
        await _world.StockAsync(a, x, 1);
        var id = _world.Id("o");
        var request = Request(id, a, null);
        await Order(id).CreateAsync(request with { Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)] });
        var booked = new List<int> { await BookedAsync(x) };

        await Order(id).CancelAsync("l1");
        booked.Add(await BookedAsync(x));
        await _world.StockAsync(b, x, 1);
        await Order(id).RetryBackordersAsync();
        booked.Add(await BookedAsync(x));
        // The cancel's effects (its booking given back) were done: nothing may do them again.
        var accepted = await Order(id).ReportAsync(new FulfilmentEvent("a", "l2", x, FulfilmentEventType.Accepted, null, null, null));
        booked.Add(await BookedAsync(x));

        Assert.Equal(OrderCommandStatus.Done, accepted.Status);
        Assert.Equal([1, 0, 1, 1], booked);
    }

    [Fact]
    public async Task Lines_routed_one_by_one_after_a_change_with_effects_are_all_recorded()
    {
        var skus = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            skus.Add(await _world.ArticleAsync($"a{i}"));
        }

        var x = await _world.LocationAsync("x", 52, 13);
        await _world.StockAsync(skus[0], x, 1);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, skus[0], null) with { Lines = [.. skus.Select((sku, i) => new OrderLineRequest($"l{i + 1}", sku, 1, 10m))] });
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", x, FulfilmentEventType.Shipped, null, null, null));
        await _world.StockAsync(skus[1], x, 1);
        await _world.StockAsync(skus[2], x, 1);

        var retried = await Order(id).RetryBackordersAsync();

        Assert.Equal(OrderCommandStatus.Done, retried.Status);
        Assert.Equal(["l2", "l3"], retried.Order!.Lines.Where(l => l.LineId != "l1" && l.AllocatedQuantity > 0).Select(l => l.LineId));
    }

    [Fact]
    public async Task A_reservation_holding_one_sku_on_two_lines_becomes_an_order_carrying_it_on_one()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var location = await _world.LocationAsync("l", 52, 13);
        await _world.StockAsync(a, location, 5);
        await _world.StockAsync(b, location, 5);
        var kit = _world.Id("kit");
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(kit).PutAsync(new Dom.Articles.ArticleInfo(kit, "kit", Dom.Articles.ArticleKind.Physical, null, [new(a, 1), new(b, 1)]));
        var reservation = _world.Id("r");
        var held = await fixture.Grains.GetGrain<Dom.Reservations.IReservationDeskGrain>(0).CreateAsync(new Dom.Reservations.CreateReservationRequest(
            reservation, "web", 600, new Dom.Reservations.ShipTo("DE", 52, 13), [new Dom.Reservations.LineRequest(kit, 1), new Dom.Reservations.LineRequest(a, 1)]));
        var id = _world.Id("o");
        var request = Request(id, a, null, quantity: 2);

        var ordered = await Order(id).CreateAsync(request with { ReservationId = reservation, Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)] });
        var slot = await _world.Slot(a, location).GetAsync();

        Assert.Equal(Dom.Reservations.ReservationOutcome.Created, held.Outcome);
        Assert.Equal(OrderOutcome.Created, ordered.Outcome);
        Assert.Equal([(location, 2)], ordered.Order!.Lines.Single(l => l.LineId == "l1").Allocations.Select(x => (x.LocationId, x.Quantity)));
        Assert.Equal((2, 0, 3), (slot!.Allocated, slot.Held, slot.Available));
    }

    [Fact]
    public async Task Of_two_orders_naming_one_reservation_at_once_only_one_is_taken_in()
    {
        var (sku, location) = await StockedAsync(100);
        var desk = fixture.Grains.GetGrain<Dom.Reservations.IReservationDeskGrain>(0);
        var reservations = Enumerable.Range(0, 10).Select(i => _world.Id($"r{i}")).ToList();
        foreach (var reservation in reservations)
        {
            await desk.CreateAsync(new Dom.Reservations.CreateReservationRequest(reservation, "web", 600, new Dom.Reservations.ShipTo("DE", 52, 13), [new Dom.Reservations.LineRequest(sku, 1)]));
        }

        var results = await Task.WhenAll(reservations.SelectMany(reservation => new[] { "a", "b" }.Select(order =>
        {
            var id = _world.Id($"{reservation}-{order}");
            return Order(id).CreateAsync(Request(id, sku, null) with { ReservationId = reservation });
        })));
        var slot = await _world.Slot(sku, location).GetAsync();

        Assert.All(results.Chunk(2), pair => Assert.Equal(
            [OrderOutcome.Created, OrderOutcome.ReservationMismatch],
            pair.Select(r => r.Outcome).Order()));
        Assert.Equal((10, 0, 90), (slot!.Allocated, slot.Held, slot.Available));
    }

    [Fact]
    public async Task A_cancelled_backorder_stops_its_retries()
    {
        var sku = await _world.ArticleAsync("a");
        var id = _world.Id("o");
        var created = await Order(id).CreateAsync(Request(id, sku, null));
        var before = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");

        await Order(id).CancelAsync(null);
        var after = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");

        Assert.Equal(OrderStatus.Backordered, created.Order!.Status);
        Assert.NotNull(before);
        Assert.Null(after);
    }

    [Fact]
    public async Task An_outbox_reminder_left_from_when_webhooks_were_configured_stops_at_its_first_tick()
    {
        var (sku, _) = await StockedAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, null));
        // Armed by a silo that had a webhook; this cluster has none.
        await Reminders.UpsertRow(new ReminderEntry { GrainId = Order(id).GetGrainId(), ReminderName = "outbox", StartAt = DateTime.UtcNow.AddMinutes(1), Period = TimeSpan.FromMinutes(1) });

        await TickAsync(id, "outbox");

        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "outbox"));
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);


    private static Delivery PickupAt(string store) => new(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), store);

    /// <summary>A click &amp; collect order of lines l1 and l2 (one unit each of two articles stocked at the store).</summary>
    private async Task<(string Id, string Store)> PickupOrderOfTwoLinesAsync(DateTimeOffset? promisedBy)
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var store = await _world.StoreAsync();
        await _world.StockAsync(a, store, 5);
        await _world.StockAsync(b, store, 5);
        var id = _world.Id("o");
        var request = Request(id, a, promisedBy);
        await Order(id).CreateAsync(request with { Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)], Delivery = PickupAt(store) });
        return (id, store);
    }

    /// <summary>An order whose line l1 is allocated at x and l2 at y (one unit each of two articles).</summary>
    private async Task<(string Id, string X, string Y)> OrderOfTwoLinesAtTwoLocationsAsync()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (x, y) = (await _world.LocationAsync("x", 52.5, 13.4), await _world.LocationAsync("y", 48, 11));
        await _world.StockAsync(a, x, 1);
        await _world.StockAsync(b, y, 1);
        var id = _world.Id("o");
        var request = Request(id, a, null);
        await Order(id).CreateAsync(request with { Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)] });
        return (id, x, y);
    }

    /// <summary>The order's status as the order list has it.</summary>
    private async Task<OrderStatus?> ListedAsync(string id) =>
        (await fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(id)).QueryAsync(new OrderQuery(null, null, "c-" + id, null, null, null, 10)))
            .SingleOrDefault(o => o.OrderId == id)?.Status;

    /// <summary>Orders booked at <paramref name="location"/> today (the test clock's day).</summary>
    private async Task<int> BookedAsync(string location) =>
        (await fixture.Grains.GetGrain<ILocationGrain>(location).GetCapacityAsync(DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime)))!.Booked;

    [Fact]
    public async Task A_gift_card_its_virtual_location_fulfils_is_allocated_there_in_an_order_and_from_a_reservation()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var (digital, card) = (_world.Id("digital"), _world.Id("card"));
        await fixture.Grains.GetGrain<ILocationGrain>(digital).PutAsync(new LocationInfo(digital, "digital", LocationType.Virtual, 52.5, 13.4, 1_000, "DE"));
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(card).PutAsync(new Dom.Articles.ArticleInfo(card, "card", Dom.Articles.ArticleKind.GiftCard, null, FulfilledBy: digital));
        var (direct, converted, reservation) = (_world.Id("o"), _world.Id("c"), _world.Id("r"));
        Dom.Reservations.LineRequest[] reserved = [new(sku, 1), new(card, 2)];
        await fixture.Grains.GetGrain<Dom.Reservations.IReservationDeskGrain>(0).CreateAsync(new Dom.Reservations.CreateReservationRequest(
            reservation, "web", 600, new Dom.Reservations.ShipTo("DE", 52.5, 13.4), reserved));

        var ordered = await Order(direct).CreateAsync(Request(direct, sku, null) with { Lines = [new("l1", sku, 1, 10m), new("l2", card, 2, 25m)] });
        var fromReservation = await Order(converted).CreateAsync(Request(converted, sku, null) with { ReservationId = reservation, Lines = [new("l1", sku, 1, 10m), new("l2", card, 2, 25m)] });
        var shipped = await Order(direct).ReportAsync(new FulfilmentEvent("s1", "l2", digital, FulfilmentEventType.Shipped, null, null, null));

        foreach (var order in new[] { ordered.Order!, fromReservation.Order! })
        {
            var lines = string.Join("; ", order.Lines.Select(l => $"{l.LineId} {l.Status} {string.Join(",", l.Allocations.Select(a => $"{a.Quantity}@{a.LocationId}"))}"));
            Assert.True(order.Lines.Single(l => l.LineId == "l2").Allocations.SingleOrDefault() is { LocationId: var at, Quantity: 2 } && at == digital, lines);
        }

        Assert.Equal(OrderCommandStatus.Done, shipped.Status);
        Assert.Equal(AllocationStatus.Shipped, (await Order(direct).GetAsync())!.Lines.Single(l => l.LineId == "l2").Allocations.Single().Status);
    }

    private IReminderTable Reminders => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IReminderTable>();

    /// <summary>What order <paramref name="id"/>'s reminder <paramref name="name"/> does on its tick.</summary>
    private Task TickAsync(string id, string name) => fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder(name, default);

    /// <summary>Ships and delivers line l1's units at <paramref name="location"/>.</summary>
    private async Task DeliverAsync(string id, string location)
    {
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent($"s-{location}", "l1", location, FulfilmentEventType.Shipped, null, null, null))).Status);
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent($"d-{location}", "l1", location, FulfilmentEventType.Delivered, null, null, null))).Status);
    }

    /// <summary>A fresh article with <paramref name="onHand"/> units at a fresh location.</summary>
    private async Task<(string Sku, string Location)> StockedAsync(int onHand = 5)
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand);
        return (sku, location);
    }

    private static CreateOrderRequest Request(string id, string sku, DateTimeOffset? promisedBy, int quantity = 1) => new(
        id,
        "web",
        "c-" + id,
        null,
        [new OrderLineRequest("l1", sku, quantity, 10m)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null,
        null,
        [],
        "EUR",
        false,
        promisedBy,
        null);
}
