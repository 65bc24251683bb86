using Dom.Articles;
using Dom.Orders;

namespace Dom.Grains.Tests;

/// <summary>Some units of a line cancelled (the customer wants 2, not 5): those waiting for supply first, then those
/// allocated where the work is least far along; once per cancellation id.</summary>
[Collection(ClusterCollection.Name)]
public class UnitCancellationTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task Units_waiting_for_supply_are_cancelled_first_then_allocated_ones_released_at_their_slot()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 5));
        // The warehouse finds 2 of the 5 missing (written off) and no other location has any: 3 allocated, 2 waiting.
        var placed = (await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", warehouse, FulfilmentEventType.Rejected, 2, null, null))).Order!;

        var cancelled = await Order(id).CancelUnitsAsync("c1", "l1", 3);
        var retried = await Order(id).CancelUnitsAsync("c1", "l1", 3);
        var otherBody = await Order(id).CancelUnitsAsync("c1", "l1", 2);
        var tooMany = await Order(id).CancelUnitsAsync("c2", "l1", 3);
        var slot = await _world.Slot(sku, warehouse).GetAsync();

        Assert.Equal((3, 2), (placed.Lines.Single().AllocatedQuantity, placed.Lines.Single().OpenQuantity));
        Assert.Equal(OrderCommandStatus.Done, cancelled.Status);
        var line = cancelled.Order!.Lines.Single();
        Assert.Equal((3, 0, 2, LineStatus.Open), (line.CancelledQuantity, line.OpenQuantity, line.AllocatedQuantity, line.Status));
        Assert.Equal((OrderStatus.Released, 20m), (cancelled.Order.Status, cancelled.Order.Total));
        var told = cancelled.Order.Outbox.Last();
        Assert.Equal(("unitsCancelled", "l1", 3), (told.Type, told.LineId, told.Quantity));
        Assert.Equal((OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict), (retried.Status, otherBody.Status));
        Assert.Equal(cancelled.Order.Outbox.Count, retried.Order!.Outbox.Count);
        Assert.Equal(OrderCommandStatus.NotAllowed, tooMany.Status);
        Assert.Contains("2 units of line l1 are left to cancel", tooMany.Problem, StringComparison.Ordinal);
        Assert.Equal((3, 2, 1), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task The_allocation_whose_work_is_least_far_along_gives_up_its_units_and_the_last_ones_cancel_the_order()
    {
        var sku = await _world.ArticleAsync("a");
        var (near, far) = (await _world.LocationAsync("near", 52.5, 13.4), await _world.LocationAsync("far", 48.1, 11.6));
        await _world.StockAsync(sku, near, 1);
        await _world.StockAsync(sku, far, 1);
        var id = _world.Id("o");
        var placed = (await Order(id).CreateAsync(Request(id, sku, 2))).Order!;
        // The nearer location picked its unit already; the other has not started.
        var picking = placed.Lines.Single().Allocations.First();
        var other = placed.Lines.Single().Allocations.Single(a => a.LocationId != picking.LocationId);
        await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", picking.LocationId, FulfilmentEventType.Picked, null, null, null));

        var one = (await Order(id).CancelUnitsAsync("c1", "l1", 1)).Order!;
        var (freed, kept) = (await _world.Slot(sku, other.LocationId).GetAsync(), await _world.Slot(sku, picking.LocationId).GetAsync());
        var last = (await Order(id).CancelUnitsAsync("c2", "l1", 1)).Order!;

        Assert.Equal(2, placed.Lines.Single().Allocations.Count);
        Assert.Equal([(picking.LocationId, AllocationStatus.Picked), (other.LocationId, AllocationStatus.Cancelled)],
            one.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Equal(((1, 0), (0, 1)), ((freed!.Available, freed.Allocated), (kept!.Available, kept.Allocated)));
        Assert.Equal((OrderStatus.Cancelled, "cancelled", 0m), (last.Status, last.Outbox.Last().Type, last.Total));
        Assert.Equal((1, 1), (await _world.AvailableAsync(sku, near), await _world.AvailableAsync(sku, far)));
    }

    [Fact]
    public async Task Cancelling_bundles_cancels_as_many_units_of_each_part_as_the_bundles_hold()
    {
        var (cards, box, warehouse) = (await _world.ArticleAsync("cards"), await _world.ArticleAsync("box"), await _world.LocationAsync("w", 52.5, 13.4));
        var kit = _world.Id("kit");
        await fixture.Grains.GetGrain<IArticleGrain>(kit).PutAsync(new ArticleInfo(kit, "kit", ArticleKind.Physical, null, [new(cards, 2), new(box, 1)]));
        await _world.StockAsync(cards, warehouse, 10);
        await _world.StockAsync(box, warehouse, 10);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, kit, 3));

        var cancelled = (await Order(id).CancelUnitsAsync("c1", "l1", 2)).Order!;

        Assert.Equal([(cards, 4, 2), (box, 2, 1)], cancelled.Lines.Select(l => (l.Sku, l.CancelledQuantity, l.AllocatedQuantity)));
        Assert.Equal((8, 9), (await _world.AvailableAsync(cards, warehouse), await _world.AvailableAsync(box, warehouse)));
        Assert.Equal(("unitsCancelled", "l1", 2), (cancelled.Outbox.Last().Type, cancelled.Outbox.Last().LineId, cancelled.Outbox.Last().Quantity));
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static CreateOrderRequest Request(string id, string sku, int quantity) => new(
        id, "web", "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, 10m)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);
}
