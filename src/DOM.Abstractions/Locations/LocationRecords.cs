namespace Dom.Locations;

/// <summary>What kind of place a location is; decides which channels and processes may use it.</summary>
public enum LocationType
{
    /// <summary>An own distribution centre.</summary>
    Warehouse,

    /// <summary>A shop that can ship from store and hand out click &amp; collect orders.</summary>
    Store,

    /// <summary>A supplier that ships directly to the customer.</summary>
    DropShipper,

    /// <summary>A franchise or logistics partner location.</summary>
    Partner,
}

/// <summary>A location's master data.</summary>
/// <param name="LocationId">The key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Type">What kind of place it is.</param>
/// <param name="Latitude">WGS 84 latitude in degrees.</param>
/// <param name="Longitude">WGS 84 longitude in degrees.</param>
/// <param name="CapacityPerDay">Orders the location can pick on a normal day; a day's limit can be changed live.</param>
/// <param name="Country">ISO 3166-1 alpha-2 country code, upper case.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.location-info")]
public sealed record LocationInfo(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Name,
    [property: Id(2)] LocationType Type,
    [property: Id(3)] double Latitude,
    [property: Id(4)] double Longitude,
    [property: Id(5)] int CapacityPerDay,
    [property: Id(6)] string Country);

/// <summary>Sets one day's capacity limit at a location.</summary>
/// <param name="Date">The day, in the engine's calendar (UTC).</param>
/// <param name="Limit">Orders the location can pick that day; 0 closes it for new bookings.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.set-capacity-request")]
public sealed record SetCapacityRequest(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] int Limit);

/// <summary>One day's capacity at a location.</summary>
/// <param name="Date">The day.</param>
/// <param name="Limit">The day's limit.</param>
/// <param name="Booked">Live bookings on that day.</param>
/// <param name="Overbooked">True when the limit was lowered below what is already booked: nothing new is booked
/// until bookings fall below the limit again.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.capacity-snapshot")]
public sealed record CapacitySnapshot(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] int Limit,
    [property: Id(2)] int Booked,
    [property: Id(3)] bool Overbooked);

/// <summary>Books one unit of a day's capacity (one order to pick) for a reservation.</summary>
/// <param name="BookingId">The idempotency key: the reservation id.</param>
/// <param name="Date">The day to book.</param>
/// <param name="ExpiresAt">When the booking lapses by itself unless confirmed by an order.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.booking-request")]
public sealed record BookingRequest(
    [property: Id(0)] string BookingId,
    [property: Id(1)] DateOnly Date,
    [property: Id(2)] DateTimeOffset ExpiresAt);

/// <summary>How a booking request ended.</summary>
public enum BookingStatus
{
    /// <summary>Booked now.</summary>
    Booked,

    /// <summary>The booking existed already; nothing changed.</summary>
    AlreadyBooked,

    /// <summary>The day is full; nothing changed.</summary>
    Full,

    /// <summary>The location does not exist; nothing changed.</summary>
    UnknownLocation,
}

/// <summary>The answer to a <see cref="BookingRequest"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Capacity">The day's capacity after the request.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.booking-result")]
public sealed record BookingResult(
    [property: Id(0)] BookingStatus Status,
    [property: Id(1)] CapacitySnapshot? Capacity)
{
    /// <summary>True when the capacity is booked (now or before).</summary>
    public bool Succeeded => Status is BookingStatus.Booked or BookingStatus.AlreadyBooked;
}
