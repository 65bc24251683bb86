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

    /// <summary>A third-party logistics provider's warehouse.</summary>
    LogisticsProvider,

    /// <summary>A virtual fulfilment point for non-physical articles (services, gift cards, licences): nothing is
    /// shipped or picked; it holds counters (such as licence keys) or fulfils without a limit.</summary>
    Virtual,
}

/// <summary>A location's master data.</summary>
/// <param name="LocationId">The key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Type">What kind of place it is.</param>
/// <param name="Latitude">WGS 84 latitude in degrees.</param>
/// <param name="Longitude">WGS 84 longitude in degrees.</param>
/// <param name="CapacityPerDay">Orders the location can pick on a normal day; a day's limit can be changed live.</param>
/// <param name="Country">ISO 3166-1 alpha-2 country code, upper case.</param>
/// <param name="Calendar">When the location dispatches; null: every day, all day.</param>
/// <param name="Costs">The location's handling costs; null: none.</param>
/// <param name="ShipsToCustomers">Whether it ships to customers; null: yes, unless it is virtual.</param>
/// <param name="ClickAndCollect">Whether customers may pick up orders here; null: only stores.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.location-info")]
public sealed record LocationInfo(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Name,
    [property: Id(2)] LocationType Type,
    [property: Id(3)] double Latitude,
    [property: Id(4)] double Longitude,
    [property: Id(5)] int CapacityPerDay,
    [property: Id(6)] string Country,
    [property: Id(7)] LocationCalendar? Calendar = null,
    [property: Id(8)] LocationCosts? Costs = null,
    [property: Id(9)] bool? ShipsToCustomers = null,
    [property: Id(10)] bool? ClickAndCollect = null)
{
    /// <summary>Whether customers may collect orders here: as set, or by default at stores.</summary>
    public bool OffersClickAndCollect() => ClickAndCollect ?? Type == LocationType.Store;

    /// <summary>Why <paramref name="location"/> (looked up as <paramref name="locationId"/>) cannot be an order's
    /// pickup store, or null when it can.</summary>
    public static string? PickupProblem(string locationId, LocationInfo? location) => PickupProblem(locationId, location?.OffersClickAndCollect());

    /// <summary>Why a location cannot be an order's pickup store (<paramref name="offersClickAndCollect"/> null: it does
    /// not exist), or null when it can.</summary>
    public static string? PickupProblem(string locationId, bool? offersClickAndCollect) => offersClickAndCollect switch
    {
        null => $"Pickup location {locationId} does not exist.",
        false => $"Pickup location {locationId} offers no click & collect.",
        true => null,
    };
}

/// <summary>One weekday's opening hours, in the engine's calendar (UTC).</summary>
/// <param name="Day">The weekday.</param>
/// <param name="Opens">Opening time.</param>
/// <param name="Closes">Closing time, after <paramref name="Opens"/>: orders after it count against the next working day.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.opening-hours")]
public sealed record OpeningHours(
    [property: Id(0)] DayOfWeek Day,
    [property: Id(1)] TimeOnly Opens,
    [property: Id(2)] TimeOnly Closes);

/// <summary>When a location dispatches orders (times in UTC).</summary>
/// <param name="Hours">The weekdays it works, with their hours; empty: every day, all day.</param>
/// <param name="ClosedDates">Days it does not work (holidays, stock takes).</param>
/// <param name="CutOff">Orders after this time of day count against the next working day; null: until closing.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.calendar")]
public sealed record LocationCalendar(
    [property: Id(0)] IReadOnlyList<OpeningHours> Hours,
    [property: Id(1)] IReadOnlyList<DateOnly> ClosedDates,
    [property: Id(2)] TimeOnly? CutOff);

/// <summary>What fulfilment at a location costs, besides shipping (which the sourcing profile prices).</summary>
/// <param name="HandlingPerShipment">Picking and packing one shipment.</param>
/// <param name="HandlingPerUnit">Each unit picked.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.costs")]
public sealed record LocationCosts(
    [property: Id(0)] decimal HandlingPerShipment,
    [property: Id(1)] decimal HandlingPerUnit);

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
/// <param name="KeepFree">Orders of the day's capacity this booking must leave free (the reserve kept for priority
/// orders); 0 lets it take the last one.</param>
/// <param name="AnswerEarlyOn">The engine's own sourcing only: the caller's silo, as in a hold request. A location on
/// that silo answers as soon as the booking is decided, with a ticket for its write.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.booking-request")]
public sealed record BookingRequest(
    [property: Id(0)] string BookingId,
    [property: Id(1)] DateOnly Date,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] int KeepFree = 0,
    [property: Id(4)] SiloAddress? AnswerEarlyOn = null);

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
/// <param name="Ticket">Set when the booking was answered before its write is durable: the ticket for that write on
/// the caller's silo.</param>
[GenerateSerializer, Immutable, Alias("dom.locations.booking-result")]
public sealed record BookingResult(
    [property: Id(0)] BookingStatus Status,
    [property: Id(1)] CapacitySnapshot? Capacity,
    [property: Id(2)] long? Ticket = null)
{
    /// <summary>True when the capacity is booked (now or before).</summary>
    public bool Succeeded => Status is BookingStatus.Booked or BookingStatus.AlreadyBooked;
}
