using Dom.Grains.Hosting;
using Dom.Locations;

namespace Dom.Grains.Locations;

/// <summary>
/// A location's master data and its capacity per day. Bookings lapse at their expiry exactly like stock holds:
/// every call first drops what has expired by the business clock.
/// </summary>
internal sealed class LocationGrain(
    [PersistentState(DomStorage.LocationState, DomStorage.Name)] IPersistentState<LocationState> state,
    DomClock clock,
    ILogger<LocationGrain> logger) : Grain, ILocationGrain
{
    private readonly ExpiryQueue _expiries = new();
    private readonly Dictionary<DateOnly, int> _booked = [];

    private LocationState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, booking) in State.Bookings)
        {
            Count(booking.Date, +1);
            _expiries.Add(id, booking.ExpiresAt);
        }

        DropExpiredBookings();
        return Task.CompletedTask;
    }

    public async Task<LocationInfo> PutAsync(LocationInfo info)
    {
        await state.WriteAsync(State with { Info = info }, GrainContext, logger);
        return info;
    }

    public Task<LocationInfo?> GetAsync() => Task.FromResult(State.Info);

    public async Task<CapacitySnapshot?> SetCapacityAsync(SetCapacityRequest request)
    {
        if (State.Info is null)
        {
            return null;
        }

        DropExpiredBookings();
        await state.WriteAsync(State with { Limits = State.Limits.SetItem(request.Date, request.Limit) }, GrainContext, logger);
        var capacity = Capacity(request.Date);
        if (capacity.Overbooked)
        {
            logger.LogWarning("{LocationId} lowered {Date} to {Limit} below {Booked} booked", State.Info.LocationId, request.Date, request.Limit, capacity.Booked);
        }

        return capacity;
    }

    public Task<CapacitySnapshot?> GetCapacityAsync(DateOnly date)
    {
        DropExpiredBookings();
        return Task.FromResult(State.Info is null ? null : Capacity(date));
    }

    public async Task<BookingResult> BookAsync(BookingRequest request)
    {
        DropExpiredBookings();
        if (State.Info is null)
        {
            return new BookingResult(BookingStatus.UnknownLocation, null);
        }

        if (State.Bookings.ContainsKey(request.BookingId))
        {
            return new BookingResult(BookingStatus.AlreadyBooked, Capacity(request.Date));
        }

        var capacity = Capacity(request.Date);
        if (capacity.Booked >= capacity.Limit || request.ExpiresAt <= clock.UtcNow)
        {
            return new BookingResult(BookingStatus.Full, capacity);
        }

        var booking = new CapacityBooking(request.Date, request.ExpiresAt);
        await state.WriteAsync(State with { Bookings = State.Bookings.SetItem(request.BookingId, booking) }, GrainContext, logger);
        Count(booking.Date, +1);
        _expiries.Add(request.BookingId, booking.ExpiresAt);
        return new BookingResult(BookingStatus.Booked, Capacity(request.Date));
    }

    public async Task ReleaseBookingAsync(string bookingId)
    {
        DropExpiredBookings();
        if (State.Bookings.TryGetValue(bookingId, out var booking))
        {
            await state.WriteAsync(State with { Bookings = State.Bookings.Remove(bookingId) }, GrainContext, logger);
            Count(booking.Date, -1);
        }
    }

    private CapacitySnapshot Capacity(DateOnly date)
    {
        var limit = State.Limits.TryGetValue(date, out var dayLimit) ? dayLimit : State.Info?.CapacityPerDay ?? 0;
        var booked = _booked.GetValueOrDefault(date);
        return new CapacitySnapshot(date, limit, booked, booked > limit);
    }

    private void DropExpiredBookings()
    {
        var due = _expiries.PopDue(clock.UtcNow, (id, at) => State.Bookings.TryGetValue(id, out var booking) && booking.ExpiresAt == at);
        if (due.Count == 0)
        {
            return;
        }

        foreach (var id in due)
        {
            Count(State.Bookings[id].Date, -1);
        }

        state.State = State with { Bookings = State.Bookings.RemoveRange(due) };
    }

    private void Count(DateOnly date, int delta)
    {
        var booked = _booked.GetValueOrDefault(date) + delta;
        if (booked == 0)
        {
            _booked.Remove(date);
        }
        else
        {
            _booked[date] = booked;
        }
    }
}
