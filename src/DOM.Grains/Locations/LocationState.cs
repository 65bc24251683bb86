using System.Collections.Immutable;
using Dom.Locations;

namespace Dom.Grains.Locations;

/// <summary>One order's booking of a day's capacity.</summary>
[GenerateSerializer, Immutable, Alias("dom.locations.booking")]
public sealed record CapacityBooking(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>What a location stores.</summary>
[GenerateSerializer, Alias("dom.locations.location-state")]
public sealed record LocationState
{
    [Id(0)] public LocationInfo? Info { get; init; }

    /// <summary>Day limits that differ from <see cref="LocationInfo.CapacityPerDay"/>.</summary>
    [Id(1)] public ImmutableDictionary<DateOnly, int> Limits { get; init; } = ImmutableDictionary<DateOnly, int>.Empty;

    [Id(2)] public ImmutableDictionary<string, CapacityBooking> Bookings { get; init; } = ImmutableDictionary<string, CapacityBooking>.Empty;
}
