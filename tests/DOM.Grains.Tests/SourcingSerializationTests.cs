using System.Collections.Immutable;
using Dom.Grains.Locations;
using Dom.Grains.Sourcing;
using Dom.Grains.Stock;
using Dom.Locations;
using Dom.Sourcing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Dom.Grains.Tests;

/// <summary>The events and states sourcing added round-trip through the serializers that store them, and events written
/// before their new members existed still read with the old meaning.</summary>
[Collection(ClusterCollection.Name)]
public class SourcingSerializationTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private Serializer Serializer => fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();

    public static TheoryData<object> Events => new()
    {
        new HoldPlaced("r1", 3, "web", At, FromPool: 2, NeedBy: At.AddDays(2)),
        new PoolSized("marketplace", 4),
        new InboundExpected("po-1", 5, At.AddDays(1)),
        new InboundReceived("po-1"),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void New_slot_events_round_trip_through_their_base_type(object @event)
    {
        var copy = RoundTrip((SlotEvent)@event);

        Assert.Equal(@event, copy);
    }

    [Fact]
    public void A_location_with_calendar_costs_and_capabilities_round_trips()
    {
        var info = new LocationInfo(
            "l", "L", LocationType.Store, 52.5, 13.4, 40, "DE",
            new LocationCalendar([new OpeningHours(DayOfWeek.Monday, new TimeOnly(9, 0), new TimeOnly(18, 0))], [new DateOnly(2026, 12, 24)], new TimeOnly(14, 0)),
            new LocationCosts(1.5m, 0.25m),
            ShipsToCustomers: false,
            ClickAndCollect: true);

        var copy = ((LocationDefined)RoundTrip<LocationEvent>(new LocationDefined(info))).Info;

        Assert.Equal((info.Costs, info.ShipsToCustomers, info.ClickAndCollect), (copy.Costs, copy.ShipsToCustomers, copy.ClickAndCollect));
        Assert.Equal(info.Calendar!.Hours, copy.Calendar!.Hours);
        Assert.Equal(info.Calendar.ClosedDates, copy.Calendar.ClosedDates);
        Assert.Equal(info.Calendar.CutOff, copy.Calendar.CutOff);
    }

    [Fact]
    public void A_slot_snapshot_with_pools_in_transit_and_waiting_holds_round_trips_with_the_same_numbers()
    {
        var state = new StockSlotState { Exists = true, OnHand = 10, SafetyStock = 1 } with
        {
            Pools = ImmutableDictionary<string, int>.Empty.Add("marketplace", 3),
            Inbound = ImmutableDictionary<string, InboundBatch>.Empty.Add("po-1", new InboundBatch(5, At.AddDays(1))),
        };
        state = state.WithHold("h1", new SlotHold(4, "marketplace", At, FromPool: 3)).WithHold("h2", new SlotHold(8, "web", At, NeedBy: At.AddDays(2)));

        var copy = RoundTrip(state);

        Assert.Equal((state.Available, state.Overcommitted, state.AvailableTo("marketplace", null), state.SharedFree(At.AddDays(3))), (copy.Available, copy.Overcommitted, copy.AvailableTo("marketplace", null), copy.SharedFree(At.AddDays(3))));
        Assert.Equal(state.Waiting.ToList(), copy.Waiting.ToList());
        Assert.Equal(state.PoolHeld.ToList(), copy.PoolHeld.ToList());
    }

    [Fact]
    public void A_sourcing_profile_state_round_trips_through_the_grain_storage_serializer()
    {
        var storage = new OrleansGrainStorageSerializer(Serializer);
        var settings = SourcingProfileSettings.Default with { MaxShipments = 2, ShippingModel = ShippingModel.Zones, ShippingZones = [new("DE", "AT", 9.5m)], PriorityTiers = ["vip", "gold"] };
        var state = new SourcingProfileState
        {
            Versions = [new StoredProfileVersion(1, At, "note", settings)],
            History = [1],
            EverActive = [1],
            RolledBackFrom = 2,
            Revision = 3,
            RolledBackAt = [3],
        };

        var copy = storage.Deserialize<SourcingProfileState>(storage.Serialize(state))!;

        Assert.Equal(1, copy.Active);
        Assert.Equal((2, 3, "3"), (copy.RolledBackFrom, copy.Revision, string.Join(",", copy.RolledBackAt)));
        Assert.Equal((2, ShippingModel.Zones), (copy.ActiveSettings.MaxShipments, copy.ActiveSettings.ShippingModel));
        Assert.Equal(settings.ShippingZones, copy.ActiveSettings.ShippingZones);
        Assert.Equal(settings.PriorityTiers, copy.ActiveSettings.PriorityTiers);
    }

    [Fact]
    public void The_built_in_profile_is_the_optimisers_default_policy()
    {
        var policy = SourcingMapping.ToPolicy(SourcingProfileSettings.Default);
        var expected = Domain.Sourcing.SourcingPolicy.Default;

        Assert.Equal(expected.AllowedKinds, policy.AllowedKinds);
        Assert.Equal(expected.Rates, policy.Rates);
        Assert.Equal(expected with { AllowedKinds = policy.AllowedKinds, Rates = policy.Rates, Zones = policy.Zones, PriorityTiers = policy.PriorityTiers }, policy);
        Assert.Equal(expected.PriorityTiers, policy.PriorityTiers);
    }

    private T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;
}
