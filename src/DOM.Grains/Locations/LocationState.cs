using System.Collections.Immutable;
using Dom.Grains.Hosting;
using Dom.Locations;

namespace Dom.Grains.Locations;

/// <summary>One order's booking of a day's capacity.</summary>
[GenerateSerializer, Immutable, Alias("dom.locations.booking")]
public sealed record CapacityBooking(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>A location's state: the fold of its events (and the clock, which drops lapsed bookings). Owned by the
/// location's one activation: bookings are changed in place (<see cref="OwnedMap{TKey, TValue}"/>), so a state is never
/// shared or kept after the next event.</summary>
[GenerateSerializer, Alias("dom.locations.location-state")]
public sealed record LocationState
{
    [Id(0)] public LocationInfo? Info { get; init; }

    /// <summary>Day limits that differ from <see cref="LocationInfo.CapacityPerDay"/>.</summary>
    [Id(1)] public ImmutableDictionary<DateOnly, int> Limits { get; init; } = ImmutableDictionary<DateOnly, int>.Empty;

    [Id(2)] public OwnedMap<string, CapacityBooking> Bookings { get; init; } = new();

    /// <summary>Bookings per day, kept so a capacity check is O(1).</summary>
    [Id(3)] public OwnedMap<DateOnly, int> Booked { get; init; } = new();

    public CapacitySnapshot Capacity(DateOnly date)
    {
        var limit = Limits.TryGetValue(date, out var dayLimit) ? dayLimit : Info?.CapacityPerDay ?? 0;
        var booked = Booked.GetValueOrDefault(date);
        return new CapacitySnapshot(date, limit, booked, booked > limit);
    }

    /// <summary>Adds (or replaces) a booking, in place.</summary>
    public LocationState WithBooking(string id, CapacityBooking booking)
    {
        Remove(id);
        Bookings.Values[id] = booking;
        Booked.Values[booking.Date] = Booked.GetValueOrDefault(booking.Date) + 1;
        return this;
    }

    /// <summary>Removes the bookings that exist among <paramref name="ids"/>, in place.</summary>
    public LocationState WithoutBookings(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            Remove(id);
        }

        return this;
    }

    /// <summary>Forgets the days before <paramref name="first"/>, in place: their bookings and limits. They take no more
    /// orders, and every order booked there has its booking for good; kept, they would grow the state with every
    /// order the location ever took.</summary>
    public LocationState WithoutDaysBefore(DateOnly first)
    {
        var past = new List<string>();
        foreach (var (id, booking) in Bookings.Values)
        {
            if (booking.Date < first)
            {
                past.Add(id);
            }
        }

        var limits = Limits;
        foreach (var date in Limits.Keys)
        {
            if (date < first)
            {
                limits = limits.Remove(date);
            }
        }

        return WithoutBookings(past) with { Limits = limits };
    }

    private void Remove(string id)
    {
        if (Bookings.Values.Remove(id, out var booking))
        {
            var left = Booked.Values[booking.Date] - 1;
            if (left == 0)
            {
                Booked.Values.Remove(booking.Date);
            }
            else
            {
                Booked.Values[booking.Date] = left;
            }
        }
    }
}

/// <summary>What happens to a location. Stored in the journal: never reorder or renumber members.</summary>
[GenerateSerializer, Alias("dom.locations.location-event")]
public abstract record LocationEvent;

[GenerateSerializer, Immutable, Alias("dom.locations.defined")]
public sealed record LocationDefined([property: Id(0)] LocationInfo Info) : LocationEvent;

[GenerateSerializer, Immutable, Alias("dom.locations.limit-set")]
public sealed record CapacityLimitSet([property: Id(0)] DateOnly Date, [property: Id(1)] int Limit) : LocationEvent;

[GenerateSerializer, Immutable, Alias("dom.locations.booked")]
public sealed record CapacityBooked([property: Id(0)] string BookingId, [property: Id(1)] DateOnly Date, [property: Id(2)] DateTimeOffset ExpiresAt) : LocationEvent;

[GenerateSerializer, Immutable, Alias("dom.locations.booking-released")]
public sealed record CapacityBookingReleased([property: Id(0)] string BookingId) : LocationEvent;

/// <summary>A booking made permanent for an order (replacing the reservation's booking, if it was still there).</summary>
[GenerateSerializer, Immutable, Alias("dom.locations.booking-confirmed")]
public sealed record CapacityBookingConfirmed([property: Id(0)] string FromBookingId, [property: Id(1)] string OrderId, [property: Id(2)] DateOnly Date) : LocationEvent;
