using Dom.Grains.Reservations;
using Dom.Reservations;

namespace Dom.Grains.Tests;

/// <summary>When a reservation's activation arms a timer to record its expiry: only for an expiry it can live to see.</summary>
public class ReservationExpiryTimerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan IdleLife = TimeSpan.FromMinutes(ReservationGrain.IdleMinutes);

    private static ReservationView View(ReservationStatus status, TimeSpan expiresIn) => new("r", status, Now + expiresIn, [], []);

    [Fact]
    public void A_held_reservation_expiring_within_an_idle_activations_life_is_watched_to_the_instant()
    {
        Assert.Equal(Now + IdleLife, ReservationGrain.ExpiryTimerFor(View(ReservationStatus.Held, IdleLife), Now));
        Assert.Equal(Now + TimeSpan.FromSeconds(1), ReservationGrain.ExpiryTimerFor(View(ReservationStatus.Held, TimeSpan.FromSeconds(1)), Now));
    }

    [Fact]
    public void An_expiry_the_activation_would_be_collected_before_arms_no_timer()
    {
        // A reservation read long before it expires: the timer would only cost the silo's timer queue.
        Assert.Null(ReservationGrain.ExpiryTimerFor(View(ReservationStatus.Held, IdleLife + TimeSpan.FromMilliseconds(1)), Now));
        Assert.Null(ReservationGrain.ExpiryTimerFor(View(ReservationStatus.Held, TimeSpan.FromDays(1)), Now));
    }

    [Fact]
    public void A_held_reservation_already_past_its_expiry_is_watched_so_that_its_expiry_is_recorded_at_once() =>
        Assert.Equal(Now - TimeSpan.FromMinutes(5), ReservationGrain.ExpiryTimerFor(View(ReservationStatus.Held, -TimeSpan.FromMinutes(5)), Now));

    [Theory]
    [InlineData(ReservationStatus.Converted)]
    [InlineData(ReservationStatus.Released)]
    [InlineData(ReservationStatus.Expired)]
    [InlineData(ReservationStatus.Refused)]
    public void Only_a_held_reservation_is_watched(ReservationStatus status) =>
        Assert.Null(ReservationGrain.ExpiryTimerFor(View(status, TimeSpan.FromSeconds(30)), Now));

    [Fact]
    public void Nothing_recorded_yet_is_not_watched() => Assert.Null(ReservationGrain.ExpiryTimerFor(null, Now));
}
