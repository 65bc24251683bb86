using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Dom.Grains.Locations;

namespace Dom.Grains.Hosting;

/// <summary>The grain storage the engine writes to, and the state names: one per grain type, because the ADO.NET
/// storage keys rows by state name and grain key only.</summary>
public static class DomStorage
{
    public const string Name = "dom";

    public const string SlotState = "slot";
    public const string LocationState = "location";
    public const string ArticleState = "article";
    public const string ReservationState = "reservation";
    public const string ApiKeyState = "apikey";

    /// <summary>Registers what the grains need besides Orleans itself.</summary>
    public static IServiceCollection AddDomGrains(this IServiceCollection services)
    {
        services.TryAddSingleton(new DomClock(TimeProvider.System));
        services.TryAddSingleton<LocationDirectory>();
        return services;
    }
}
