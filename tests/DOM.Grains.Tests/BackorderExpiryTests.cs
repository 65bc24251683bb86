using Dom.Orders;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

/// <summary>A channel's backorder days: units that waited for supply that long are cancelled for want of stock, the
/// customer told, what was allocated going on; a channel without them waits until supplied.</summary>
[Collection(ClusterCollection.Name)]
public class BackorderExpiryTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task A_line_that_waited_the_channel_s_backorder_days_is_cancelled_out_of_stock_and_the_allocated_one_goes_on()
    {
        var (stocked, missing, warehouse) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(stocked, warehouse, 1);
        var id = await PlaceAsync("outlet", [new OrderLineRequest("l1", stocked, 1, 10m), new OrderLineRequest("l2", missing, 2, 10m)]);

        var placed = (await Order(id).GetAsync())!;
        ClusterFixture.Time.Advance(TimeSpan.FromDays(11) - TimeSpan.FromMinutes(1));
        await TickAsync(id);
        var notYet = (await Order(id).GetAsync())!;
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync(id);
        await TickAsync(id);
        ClusterFixture.Time.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        await TickAsync(id);
        var waiting = (await Order(id).GetAsync())!;
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await TickAsync(id);
        await TickAsync(id);
        var expired = (await Order(id).GetAsync())!;
        var messages = (await Order(id).MessagesAsync())!;

        Assert.Equal((2, 0), (waiting.Lines[1].OpenQuantity, waiting.Lines[1].CancelledQuantity));
        // Three days before the end, once: the customer may still wait or cancel.
        Assert.DoesNotContain(notYet.Outbox, n => n.Type == "backorderExpiring");
        var cancelBy = placed.History.Last(h => h.Event == "backordered").At.AddDays(14);
        Assert.Equal($"{missing} of your order {id} is still not available. Unless it arrives before {cancelBy:yyyy-MM-dd}, we cancel it that day; nothing is charged for it.",
            Assert.Single(messages, m => m.Type == "backorderExpiring").Text);
        Assert.Equal([(LineStatus.Open, 0), (LineStatus.Cancelled, 2)], expired.Lines.Select(l => (l.Status, l.CancelledQuantity)));
        Assert.Equal(OrderStatus.Released, expired.Status);
        Assert.Equal([("l2", 2, (CancelReason?)CancelReason.OutOfStock)], expired.Cancellations!.Select(c => (c.LineId, c.Quantity, c.Reason)));
        Assert.Equal($"{missing} of your order {id} is cancelled.", messages.Single(m => m.Type == "lineCancelled").Text);
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "backorders"));
        Assert.DoesNotContain(id, (await fixture.Grains.GetGrain<IBackorderQueueGrain>(missing).GetAsync()).Select(e => e.OrderId));
    }

    [Fact]
    public async Task An_order_nothing_of_which_came_is_cancelled_whole_and_a_channel_without_backorder_days_waits()
    {
        var sku = await _world.ArticleAsync("a");
        var (outlet, web) = (await PlaceAsync("outlet", [new OrderLineRequest("l1", sku, 2, 10m)], "o1"), await PlaceAsync("web", [new OrderLineRequest("l1", sku, 2, 10m)], "o2"));

        ClusterFixture.Time.Advance(TimeSpan.FromDays(30));
        await TickAsync(outlet);
        await TickAsync(web);
        var (cancelled, waiting) = ((await Order(outlet).GetAsync())!, (await Order(web).GetAsync())!);

        Assert.Equal((OrderStatus.Cancelled, OrderStatus.Backordered), (cancelled.Status, waiting.Status));
        Assert.Contains(cancelled.Outbox, n => n.Type == "cancelled");
        Assert.Equal(2, waiting.Lines.Single().OpenQuantity);
    }

    [Fact]
    public async Task A_bundle_that_waited_too_long_is_one_message_about_the_bundle_not_one_per_part()
    {
        var (a, b, single, warehouse) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.ArticleAsync("single"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(a, warehouse, 10);
        await _world.StockAsync(single, warehouse, 10);
        var kit = _world.Id("kit");
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(kit).PutAsync(new Dom.Articles.ArticleInfo(kit, "kit", Dom.Articles.ArticleKind.Physical, null, [new(a, 1), new(b, 1)], false));
        var id = await PlaceAsync("outlet", [new OrderLineRequest("l1", kit, 2, 20m), new OrderLineRequest("l2", single, 1, 5m)]);

        ClusterFixture.Time.Advance(TimeSpan.FromDays(14));
        await TickAsync(id);
        var messages = (await Order(id).MessagesAsync())!;

        Assert.Equal([("l1.1", LineStatus.Cancelled), ("l1.2", LineStatus.Cancelled), ("l2", LineStatus.Open)], (await Order(id).GetAsync())!.Lines.Select(l => (l.LineId, l.Status)));
        Assert.Equal([$"{kit} of your order {id} is cancelled."], messages.Where(m => m.Type is "lineCancelled" or "unitsCancelled").Select(m => m.Text));
    }

    [Fact]
    public async Task A_line_that_comes_to_its_warning_days_in_the_tick_another_expires_is_warned_in_that_tick()
    {
        var (missing, stocked, warehouse) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(stocked, warehouse, 1);
        var id = await PlaceAsync("outlet", [new OrderLineRequest("l1", missing, 1, 10m), new OrderLineRequest("l2", stocked, 1, 10m)]);
        // Two days later the warehouse cannot find l2's unit: l2 waits from then on.
        ClusterFixture.Time.Advance(TimeSpan.FromDays(2));
        await Order(id).ReportAsync(new FulfilmentEvent("x", "l2", warehouse, FulfilmentEventType.Rejected, null, null, null));

        ClusterFixture.Time.Advance(TimeSpan.FromDays(12));
        await TickAsync(id);
        var order = (await Order(id).GetAsync())!;

        Assert.Equal([LineStatus.Cancelled, LineStatus.Backordered], order.Lines.Select(l => l.Status));
        Assert.Equal(["l2"], order.Outbox.Where(n => n.Type == "backorderExpiring").Select(n => n.LineId));
    }

    [Fact]
    public async Task Time_held_for_review_is_not_time_waited()
    {
        var sku = await _world.ArticleAsync("a");
        // Worth more than the review threshold: held, and waiting for supply.
        var id = await PlaceAsync("outlet", [new OrderLineRequest("l1", sku, 1, 1_500m)]);

        ClusterFixture.Time.Advance(TimeSpan.FromDays(20));
        await TickAsync(id);
        await Order(id).ReviewAsync(new ReviewDecision(true, "known customer"));
        await TickAsync(id);
        var released = (await Order(id).GetAsync())!;
        ClusterFixture.Time.Advance(TimeSpan.FromDays(14));
        await TickAsync(id);
        var expired = (await Order(id).GetAsync())!;

        Assert.Equal((OrderStatus.Backordered, 0), (released.Status, released.Lines.Single().CancelledQuantity));
        Assert.Equal(OrderStatus.Cancelled, expired.Status);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private IReminderTable Reminders => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IReminderTable>();

    /// <summary>What order <paramref name="id"/>'s backorder reminder does on its tick.</summary>
    private Task TickAsync(string id) => fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("backorders", default);

    private async Task<string> PlaceAsync(string channel, IReadOnlyList<OrderLineRequest> lines, string name = "o")
    {
        var id = _world.Id(name);
        var created = await Order(id).CreateAsync(new CreateOrderRequest(
            id, channel, "c-" + id, null,
            lines,
            new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
            null, null, [], "EUR", false, null, null));
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        return id;
    }
}
