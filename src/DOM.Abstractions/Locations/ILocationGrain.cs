namespace Dom.Locations;

/// <summary>A location, keyed by its id: master data and live capacity per day.
/// Invariant: for every day, booked ≤ limit for everything this grain books.</summary>
[Alias("dom.locations.location")]
public interface ILocationGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the master data.</summary>
    [Alias("put")]
    Task<LocationInfo> PutAsync(LocationInfo info);

    /// <summary>The master data, or null when the location does not exist.</summary>
    [Alias("get"), ReadOnly]
    Task<LocationInfo?> GetAsync();

    /// <summary>Sets a day's limit. Lowering it below what is booked is allowed and reported.</summary>
    [Alias("set-capacity")]
    Task<CapacitySnapshot?> SetCapacityAsync(SetCapacityRequest request);

    /// <summary>A day's capacity, or null when the location does not exist.</summary>
    [Alias("get-capacity"), ReadOnly]
    Task<CapacitySnapshot?> GetCapacityAsync(DateOnly date);

    /// <summary>Books one order's worth of a day's capacity; idempotent by booking id.</summary>
    [Alias("book")]
    Task<BookingResult> BookAsync(BookingRequest request);

    /// <summary>Turns a booking (a reservation's, lapsing) into an order's permanent booking; when the first one lapsed,
    /// books anew on the location's next working day (<paramref name="date"/> at the earliest) if it still has room.
    /// Idempotent.</summary>
    [Alias("confirm-booking")]
    Task<BookingResult> ConfirmBookingAsync(string bookingId, string orderId, DateOnly date);

    /// <summary>Releases a booking; idempotent.</summary>
    [Alias("release-booking")]
    Task ReleaseBookingAsync(string bookingId);
}
