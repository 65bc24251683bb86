using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Orders;
using Dom.Promotions;
using Dom.Stock;

namespace Dom.Silo.Hosting;

/// <summary>Seeds a small demo dataset (German warehouses, stores and a drop-shipper; a few articles with stock; a few
/// orders from the webshop and the marketplace, one of them held for review, so the pages have something to show) when
/// <c>Demo:Seed</c> is true, as it is in Development.</summary>
internal sealed class DemoData(IGrainFactory grains, IConfiguration configuration, ILogger<DemoData> logger) : IHostedService
{
    public static readonly LocationInfo[] Locations =
    [
        new("wh-hamburg", "Warehouse Hamburg", LocationType.Warehouse, 53.6304, 10.0047, 500, "DE"),
        new("wh-kassel", "Warehouse Kassel", LocationType.Warehouse, 51.3127, 9.4797, 800, "DE"),
        new("store-berlin", "Store Berlin Mitte", LocationType.Store, 52.5219, 13.4132, 40, "DE"),
        new("store-cologne", "Store Cologne", LocationType.Store, 50.9384, 6.9599, 30, "DE"),
        new("store-munich", "Store Munich", LocationType.Store, 48.1372, 11.5756, 30, "DE"),
        new("ds-leipzig", "Drop-shipper Leipzig", LocationType.DropShipper, 51.3397, 12.3731, 100, "DE"),
        new("digital", "Digital fulfilment", LocationType.Virtual, 52.52, 13.405, 0, "DE"),
    ];

    public static readonly ArticleInfo[] Articles =
    [
        new("tshirt-basic-m", "Basic T-shirt, M", ArticleKind.Physical, "Organic cotton, white."),
        new("jeans-slim-32", "Slim jeans, 32/32", ArticleKind.Physical, null),
        new("sneaker-white-42", "White sneaker, 42", ArticleKind.Physical, null),
        new("rain-jacket-l", "Rain jacket, L", ArticleKind.Physical, "Waterproof, packable."),
        new("backpack-20l", "Backpack 20 l", ArticleKind.Physical, null),
        new("wool-socks-3", "Wool socks, 3 pairs", ArticleKind.Physical, null),
        new("gift-card-25", "Gift card 25 EUR", ArticleKind.GiftCard, null, FulfilledBy: "digital"),
        new("rain-set", "Rain jacket and backpack", ArticleKind.Physical, "A bundle: one location ships both.", [new("rain-jacket-l", 1, 129m), new("backpack-20l", 1, 59m)]),
    ];

    /// <summary>The demo orders: (id, channel, customer, SKU, quantity, unit price, ship-to city and coordinates, the
    /// pickup store for click &amp; collect). Taken in as a channel's would be: risk check, routing, allocation. Those
    /// shipped to the customer cost <see cref="DeliveryCharge"/> more, paid with the goods.</summary>
    public static readonly (string OrderId, string Channel, string CustomerId, string Sku, int Quantity, decimal UnitPrice, string City, double Latitude, double Longitude, string? PickupAt)[] Orders =
    [
        ("demo-1001", "webshop", "demo-anna", "tshirt-basic-m", 2, 19.90m, "Berlin", 52.5200, 13.4050, null),
        ("demo-1002", "webshop", "demo-ben", "jeans-slim-32", 1, 79.90m, "Berlin", 52.5300, 13.3800, "store-berlin"),
        ("demo-1003", "marketplace", "demo-clara", "sneaker-white-42", 1, 89.00m, "Munich", 48.1400, 11.5800, null),
        ("demo-1004", "webshop", "demo-dan", "rain-jacket-l", 30, 129.00m, "Hamburg", 53.5500, 9.9900, null),
        ("demo-1005", "webshop", "demo-eva", "wool-socks-3", 3, 14.90m, "Leipzig", 51.3400, 12.3700, null),
        ("demo-1006", "marketplace", "demo-finn", "backpack-20l", 1, 59.00m, "Cologne", 50.9400, 6.9600, null),
        ("demo-1007", "webshop", "demo-anna", "sneaker-white-42", 1, 89.00m, "Berlin", 52.5200, 13.4050, null),
    ];

    /// <summary>What delivery to the address costs a demo order (collecting at the store is free).</summary>
    public const decimal DeliveryCharge = 4.95m;

    /// <summary>The demo promotions, saved after the demo orders (which they do not price): 10 % off at the webshop with
    /// the coupon <c>WELCOME10</c>, and three pairs of wool socks for the price of two.</summary>
    public static readonly Promotion[] Promotions =
    [
        new("demo-welcome", "Welcome: 10 % off", PromotionKind.Percentage, 10m, null, null, null, null, null, ["webshop"], "WELCOME10", null, null, null, 0, false),
        new("demo-socks-3for2", "Socks: 3 for 2", PromotionKind.BuyXGetY, null, null, null, 2, 1, ["wool-socks-3"], null, null, null, null, null, 0, false),
    ];

    /// <summary>The demo orders shipped and delivered already, so a return can be tried on them.</summary>
    public static readonly string[] Delivered = ["demo-1007"];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Demo:Seed"))
        {
            return;
        }

        await Task.WhenAll(Locations.Select(location => grains.Get<ILocationGrain>(location.LocationId).PutAsync(location)));
        var saved = await Task.WhenAll(Articles.Select(article => Dom.Grains.Articles.ArticleCatalog.SaveAsync(grains, article, logger)));
        if (saved.FirstOrDefault(answer => answer.Stored is null) is { } refused)
        {
            // Only a store that already holds other master data under these SKUs gets here.
            throw new InvalidOperationException($"Demo article refused: a bundle of bundles ({string.Join(", ", [.. refused.BundleComponents ?? [], .. refused.ListedIn ?? []])}).");
        }
        var counts = from location in Locations.Select((l, i) => (l.LocationId, l.Type, i)).Where(l => l.Type != LocationType.Virtual)
                     from article in Articles.Select((a, j) => (a.Sku, a.Kind, a.Components, j)).Where(a => a.Kind == ArticleKind.Physical && a.Components is null)
                     let onHand = ((location.i * 7) + (article.j * 13)) % 4 == 0 ? 0 : 5 + (((location.i + 1) * (article.j + 3) * 11) % 60)
                     where onHand > 0
                     select (Slot: new StockSlotKey(article.Sku, location.LocationId), OnHand: onHand);
        await Task.WhenAll(counts.Select(c => grains.Get<IStockSlotGrain>(c.Slot.ToString()).SetStockAsync(new SetStockRequest(c.OnHand, c.OnHand > 20 ? 2 : 0))));
        // One after another, each answered before the next: the same customers' and articles' grains are not raced.
        foreach (var order in Orders)
        {
            var address = new Address("DE", order.Latitude, order.Longitude, null, null, order.City);
            var deliveryCharge = order.PickupAt is null ? DeliveryCharge : 0m;
            var result = await grains.Get<IOrderGrain>(order.OrderId).CreateAsync(new CreateOrderRequest(
                order.OrderId, order.Channel, order.CustomerId, null,
                [new OrderLineRequest("1", order.Sku, order.Quantity, order.UnitPrice)],
                new Delivery(order.PickupAt is null ? DeliveryMethod.Ship : DeliveryMethod.Pickup, address, order.PickupAt),
                new CustomerData($"{order.CustomerId}@example.com", null), null,
                [new Payment("card", "tok_demo", (order.Quantity * order.UnitPrice) + deliveryCharge)], "EUR", false, null, null, DeliveryCharge: deliveryCharge));
            if (result.Outcome is not (OrderOutcome.Created or OrderOutcome.Replayed))
            {
                logger.LogWarning("Demo order {OrderId} not taken in: {Problem}", order.OrderId, result.Problem);
            }
        }

        foreach (var orderId in Delivered)
        {
            await DeliverAsync(orderId);
        }

        foreach (var promotion in Promotions)
        {
            await grains.Get<IPromotionCatalogGrain>(0).SaveAsync(promotion);
        }

        logger.LogInformation("Demo data seeded: {Locations} locations, {Articles} articles, {Orders} orders, {Promotions} promotions", Locations.Length, Articles.Length, Orders.Length, Promotions.Length);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ships and delivers every allocation of the order, as its locations would report it (under fixed event
    /// ids: a restart on persistent storage reports nothing twice).</summary>
    private async Task DeliverAsync(string orderId)
    {
        var order = grains.Get<IOrderGrain>(orderId);
        foreach (var line in (await order.GetAsync())?.Lines ?? [])
        {
            foreach (var locationId in line.Allocations.Select(a => a.LocationId).Distinct())
            {
                foreach (var type in new[] { FulfilmentEventType.Shipped, FulfilmentEventType.Delivered })
                {
                    var result = await order.ReportAsync(new FulfilmentEvent($"demo-{type}-{locationId}".ToLowerInvariant(), line.LineId, locationId, type, null, "DHL", type == FulfilmentEventType.Shipped ? "DEMO0001" : null));
                    if (result.Status is not (OrderCommandStatus.Done or OrderCommandStatus.AlreadyDone))
                    {
                        logger.LogWarning("Demo order {OrderId}: {Type} not recorded: {Problem}", orderId, type, result.Problem);
                    }
                }
            }
        }
    }
}

internal static class DemoDataSetup
{
    /// <summary>Registers the seeder; call after Orleans so it starts once the silo is active.</summary>
    public static IServiceCollection AddDemoData(this IServiceCollection services) => services.AddHostedService<DemoData>();
}
