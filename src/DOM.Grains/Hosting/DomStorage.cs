using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Dom.Grains.Articles;
using Dom.Grains.Journal;
using Dom.Grains.Locations;
using Dom.Grains.Sourcing;

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
    public const string SourcingProfileState = "sourcing-profile";

    /// <summary>Registers what the grains need besides Orleans itself.</summary>
    public static IServiceCollection AddDomGrains(this IServiceCollection services)
    {
        services.TryAddSingleton(new DomClock(TimeProvider.System));
        services.TryAddSingleton<LocationDirectory>();
        services.TryAddSingleton<ArticleDirectory>();
        services.TryAddSingleton<ProfileDirectory>();
        services.TryAddSingleton<IGrainJournal, MemoryJournal>();
        return services;
    }
}
