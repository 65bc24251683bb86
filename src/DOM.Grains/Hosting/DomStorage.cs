using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Dom.Domain.Risk;
using Dom.Grains.Articles;
using Dom.Grains.Journal;
using Dom.Grains.Orders;
using Orleans.Serialization;
using Orleans.Storage;
using Dom.Grains.Locations;
using Dom.Grains.Sourcing;
using Dom.Grains.Stock;
using Dom.Grains.Reservations;
using Dom.Reservations;

namespace Dom.Grains.Hosting;

/// <summary>
/// Where grains keep state. The hot grains (stock slots, locations, reservations) are journaled through the silo's
/// <see cref="IGrainJournal"/>; rarely written ones (articles, API keys) use Orleans grain storage under this name,
/// with one state name per grain type, because the ADO.NET storage keys rows by state name and grain key only.
/// </summary>
public static class DomStorage
{
    public const string Name = "dom";

    public const string ArticleState = "article";
    public const string ApiKeyState = "apikey";
    public const string ApiKeyRegistryState = "apikey-registry";
    public const string SourcingProfileState = "sourcing-profile";
    public const string PromotionCatalogState = "promotion-catalog";
    public const string BackorderQueueState = "backorder-queue";

    /// <summary>
    /// Orleans' own binary serializer for a grain storage provider, chosen on purpose over the providers' default
    /// (Newtonsoft JSON, which cannot read positional records back: a state written by it fails on the next
    /// activation): version tolerant through [Id] members, compact, and the codecs the grains already use on the wire.
    /// Tests round-trip every state through it.
    /// </summary>
    public static IServiceCollection UseOrleansStorageSerializer<TOptions>(this IServiceCollection services, string name)
        where TOptions : class, IStorageProviderSerializerOptions
    {
        services.AddOptions<TOptions>(name).Configure<Serializer>((options, serializer) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        return services;
    }

    /// <summary>Registers what the grains need besides Orleans itself.</summary>
    public static IServiceCollection AddDomGrains(this IServiceCollection services)
    {
        services.TryAddSingleton(new DomClock(TimeProvider.System));
        services.TryAddSingleton<LocationDirectory>();
        services.TryAddSingleton<ProfileDirectory>();
        services.TryAddSingleton<Sourcer>();
        services.TryAddSingleton<IReservationDesk, ReservationDesk>();
        services.TryAddSingleton(RepublishSchedule.For);
        services.TryAddSingleton(services => new PendingWrites(services.GetRequiredService<ILocalSiloDetails>().SiloAddress));
        services.TryAddSingleton<IGrainJournal, MemoryJournal>();
        services.AddOptions<OrderOptions>();
        services.AddOptions<Dom.Domain.Money.TaxRates>();
        services.AddOptions<Notifications.WebhookOptions>();
        services.AddOptions<Notifications.NotificationOptions>();
        services.AddHttpClient(Notifications.WebhookOptions.Client);
        services.TryAddSingleton<Notifications.WebhookSender>();
        services.AddOptions<RiskPolicy>();
        return services;
    }
}
