using Dom.Grains.Orders;
using Dom.Orders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

/// <summary>Click &amp; collect orders nobody collects: the customer is reminded as the pickup days near their end, and
/// once they ended what waits at the store is cancelled, back on its shelf or booked into its stock, charging nothing.</summary>
[Collection(ClusterCollection.Name)]
public class PickupExpiryTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task The_customer_is_reminded_two_days_before_the_end_and_then_the_store_s_own_units_go_back_on_its_shelf()
    {
        var (sku, store) = (await _world.ArticleAsync("a"), await _world.StoreAsync());
        await _world.StockAsync(sku, store, 5);
        var id = await _world.PickupOrderAsync(sku, store, 2);
        var ready = (await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null))).Order!;
        var armed = await Reminders.ReadRow(Order(id).GetGrainId(), "pickup");
        var readyDay = ready.Outbox.Single(n => n.Type == "readyForPickup").At.UtcDateTime.Date;

        // Ready on day 0: the last day to collect it is day 7, the reminder comes at the start of day 6.
        await TickAsync(id);
        var early = (await Order(id).GetAsync())!;
        ClusterFixture.Time.Advance(new DateTimeOffset(readyDay.AddDays(6), TimeSpan.Zero) - ClusterFixture.Time.GetUtcNow());
        await TickAsync(id);
        await TickAsync(id);
        var reminded = (await Order(id).GetAsync())!;
        ClusterFixture.Time.Advance(TimeSpan.FromDays(2));
        await TickAsync(id);
        await TickAsync(id);
        var expired = (await Order(id).GetAsync())!;
        var slot = (await _world.Slot(sku, store).GetAsync())!;
        var messages = (await Order(id).MessagesAsync())!;

        Assert.NotNull(armed);
        Assert.Equal(DateOnly.FromDateTime(readyDay).AddDays(7), ready.CollectBy);
        Assert.Null(expired.CollectBy);
        Assert.DoesNotContain(early.Outbox, n => n.Type == "pickupReminder");
        Assert.Single(reminded.Outbox, n => n.Type == "pickupReminder");
        Assert.Equal(
            $"Your order {id} is still waiting for you at {store}. Please collect it by {readyDay.AddDays(7):yyyy-MM-dd}; after that day it goes back on the shelf.",
            messages.Single(m => m.Type == "pickupReminder").Text);
        Assert.Equal((OrderStatus.Cancelled, 2), (expired.Status, expired.Lines.Single().CancelledQuantity));
        Assert.Equal([(2, (CancelReason?)CancelReason.NotCollected)], expired.Cancellations!.Select(c => (c.Quantity, c.Reason)));
        // A template of its own may name the last day in it too.
        Assert.Equal(readyDay.AddDays(7), Assert.Single(expired.Outbox, n => n.Type == "notCollected").Until?.UtcDateTime.Date);
        Assert.Empty(expired.Invoices);
        Assert.Equal((5, 0), (slot.OnHand, slot.Allocated));
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "pickup"));
    }

    [Fact]
    public async Task Units_sent_to_the_store_from_a_warehouse_and_not_collected_are_booked_into_the_store_s_stock_once()
    {
        var (sku, store, warehouse) = (await _world.ArticleAsync("a"), await _world.StoreAsync(), await _world.LocationAsync("w", 52.6, 13.5));
        await _world.StockAsync(sku, warehouse, 5);
        var id = await _world.PickupOrderAsync(sku, store, 2);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));

        ClusterFixture.Time.Advance(TimeSpan.FromDays(9));
        await TickAsync(id);
        await TickAsync(id);
        var expired = (await Order(id).GetAsync())!;
        var (atStore, atWarehouse) = ((await _world.Slot(sku, store).GetAsync())!, (await _world.Slot(sku, warehouse).GetAsync())!);

        Assert.Equal((OrderStatus.Cancelled, AllocationStatus.Cancelled), (expired.Status, expired.Lines.Single().Allocations.Single().Status));
        Assert.Equal((2, 0), (atStore.OnHand, atStore.Allocated));
        Assert.Equal((3, 0), (atWarehouse.OnHand, atWarehouse.Allocated));
    }

    [Fact]
    public async Task What_was_collected_stays_charged_and_only_the_rest_is_cancelled()
    {
        var (a, b, store) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.StoreAsync());
        await _world.StockAsync(a, store, 5);
        await _world.StockAsync(b, store, 5);
        var id = _world.Id("o");
        var request = World.PickupOrder(id, a, 1, store);
        await Order(id).CreateAsync(request with { Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)], Payments = [new Payment("card", "tok", 20m)] });
        await Order(id).ReportAsync(new FulfilmentEvent("r1", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r2", "l2", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("p1", "l1", store, FulfilmentEventType.PickedUp, null, null, null));

        ClusterFixture.Time.Advance(TimeSpan.FromDays(9));
        await TickAsync(id);
        var expired = (await Order(id).GetAsync())!;

        Assert.Equal([LineStatus.Delivered, LineStatus.Cancelled], expired.Lines.Select(l => l.Status));
        Assert.Equal(OrderStatus.Delivered, expired.Status);
        Assert.Equal(["l1"], expired.Invoices.SelectMany(i => i.Lines).Select(l => l.LineId));
        Assert.Equal((5, 0), ((await _world.Slot(b, store).GetAsync())!.OnHand, (await _world.Slot(b, store).GetAsync())!.Allocated));
    }

    [Fact]
    public async Task An_order_given_no_pickup_days_when_it_came_to_wait_names_no_last_day_to_collect_it()
    {
        // Its channel had no pickup days when the order came to wait at the store (as an order ready before the upgrade to
        // this build had none): no reminder was armed, so it waits until collected, and says no day after which it does not.
        var (a, b, store, channel) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.StoreAsync(), _world.Id("channel"));
        await _world.StockAsync(a, store, 5);
        await _world.StockAsync(b, store, 5);
        var orders = ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IOptions<OrderOptions>>().Value;
        orders.Channels[channel] = new ChannelOrderOptions { PickupDays = 0 };
        var id = _world.Id("o");
        var request = World.PickupOrder(id, a, 1, store);
        await Order(id).CreateAsync(request with { Channel = channel, Lines = [request.Lines[0], new OrderLineRequest("l2", b, 1, 10m)], Payments = [new Payment("card", "tok", 20m)] });
        await Order(id).ReportAsync(new FulfilmentEvent("r1", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        var ready = (await Order(id).ReportAsync(new FulfilmentEvent("r2", "l2", store, FulfilmentEventType.ReadyForPickup, null, null, null))).Order!;
        orders.Channels[channel] = new ChannelOrderOptions { PickupDays = 7 };
        var partly = (await Order(id).ReportAsync(new FulfilmentEvent("p1", "l1", store, FulfilmentEventType.PickedUp, null, null, null))).Order!;

        Assert.Null(ready.CollectBy);
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "pickup"));
        Assert.Equal((LineStatus.Shipped, (DateOnly?)null), (partly.Lines[1].Status, partly.CollectBy));
    }

    [Fact]
    public async Task One_picked_up_hands_over_the_line_s_own_units_and_those_sent_to_the_store_so_none_is_left_to_expire()
    {
        // Two units: one from the store's shelf, one sent from a warehouse (the store could not find the second).
        var (sku, store, warehouse) = (await _world.ArticleAsync("a"), await _world.StoreAsync(), await _world.LocationAsync("w", 52.6, 13.5));
        await _world.StockAsync(sku, store, 2);
        await _world.StockAsync(sku, warehouse, 5);
        var id = await _world.PickupOrderAsync(sku, store, 2);
        await Order(id).ReportAsync(new FulfilmentEvent("x", "l1", store, FulfilmentEventType.Rejected, 1, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r1", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r2", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));

        var collected = (await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", store, FulfilmentEventType.PickedUp, null, null, null))).Order!;
        // A store's system that reports the rows one by one, as earlier builds took them.
        var secondRow = await Order(id).ReportAsync(new FulfilmentEvent("p2", "l1", store, FulfilmentEventType.PickedUp, null, null, null));
        ClusterFixture.Time.Advance(TimeSpan.FromDays(9));
        await TickAsync(id);
        var later = (await Order(id).GetAsync())!;
        var atStore = (await _world.Slot(sku, store).GetAsync())!;

        Assert.Equal([AllocationStatus.PickedUp, AllocationStatus.Rejected, AllocationStatus.PickedUp], collected.Lines.Single().Allocations.Select(a => a.Status));
        Assert.Equal((OrderStatus.Delivered, 2), (collected.Status, collected.Invoices.Sum(i => i.Lines.Sum(l => l.Quantity))));
        Assert.Equal((OrderCommandStatus.Done, 2), (secondRow.Status, secondRow.Order!.Invoices.Count));
        Assert.Equal((OrderStatus.Delivered, 0), (later.Status, later.Lines.Single().CancelledQuantity));
        // The store's shelf unit left with the customer, the one it could not find was written off: nothing booked back.
        Assert.Equal((0, 0), (atStore.OnHand, atStore.Allocated));
    }

    [Fact]
    public async Task An_order_collected_in_time_stops_its_reminder_and_keeps_everything()
    {
        var (sku, store) = (await _world.ArticleAsync("a"), await _world.StoreAsync());
        await _world.StockAsync(sku, store, 5);
        var id = await _world.PickupOrderAsync(sku, store, 1);
        await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", store, FulfilmentEventType.PickedUp, null, null, null));

        ClusterFixture.Time.Advance(TimeSpan.FromDays(9));
        await TickAsync(id);
        var order = (await Order(id).GetAsync())!;

        Assert.Equal((OrderStatus.Delivered, 0), (order.Status, order.Lines.Single().CancelledQuantity));
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "pickup"));
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private IReminderTable Reminders => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IReminderTable>();

    /// <summary>What order <paramref name="id"/>'s pickup reminder does on its tick.</summary>
    private Task TickAsync(string id) => fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("pickup", default);
}
