using Dom.Orders;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

/// <summary>Backorders are served first come, first served: the queue of a SKU routes its waiting orders again, oldest
/// (priority ones first) before newer, and an order's own reminder no longer races it for units that arrive.</summary>
[Collection(ClusterCollection.Name)]
public class BackorderQueueTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task Units_that_arrive_go_to_the_order_that_waited_longest_not_to_the_one_whose_reminder_came_first()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (older, newer) = await OlderAndNewerAsync(sku, "newer", 1);
        var queued = await Queue(sku).GetAsync();

        await _world.StockAsync(sku, warehouse, 1);
        // The newer order's reminder comes first: it keeps its place in the queue and routes nothing itself.
        await Tick(newer);
        var newerAfterItsTick = await Order(newer).GetAsync();
        var left = await Queue(sku).ServeAsync();

        Assert.Equal([older, newer], queued.Select(e => e.OrderId));
        Assert.Equal(OrderStatus.Backordered, newerAfterItsTick!.Status);
        Assert.Equal(OrderStatus.Released, (await Order(older).GetAsync())!.Status);
        Assert.Equal(OrderStatus.Backordered, (await Order(newer).GetAsync())!.Status);
        Assert.Equal([newer], left.Select(e => e.OrderId));
    }

    [Fact]
    public async Task Units_counted_in_wake_the_queue_which_gives_them_to_the_order_that_waited_longest_at_once()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (older, newer) = await OlderAndNewerAsync(sku, "newer", 1);
        var served = GrainCalls.NextAsync(Order(older), nameof(IOrderGrain.ServeBackorderAsync));
        using var wakes = GrainCalls.Watch(fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(sku), Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));

        // No reminder comes and no operator asks: the count reaches the article's index, which wakes the queue.
        await _world.StockAsync(sku, warehouse, 1);
        await served.WaitAsync(TimeSpan.FromSeconds(30));

        // Read after the pass's turn at the order (queued behind it).
        Assert.True(wakes.Count > 0, "The count did not wake the queue.");
        Assert.Equal(OrderStatus.Released, (await Order(older).GetAsync())!.Status);
        Assert.Equal(OrderStatus.Backordered, (await Order(newer).GetAsync())!.Status);
    }

    [Fact]
    public async Task Units_counted_in_are_kept_for_the_waiting_order_until_its_pass_is_over_so_a_checkout_in_between_does_not_take_them()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (older, big) = await OlderAndNewerAsync(sku, "big", 5);
        // The wake is on its way (held at the queue) when a checkout asks for the units.
        var wake = GrainCalls.Hold(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));
        await _world.StockAsync(sku, warehouse, 2);
        await wake.Reached;

        var between = await ReserveAsync(sku, 2);
        wake.Open();
        // Asked for behind the woken pass: done once it is over.
        var left = await Queue(sku).ServeAsync();
        var after = await ReserveAsync(sku, 1);

        Assert.Equal(Dom.Reservations.ReservationOutcome.Refused, between.Outcome);
        var served = (await Order(older).GetAsync())!;
        Assert.Equal((OrderStatus.Released, warehouse), (served.Status, served.Lines.Single().Allocations.Single().LocationId));
        // The pass is over, and the order still waiting wants more than is left: the unit left is everyone's again.
        Assert.Equal([big], left.Select(e => e.OrderId));
        Assert.Equal(Dom.Reservations.ReservationOutcome.Created, after.Outcome);
        Assert.Equal(0, await _world.AvailableAsync(sku, warehouse));
        await Order(big).CancelAsync(null);
    }

    [Fact]
    public async Task Units_kept_for_backorders_are_not_taken_by_a_checkout_promised_late_enough_for_supply_on_its_way()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 0);
        await _world.Slot(sku, warehouse).SetInboundAsync(new Dom.Stock.SetInboundRequest("po-1", 5, ClusterFixture.Time.GetUtcNow().AddDays(1)));
        var older = _world.Id("older");
        // Routed without a promised date: what is on its way does not supply it.
        await Order(older).CreateAsync(Request(older, sku, 1));
        var wake = GrainCalls.Hold(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));
        await _world.StockAsync(sku, warehouse, 1);
        await wake.Reached;
        var later = DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime).AddDays(4);

        // What is on its way counts the unit on hand as well (it is cumulative): the unit kept is not in it either.
        var between = await ReserveAsync(sku, 6, later);
        wake.Open();
        await Queue(sku).ServeAsync();
        var onItsWay = await ReserveAsync(sku, 5, later);

        Assert.Equal(Dom.Reservations.ReservationOutcome.Refused, between.Outcome);
        Assert.Equal(OrderStatus.Released, (await Order(older).GetAsync())!.Status);
        // Such a checkout is served from what is on its way here.
        Assert.Equal(Dom.Reservations.ReservationOutcome.Created, onItsWay.Outcome);
    }

    [Fact]
    public async Task Units_are_kept_for_backorders_no_longer_than_the_queue_needs_or_when_it_cannot_say_so()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var older = _world.Id("older");
        await Order(older).CreateAsync(Request(older, sku, 1));
        // The queue never hears of it: its wake is lost on the way.
        using (GrainCalls.Lose(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync)))
        {
            await _world.StockAsync(sku, warehouse, 1);
            var kept = await ReserveAsync(sku, 1);
            // A channel is offered what it may sell; an operator sees the unit.
            var (toChannel, toOperator) = (await Sourcing.GetAvailabilityAsync(sku, "web"), await Sourcing.GetAvailabilityAsync(sku));
            ClusterFixture.Time.Advance(Dom.Grains.Articles.ArticleGrain.KeptForBackordersFor);
            var offeredAfter = await Sourcing.GetAvailabilityAsync(sku, "web");
            var free = await ReserveAsync(sku, 1);

            Assert.Equal(Dom.Reservations.ReservationOutcome.Refused, kept.Outcome);
            Assert.Equal((0, 1, 1), (toChannel!.Total, toOperator!.Total, offeredAfter!.Total));
            Assert.Equal(Dom.Reservations.ReservationOutcome.Created, free.Outcome);
        }

        await Order(older).CancelAsync(null);
    }

    [Fact]
    public async Task Units_whose_wake_brings_no_more_supply_than_a_pass_that_supplied_nobody_are_not_kept_from_a_checkout()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 1);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2));
        // The pass finds 1 unit for an order that wants 2: it supplies nobody.
        await Queue(sku).ServeAsync();
        // The unit goes and comes back (a hold taken and released): the supply is where that pass found it.
        await _world.StockAsync(sku, warehouse, 0);
        var woken = GrainCalls.NextAsync(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));
        await _world.StockAsync(sku, warehouse, 1);
        await woken.WaitAsync(TimeSpan.FromSeconds(30));
        // Read after the wake's turn, which starts no pass.
        await Queue(sku).GetAsync();

        var checkout = await ReserveAsync(sku, 1);

        // No pass comes for the unit (the order still wants more than there is): a checkout may take it now.
        Assert.Equal(Dom.Reservations.ReservationOutcome.Created, checkout.Outcome);
        await Order(id).CancelAsync(null);
    }

    [Fact]
    public async Task An_order_joining_while_a_pass_runs_does_not_give_back_the_units_kept_for_the_pass_after_it()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (older, newer, joiner) = (_world.Id("older"), _world.Id("newer"), _world.Id("joiner"));
        await Order(older).CreateAsync(Request(older, sku, 1));
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await Order(newer).CreateAsync(Request(newer, sku, 2));
        // The pass routes the older order (nothing there), then waits at the newer one.
        var atNewer = GrainCalls.Hold(Order(newer), nameof(IOrderGrain.ServeBackorderAsync));
        var passes = Queue(sku).ServeAsync();
        await atNewer.Reached;
        var woken = GrainCalls.NextAsync(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));
        // The unit arrives after the pass routed the older order: kept for the pass after this one.
        await _world.StockAsync(sku, warehouse, 1);
        await woken.WaitAsync(TimeSpan.FromSeconds(30));
        // An order placed now plans without the unit, and joins the queue while the pass runs (within the time units
        // are kept at most).
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(1));
        await Order(joiner).CreateAsync(Request(joiner, sku, 1));
        var atOlder = GrainCalls.Hold(Order(older), nameof(IOrderGrain.ServeBackorderAsync));
        atNewer.Open();
        // The pass that follows has begun, and not reached the older order yet.
        await atOlder.Reached;
        var between = await ReserveAsync(sku, 1);
        atOlder.Open();
        var left = await passes;

        Assert.Equal(Dom.Reservations.ReservationOutcome.Refused, between.Outcome);
        Assert.Equal(OrderStatus.Released, (await Order(older).GetAsync())!.Status);
        Assert.Equal([newer, joiner], left.Select(e => e.OrderId));
        await Order(newer).CancelAsync(null);
        await Order(joiner).CancelAsync(null);
    }

    [Fact]
    public async Task Units_counted_in_while_a_pass_that_supplies_nobody_runs_past_the_order_they_suit_are_served_after_it()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (older, newer) = await OlderAndNewerAsync(sku, "newer", 2);
        // The pass routes the older order (nothing there), then waits at the newer one.
        var atNewer = GrainCalls.Hold(Order(newer), nameof(IOrderGrain.ServeBackorderAsync));
        var passes = Queue(sku).ServeAsync();
        await atNewer.Reached;
        var woken = GrainCalls.NextAsync(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));

        // The unit arrives after the pass routed the older order; the newer one wants 2: the pass supplies nobody.
        await _world.StockAsync(sku, warehouse, 1);
        await woken;
        atNewer.Open();
        var left = await passes;

        Assert.Equal(OrderStatus.Released, (await Order(older).GetAsync())!.Status);
        Assert.Equal([newer], left.Select(e => e.OrderId));
    }

    [Fact]
    public async Task A_wake_bringing_no_more_supply_than_a_pass_that_supplied_nobody_began_with_starts_no_pass()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 1);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2));
        // The pass finds 1 unit for an order that wants 2: it supplies nobody.
        await Queue(sku).ServeAsync();
        var article = fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(sku);
        using var passes = GrainCalls.Watch(Queue(sku), article, nameof(Dom.Articles.IArticleGrain.GetIndexAsync));
        var late = GrainCalls.NextAsync(Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));

        // A wake that comes late from what the pass held and released: the supply is where it was.
        await Queue(sku).WakeAsync(1);
        await late.WaitAsync(TimeSpan.FromSeconds(30));
        // Read after the wake's turn, in which a pass would have begun by reading the supply.
        await Queue(sku).GetAsync();
        var forNothing = passes.Count;
        var served = GrainCalls.NextAsync(Order(id), nameof(IOrderGrain.ServeBackorderAsync));
        await Queue(sku).WakeAsync(2);
        await served.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, forNothing);
        Assert.Equal(1, passes.Count);
    }

    [Fact]
    public async Task A_queue_nobody_waits_in_is_not_woken_by_units_counted()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 1));
        await Order(id).CancelAsync(null);
        var article = fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(sku);
        using var wakes = GrainCalls.Watch(article, Queue(sku), nameof(IBackorderQueueGrain.WakeAsync));
        var published = GrainCalls.NextAsync(article, nameof(Dom.Articles.IArticleGrain.PublishAsync));

        // The first count lists the location in the index, the second publishes its rise.
        await _world.StockAsync(sku, warehouse, 1);
        await _world.StockAsync(sku, warehouse, 2);
        await published.WaitAsync(TimeSpan.FromSeconds(30));
        // Read after the publication's turn, in which a wake would have been sent.
        var index = (await article.GetIndexAsync()).Value;

        Assert.Equal(2, index.Single().Available);
        Assert.Equal(0, wakes.Count);
    }

    [Fact]
    public async Task A_priority_order_is_served_first_and_an_order_wanting_more_than_arrived_does_not_hold_up_a_later_one()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (big, small, vip) = (_world.Id("big"), _world.Id("small"), _world.Id("vip"));
        await Order(big).CreateAsync(Request(big, sku, 5));
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await Order(small).CreateAsync(Request(small, sku, 2));
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await Order(vip).CreateAsync(Request(vip, sku, 1) with { Priority = true });
        var queued = await Queue(sku).GetAsync();

        await _world.StockAsync(sku, warehouse, 3);
        var left = await Queue(sku).ServeAsync();

        Assert.Equal([vip, big, small], queued.Select(e => e.OrderId));
        // The priority order takes 1; the oldest wants 5 of the 2 left and waits; the next takes the 2.
        Assert.Equal([big], left.Select(e => e.OrderId));
        Assert.Equal((OrderStatus.Released, OrderStatus.Backordered, OrderStatus.Released),
            ((await Order(vip).GetAsync())!.Status, (await Order(big).GetAsync())!.Status, (await Order(small).GetAsync())!.Status));
    }

    [Fact]
    public async Task An_order_leaves_the_queue_when_it_is_cancelled_or_supplied_otherwise_and_the_reminder_puts_a_lost_one_back()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        var (cancelled, retried) = (_world.Id("cancelled"), _world.Id("retried"));
        await Order(cancelled).CreateAsync(Request(cancelled, sku, 1));
        await Order(retried).CreateAsync(Request(retried, sku, 1));

        await Order(cancelled).CancelAsync(null);
        var afterCancel = await Queue(sku).GetAsync();
        await _world.StockAsync(sku, warehouse, 1);
        // An operator's retry routes at once, whatever the queue.
        await Order(retried).RetryBackordersAsync();
        var afterRetry = await Queue(sku).GetAsync();

        Assert.Equal([retried], afterCancel.Select(e => e.OrderId));
        Assert.Empty(afterRetry);
        Assert.Equal(OrderStatus.Released, (await Order(retried).GetAsync())!.Status);
    }

    [Fact]
    public async Task A_queue_drops_an_order_it_finds_supplied_and_the_order_s_reminder_joins_again_while_it_waits()
    {
        var (sku, other) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 1));
        // A queue the order is in by mistake (a leave that was lost): the pass finds it waits for nothing there.
        await Queue(other).JoinAsync(new BackorderEntry(id, ClusterFixture.Time.GetUtcNow(), false));
        var stale = await Queue(other).ServeAsync();
        // A queue that lost the order (its join failed): the order's reminder puts it back.
        await Queue(sku).LeaveAsync(id);
        var lost = await Queue(sku).GetAsync();
        await Tick(id);

        Assert.Empty(stale);
        Assert.Empty(lost);
        Assert.Equal([id], (await Queue(sku).GetAsync()).Select(e => e.OrderId));
    }

    [Fact]
    public async Task A_queue_serves_only_its_sku_so_an_order_waiting_for_two_does_not_take_the_other_from_an_older_order()
    {
        var (x, y, warehouse) = (await _world.ArticleAsync("x"), await _world.ArticleAsync("y"), await _world.LocationAsync("w", 52.5, 13.4));
        var (older, newer) = (_world.Id("older"), _world.Id("newer"));
        await Order(older).CreateAsync(Request(older, y, 1));
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await Order(newer).CreateAsync(Request(newer, x, 1) with { Lines = [new OrderLineRequest("l1", x, 1, 10m), new OrderLineRequest("l2", y, 1, 10m)] });

        await _world.StockAsync(y, warehouse, 1);
        // The queue of x passes first: the unit of y is the older order's, which waits for it in the queue of y.
        await Queue(x).ServeAsync();
        await Queue(y).ServeAsync();

        Assert.Equal(OrderStatus.Released, (await Order(older).GetAsync())!.Status);
        Assert.Equal(1, (await Order(newer).GetAsync())!.Lines.Single(l => l.Sku == y).OpenQuantity);
    }

    [Fact]
    public async Task An_order_joining_while_the_last_one_leaves_keeps_the_queue_s_reminder()
    {
        // A leave and a join sent one after the other, the join taken while the leave stores its change: round after
        // round, on a few queues (the interleaving is Orleans', the outcome must not depend on it).
        var skus = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => _world.ArticleAsync("a" + i)));
        var at = ClusterFixture.Time.GetUtcNow();
        var leaving = _world.Id("o");
        await Task.WhenAll(skus.Select(sku => Queue(sku).JoinAsync(new BackorderEntry(leaving, at, false))));
        var unarmed = 0;
        for (var round = 0; round < 10; round++)
        {
            var joining = _world.Id("o" + round);
            await Task.WhenAll(skus.SelectMany(sku => new[] { Queue(sku).LeaveAsync(leaving), Queue(sku).JoinAsync(new BackorderEntry(joining, at, false)) }));
            // The joining order's own reminder joins again: each queue has it already.
            await Task.WhenAll(skus.Select(sku => Queue(sku).JoinAsync(new BackorderEntry(joining, at, false))));
            unarmed += (await Task.WhenAll(skus.Select(sku => Reminders.ReadRow(Queue(sku).GetGrainId(), "serve")))).Count(r => r is null);
            leaving = joining;
        }

        var queued = await Task.WhenAll(skus.Select(sku => Queue(sku).GetAsync()));

        Assert.All(queued, entries => Assert.Equal([leaving], entries.Select(e => e.OrderId)));
        Assert.Equal(0, unarmed);
    }

    private IReminderTable Reminders => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IReminderTable>();

    private Task Tick(string id) => fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("backorders", default);

    private IBackorderQueueGrain Queue(string sku) => fixture.Grains.GetGrain<IBackorderQueueGrain>(sku);

    /// <summary>Two orders of <paramref name="sku"/> waiting for supply, a minute apart: the older for 1 unit, the newer
    /// (its id named <paramref name="name"/>) for <paramref name="quantity"/>.</summary>
    private async Task<(string Older, string Newer)> OlderAndNewerAsync(string sku, string name, int quantity)
    {
        var (older, newer) = (_world.Id("older"), _world.Id(name));
        await Order(older).CreateAsync(Request(older, sku, 1));
        ClusterFixture.Time.Advance(TimeSpan.FromMinutes(1));
        await Order(newer).CreateAsync(Request(newer, sku, quantity));
        return (older, newer);
    }

    private Dom.Sourcing.ISourcingGrain Sourcing => fixture.Grains.GetGrain<Dom.Sourcing.ISourcingGrain>(0);

    /// <summary>A checkout's reservation of <paramref name="quantity"/> units of <paramref name="sku"/>, for delivery near
    /// the warehouses of these tests.</summary>
    private async Task<Dom.Reservations.CreateReservationResult> ReserveAsync(string sku, int quantity, DateOnly? promisedBy = null) =>
        await fixture.Grains.GetGrain<Dom.Reservations.IReservationDeskGrain>(0).CreateAsync(new Dom.Reservations.CreateReservationRequest(
            _world.Id($"r{Guid.NewGuid():N}"[..20]), "web", 600, new Dom.Reservations.ShipTo("DE", 52.5, 13.4), [new Dom.Reservations.LineRequest(sku, quantity)],
            PromisedBy: promisedBy));

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static CreateOrderRequest Request(string id, string sku, int quantity) => new(
        id, "web", "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, 10m)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);
}
