using Dom.Domain.Sourcing;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Grains.Sourcing;
using Dom.Locations;
using Orleans.Serialization;

namespace Dom.Grains.Locations;

/// <summary>
/// A location's master data and its capacity per day, journaled and reentrant like the stock slot (decide and raise
/// in the synchronous part of a call; concurrent bookings share one flush). Bookings lapse at their expiry exactly
/// like holds: every call first drops what has expired by the business clock.
/// </summary>
[Reentrant]
internal sealed class LocationGrain(IGrainJournal journal, PendingWrites pendingWrites, Serializer serializer, DomClock clock, ILogger<LocationGrain> logger)
    : JournaledGrain<LocationState, LocationEvent>(journal, serializer, logger), ILocationGrain
{
    private readonly ExpiryQueue _expiries = new();

    protected override string Stream => $"location/{this.GetPrimaryKeyString()}";

    protected override LocationState Initial => new();

    protected override int StateSize => State.Bookings.Count;

    protected override void OnLoaded()
    {
        foreach (var (id, booking) in State.Bookings)
        {
            _expiries.Add(id, booking.ExpiresAt);
        }

        DropExpiredBookings();
    }

    protected override LocationState Apply(LocationState state, LocationEvent @event) => @event switch
    {
        LocationDefined defined => state with { Info = defined.Info },
        CapacityLimitSet set => state with { Limits = state.Limits.SetItem(set.Date, set.Limit) },
        CapacityBooked booked => state.WithBooking(booked.BookingId, new CapacityBooking(booked.Date, booked.ExpiresAt)),
        CapacityBookingReleased released => state.WithoutBookings([released.BookingId]),
        CapacityBookingConfirmed confirmed => state.WithoutBookings([confirmed.FromBookingId]).WithBooking(confirmed.OrderId, new CapacityBooking(confirmed.Date, DateTimeOffset.MaxValue)),
        _ => throw new InvalidOperationException($"Unknown location event {@event.GetType().Name}."),
    };

    public async Task<LocationInfo> PutAsync(LocationInfo info)
    {
        await Raise(new LocationDefined(info));
        return info;
    }

    public Task<LocationInfo?> GetAsync()
    {
        EnsureUsable();
        return Task.FromResult(State.Info);
    }

    public async Task<CapacitySnapshot?> SetCapacityAsync(SetCapacityRequest request)
    {
        EnsureUsable();
        if (State.Info is null)
        {
            return null;
        }

        DropExpiredBookings();
        var written = Raise(new CapacityLimitSet(request.Date, request.Limit));
        var capacity = State.Capacity(request.Date);
        await written;
        if (capacity.Overbooked)
        {
            logger.LogWarning("{LocationId} lowered {Date} to {Limit} below {Booked} booked", State.Info.LocationId, request.Date, request.Limit, capacity.Booked);
        }

        return capacity;
    }

    public Task<CapacitySnapshot?> GetCapacityAsync(DateOnly date)
    {
        EnsureUsable();
        DropExpiredBookings();
        return Task.FromResult(State.Info is null ? null : State.Capacity(date));
    }

    public async Task<BookingResult> BookAsync(BookingRequest request)
    {
        EnsureUsable();
        DropExpiredBookings();
        if (State.Info is null)
        {
            return new BookingResult(BookingStatus.UnknownLocation, null);
        }

        if (State.Bookings.TryGetValue(request.BookingId, out var booked))
        {
            // A retry while the booking's write is on its way: answered once it is stored, with the day it booked.
            await EarlierWritesAsync();
            return new BookingResult(BookingStatus.AlreadyBooked, State.Capacity(booked.Date));
        }

        var capacity = State.Capacity(request.Date);
        // Orders without priority leave the last KeepFree orders of the day to those with it.
        if (capacity.Booked >= capacity.Limit - Math.Max(0, request.KeepFree) || request.ExpiresAt <= clock.UtcNow)
        {
            // Decided on bookings that may still be on their way to the journal: answered once they are stored.
            await EarlierWritesAsync();
            return new BookingResult(BookingStatus.Full, capacity);
        }

        var written = Raise(new CapacityBooked(request.BookingId, request.Date, request.ExpiresAt), out var stored);
        _expiries.Add(request.BookingId, request.ExpiresAt);
        capacity = State.Capacity(request.Date);
        if (pendingWrites.HandIfLocal(request.AnswerEarlyOn, stored) is { } ticket)
        {
            // As a stock slot's hold: the caller redeems the ticket and stores nothing resting on it before it. The
            // write's failure is logged by the journaled grain, which then deactivates.
            written.Ignore();
            return new BookingResult(BookingStatus.Booked, capacity, ticket);
        }

        await written;
        return new BookingResult(BookingStatus.Booked, capacity);
    }

    public async Task<BookingResult> ConfirmBookingAsync(string bookingId, string orderId, DateOnly date)
    {
        EnsureUsable();
        DropExpiredBookings();
        if (State.Info is null)
        {
            return new BookingResult(BookingStatus.UnknownLocation, null);
        }

        if (State.Bookings.TryGetValue(orderId, out var existing) && existing.ExpiresAt == DateTimeOffset.MaxValue)
        {
            await EarlierWritesAsync();
            return new BookingResult(BookingStatus.AlreadyBooked, State.Capacity(existing.Date));
        }

        // The day the reservation's booking was for, while the location can still dispatch on it. When that booking
        // lapsed, or its day has passed (a reservation made before midnight and converted after it), the order needs a
        // day the location still works (its calendar, closed dates and cut-off), not earlier than the day asked for,
        // with room: the first such day is booked, as a new booking would be, so converting never overbooks a day.
        var held = State.Bookings.GetValueOrDefault(bookingId);
        var site = SourcingMapping.ToSite(State.Info);
        var next = site?.NextDispatchDay(clock.UtcNow);
        var earliest = next is { } working && working > date ? working : date;
        DateOnly day;
        if (held is not null && next is not null && held.Date >= next)
        {
            day = held.Date;
        }
        else if (FirstDayWithRoom(site, earliest, held ?? State.Bookings.GetValueOrDefault(orderId)) is { } free)
        {
            day = free;
        }
        else
        {
            await EarlierWritesAsync();
            return new BookingResult(BookingStatus.Full, State.Capacity(earliest));
        }

        var written = Raise(new CapacityBookingConfirmed(bookingId, orderId, day));
        var capacity = State.Capacity(day);
        await written;
        return new BookingResult(BookingStatus.Booked, capacity);
    }

    /// <summary>The first day from <paramref name="from"/> that <paramref name="site"/> works on (within the planning
    /// horizon) with room for one more order; a day <paramref name="counted"/> is booked on already has it.</summary>
    private DateOnly? FirstDayWithRoom(Site? site, DateOnly from, CapacityBooking? counted)
    {
        var day = from;
        for (var i = 0; i < SiteCalendar.HorizonDays; i++)
        {
            if ((site is null ? day : site.NextDispatchDay(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero))) is not { } working)
            {
                return null;
            }

            var capacity = State.Capacity(working);
            if (counted?.Date == working || capacity.Booked < capacity.Limit)
            {
                return working;
            }

            day = working.AddDays(1);
        }

        return null;
    }

    public async Task ReleaseBookingAsync(string bookingId)
    {
        EnsureUsable();
        DropExpiredBookings();
        if (State.Bookings.ContainsKey(bookingId))
        {
            await Raise(new CapacityBookingReleased(bookingId));
        }
        else
        {
            // Perhaps released by a call whose write is still on its way: answered once it is stored.
            await EarlierWritesAsync();
        }
    }

    /// <summary>Forgets lapsed bookings, and once a day the days more than <see cref="DaysKept"/> back. No event: the
    /// clock is the event, and a reload drops them again.</summary>
    private void DropExpiredBookings()
    {
        var due = _expiries.PopDue(clock.UtcNow, State.Bookings, static (bookings, id, at) => bookings.TryGetValue(id, out var booking) && booking.ExpiresAt == at);
        if (due.Count > 0)
        {
            State = State.WithoutBookings(due);
        }

        if (clock.Today != _sweptOn)
        {
            _sweptOn = clock.Today;
            State = State.WithoutDaysBefore(clock.Today.AddDays(-DaysKept));
        }
    }

    /// <summary>How many past days a location still shows its bookings for.</summary>
    public const int DaysKept = 7;

    private DateOnly _sweptOn;
}
