using Dom.Grains.Orders;
using Dom.Grains.Risk;
using Dom.Locations;
using Dom.Orders;
using Dom.Risk;
using Dom.Sourcing;

namespace Dom.Grains.Tests;

/// <summary>What is left of an order goes to another address: kept where it is allocated while that location still
/// reaches the address, routed again first where it does not, refused once a parcel is packed or when the risk rules
/// would not take the address. Every test has its own channel, since sourcing profiles are per channel.</summary>
[Collection(ClusterCollection.Name)]
public class AddressChangeTests(ClusterFixture fixture)
{
    private static readonly Address Berlin = new("DE", 52.52, 13.40, "Unter den Linden 1", "10117", "Berlin");
    private static readonly Address Potsdam = new("DE", 52.39, 13.06, "Am Neuen Markt 1", "14467", "Potsdam");
    private static readonly Address Munich = new("DE", 48.14, 11.58, "Marienplatz 1", "80331", "München");
    private readonly World _world = new(fixture.Grains);
    private readonly string _channel = new World(fixture.Grains).Id("web");

    [Fact]
    public async Task A_new_address_the_location_still_reaches_keeps_the_allocation_and_tells_the_customer_once()
    {
        var (sku, berlin) = (await _world.ArticleAsync("a"), await _world.LocationAsync("berlin", 52.52, 13.40));
        await _world.StockAsync(sku, berlin, 2);
        var id = _world.Id("o");
        var placed = (await Order(id).CreateAsync(Request(id, sku, 2, Berlin))).Order!;

        var changed = await Order(id).ChangeAddressAsync("a1", Potsdam, vouched: false);
        var retried = await Order(id).ChangeAddressAsync("a1", Potsdam, vouched: false);
        var otherBody = await Order(id).ChangeAddressAsync("a1", Munich, vouched: false);
        var messages = await Order(id).MessagesAsync();

        Assert.Equal(OrderCommandStatus.Done, changed.Status);
        var order = changed.Order!;
        Assert.Equal(Potsdam, order.Delivery.Address);
        Assert.Equal(placed.Lines.Single().Allocations, order.Lines.Single().Allocations);
        Assert.Equal("address changed", order.History.Last().Event);
        Assert.Equal("addressChanged", order.Outbox.Last().Type);
        Assert.Equal((OrderCommandStatus.AlreadyDone, OrderCommandStatus.IdempotencyConflict), (retried.Status, otherBody.Status));
        Assert.Equal(order.Outbox.Count, retried.Order!.Outbox.Count);
        Assert.Equal(Potsdam, otherBody.Order!.Delivery.Address);
        Assert.Equal($"Your order {id} will be delivered to Am Neuen Markt 1, 14467 Potsdam, DE.", messages!.Last().Text);
        Assert.Equal((0, 2), await AvailableAndAllocatedAsync(sku, berlin));
    }

    [Fact]
    public async Task Units_at_a_location_the_new_address_puts_out_of_reach_are_routed_there_first_then_released()
    {
        var (sku, berlin, munich) = await BerlinAndMunichAsync(2, 2);
        var id = _world.Id("o");
        var placed = (await Order(id).CreateAsync(Request(id, sku, 2, Berlin))).Order!;
        // Accepted at Berlin already: the work is given up, as Munich is 500 km from Berlin.
        await Order(id).ReportAsync(new FulfilmentEvent("acc", "l1", berlin, FulfilmentEventType.Accepted, null, null, null));

        var changed = await Order(id).ChangeAddressAsync("a1", Munich, vouched: false);

        Assert.Equal([(berlin, AllocationStatus.Allocated)], placed.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Equal(OrderCommandStatus.Done, changed.Status);
        var order = changed.Order!;
        Assert.Equal([(berlin, 2, AllocationStatus.Cancelled), (munich, 2, AllocationStatus.Allocated)],
            order.Lines.Single().Allocations.Select(a => (a.LocationId, a.Quantity, a.Status)));
        Assert.Equal((OrderStatus.Released, Munich, "addressChanged"), (order.Status, order.Delivery.Address, order.Outbox.Last().Type));
        Assert.Equal((2, 0), await AvailableAndAllocatedAsync(sku, berlin));
        Assert.Equal((0, 2), await AvailableAndAllocatedAsync(sku, munich));
    }

    [Fact]
    public async Task When_no_location_in_reach_of_the_new_address_has_the_units_nothing_changes()
    {
        var (sku, berlin, munich) = await BerlinAndMunichAsync(2, 1);
        var id = _world.Id("o");
        var placed = (await Order(id).CreateAsync(Request(id, sku, 2, Berlin))).Order!;

        var refused = await Order(id).ChangeAddressAsync("a1", Munich, vouched: false);
        var after = (await Order(id).GetAsync())!;

        Assert.Equal(OrderCommandStatus.NotAllowed, refused.Status);
        Assert.Contains("No location that reaches the new address can take over line l1", refused.Problem, StringComparison.Ordinal);
        Assert.Equal(Berlin, after.Delivery.Address);
        Assert.Equal(placed.Lines.Single().Allocations, after.Lines.Single().Allocations);
        Assert.Equal(placed.Outbox.Count, after.Outbox.Count);
        Assert.Equal((0, 2), await AvailableAndAllocatedAsync(sku, berlin));
        Assert.Equal(1, await _world.AvailableAsync(sku, munich));
        // The refused change id is free: the same change goes through once Munich has the units.
        await _world.StockAsync(sku, munich, 2);
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ChangeAddressAsync("a1", Munich, vouched: false)).Status);
    }

    [Fact]
    public async Task A_packed_parcel_or_a_pickup_order_keeps_its_address()
    {
        var (sku, berlin) = (await _world.ArticleAsync("a"), await _world.LocationAsync("berlin", 52.52, 13.40));
        await _world.StockAsync(sku, berlin, 5);
        var (shipped, collected) = (_world.Id("o1"), _world.Id("o2"));
        await Order(shipped).CreateAsync(Request(shipped, sku, 1, Berlin));
        await Order(shipped).ReportAsync(new FulfilmentEvent("p", "l1", berlin, FulfilmentEventType.Packed, null, null, null));
        var store = _world.Id("store");
        await fixture.Grains.GetGrain<ILocationGrain>(store).PutAsync(new LocationInfo(store, "store", LocationType.Store, 52.52, 13.40, 1_000, "DE"));
        await Order(collected).CreateAsync(Request(collected, sku, 1, Berlin) with { Delivery = new Delivery(DeliveryMethod.Pickup, Berlin, store) });

        var packed = await Order(shipped).ChangeAddressAsync("a1", Potsdam, vouched: true);
        var pickup = await Order(collected).ChangeAddressAsync("a1", Potsdam, vouched: true);
        var unknown = await Order(_world.Id("none")).ChangeAddressAsync("a1", Potsdam, vouched: true);

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed, OrderCommandStatus.NotFound), (packed.Status, pickup.Status, unknown.Status));
        Assert.Contains($"Units of line l1 are packed for the old address at {berlin}", packed.Problem, StringComparison.Ordinal);
        Assert.Contains("collected at its pickup store", pickup.Problem, StringComparison.Ordinal);
        Assert.Equal(Berlin, (await Order(shipped).GetAsync())!.Delivery.Address);
    }

    [Fact]
    public async Task A_black_listed_address_is_refused_and_another_country_than_the_billing_one_needs_an_operator()
    {
        var (sku, berlin) = (await _world.ArticleAsync("a"), await _world.LocationAsync("berlin", 52.52, 13.40));
        await _world.StockAsync(sku, berlin, 5);
        var listed = Potsdam with { Street = $"Main St {_world.Id("n")}" };
        await fixture.Grains.GetGrain<IRiskListGrain>(RiskListGrain.Key)
            .AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Address, $"{listed.Street}, {listed.PostalCode}, {listed.City}, DE"));
        var vienna = new Address("AT", 48.21, 16.37, "Stephansplatz 1", "1010", "Wien");
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 1, Berlin) with { BillingAddress = Berlin });

        var black = await Order(id).ChangeAddressAsync("a1", listed, vouched: true);
        var abroad = await Order(id).ChangeAddressAsync("a2", vienna, vouched: false);
        var unchanged = (await Order(id).GetAsync())!;
        var byOperator = await Order(id).ChangeAddressAsync("a2", vienna, vouched: true);

        Assert.Equal((OrderCommandStatus.NotAllowed, OrderCommandStatus.NotAllowed), (black.Status, abroad.Status));
        Assert.Contains("is on the black list", black.Problem, StringComparison.Ordinal);
        Assert.Contains("The billing country DE differs from AT", abroad.Problem, StringComparison.Ordinal);
        Assert.Equal(Berlin, unchanged.Delivery.Address);
        Assert.Equal((OrderCommandStatus.Done, vienna), (byOperator.Status, byOperator.Order!.Delivery.Address));
    }

    [Fact]
    public async Task An_address_change_whose_last_save_fails_tells_the_customer_once_its_routing_is_finished()
    {
        var (sku, berlin, munich) = await BerlinAndMunichAsync(2, 2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, Berlin));
        // The plan (the new address, the units routed to Munich, their release at Berlin) is stored; the save after it is not.
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).ChangeAddressAsync("a1", Munich, vouched: false));
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("backorders", default);
        var order = (await Order(id).GetAsync())!;

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal(Munich, order.Delivery.Address);
        Assert.Equal([(berlin, AllocationStatus.Cancelled), (munich, AllocationStatus.Allocated)], order.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Equal(Munich, Assert.Single(order.Outbox, n => n.Type == "addressChanged").Address);
        Assert.Equal((2, 0), await AvailableAndAllocatedAsync(sku, berlin));
        Assert.Equal((0, 2), await AvailableAndAllocatedAsync(sku, munich));
    }

    [Fact]
    public async Task A_retried_address_change_answers_with_the_routing_the_first_left_unfinished_done()
    {
        var (sku, berlin, munich) = await BerlinAndMunichAsync(2, 2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, Berlin));
        ClusterFixture.Journal.FailNext($"order/{id}", after: 1);

        var failed = await Record.ExceptionAsync(() => Order(id).ChangeAddressAsync("a1", Munich, vouched: false));
        var retried = await Order(id).ChangeAddressAsync("a1", Munich, vouched: false);

        Assert.IsType<StorageUnavailableException>(failed);
        Assert.Equal(OrderCommandStatus.AlreadyDone, retried.Status);
        var line = retried.Order!.Lines.Single();
        Assert.Equal([(berlin, AllocationStatus.Cancelled), (munich, AllocationStatus.Allocated)], line.Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Equal((0, LineStatus.Open), (line.OpenQuantity, line.Status));
    }

    [Fact]
    public async Task Units_of_a_line_waiting_for_supply_do_not_stop_its_units_out_of_reach_from_moving()
    {
        var (sku, berlin, munich) = await BerlinAndMunichAsync(3, 2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 3, Berlin));
        // Berlin rejects one unit; Munich is out of the Berlin address's reach, so it waits for supply.
        await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", berlin, FulfilmentEventType.Rejected, 1, null, null));
        var before = (await Order(id).GetAsync())!.Lines.Single();

        var changed = await Order(id).ChangeAddressAsync("a1", Munich, vouched: false);

        Assert.Equal((1, 2), (before.OpenQuantity, before.Allocations.Where(OrderRules.IsActive).Sum(a => a.Quantity)));
        Assert.True(changed.Status == OrderCommandStatus.Done, changed.Problem);
        var line = changed.Order!.Lines.Single();
        Assert.Equal(2, line.Allocations.Where(a => a.LocationId == munich && a.Status == AllocationStatus.Allocated).Sum(a => a.Quantity));
        Assert.Equal(1, line.OpenQuantity);
        Assert.Equal((0, 2), await AvailableAndAllocatedAsync(sku, munich));
        Assert.Equal(0, (await _world.Slot(sku, berlin).GetAsync())!.Allocated);
    }

    [Fact]
    public async Task An_address_abroad_an_operator_vouched_for_does_not_open_every_other_country_to_the_channel()
    {
        var (sku, berlin) = (await _world.ArticleAsync("a"), await _world.LocationAsync("berlin", 52.52, 13.40));
        await _world.StockAsync(sku, berlin, 5);
        var vienna = new Address("AT", 48.21, 16.37, "Stephansplatz 1", "1010", "Wien");
        var zurich = new Address("CH", 47.37, 8.54, "Bahnhofstrasse 1", "8001", "Zürich");
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 1, Berlin) with { BillingAddress = Berlin });

        var byOperator = await Order(id).ChangeAddressAsync("a1", vienna, vouched: true);
        var sameCountry = await Order(id).ChangeAddressAsync("a2", vienna with { Street = "Graben 1" }, vouched: false);
        var otherCountry = await Order(id).ChangeAddressAsync("a3", zurich, vouched: false);
        var home = await Order(id).ChangeAddressAsync("a4", Potsdam, vouched: false);

        Assert.Equal((OrderCommandStatus.Done, OrderCommandStatus.Done), (byOperator.Status, sameCountry.Status));
        Assert.Equal(OrderCommandStatus.NotAllowed, otherCountry.Status);
        Assert.Contains("The billing country DE differs from CH", otherCountry.Problem, StringComparison.Ordinal);
        Assert.Equal("Graben 1", otherCountry.Order!.Delivery.Address.Street);
        Assert.Equal((OrderCommandStatus.Done, Potsdam), (home.Status, home.Order!.Delivery.Address));
    }

    [Fact]
    public async Task Capacity_booked_at_a_location_the_new_address_puts_out_of_reach_goes_back_with_its_units()
    {
        var (sku, berlin, munich) = await BerlinAndMunichAsync(2, 2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, Berlin));
        var before = (await BookedAsync(berlin), await BookedAsync(munich));

        var changed = await Order(id).ChangeAddressAsync("a1", Munich, vouched: false);

        Assert.Equal(OrderCommandStatus.Done, changed.Status);
        Assert.Equal((1, 0), before);
        Assert.Equal((0, 1), (await BookedAsync(berlin), await BookedAsync(munich)));
    }

    [Fact]
    public async Task A_replacement_for_a_wrong_item_goes_to_the_address_the_order_was_changed_to()
    {
        var (sku, berlin) = (await _world.ArticleAsync("a"), await _world.LocationAsync("berlin", 52.52, 13.40));
        await _world.StockAsync(sku, berlin, 5);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 1, Berlin));
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ChangeAddressAsync("a1", Potsdam, vouched: false)).Status);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", berlin, FulfilmentEventType.Shipped, null, "DHL", "T"));
        await Order(id).ReportAsync(new FulfilmentEvent("d", "l1", berlin, FulfilmentEventType.Delivered, null, null, null));

        var replacementId = Assert.Single((await Order(id).ReportWrongItemAsync("l1")).Order!.Replacements);
        var replacement = (await Order(replacementId).GetAsync())!;

        // The wrong item reached the customer at the new address: the replacement is owed there, not at the old one.
        Assert.Equal(Potsdam, replacement.Delivery.Address);
    }

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    /// <summary>A fresh article stocked at a warehouse in Berlin and one in Munich (500 km apart), under a profile for this
    /// test's channel that ships no further than 300 km: an order moved from one city to the other is out of the first
    /// warehouse's reach.</summary>
    private async Task<(string Sku, string Berlin, string Munich)> BerlinAndMunichAsync(int atBerlin, int atMunich)
    {
        var sku = await _world.ArticleAsync("a");
        var (berlin, munich) = (await _world.LocationAsync("berlin", 52.52, 13.40), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(sku, berlin, atBerlin);
        await _world.StockAsync(sku, munich, atMunich);
        await UseProfileAsync(new SourcingProfileDraft { MaxDistanceKm = 300 });
        return (sku, berlin, munich);
    }

    /// <summary>The slot's units available and allocated to orders.</summary>
    private async Task<(int Available, int Allocated)> AvailableAndAllocatedAsync(string sku, string locationId) =>
        (await _world.AvailableAsync(sku, locationId), (await _world.Slot(sku, locationId).GetAsync())!.Allocated);

    private async Task<int> BookedAsync(string location) =>
        (await fixture.Grains.GetGrain<ILocationGrain>(location).GetCapacityAsync(DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime)))!.Booked;

    private async Task UseProfileAsync(SourcingProfileDraft draft)
    {
        var profile = fixture.Grains.GetGrain<ISourcingProfileGrain>(_channel);
        var version = await profile.CreateDraftAsync(draft);
        Assert.Equal(ProfileChangeStatus.Activated, (await profile.ActivateAsync(new ActivateProfileRequest(version.Version))).Status);
    }

    private CreateOrderRequest Request(string id, string sku, int quantity, Address to) => new(
        id, _channel, "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, 10m)],
        new Delivery(DeliveryMethod.Ship, to, null),
        new CustomerData("c@example.com", "C"), null, [], "EUR", false, null, null);
}
