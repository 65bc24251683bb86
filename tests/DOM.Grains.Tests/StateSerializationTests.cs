using System.Collections.Immutable;
using Dom.Grains.Articles;
using Dom.Grains.Locations;
using Dom.Grains.Reservations;
using Dom.Grains.Stock;
using Dom.Locations;
using Dom.Reservations;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Dom.Grains.Tests;

/// <summary>Every stored state goes through the storage serializer the PostgreSQL storage uses and comes back equal.</summary>
[Collection(ClusterCollection.Name)]
public class StateSerializationTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private IGrainStorageSerializer Serializer =>
        new OrleansGrainStorageSerializer(fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>());

    [Fact]
    public void Slot_state_round_trips()
    {
        var state = new StockSlotState
        {
            Exists = true,
            OnHand = 12,
            SafetyStock = 2,
            Allocated = 1,
            Version = 7,
            Holds = ImmutableDictionary<string, SlotHold>.Empty.Add("r1", new SlotHold(3, "web", At)),
        };

        var copy = RoundTrip(state);

        Assert.Equal((state.Exists, state.OnHand, state.SafetyStock, state.Allocated, state.Version), (copy.Exists, copy.OnHand, copy.SafetyStock, copy.Allocated, copy.Version));
        Assert.Equal(state.Holds.ToList(), copy.Holds.ToList());
    }

    [Fact]
    public void Location_state_round_trips()
    {
        var state = new LocationState
        {
            Info = new LocationInfo("l", "L", LocationType.Store, 52.5, 13.4, 40, "DE"),
            Limits = ImmutableDictionary<DateOnly, int>.Empty.Add(new DateOnly(2026, 11, 27), 0),
            Bookings = ImmutableDictionary<string, CapacityBooking>.Empty.Add("r1", new CapacityBooking(new DateOnly(2026, 11, 26), At)),
        };

        var copy = RoundTrip(state);

        Assert.Equal(state.Info, copy.Info);
        Assert.Equal(state.Limits.ToList(), copy.Limits.ToList());
        Assert.Equal(state.Bookings.ToList(), copy.Bookings.ToList());
    }

    [Fact]
    public void Article_and_reservation_state_round_trip()
    {
        var article = new ArticleState { Index = ImmutableDictionary<string, IndexEntry>.Empty.Add("l", new IndexEntry(4, 9)) };
        var view = new ReservationView("r", ReservationStatus.Held, At, [new ReservationLine("a", 2, [new Allocation("l", 2)])], []);
        var reservation = new ReservationState { Fingerprint = "F", Channel = "web", View = view };

        var articleCopy = RoundTrip(article);
        var reservationCopy = RoundTrip(reservation);

        Assert.Equal(article.Index.ToList(), articleCopy.Index.ToList());
        Assert.Equal((reservation.Fingerprint, reservation.Channel), (reservationCopy.Fingerprint, reservationCopy.Channel));
        Assert.Equal(view.Lines.Single().Allocations, reservationCopy.View!.Lines.Single().Allocations);
        Assert.Equal((view.ReservationId, view.Status, view.ExpiresAt), (reservationCopy.View.ReservationId, reservationCopy.View.Status, reservationCopy.View.ExpiresAt));
    }

    private T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.Serialize(value))!;
}
