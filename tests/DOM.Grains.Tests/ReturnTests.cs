using Dom.Locations;
using Dom.Orders;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

/// <summary>Returns (RMA): registered for units that reached the customer, received at a store or warehouse, restocked
/// or written off there once, and refunded from what the units cost.</summary>
[Collection(ClusterCollection.Name)]
public class ReturnTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task A_delivered_order_returned_whole_is_restocked_at_the_store_refunded_and_listed_as_returned()
    {
        var channel = _world.Id("ch");
        var (id, sku, warehouse) = await DeliveredAsync(quantity: 2, unitPrice: 19.99m, channel: channel);
        var store = await _world.StoreAsync();

        var announced = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest(null, sku, 2, "tooSmall")]));
        var received = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", store, [new ReceiptLine("l1", 2, 0)]));
        var stats = OrderStats.Sum(await Task.WhenAll(Enumerable.Range(0, Orders.OrderIndexGrain.Buckets).Select(b => fixture.Grains.GetGrain<IOrderIndexGrain>(b).StatsAsync(channel))));

        Assert.Equal((OrderCommandStatus.Done, OrderStatus.Delivered), (announced.Status, announced.Order!.Status));
        Assert.Equal(ReturnStatus.Announced, announced.Order.Returns.Single().Status);
        Assert.Equal(OrderCommandStatus.Done, received.Status);
        var order = received.Order!;
        Assert.Equal((OrderStatus.Returned, LineStatus.Returned, 2), (order.Status, order.Lines.Single().Status, order.Lines.Single().ReturnedQuantity));
        var done = order.Returns.Single();
        Assert.Equal((ReturnStatus.Received, 39.98m, 39.98m), (done.Status, done.Refund, order.Refunded));
        Assert.Equal(("l1", 2, 0, "tooSmall"), (done.Lines.Single().LineId, done.Lines.Single().Restocked, done.Lines.Single().WrittenOff, done.Lines.Single().Reason));
        Assert.Equal(["orderConfirmed", "shipped", "returnAnnounced", "returnReceived", "refunded"], order.Outbox.Select(n => n.Type));
        Assert.Contains(order.History, h => h.Event == "return received" && h.Detail!.Contains("2 restocked", StringComparison.Ordinal));
        // The store never stocked the article: the return creates its slot, and sourcing can take the units again.
        Assert.Equal((2, 2), ((await _world.Slot(sku, store).GetAsync())!.OnHand, await _world.AvailableAsync(sku, store)));
        Assert.Equal(3, (await _world.Slot(sku, warehouse).GetAsync())!.OnHand);
        Assert.Equal(OrderStatus.Returned, await ListedAsync(id));
        // A returned order was delivered all the same: its delivery counts, and it is not open.
        Assert.Equal((1, 1, 0), (stats.ByStatus[(int)OrderStatus.Returned], stats.Delivered, stats.Open));
        // Both units reached the customer and came back: a return rate of 100 %.
        Assert.Equal((2, 2), (stats.ShippedUnits, stats.ReturnedUnits));
    }

    [Fact]
    public async Task A_partial_return_keeps_the_order_delivered_and_only_units_not_yet_returned_can_be_announced()
    {
        var (id, sku, _) = await DeliveredAsync(quantity: 3);
        var store = await _world.StoreAsync();

        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "damaged")]));
        var tooMany = await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", store, [new ReturnLineRequest("l1", null, 3, "damaged")]));
        var received = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 0, 1)]));
        var rest = await Order(id).AnnounceReturnAsync(new ReturnRequest("r3", store, [new ReturnLineRequest("l1", null, 2, "noLongerNeeded")]));
        var oneMore = await Order(id).AnnounceReturnAsync(new ReturnRequest("r4", store, [new ReturnLineRequest("l1", null, 1, "noLongerNeeded")]));

        Assert.Equal(OrderCommandStatus.NotAllowed, tooMany.Status);
        Assert.Contains("Only 2 units", tooMany.Problem, StringComparison.Ordinal);
        Assert.Equal((OrderStatus.Delivered, 1, 10m), (received.Order!.Status, received.Order.Lines.Single().ReturnedQuantity, received.Order.Refunded));
        // Written off: the damaged unit does not go back into stock (the store never stocked the article).
        Assert.Null(await _world.Slot(sku, store).GetAsync());
        Assert.Equal(OrderCommandStatus.Done, rest.Status);
        Assert.Equal(OrderCommandStatus.NotAllowed, oneMore.Status);
    }

    [Fact]
    public async Task Units_not_yet_with_the_customer_cannot_be_returned()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var (released, transferred) = (_world.Id("o"), _world.Id("p"));
        var store = await _world.StoreAsync();
        await Order(released).CreateAsync(Request(released, sku, 1, 10m));
        // Click & collect from the warehouse: shipped to the pickup store, ready there, but not picked up.
        await Order(transferred).CreateAsync(Request(transferred, sku, 1, 10m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), store) });
        await Order(transferred).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(transferred).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));

        var notShipped = await Order(released).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var notPickedUp = await Order(transferred).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        await Order(transferred).ReportAsync(new FulfilmentEvent("u", "l1", store, FulfilmentEventType.PickedUp, null, null, null));
        var pickedUp = await Order(transferred).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed, OrderCommandStatus.Done), (notShipped.Status, notPickedUp.Status, pickedUp.Status));
        Assert.Empty(notShipped.Order!.Returns);
    }

    [Fact]
    public async Task A_retried_return_and_receipt_answer_as_the_first_restock_once_and_other_bodies_are_conflicts()
    {
        var (id, sku, _) = await DeliveredAsync(quantity: 2);
        var store = await _world.StoreAsync();
        var request = new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 2, "tooBig")]);
        var receipt = new ReturnReceipt("r1", store, [new ReceiptLine("l1", 1, 1)]);

        await Order(id).AnnounceReturnAsync(request);
        var again = await Order(id).AnnounceReturnAsync(request);
        var bySku = await Order(id).AnnounceReturnAsync(request with { Lines = [new ReturnLineRequest(null, sku, 2, "tooBig")] });
        var other = await Order(id).AnnounceReturnAsync(request with { Lines = [new ReturnLineRequest("l1", null, 1, "tooBig")] });
        await Order(id).ReceiveReturnAsync(receipt);
        var receivedAgain = await Order(id).ReceiveReturnAsync(receipt);
        var otherReceipt = await Order(id).ReceiveReturnAsync(receipt with { Lines = [new ReceiptLine("l1", 2, 0)] });
        var cancelled = await Order(id).CancelReturnAsync("r1", null);

        Assert.Equal((OrderCommandStatus.AlreadyDone, OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict), (again.Status, bySku.Status, other.Status));
        Assert.Equal((OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict, OrderCommandStatus.NotAllowed), (receivedAgain.Status, otherReceipt.Status, cancelled.Status));
        Assert.Equal((1, 20m), ((await _world.Slot(sku, store).GetAsync())!.OnHand, receivedAgain.Order!.Refunded));
        Assert.Single(receivedAgain.Order.Outbox, n => n.Type == "refunded");
    }

    [Fact]
    public async Task A_slot_books_a_restock_once_however_often_it_is_asked()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 4);

        var first = await _world.Slot(sku, location).RestockAsync(new RestockRequest("o/r/l1", 2));
        var retry = await _world.Slot(sku, location).RestockAsync(new RestockRequest("o/r/l1", 2));
        var unknown = await _world.Slot(sku, _world.Id("nowhere")).RestockAsync(new RestockRequest("o/r/l1", 2));

        Assert.Equal((SetStockStatus.Set, 6), (first.Status, first.Slot!.OnHand));
        Assert.Equal((SetStockStatus.Set, 6), (retry.Status, retry.Slot!.OnHand));
        Assert.Equal(SetStockStatus.UnknownLocation, unknown.Status);
        Assert.Equal(6, (await _world.Slot(sku, location).GetAsync())!.OnHand);
    }

    [Fact]
    public async Task A_cancelled_return_frees_its_units_for_another_and_cannot_be_received()
    {
        var (id, _, _) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();

        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var blocked = await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var cancelled = await Order(id).CancelReturnAsync("r1", null);
        var again = await Order(id).CancelReturnAsync("r1", null);
        var late = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]));
        var freed = await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", store, [new ReturnLineRequest("l1", null, 1, "x")]));

        Assert.Equal(OrderCommandStatus.NotAllowed, blocked.Status);
        Assert.Equal((OrderCommandStatus.Done, OrderCommandStatus.AlreadyDone, OrderCommandStatus.NotAllowed), (cancelled.Status, again.Status, late.Status));
        Assert.Equal(OrderCommandStatus.Done, freed.Status);
        Assert.Equal([ReturnStatus.Cancelled, ReturnStatus.Announced], freed.Order!.Returns.Select(r => r.Status));
    }

    [Fact]
    public async Task Returns_are_taken_at_stores_and_warehouses_and_received_only_where_they_were_sent()
    {
        var (id, _, warehouse) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();
        var dropShipper = _world.Id("ds");
        await fixture.Grains.GetGrain<ILocationGrain>(dropShipper).PutAsync(new LocationInfo(dropShipper, "ds", LocationType.DropShipper, 52.5, 13.4, 1_000, "DE"));

        var atDropShipper = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", dropShipper, [new ReturnLineRequest("l1", null, 1, "x")]));
        var nowhere = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", _world.Id("nowhere"), [new ReturnLineRequest("l1", null, 1, "x")]));
        var noLine = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l9", null, 1, "x")]));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var elsewhere = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", warehouse, [new ReceiptLine("l1", 1, 0)]));
        var tooMany = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", store, [new ReceiptLine("l1", 2, 0)]));
        var otherLine = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", store, [new ReceiptLine("l2", 1, 0)]));

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotFound, OrderCommandStatus.NotFound), (atDropShipper.Status, nowhere.Status, noLine.Status));
        Assert.Equal((OrderCommandStatus.NotFound, OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (elsewhere.Status, tooMany.Status, otherLine.Status));
        Assert.Equal(ReturnStatus.Announced, otherLine.Order!.Returns.Single().Status);
    }

    [Fact]
    public async Task A_unit_replaced_after_a_wrong_item_is_not_refunded_when_it_comes_back()
    {
        var (id, _, _) = await DeliveredAsync(quantity: 2);
        var store = await _world.StoreAsync();
        // Both units were the wrong item: the customer gets two replacements, then sends the wrong ones back.
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportWrongItemAsync("l1")).Status);

        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 2, "wrongItem")]));
        var received = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", store, [new ReceiptLine("l1", 2, 0)]));

        Assert.Equal((0m, 0m), (received.Order!.Returns.Single().Refund, received.Order.Refunded));
        Assert.DoesNotContain(received.Order.Outbox, n => n.Type == "refunded");
    }

    [Fact]
    public async Task Refunds_of_a_line_returned_unit_by_unit_add_up_to_what_its_units_cost()
    {
        var (id, _, _) = await DeliveredAsync(quantity: 3, unitPrice: 0.3333m);
        var store = await _world.StoreAsync();

        var refunds = new List<decimal>();
        for (var i = 1; i <= 3; i++)
        {
            await Order(id).AnnounceReturnAsync(new ReturnRequest($"r{i}", store, [new ReturnLineRequest("l1", null, 1, "x")]));
            refunds.Add((await Order(id).ReceiveReturnAsync(new ReturnReceipt($"r{i}", null, [new ReceiptLine("l1", 1, 0)]))).Order!.Returns[^1].Refund);
        }

        Assert.Equal([0.33m, 0.34m, 0.33m], refunds);
        Assert.Equal(1.00m, (await Order(id).GetAsync())!.Refunded);
    }

    [Fact]
    public async Task A_receipt_whose_write_fails_is_not_acknowledged_restocks_nothing_and_its_retry_is_done_once()
    {
        var (id, sku, _) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var receipt = new ReturnReceipt("r1", store, [new ReceiptLine("l1", 1, 0)]);
        ClusterFixture.Journal.FailNext($"order/{id}");

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Order(id).ReceiveReturnAsync(receipt));
        var (order, slot) = (await Order(id).GetAsync(), await _world.Slot(sku, store).GetAsync());
        var retry = await Order(id).ReceiveReturnAsync(receipt);

        Assert.Equal((ReturnStatus.Announced, 0m), (order!.Returns.Single().Status, order.Refunded));
        Assert.Null(slot);
        Assert.Equal((OrderCommandStatus.Done, 10m), (retry.Status, retry.Order!.Refunded));
        Assert.Equal(1, (await _world.Slot(sku, store).GetAsync())!.OnHand);
    }

    [Fact]
    public async Task A_restock_the_slot_fails_to_store_is_done_once_by_the_order_s_reminder_after_the_receipt_is_acknowledged()
    {
        var (id, sku, warehouse) = await DeliveredAsync(quantity: 1);
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "x")]));
        ClusterFixture.Journal.FailNext($"slot/{new StockSlotKey(sku, warehouse)}");

        var received = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]));
        var before = (await _world.Slot(sku, warehouse).GetAsync())!.OnHand;
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("backorders", default);
        var after = (await _world.Slot(sku, warehouse).GetAsync())!.OnHand;
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("backorders", default);
        await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]));

        // Stored and acknowledged: stock follows the order a little late, never ahead of it, and only once.
        Assert.Equal((OrderCommandStatus.Done, ReturnStatus.Received), (received.Status, received.Order!.Returns.Single().Status));
        Assert.Equal((4, 5), (before, after));
        Assert.Equal(5, (await _world.Slot(sku, warehouse).GetAsync())!.OnHand);
    }

    [Fact]
    public async Task An_order_last_snapshotted_by_a_build_before_returns_loads_with_none_and_takes_one()
    {
        var (id, _, _) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();
        // The order's latest snapshot as a build before returns wrote it (its view had no returns), with no event after it.
        var stream = $"order/{id}";
        var serializer = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();
        var last = (await ClusterFixture.Journal.LoadAsync(stream)).Events[^1];
        var state = serializer.Deserialize<Orders.OrderChanged>(last.Payload)!.State;
        await ClusterFixture.Journal.SaveSnapshotAsync(stream, last.Sequence, serializer.SerializeToArray(state with { View = state.View! with { Returns = null! } }));
        await fixture.DeactivateAllAsync();

        var read = await Order(id).GetAsync();
        var announced = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));

        Assert.Empty(read!.Returns);
        Assert.Equal((OrderCommandStatus.Done, 1), (announced.Status, announced.Order!.Returns.Count));
    }

    [Fact]
    public async Task A_unit_returned_and_refunded_is_not_replaced_when_it_is_reported_as_the_wrong_item_afterwards()
    {
        var (id, _, _) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var received = await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", store, [new ReceiptLine("l1", 1, 0)]));

        var report = await Order(id).ReportWrongItemAsync("l1");

        Assert.Equal(10m, received.Order!.Refunded);
        // The customer has the money back: a free replacement as well would pay for the unit twice.
        Assert.Equal(OrderCommandStatus.NotAllowed, report.Status);
        Assert.Empty(report.Order!.Replacements);
    }

    [Fact]
    public async Task A_receipt_stored_though_its_write_was_reported_failed_is_restocked_when_it_is_retried()
    {
        var (id, sku, _) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var receipt = new ReturnReceipt("r1", store, [new ReceiptLine("l1", 1, 0)]);

        // The receipt's statement outlives its answer: reported failed, it is stored later, with the restock it owes.
        var late = ClusterFixture.Journal.LandLate($"order/{id}");
        var first = await Record.ExceptionAsync(() => Order(id).ReceiveReturnAsync(receipt));
        late.Open();
        await late.Reached;
        var retry = await Order(id).ReceiveReturnAsync(receipt);

        Assert.IsType<StorageUnavailableException>(first);
        Assert.Equal((OrderCommandStatus.AlreadyDone, 10m), (retry.Status, retry.Order!.Refunded));
        Assert.Equal(1, (await _world.Slot(sku, store).GetAsync())?.OnHand);
    }

    [Fact]
    public async Task A_receipt_stored_though_its_write_was_reported_failed_is_restocked_by_the_order_s_reminder_if_no_retry_comes()
    {
        var (id, sku, _) = await DeliveredAsync(quantity: 1);
        var store = await _world.StoreAsync();
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));

        var late = ClusterFixture.Journal.LandLate($"order/{id}");
        var first = await Record.ExceptionAsync(() => Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", store, [new ReceiptLine("l1", 1, 0)])));
        late.Open();
        await late.Reached;
        var armed = await Reminders.ReadRow(Order(id).GetGrainId(), "backorders");
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("backorders", default);

        Assert.IsType<StorageUnavailableException>(first);
        Assert.NotNull(armed);
        Assert.Equal(1, (await _world.Slot(sku, store).GetAsync())?.OnHand);
        Assert.Equal(ReturnStatus.Received, (await Order(id).GetAsync())!.Returns.Single().Status);
    }

    private IReminderTable Reminders => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IReminderTable>();

    [Fact]
    public async Task Past_the_return_window_only_an_operator_s_goodwill_return_is_taken_and_a_cancelled_return_is_told()
    {
        var (id, _, _) = await DeliveredAsync(quantity: 3);
        var store = await _world.StoreAsync();

        ClusterFixture.Time.Advance(TimeSpan.FromDays(30));
        var lastDay = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        ClusterFixture.Time.Advance(TimeSpan.FromTicks(1));
        var late = await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", store, [new ReturnLineRequest("l1", null, 1, "x")]));
        var goodwill = await Order(id).AnnounceReturnAsync(new ReturnRequest("r3", store, [new ReturnLineRequest("l1", null, 1, "x")], Goodwill: true));
        var cancelled = await Order(id).CancelReturnAsync("r1", null);

        Assert.Equal((OrderCommandStatus.Done, OrderCommandStatus.NotAllowed, OrderCommandStatus.Done), (lastDay.Status, late.Status, goodwill.Status));
        Assert.Contains("30-day return window of line l1 closed", late.Problem, StringComparison.Ordinal);
        Assert.Contains(goodwill.Order!.History, h => h.Event == "return announced" && h.Detail!.EndsWith("(goodwill, past the return window)", StringComparison.Ordinal));
        Assert.Equal("returnCancelled", cancelled.Order!.Outbox[^1].Type);
    }

    [Fact]
    public async Task A_refund_pro_rates_a_discount_taken_off_the_payment_and_goes_back_to_the_tenders_that_paid()
    {
        // Two units at 50, paid 60 by card and 20 by gift card: a coupon took 20 off the whole order.
        var (id, sku, _) = await DeliveredAsync(quantity: 2, unitPrice: 50m, payments: [new Payment("card", "tok_1", 60m), new Payment("giftCard", "gc-9", 20m)]);
        var store = await _world.StoreAsync();

        var refunds = new List<OrderReturn>();
        foreach (var returnId in new[] { "r1", "r2" })
        {
            await Order(id).AnnounceReturnAsync(new ReturnRequest(returnId, store, [new ReturnLineRequest("l1", null, 1, "x")]));
            refunds.Add((await Order(id).ReceiveReturnAsync(new ReturnReceipt(returnId, null, [new ReceiptLine("l1", 1, 0)]))).Order!.Returns[^1]);
        }

        Assert.Equal([40m, 40m], refunds.Select(r => r.Refund));
        Assert.All(refunds, r => Assert.Equal([(0, "card", "tok_1", 30m), (1, "giftCard", "gc-9", 10m)], r.Tenders!.Select(t => (t.Tender, t.Method, t.Instrument, t.Amount))));
        Assert.Equal(80m, (await Order(id).GetAsync())!.Refunded);
    }

    [Fact]
    public async Task The_return_window_of_units_shipped_after_an_earlier_parcel_was_delivered_runs_from_their_shipment()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, 10m));
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("d1", "l1", warehouse, FulfilmentEventType.Delivered, 1, null, null));
        var store = await _world.StoreAsync();

        // The second unit leaves five weeks later, and its delivery is not reported: it reached the customer days ago.
        ClusterFixture.Time.Advance(TimeSpan.FromDays(35));
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T2"))).Status);
        ClusterFixture.Time.Advance(TimeSpan.FromDays(2));
        var announced = await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", store, [new ReturnLineRequest("l1", null, 1, "x")]));

        Assert.Equal((OrderCommandStatus.Done, null), (announced.Status, announced.Problem));
    }

    [Fact]
    public async Task Each_refund_message_names_its_own_return_s_refund_even_when_two_are_received_at_once()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 3, 10m));
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r1", warehouse, [new ReturnLineRequest("l1", null, 1, "x")]));
        await Order(id).AnnounceReturnAsync(new ReturnRequest("r2", warehouse, [new ReturnLineRequest("l1", null, 2, "x")]));

        // The test clock stands still: both receipts at the same instant.
        await Order(id).ReceiveReturnAsync(new ReturnReceipt("r1", null, [new ReceiptLine("l1", 1, 0)]));
        await Order(id).ReceiveReturnAsync(new ReturnReceipt("r2", null, [new ReceiptLine("l1", 2, 0)]));
        var refunds = (await Order(id).MessagesAsync())!.Where(m => m.Type == "refunded").Select(m => m.Text).ToList();

        Assert.Equal([$"We are refunding 10.00 EUR for your order {id}.", $"We are refunding 20.00 EUR for your order {id}."], refunds);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    /// <summary>An order of <paramref name="quantity"/> units of a fresh article (line l1), from a fresh warehouse
    /// stocked with 5, shipped and delivered.</summary>
    private async Task<(string Id, string Sku, string Warehouse)> DeliveredAsync(int quantity, decimal unitPrice = 10m, string channel = "web", Payment[]? payments = null)
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        Assert.Equal(OrderOutcome.Created, (await Order(id).CreateAsync(Request(id, sku, quantity, unitPrice) with { Channel = channel, Payments = payments ?? [] })).Outcome);
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"))).Status);
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", warehouse, FulfilmentEventType.Delivered, null, null, null))).Status);
        return (id, sku, warehouse);
    }

    private async Task<OrderStatus?> ListedAsync(string id) =>
        (await fixture.Grains.GetGrain<IOrderIndexGrain>(Orders.OrderIndexGrain.BucketOf(id)).QueryAsync(new OrderQuery(null, null, "c-" + id, null, null, null, 10)))
            .SingleOrDefault(o => o.OrderId == id)?.Status;

    private static CreateOrderRequest Request(string id, string sku, int quantity, decimal unitPrice) => new(
        id, "web", "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, unitPrice)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);
}
