using Dom.Orders;
using Dom.Stock;

namespace Dom.Grains.Tests;

[Collection(ClusterCollection.Name)]
public class OrderTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task An_order_past_its_promised_date_without_delivery_is_late_and_listed_as_late()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 5);
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
    public async Task A_delivered_order_is_never_late()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 5);
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
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 10);
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
    public async Task A_change_stored_while_the_order_list_is_damaged_is_answered_as_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 5);
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

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

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
