using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Stock;

namespace Dom.Silo.Hosting;

/// <summary>Seeds a small demo dataset (German warehouses, stores and a drop-shipper; a few articles with stock) when
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
        new("rain-set", "Rain jacket and backpack", ArticleKind.Physical, "A bundle: one location ships both.", [new("rain-jacket-l", 1), new("backpack-20l", 1)]),
    ];

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
        logger.LogInformation("Demo data seeded: {Locations} locations, {Articles} articles", Locations.Length, Articles.Length);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class DemoDataSetup
{
    /// <summary>Registers the seeder; call after Orleans so it starts once the silo is active.</summary>
    public static IServiceCollection AddDemoData(this IServiceCollection services) => services.AddHostedService<DemoData>();
}
