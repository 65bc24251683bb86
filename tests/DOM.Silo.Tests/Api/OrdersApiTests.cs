using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dom.Customers;
using Dom.Orders;
using Dom.Reservations;
using Dom.Risk;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;

namespace Dom.Silo.Tests.Api;

/// <summary>Orders end to end over HTTP: intake, risk, routing, fulfilment and the service processes.</summary>
[Collection(ApiCollection.Name)]
public class OrdersApiTests(ApiFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    private HttpClient Webshop => Host.Client("dev-channel-webshop-key");

    [Fact]
    public async Task An_order_goes_from_intake_to_delivered_and_its_units_leave_the_slot()
    {
        var (sku, near, _) = await StockAsync(10);
        var id = _catalog.Id("o");

        var created = await PlaceAsync(Webshop, Order(id, (sku, 3)));
        var location = await Host.ClientForAsync("store", near);
        foreach (var (type, extra) in new (string, object?)[] { ("accepted", null), ("picked", null), ("packed", null), ("shipped", "DHL"), ("delivered", null) })
        {
            using var reported = await location.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events",
                new { eventId = $"{id}-{type}", locationId = near, type, carrier = (string?)extra, trackingNumber = extra is null ? null : "JJD000123" }, SiloHost.Json);
            Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
        }

        var order = await GetAsync(id);
        Assert.Equal((OrderStatus.Released, RiskDecision.Accept), (created.Status, created.Risk.Decision));
        Assert.Equal(OrderStatus.Delivered, order.Status);
        var allocation = order.Lines.Single().Allocations.Single();
        Assert.Equal((near, 3, AllocationStatus.Delivered, 3, "JJD000123"), (allocation.LocationId, allocation.Quantity, allocation.Status, allocation.Shipped, allocation.TrackingNumber));
        Assert.Equal(["orderConfirmed", "shipped"], order.Outbox.Select(n => n.Type));
        Assert.Contains(order.History, h => h.Event == "shipped" && h.LineId == "l1");
        Assert.Equal((7, 0, 7), await SlotAsync(sku, near));
    }

    [Fact]
    public async Task An_order_converts_its_reservation_instead_of_reserving_again()
    {
        var (sku, near, _) = await StockAsync(10);
        var reservationId = _catalog.Id("r");
        using var reserved = await Webshop.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(reservationId, (sku, 4)), SiloHost.Json);
        Assert.Equal(HttpStatusCode.Created, reserved.StatusCode);

        var order = await PlaceAsync(Webshop, Order(_catalog.Id("o"), (sku, 4)) with { ReservationId = reservationId });
        var reservation = await Webshop.GetFromJsonAsync<ReservationView>($"/api/v1/reservations/{reservationId}", SiloHost.Json);
        using var released = await Webshop.DeleteAsync($"/api/v1/reservations/{reservationId}");
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{near}/{sku}", SiloHost.Json);

        Assert.Equal(near, order.Lines.Single().Allocations.Single().LocationId);
        Assert.Equal(ReservationStatus.Converted, reservation!.Status);
        // Releasing it now gives nothing back, and says so.
        Assert.Equal(HttpStatusCode.Conflict, released.StatusCode);
        Assert.Equal((0, 4, 6), (slot!.Held, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task A_reservation_that_does_not_fit_the_order_is_a_422_and_nothing_changes()
    {
        var (sku, near, _) = await StockAsync(10);
        var reservationId = _catalog.Id("r");
        await Webshop.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(reservationId, (sku, 4)), SiloHost.Json);

        var released = _catalog.Id("released");
        await Webshop.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(released, (sku, 1)), SiloHost.Json);
        await Webshop.DeleteAsync($"/api/v1/reservations/{released}");

        using var response = await Webshop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id("o"), (sku, 5)) with { ReservationId = reservationId }, SiloHost.Json);
        using var unknown = await Webshop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id("o"), (sku, 1)) with { ReservationId = _catalog.Id("none") }, SiloHost.Json);
        using var gone = await Webshop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id("o"), (sku, 1)) with { ReservationId = released }, SiloHost.Json);

        // Each says what is wrong: the lines, the id, the reservation's state.
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains($"holds 4 × {sku}", await DetailAsync(response), StringComparison.Ordinal);
        Assert.Contains("does not exist", await DetailAsync(unknown), StringComparison.Ordinal);
        Assert.Contains("is released", await DetailAsync(gone), StringComparison.Ordinal);
        Assert.Equal((4, 0, 6), await SlotAsync(sku, near, held: true));
    }

    [Fact]
    public async Task Intake_and_fulfilment_events_are_idempotent()
    {
        var (sku, near, _) = await StockAsync(10);
        var id = _catalog.Id("o");
        var body = Order(id, (sku, 2));
        var first = await PlaceAsync(Webshop, body);
        using var retry = await Webshop.PostAsJsonAsync("/api/v1/orders", body, SiloHost.Json);
        using var other = await Webshop.PostAsJsonAsync("/api/v1/orders", Order(id, (sku, 3)), SiloHost.Json);
        var ship = new { eventId = "ship-1", locationId = near, type = "shipped", quantity = 1 };

        using var shipped = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", ship, SiloHost.Json);
        using var shippedAgain = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", ship, SiloHost.Json);
        using var reused = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", ship with { quantity = 2 }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(first.CreatedAt, (await retry.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!.CreatedAt);
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict), (shipped.StatusCode, shippedAgain.StatusCode, reused.StatusCode));
        Assert.Equal((9, 1, 8), await SlotAsync(sku, near));
        Assert.Equal(OrderStatus.PartiallyShipped, (await GetAsync(id)).Status);
    }

    [Fact]
    public async Task A_rejected_line_is_rerouted_at_once_and_the_units_are_written_off_where_they_were_missing()
    {
        var (sku, near, far) = await StockAsync(10, farOnHand: 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 2)));

        var store = await Host.ClientForAsync("store", near);
        using var rejected = await store.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "e1", locationId = near, type = "rejected" }, SiloHost.Json);

        var order = await GetAsync(id);
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal([(near, AllocationStatus.Rejected), (far, AllocationStatus.Allocated)], order.Lines.Single().Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Equal(OrderStatus.Released, order.Status);
        Assert.Equal((8, 0, 8), await SlotAsync(sku, near));
        Assert.Equal((10, 2, 8), await SlotAsync(sku, far));
    }

    [Fact]
    public async Task A_line_nowhere_in_stock_is_backordered_told_to_the_customer_and_allocated_when_supply_arrives()
    {
        var (sku, near, _) = await StockAsync(1);
        var id = _catalog.Id("o");
        var order = await PlaceAsync(Webshop, Order(id, (sku, 3)));

        await _catalog.StockAsync(sku, near, 5);
        using var retried = await Host.Operator().PostAsync($"/api/v1/orders/{id}/retry-backorders", null);
        var after = await GetAsync(id);

        Assert.Equal((OrderStatus.Backordered, LineStatus.Backordered), (order.Status, order.Lines.Single().Status));
        Assert.Contains(order.Outbox, n => n.Type == "itemUnavailable" && n.LineId == "l1");
        Assert.Equal((OrderStatus.Released, 3), (after.Status, after.Lines.Single().AllocatedQuantity));
        Assert.Equal((5, 3, 2), await SlotAsync(sku, near));
    }

    [Fact]
    public async Task A_channel_that_cancels_unavailable_lines_gets_them_cancelled()
    {
        var (a, near, _) = await StockAsync(5);
        var b = await _catalog.ArticleAsync("b");
        var marketplace = Host.Client("dev-channel-marketplace-key");

        var order = await PlaceAsync(marketplace, Order(_catalog.Id("o"), (a, 1), (b, 1)));

        Assert.Equal([LineStatus.Open, LineStatus.Cancelled], order.Lines.Select(l => l.Status));
        Assert.Contains(order.Outbox, n => n.Type == "lineCancelled" && n.LineId == "l2");
        Assert.Equal((5, 1, 4), await SlotAsync(a, near));
    }

    [Fact]
    public async Task Cancelling_before_shipment_releases_stock_and_capacity()
    {
        var (sku, near, _) = await StockAsync(10);
        var id = _catalog.Id("o");
        var placed = await PlaceAsync(Webshop, Order(id, (sku, 4)));
        var capacityBefore = await Host.Operator().GetFromJsonAsync<Dom.Locations.CapacitySnapshot>($"/api/v1/locations/{near}/capacity", SiloHost.Json);

        // The whole order: no body needed.
        using var cancelled = await Webshop.PostAsync($"/api/v1/orders/{id}/cancel", null);
        var capacityAfter = await Host.Operator().GetFromJsonAsync<Dom.Locations.CapacitySnapshot>($"/api/v1/locations/{near}/capacity", SiloHost.Json);

        var after = (await cancelled.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
        Assert.Equal((OrderStatus.Cancelled, 0m), (after.Status, after.Total));
        Assert.True(placed.Total > 0);
        Assert.Equal((10, 0, 10), await SlotAsync(sku, near));
        Assert.Equal(capacityBefore!.Booked - 1, capacityAfter!.Booked);
    }

    [Fact]
    public async Task A_wrong_item_gets_a_replacement_order_at_no_charge_linked_to_the_original()
    {
        var (sku, near, _) = await StockAsync(10);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 1)));
        var op = Host.Operator();
        await op.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s", locationId = near, type = "shipped" }, SiloHost.Json);
        await op.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "d", locationId = near, type = "delivered" }, SiloHost.Json);

        using var reported = await Webshop.PostAsync($"/api/v1/orders/{id}/lines/l1/wrong-item", null);
        using var retried = await Webshop.PostAsync($"/api/v1/orders/{id}/lines/l1/wrong-item", null);
        var original = await GetAsync(id);
        var replacement = await GetAsync(original.Replacements.Single());

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (reported.StatusCode, retried.StatusCode));
        Assert.Equal(original.Replacements, (await retried.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!.Replacements);
        Assert.Single(original.Outbox, n => n.Type == "replacementCreated");
        Assert.Equal((id, 0m, 1), (replacement.ReplacementFor, replacement.Total, replacement.Lines.Single().AllocatedQuantity));
        Assert.Equal((9, 1, 8), await SlotAsync(sku, near));
    }

    [Fact]
    public async Task A_delivery_charge_is_in_the_total_invoiced_with_the_first_parcel_and_no_store_s_business()
    {
        var (sku, near, _) = await StockAsync(5);
        var id = _catalog.Id("o");
        var placed = await PlaceAsync(Webshop, Order(id, (sku, 2)) with { DeliveryCharge = 4.95m, Payments = [new PaymentBody("card", 44.95m, "tok_visa_4242")] });
        var store = await Host.ClientForAsync("store", near);

        using var shipped = await store.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s1", locationId = near, type = "shipped", quantity = 1, carrier = "DHL", trackingNumber = "T1" }, SiloHost.Json);
        var json = await Host.Operator().GetFromJsonAsync<JsonElement>($"/api/v1/orders/{id}", SiloHost.Json);
        var seenByStore = (await store.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;

        Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);
        Assert.Equal((4.95m, 44.95m), (placed.DeliveryCharge, placed.Total));
        var invoice = json.GetProperty("invoices")[0];
        Assert.Equal((24.95m, 4.95m, 0.19m, 0.79m), (invoice.GetProperty("total").GetDecimal(), invoice.GetProperty("delivery").GetProperty("amount").GetDecimal(),
            invoice.GetProperty("delivery").GetProperty("vatRate").GetDecimal(), invoice.GetProperty("delivery").GetProperty("vat").GetDecimal()));
        Assert.Equal(24.95m, json.GetProperty("captured").GetDecimal());
        Assert.Equal((0m, 40m), (seenByStore.DeliveryCharge, seenByStore.Total));
    }

    [Fact]
    public async Task A_channel_cancels_some_units_of_a_line_once_per_cancel_id_and_the_customer_reads_how_many()
    {
        var (sku, near, _) = await StockAsync(5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 5)));
        async Task<HttpResponseMessage> Cancel(object body) => await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", body, SiloHost.Json);

        using var noId = await Cancel(new { lineId = "l1", quantity = 2 });
        using var noLine = await Cancel(new { quantity = 2, cancelId = "c1" });
        using var none = await Cancel(new { lineId = "l1", quantity = 0, cancelId = "c1" });
        using var cancelled = await Cancel(new { lineId = "l1", quantity = 3, cancelId = "c1" });
        using var again = await Cancel(new { lineId = "l1", quantity = 3, cancelId = "c1" });
        using var otherUnits = await Cancel(new { lineId = "l1", quantity = 1, cancelId = "c1" });
        using var tooMany = await Cancel(new { lineId = "l1", quantity = 3, cancelId = "c2" });
        var order = await GetAsync(id);
        var messages = (await Webshop.GetFromJsonAsync<CustomerMessages>($"/api/v1/orders/{id}/messages", SiloHost.Json))!.Items;

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (noId.StatusCode, noLine.StatusCode, none.StatusCode));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (cancelled.StatusCode, again.StatusCode));
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.UnprocessableEntity), (otherUnits.StatusCode, tooMany.StatusCode));
        Assert.Equal((3, 2, 40m), (order.Lines.Single().CancelledQuantity, order.Lines.Single().AllocatedQuantity, order.Total));
        Assert.Equal((5, 2, 3), await SlotAsync(sku, near));
        Assert.Equal($"3 × {sku} of your order {id} is cancelled; the rest comes as ordered.", Assert.Single(messages, m => m.Type == "unitsCancelled").Text);
    }

    [Fact]
    public async Task A_channel_changes_the_delivery_address_once_per_change_id_and_bad_or_foreign_addresses_change_nothing()
    {
        var (sku, _, _) = await StockAsync(5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 1)) with { BillingAddress = new AddressBody("DE", 52.52, 13.405, "Unter den Linden 1", "10117", "Berlin") });
        var potsdam = new { country = "DE", latitude = 52.39, longitude = 13.06, street = "Am Neuen Markt 1", postalCode = "14467", city = "Potsdam" };
        var vienna = new { country = "AT", latitude = 48.21, longitude = 16.37, street = "Stephansplatz 1", postalCode = "1010", city = "Wien" };
        async Task<HttpResponseMessage> Change(HttpClient caller, object body) => await caller.PostAsJsonAsync($"/api/v1/orders/{id}/address", body, SiloHost.Json);

        using var noId = await Change(Webshop, new { address = potsdam });
        using var noAddress = await Change(Webshop, new { changeId = "a1" });
        using var badCountry = await Change(Webshop, new { changeId = "a1", address = potsdam with { country = "Germany" } });
        using var offTheMap = await Change(Webshop, new { changeId = "a1", address = potsdam with { latitude = 91.0 } });
        using var otherChannel = await Change(Host.Client("dev-channel-marketplace-key"), new { changeId = "a1", address = potsdam });
        using var abroad = await Change(Webshop, new { changeId = "a1", address = vienna });
        var untouched = await GetAsync(id);
        using var changed = await Change(Webshop, new { changeId = "a1", address = potsdam });
        using var again = await Change(Webshop, new { changeId = "a1", address = potsdam });
        using var reused = await Change(Webshop, new { changeId = "a1", address = vienna });
        using var byOperator = await Change(Host.Operator(), new { changeId = "a2", address = vienna });
        var messages = (await Webshop.GetFromJsonAsync<CustomerMessages>($"/api/v1/orders/{id}/messages", SiloHost.Json))!.Items;

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest),
            (noId.StatusCode, noAddress.StatusCode, badCountry.StatusCode, offTheMap.StatusCode));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.UnprocessableEntity), (otherChannel.StatusCode, abroad.StatusCode));
        Assert.Equal("Berlin", untouched.Delivery.Address.City);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.OK), (changed.StatusCode, again.StatusCode, reused.StatusCode, byOperator.StatusCode));
        Assert.Equal("Potsdam", (await changed.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!.Delivery.Address.City);
        Assert.Equal("Wien", (await GetAsync(id)).Delivery.Address.City);
        Assert.Equal([$"Your order {id} will be delivered to Am Neuen Markt 1, 14467 Potsdam, DE.", $"Your order {id} will be delivered to Stephansplatz 1, 1010 Wien, AT."],
            messages.Where(m => m.Type == "addressChanged").Select(m => m.Text));
    }

    [Fact]
    public async Task A_channel_has_a_click_and_collect_order_collected_at_another_store_once_per_change_id_and_a_store_may_not()
    {
        var (sku, near, far) = await StockAsync(5);
        var other = await _catalog.LocationAsync("other", 52.5, 13.4, type: "store");
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 1)) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 52.5, 13.4), near) });
        async Task<HttpResponseMessage> Change(HttpClient caller, object body) => await caller.PostAsJsonAsync($"/api/v1/orders/{id}/pickup-store", body, SiloHost.Json);

        using var noId = await Change(Webshop, new { locationId = other });
        using var noStore = await Change(Webshop, new { changeId = "p1" });
        using var byStore = await Change(await Host.ClientForAsync("store", near), new { changeId = "p1", locationId = other });
        using var otherChannel = await Change(Host.Client("dev-channel-marketplace-key"), new { changeId = "p1", locationId = other });
        using var warehouse = await Change(Webshop, new { changeId = "p1", locationId = far });
        var untouched = await GetAsync(id);
        using var changed = await Change(Webshop, new { changeId = "p1", locationId = other });
        using var again = await Change(Webshop, new { changeId = "p1", locationId = other });
        using var reused = await Change(Webshop, new { changeId = "p1", locationId = near });

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (noId.StatusCode, noStore.StatusCode));
        Assert.Contains("\"locationId\"", await noStore.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.NotFound, HttpStatusCode.UnprocessableEntity), (byStore.StatusCode, otherChannel.StatusCode, warehouse.StatusCode));
        Assert.Equal(near, untouched.Delivery.PickupLocationId);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict), (changed.StatusCode, again.StatusCode, reused.StatusCode));
        Assert.Equal(other, (await GetAsync(id)).Delivery.PickupLocationId);
    }

    [Fact]
    public async Task A_cancellation_says_why_and_the_KPIs_count_its_units_by_reason()
    {
        var (sku, _, _) = await StockAsync(5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 3)));
        async Task<int> PriceErrors() => (await Host.Operator().GetFromJsonAsync<JsonElement>("/api/v1/order-stats?channel=webshop", SiloHost.Json))
            .GetProperty("cancelledUnitsByReason").GetProperty("priceError").GetInt32();
        var before = await PriceErrors();

        using var unknown = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { lineId = "l1", quantity = 1, cancelId = "c1", reason = "boredom" }, SiloHost.Json);
        using var cancelled = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { lineId = "l1", quantity = 2, cancelId = "c1", reason = "priceError" }, SiloHost.Json);
        var json = await Host.Operator().GetFromJsonAsync<JsonElement>($"/api/v1/orders/{id}", SiloHost.Json);
        var after = await PriceErrors();

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (unknown.StatusCode, cancelled.StatusCode));
        Assert.Contains("customerRequest, outOfStock, fraud", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var record = json.GetProperty("cancellations").EnumerateArray().Single();
        Assert.Equal(("l1", 2, "priceError"), (record.GetProperty("lineId").GetString(), record.GetProperty("quantity").GetInt32(), record.GetProperty("reason").GetString()));
        Assert.Equal(2, after - before);
    }

    [Fact]
    public async Task A_store_sees_why_its_own_lines_were_cancelled_and_nothing_of_the_others_says_why()
    {
        var (sku, near, far) = await StockAsync(5);
        var other = await _catalog.ArticleAsync("b");
        await _catalog.StockAsync(other, far, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 1), (other, 2)));
        using var cancelled = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/cancel", new { lineId = "l2", reason = "duplicate" }, SiloHost.Json);
        var store = await Host.ClientForAsync("store", near);

        var seenByStore = (await store.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(["l1"], seenByStore.Lines.Select(l => l.LineId));
        Assert.Empty(seenByStore.Cancellations ?? []);
    }

    [Fact]
    public async Task Retried_cancels_and_reviews_answer_as_the_first_and_a_cancelled_review_is_over()
    {
        var (sku, near, _) = await StockAsync(10);
        var (split, reviewed, dropped) = (_catalog.Id("o1"), _catalog.Id("o2"), _catalog.Id("o3"));
        var other = await _catalog.ArticleAsync("b");
        await _catalog.StockAsync(other, near, 5);
        await PlaceAsync(Webshop, Order(split, (sku, 1), (other, 1)));
        var expensive = new[] { new OrderLineBody("l1", sku, 1, 1_500m) };
        await PlaceAsync(Webshop, Order(reviewed, (sku, 1)) with { Lines = [.. expensive] });
        await PlaceAsync(Webshop, Order(dropped, (sku, 1)) with { Lines = [.. expensive] });
        var op = Host.Operator();

        using var lineCancelled = await Webshop.PostAsJsonAsync($"/api/v1/orders/{split}/cancel", new { lineId = "l1" }, SiloHost.Json);
        using var lineCancelledAgain = await Webshop.PostAsJsonAsync($"/api/v1/orders/{split}/cancel", new { lineId = "l1" }, SiloHost.Json);
        using var released = await op.PostAsJsonAsync($"/api/v1/orders/{reviewed}/review", new { decision = "release" }, SiloHost.Json);
        using var releasedAgain = await op.PostAsJsonAsync($"/api/v1/orders/{reviewed}/review", new { decision = "release" }, SiloHost.Json);
        using var rejectedAfterRelease = await op.PostAsJsonAsync($"/api/v1/orders/{reviewed}/review", new { decision = "reject" }, SiloHost.Json);
        using var cancelled = await Webshop.PostAsJsonAsync($"/api/v1/orders/{dropped}/cancel", new { }, SiloHost.Json);
        using var releasedAfterCancel = await op.PostAsJsonAsync($"/api/v1/orders/{dropped}/review", new { decision = "release" }, SiloHost.Json);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (lineCancelled.StatusCode, lineCancelledAgain.StatusCode));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict), (released.StatusCode, releasedAgain.StatusCode, rejectedAfterRelease.StatusCode));
        Assert.Equal(OrderStatus.Cancelled, (await cancelled.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, releasedAfterCancel.StatusCode);
        Assert.DoesNotContain((await GetAsync(dropped)).Outbox, n => n.Type == "orderConfirmed");
        Assert.Single((await GetAsync(reviewed)).Outbox, n => n.Type == "orderConfirmed");
    }

    [Fact]
    public async Task A_bundle_is_ordered_as_its_parts_priced_by_their_shares_and_one_that_clashes_is_a_422_that_takes_nothing_in()
    {
        var (sku, near, _) = await StockAsync(10);
        var other = await _catalog.ArticleAsync("b");
        await _catalog.StockAsync(other, near, 10);
        var kit = _catalog.Id("kit");
        using var halfShared = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "Kit", components = new object[] { new { sku, quantity = 2, priceShare = 15m }, new { sku = other, quantity = 1 } } }, SiloHost.Json);
        using var put = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "Kit", components = new[] { new { sku, quantity = 2, priceShare = 15m }, new { sku = other, quantity = 1, priceShare = 10m } } }, SiloHost.Json);
        var (id, clash) = (_catalog.Id("o"), _catalog.Id("clash"));

        var order = await PlaceAsync(Webshop, Order(id, (kit, 1)));
        using var refused = await Webshop.PostAsJsonAsync("/api/v1/orders", Order(clash, (kit, 1), (other, 1)), SiloHost.Json);
        using var stored = await Host.Operator().GetAsync($"/api/v1/orders/{clash}");
        using var json = await Host.Operator().GetAsync($"/api/v1/orders/{id}");

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (halfShared.StatusCode, put.StatusCode));
        // 20.00 for the kit: 2 × 15 : 1 × 10, so 15.00 and 5.00.
        Assert.Equal([("l1.1", sku, 2, 15.00m), ("l1.2", other, 1, 5.00m)], order.Lines.Select(l => (l.LineId, l.Sku, l.Quantity, l.Value)));
        Assert.Equal(20m, order.Total);
        var bundle = (await json.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("lines")[0].GetProperty("bundle");
        Assert.Equal(("l1", kit, 2, 15.00m), (bundle.GetProperty("lineId").GetString(), bundle.GetProperty("sku").GetString(), bundle.GetProperty("perBundle").GetInt32(), bundle.GetProperty("price").GetDecimal()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains(other, await DetailAsync(refused));
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
        Assert.Equal((10, 2, 8), await SlotAsync(sku, near));
    }

    [Fact]
    public async Task The_order_list_finds_the_orders_holding_an_article_on_a_line_of_its_own_or_in_a_bundle()
    {
        var (sku, near, _) = await StockAsync(10);
        var other = await _catalog.ArticleAsync("b");
        await _catalog.StockAsync(other, near, 10);
        var kit = _catalog.Id("kit");
        using var put = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "Kit", components = new[] { new { sku, quantity = 1 }, new { sku = other, quantity = 1 } } }, SiloHost.Json);
        var (plain, bundled, unrelated) = (_catalog.Id("plain"), _catalog.Id("bundled"), _catalog.Id("unrelated"));
        await PlaceAsync(Webshop, Order(plain, (sku, 1)));
        await PlaceAsync(Webshop, Order(bundled, (kit, 1)));
        await PlaceAsync(Webshop, Order(unrelated, (other, 1)));
        var store = await Host.ClientForAsync("store", near);

        async Task<List<string?>> ListedAsync(HttpClient client, string query) =>
            [.. (await client.GetFromJsonAsync<JsonElement>($"/api/v1/orders?{query}")).GetProperty("items").EnumerateArray().Select(o => o.GetProperty("orderId").GetString())];

        Assert.Equal([bundled, plain], await ListedAsync(Host.Operator(), $"sku={sku}"));
        Assert.Equal([bundled], await ListedAsync(Webshop, $"sku={kit}"));
        // A store learns nothing of which orders hold an article on lines elsewhere.
        Assert.Empty(await ListedAsync(store, $"sku={sku}"));
        Assert.DoesNotContain("skus", (await Host.Operator().GetStringAsync($"/api/v1/orders?sku={sku}")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_sees_who_waits_for_a_sku_in_the_order_they_are_served_and_serves_them_at_once()
    {
        var (sku, near, _) = await StockAsync(0);
        var (first, second) = (_catalog.Id("first"), _catalog.Id("second"));
        await PlaceAsync(Webshop, Order(first, (sku, 1)));
        await PlaceAsync(Webshop, Order(second, (sku, 1)));

        using var asChannel = await Webshop.GetAsync($"/api/v1/backorders/{sku}");
        using var unknown = await Host.Operator().GetAsync($"/api/v1/backorders/{_catalog.Id("typo")}");
        var waiting = await Host.Operator().GetFromJsonAsync<JsonElement>($"/api/v1/backorders/{sku}");
        await _catalog.StockAsync(sku, near, 1);
        using var served = await Host.Operator().PostAsync($"/api/v1/backorders/{sku}/serve", null);
        var left = await served.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.NotFound), (asChannel.StatusCode, unknown.StatusCode));
        Assert.Equal([first, second], waiting.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal([second], left.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()));
        Assert.Equal((OrderStatus.Released, OrderStatus.Backordered), ((await GetAsync(first)).Status, (await GetAsync(second)).Status));
    }

    [Fact]
    public async Task An_unknown_sku_is_a_422_naming_it_for_an_order_a_reservation_and_an_explanation()
    {
        var (sku, near, _) = await StockAsync(10);
        var (typo, order, reservation) = (_catalog.Id("typo"), _catalog.Id("o"), _catalog.Id("r"));

        using var ordered = await Webshop.PostAsJsonAsync("/api/v1/orders", Order(order, (sku, 1), (typo, 1)), SiloHost.Json);
        using var stored = await Host.Operator().GetAsync($"/api/v1/orders/{order}");
        var reserve = (string line) => Webshop.PostAsJsonAsync("/api/v1/reservations", new { reservationId = reservation, shipTo = new { country = "DE", latitude = 52.5, longitude = 13.4 }, lines = new[] { new { sku = line, quantity = 1 } } }, SiloHost.Json);
        using var reserved = await reserve(typo);
        using var corrected = await reserve(sku);
        using var explained = await Webshop.PostAsJsonAsync("/api/v1/sourcing/explain", new { reservationId = _catalog.Id("e"), shipTo = new { country = "DE", latitude = 52.5, longitude = 13.4 }, lines = new[] { new { sku = typo, quantity = 1 } } }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, ordered.StatusCode);
        Assert.Contains(typo, await DetailAsync(ordered));
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reserved.StatusCode);
        Assert.Equal(typo, (await reserved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("unknownSkus")[0].GetString());
        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
        Assert.Contains(typo, (await explained.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal((1, 0, 9), await SlotAsync(sku, near, held: true));
    }

    [Fact]
    public async Task A_black_listed_email_is_rejected_and_claims_nothing()
    {
        var (sku, near, _) = await StockAsync(10);
        var email = $"{_catalog.Id("fraud")}@example.com";
        using var listed = await Host.Operator().PutAsJsonAsync("/api/v1/risk/lists/black/email", new { value = email.ToUpperInvariant() }, SiloHost.Json);

        var order = await PlaceAsync(Webshop, Order(_catalog.Id("o"), (sku, 1)) with { Customer = new CustomerBody(email, "F") });
        var reservationId = _catalog.Id("r");
        using var reserved = await Webshop.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(reservationId, (sku, 2)), SiloHost.Json);
        var fromReservation = await PlaceAsync(Webshop, Order(_catalog.Id("o2"), (sku, 2)) with { Customer = new CustomerBody(email, "F"), ReservationId = reservationId });

        Assert.Equal(HttpStatusCode.NoContent, listed.StatusCode);
        Assert.Equal((OrderStatus.Rejected, RiskDecision.Reject), (order.Status, order.Risk.Decision));
        Assert.Equal((HttpStatusCode.Created, OrderStatus.Rejected), (reserved.StatusCode, fromReservation.Status));
        Assert.All(order.Lines.Concat(fromReservation.Lines), line => Assert.Equal((LineStatus.Cancelled, 0), (line.Status, line.OpenQuantity)));
        Assert.Equal((10, 0, 10), await SlotAsync(sku, near));
        Assert.Equal(0, (await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{near}/{sku}", SiloHost.Json))!.Held);
    }

    [Fact]
    public async Task An_e_mail_black_listed_from_another_channel_s_order_rejects_without_being_named_to_this_channel()
    {
        var (sku, _, _) = await StockAsync(10);
        var customer = _catalog.Id("c");
        var email = $"{_catalog.Id("webshop")}@example.com";
        await PlaceAsync(Webshop, Order(_catalog.Id("o1"), (sku, 1)) with { CustomerId = customer, Customer = new CustomerBody(email, "Ada") });
        using var listed = await Host.Operator().PutAsJsonAsync("/api/v1/risk/lists/black/email", new { value = email }, SiloHost.Json);

        var marketplace = Host.Client("dev-channel-marketplace-key");
        var order = await PlaceAsync(marketplace, Order(_catalog.Id("o2"), (sku, 1)) with { CustomerId = customer, Customer = new CustomerBody("other@example.org", "A.") });
        var asMarketplaceSees = await marketplace.GetStringAsync($"/api/v1/orders/{order.OrderId}");

        // The black list still sees the customer's earlier e-mail; the channel is told that, not the e-mail.
        Assert.Equal(RiskDecision.Reject, order.Risk.Decision);
        Assert.Contains("email given with an earlier order", string.Join("; ", order.Risk.Reasons), StringComparison.Ordinal);
        Assert.DoesNotContain(email, asMarketplaceSees, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_high_value_order_is_held_for_review_with_its_stock_claimed_until_an_operator_decides()
    {
        var (sku, near, _) = await StockAsync(10);
        var (kept, dropped) = (_catalog.Id("o1"), _catalog.Id("o2"));
        var held = await PlaceAsync(Webshop, Order(kept, (sku, 2)) with { Lines = [new OrderLineBody("l1", sku, 2, 1_500m)] });
        await PlaceAsync(Webshop, Order(dropped, (sku, 2)) with { Lines = [new OrderLineBody("l1", sku, 2, 1_500m)] });
        using var blocked = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{kept}/lines/l1/events", new { eventId = "x", locationId = near, type = "picked" }, SiloHost.Json);
        Assert.Equal((10, 4, 6), await SlotAsync(sku, near));
        // Not released to the store yet: it neither reads nor lists what it must not pick.
        var store = await Host.ClientForAsync("store", near);
        using var unseen = await store.GetAsync($"/api/v1/orders/{kept}");
        using var unseenEvent = await store.PostAsJsonAsync($"/api/v1/orders/{kept}/lines/l1/events", new { eventId = "y", locationId = near, type = "picked" }, SiloHost.Json);
        var unlisted = await store.GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId=c-{kept}", SiloHost.Json);

        using var released = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{kept}/review", new { decision = "release" }, SiloHost.Json);
        using var seen = await store.GetAsync($"/api/v1/orders/{kept}");
        using var rejected = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{dropped}/review", new { decision = "reject", note = "card stolen" }, SiloHost.Json);

        Assert.Equal(OrderStatus.HeldForReview, held.Status);
        Assert.Contains(held.Risk.Reasons, r => r.Contains("order value", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blocked.StatusCode);
        var releasedOrder = (await released.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
        var rejectedOrder = (await rejected.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
        // The check's decision stays what it was (held for review); the operator's is beside it.
        Assert.Equal((OrderStatus.Released, RiskDecision.Review, RiskDecision.Accept), (releasedOrder.Status, releasedOrder.Risk.Decision, releasedOrder.Risk.Reviewed));
        Assert.Equal((OrderStatus.Rejected, RiskDecision.Review, RiskDecision.Reject), (rejectedOrder.Status, rejectedOrder.Risk.Decision, rejectedOrder.Risk.Reviewed));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.OK), (unseen.StatusCode, unseenEvent.StatusCode, seen.StatusCode));
        Assert.Empty(unlisted!.Items);
        Assert.Equal((10, 2, 8), await SlotAsync(sku, near));
    }

    [Fact]
    public async Task A_review_is_decided_once_a_retry_answers_as_the_first_and_the_other_decision_is_a_409()
    {
        var (sku, near, _) = await StockAsync(10);
        var (released, rejected, plain) = (_catalog.Id("o1"), _catalog.Id("o2"), _catalog.Id("o3"));
        await PlaceAsync(Webshop, Order(released, (sku, 2)) with { Lines = [new OrderLineBody("l1", sku, 2, 1_500m)] });
        await PlaceAsync(Webshop, Order(rejected, (sku, 2)) with { Lines = [new OrderLineBody("l1", sku, 2, 1_500m)] });
        await PlaceAsync(Webshop, Order(plain, (sku, 1)));
        async Task<HttpStatusCode> ReviewAsync(string orderId, string decision)
        {
            using var response = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{orderId}/review", new { decision }, SiloHost.Json);
            return response.StatusCode;
        }

        var answers = new[]
        {
            await ReviewAsync(released, "release"), await ReviewAsync(released, "release"), await ReviewAsync(released, "reject"),
            await ReviewAsync(rejected, "reject"), await ReviewAsync(rejected, "reject"), await ReviewAsync(rejected, "release"),
            await ReviewAsync(plain, "release"),
        };

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.UnprocessableEntity],
            answers);
        Assert.Equal((OrderStatus.Released, OrderStatus.Rejected), ((await GetAsync(released)).Status, (await GetAsync(rejected)).Status));
        Assert.Equal((10, 3, 7), await SlotAsync(sku, near));
    }

    [Fact]
    public async Task A_white_listed_customer_skips_the_rules()
    {
        var (sku, _, _) = await StockAsync(10);
        var customer = _catalog.Id("c");
        await Host.Operator().PutAsJsonAsync("/api/v1/risk/lists/white/customer", new { value = customer }, SiloHost.Json);

        var order = await PlaceAsync(Webshop, Order(_catalog.Id("o"), (sku, 2)) with { CustomerId = customer, Lines = [new OrderLineBody("l1", sku, 2, 5_000m)] });

        Assert.Equal(OrderStatus.Released, order.Status);
        Assert.Equal(RiskDecision.Accept, order.Risk.Decision);
    }

    [Fact]
    public async Task Customers_are_created_from_orders_and_operators_set_their_tier()
    {
        var (sku, _, _) = await StockAsync(10);
        var customer = _catalog.Id("c");
        await PlaceAsync(Webshop, Order(_catalog.Id("o"), (sku, 1)) with { CustomerId = customer, Customer = new CustomerBody("a@b.de", "Ada") });

        using var tier = await Host.Operator().PutAsJsonAsync($"/api/v1/customers/{customer}/tier", new { tier = "vip" }, SiloHost.Json);
        var view = await Webshop.GetFromJsonAsync<CustomerView>($"/api/v1/customers/{customer}", SiloHost.Json);

        Assert.Equal(("a@b.de", "Ada", CustomerTier.Vip, 1), (view!.Email, view.Name, view.Tier, view.Orders.Count));
    }

    [Fact]
    public async Task A_channel_sees_a_customer_only_through_its_own_orders_and_the_details_they_gave()
    {
        var (sku, _, _) = await StockAsync(10);
        var customer = _catalog.Id("c");
        var marketplace = Host.Client("dev-channel-marketplace-key");
        var fromWebshop = await PlaceAsync(Webshop, Order(_catalog.Id("o1"), (sku, 1)) with { CustomerId = customer, Customer = new CustomerBody("ada@shop.example", "Ada") });
        using var beforeOrdering = await marketplace.GetAsync($"/api/v1/customers/{customer}");

        var fromMarketplace = await PlaceAsync(marketplace, Order(_catalog.Id("o2"), (sku, 1)) with { CustomerId = customer, Customer = new CustomerBody("a.l@market.example", "A. Lovelace") });
        var webshopView = await Webshop.GetFromJsonAsync<CustomerView>($"/api/v1/customers/{customer}", SiloHost.Json);
        var marketplaceView = await marketplace.GetFromJsonAsync<CustomerView>($"/api/v1/customers/{customer}", SiloHost.Json);
        var operatorView = await Host.Operator().GetFromJsonAsync<CustomerView>($"/api/v1/customers/{customer}", SiloHost.Json);

        Assert.Equal(HttpStatusCode.NotFound, beforeOrdering.StatusCode);
        Assert.Equal(("ada@shop.example", "Ada"), (webshopView!.Email, webshopView.Name));
        Assert.Equal([fromWebshop.OrderId], webshopView.Orders);
        Assert.Equal(("a.l@market.example", "A. Lovelace"), (marketplaceView!.Email, marketplaceView.Name));
        Assert.Equal([fromMarketplace.OrderId], marketplaceView.Orders);
        Assert.Equal([fromWebshop.OrderId, fromMarketplace.OrderId], operatorView!.Orders);
    }

    [Fact]
    public async Task Orders_are_listed_and_filtered_and_each_role_sees_only_its_own()
    {
        var (sku, near, _) = await StockAsync(20);
        var customer = _catalog.Id("c");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await PlaceAsync(Webshop, Order(_catalog.Id($"o{i}"), (sku, 1)) with { CustomerId = customer })).OrderId);
        }

        var byCustomer = await Host.Operator().GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId={customer}&limit=2", SiloHost.Json);
        var next = await Host.Operator().GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId={customer}&limit=2&createdBefore={Uri.EscapeDataString(byCustomer!.Next!.Value.ToString("O"))}", SiloHost.Json);
        var marketplace = await Host.Client("dev-channel-marketplace-key").GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId={customer}", SiloHost.Json);
        var store = await (await Host.ClientForAsync("store", near)).GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId={customer}", SiloHost.Json);
        using var otherStore = await (await Host.ClientForAsync("store", await _catalog.LocationAsync("elsewhere", 48.1, 11.6))).GetAsync($"/api/v1/orders/{ids[0]}");
        var marketplaceAsked = await Webshop.GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId={customer}&channel=marketplace", SiloHost.Json);
        var otherLocationAsked = await (await Host.ClientForAsync("store", near)).GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId={customer}&locationId={_catalog.Id("far")}", SiloHost.Json);

        Assert.Equal(2, byCustomer.Items.Count);
        Assert.Empty(marketplaceAsked!.Items);
        Assert.Empty(otherLocationAsked!.Items);
        Assert.Equal(ids.Order(), byCustomer.Items.Concat(next!.Items).Select(o => o.OrderId).Order());
        Assert.Empty(marketplace!.Items);
        Assert.Equal(3, store!.Items.Count);
        Assert.Equal(HttpStatusCode.NotFound, otherStore.StatusCode);
    }

    [Fact]
    public async Task A_store_sees_only_its_own_lines_of_a_split_order_and_nothing_of_the_other_location()
    {
        var (a, near, far) = await StockAsync(5);
        var b = await _catalog.ArticleAsync("b");
        await _catalog.StockAsync(b, far, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (a, 1), (b, 2)));
        var farStore = await Host.ClientForAsync("store", far);
        await farStore.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l2/events", new { eventId = "s", locationId = far, type = "shipped", carrier = "DHL", trackingNumber = "JJD-FAR" }, SiloHost.Json);
        var nearStore = await Host.ClientForAsync("store", near);

        var seen = (await nearStore.GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        var listed = (await nearStore.GetFromJsonAsync<OrderPage>($"/api/v1/orders?customerId=c-{id}", SiloHost.Json))!.Items.Single();
        var json = await nearStore.GetStringAsync($"/api/v1/orders/{id}");

        Assert.Equal(["l1"], seen.Lines.Select(l => l.LineId));
        Assert.DoesNotContain(far, json);
        Assert.DoesNotContain("JJD-FAR", json);
        Assert.All(seen.History, h => Assert.Equal("l1", h.LineId));
        Assert.Contains(seen.History, h => h.Event == "routed");
        Assert.Empty(seen.Outbox);
        Assert.Empty(seen.Risk.Reasons);
        Assert.Equal(20m, seen.Total);
        Assert.Equal([near], listed.Locations);
        Assert.Equal(0m, listed.Total);
    }

    [Fact]
    public async Task A_store_learns_nothing_of_an_order_it_has_no_part_in()
    {
        var (sku, near, far) = await StockAsync(10);
        var cancelled = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(cancelled, (sku, 1)));
        using var _ = await Webshop.PostAsJsonAsync($"/api/v1/orders/{cancelled}/cancel", new { }, SiloHost.Json);
        var farStore = await Host.ClientForAsync("store", far);

        using var toCancelled = await farStore.PostAsJsonAsync($"/api/v1/orders/{cancelled}/lines/l1/events", new { eventId = "e", locationId = far, type = "accepted" }, SiloHost.Json);
        using var toMissing = await farStore.PostAsJsonAsync($"/api/v1/orders/{_catalog.Id("missing")}/lines/l1/events", new { eventId = "e", locationId = far, type = "accepted" }, SiloHost.Json);
        var (cancelledDetail, missingDetail) = (await DetailAsync(toCancelled), await DetailAsync(toMissing));

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (toCancelled.StatusCode, toMissing.StatusCode));
        Assert.Equal(missingDetail, cancelledDetail);
        Assert.Equal(OrderStatus.Cancelled, (await GetAsync(cancelled)).Status);
    }

    [Fact]
    public async Task A_store_reports_events_only_for_its_own_location()
    {
        var (sku, near, far) = await StockAsync(10);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 1)));
        var otherStore = await Host.ClientForAsync("store", far);

        using var response = await otherStore.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "e", locationId = near, type = "picked" }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(AllocationStatus.Allocated, (await GetAsync(id)).Lines.Single().Allocations.Single().Status);
    }

    [Fact]
    public async Task Many_orders_for_the_last_units_never_oversell_and_strand_nothing()
    {
        var (sku, near, _) = await StockAsync(20);
        var reservations = Enumerable.Range(0, 10).Select(i => _catalog.Id($"r{i}")).ToList();
        await Task.WhenAll(reservations.Select(r => Webshop.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(r, (sku, 1)), SiloHost.Json)));

        var orders = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => PlaceAsync(Webshop,
            Order(_catalog.Id($"o{i}"), (sku, 1)) with { ReservationId = i < reservations.Count ? reservations[i] : null })));

        var allocated = orders.Count(o => o.Lines.Single().AllocatedQuantity == 1);
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{near}/{sku}", SiloHost.Json);
        Assert.Equal(20, allocated);
        Assert.All(orders.Take(reservations.Count), o => Assert.Equal(1, o.Lines.Single().AllocatedQuantity));
        Assert.Equal((0, 20, 0), (slot!.Held, slot.Allocated, slot.Available));
        Assert.Equal(20, orders.Count(o => o.Status == OrderStatus.Backordered));
    }

    [Fact]
    public async Task A_click_and_collect_order_is_made_ready_at_the_store_and_picked_up()
    {
        var (sku, store, _) = await StockAsync(5);
        var id = _catalog.Id("o");
        var body = Order(id, (sku, 2)) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 53.55, 9.99, null, null, "Hamburg"), store) };
        await PlaceAsync(Webshop, body);
        var storeClient = await Host.ClientForAsync("store", store);

        using var shipped = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "x", locationId = store, type = "shipped" }, SiloHost.Json);
        using var ready = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "r", locationId = store, type = "readyForPickup" }, SiloHost.Json);
        var waiting = await GetAsync(id);
        using var collected = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "p", locationId = store, type = "pickedUp" }, SiloHost.Json);
        var done = await GetAsync(id);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, shipped.StatusCode);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (ready.StatusCode, collected.StatusCode));
        Assert.Equal(OrderStatus.Shipped, waiting.Status);
        Assert.Contains(waiting.Outbox, n => n.Type == "readyForPickup");
        Assert.Equal(OrderStatus.Delivered, done.Status);
        Assert.Equal((3, 0, 3), await SlotAsync(sku, store));
    }

    [Fact]
    public async Task A_part_of_a_pickup_cannot_be_reported_and_nothing_changes()
    {
        var (sku, store, _) = await StockAsync(5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 2)) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 53.55, 9.99, null, null, "Hamburg"), store) });
        var storeClient = await Host.ClientForAsync("store", store);

        using var ready = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "r", locationId = store, type = "readyForPickup", quantity = 1 }, SiloHost.Json);
        using var collected = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "p", locationId = store, type = "pickedUp", quantity = 1 }, SiloHost.Json);

        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity), (ready.StatusCode, collected.StatusCode));
        Assert.Equal(OrderStatus.Released, (await GetAsync(id)).Status);
        Assert.Equal((5, 2, 3), await SlotAsync(sku, store));
    }

    [Fact]
    public async Task A_rejection_tells_the_customer_of_the_line_it_opened_and_not_again_of_one_backordered_before()
    {
        var (sku, near, _) = await StockAsync(1);
        var none = await _catalog.ArticleAsync("none");
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (none, 1), (sku, 1)));
        var store = await Host.ClientForAsync("store", near);

        using var rejected = await store.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l2/events", new { eventId = "e1", locationId = near, type = "rejected" }, SiloHost.Json);
        var order = await GetAsync(id);

        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal(["l1", "l2"], order.Outbox.Where(n => n.Type == "itemUnavailable").Select(n => n.LineId));
    }

    [Fact]
    public async Task Click_and_collect_from_a_warehouse_is_seen_and_handed_over_by_the_pickup_store()
    {
        var (sku, store, warehouse) = await StockAsync(0, 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Webshop, Order(id, (sku, 1)) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 52.4, 13.1, null, null, "Berlin"), store) });
        var (storeClient, warehouseClient) = (await Host.ClientForAsync("store", store), await Host.ClientForAsync("store", warehouse));

        using var seenByStore = await storeClient.GetAsync($"/api/v1/orders/{id}");
        using var shipped = await warehouseClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s", locationId = warehouse, type = "shipped" }, SiloHost.Json);
        using var ready = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "r", locationId = store, type = "readyForPickup" }, SiloHost.Json);
        using var collected = await storeClient.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "p", locationId = store, type = "pickedUp" }, SiloHost.Json);
        var listed = await storeClient.GetFromJsonAsync<OrderPage>("/api/v1/orders?limit=100", SiloHost.Json);

        Assert.Equal(HttpStatusCode.OK, seenByStore.StatusCode);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (shipped.StatusCode, ready.StatusCode, collected.StatusCode));
        Assert.Equal(OrderStatus.Delivered, (await GetAsync(id)).Status);
        Assert.Contains(listed!.Items, o => o.OrderId == id);
    }

    [Fact]
    public async Task Too_many_orders_from_one_customer_in_the_window_are_held_for_review()
    {
        var (sku, _, _) = await StockAsync(20);
        var customer = _catalog.Id("c");
        var orders = new List<OrderView>();
        for (var i = 0; i < 6; i++)
        {
            orders.Add(await PlaceAsync(Webshop, Order(_catalog.Id($"o{i}"), (sku, 1)) with { CustomerId = customer }));
        }

        Assert.All(orders.Take(5), o => Assert.Equal(OrderStatus.Released, o.Status));
        Assert.Equal(OrderStatus.HeldForReview, orders[5].Status);
        Assert.Contains(orders[5].Risk.Reasons, r => r.Contains("orders within", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lookup_reads_several_orders_each_as_the_caller_may_see_it_and_refuses_a_list_it_cannot_take()
    {
        var (sku, near, _) = await StockAsync(10);
        var (ours, theirs) = (_catalog.Id("ours"), _catalog.Id("theirs"));
        await PlaceAsync(Webshop, Order(ours, (sku, 1)));
        await PlaceAsync(Host.Client("dev-channel-marketplace-key"), Order(theirs, (sku, 2)));
        var store = await Host.ClientForAsync("store", near);
        var asked = new { orderIds = new[] { theirs, _catalog.Id("nowhere"), ours, ours } };

        var byChannel = await LookupAsync(Webshop, asked);
        var byStore = await LookupAsync(store, asked);
        var byOperator = await LookupAsync(Host.Operator(), asked);
        using var none = await Webshop.PostAsJsonAsync("/api/v1/orders/lookup", new { orderIds = Array.Empty<string>() }, SiloHost.Json);
        using var tooMany = await Webshop.PostAsJsonAsync("/api/v1/orders/lookup", new { orderIds = Enumerable.Range(0, 101).Select(i => $"o{i}") }, SiloHost.Json);
        using var badId = await Webshop.PostAsJsonAsync("/api/v1/orders/lookup", new { orderIds = new[] { ours, "no spaces" } }, SiloHost.Json);

        Assert.Equal([ours], byChannel.Select(o => o.OrderId));
        Assert.Equal([theirs, ours], byStore.Select(o => o.OrderId));
        // A store sees its lines, not the order's value.
        Assert.All(byStore, o => Assert.All(o.Lines, l => Assert.All(l.Allocations, a => Assert.Equal(near, a.LocationId))));
        Assert.Equal([theirs, ours], byOperator.Select(o => o.OrderId));
        Assert.Equal((await GetAsync(ours)).Total, byOperator[1].Total);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (none.StatusCode, tooMany.StatusCode, badId.StatusCode));
        Assert.Contains("orderIds[1]", await badId.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<List<OrderView>> LookupAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/orders/lookup", body, SiloHost.Json);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OrderViews>(SiloHost.Json))!.Items.ToList();
    }

    private async Task<(string Sku, string Near, string Far)> StockAsync(int nearOnHand, int farOnHand = 0)
    {
        var sku = await _catalog.ArticleAsync("a");
        var (near, far) = (await _catalog.LocationAsync("near", 52.4, 13.1, type: "store"), await _catalog.LocationAsync("far", 48.1, 11.6));
        await _catalog.StockAsync(sku, near, nearOnHand);
        await _catalog.StockAsync(sku, far, farOnHand);
        return (sku, near, far);
    }

    private static OrderBody Order(string orderId, params (string Sku, int Quantity)[] lines) => new(
        orderId,
        "c-" + orderId,
        lines.Select((l, i) => (OrderLineBody?)new OrderLineBody($"l{i + 1}", l.Sku, l.Quantity, 20m)).ToList(),
        new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405, "Unter den Linden 1", "10117", "Berlin")),
        Payments: [new PaymentBody("card", 20m * lines.Sum(l => l.Quantity), "tok_visa_4242")],
        Currency: "EUR");

    private async Task<OrderView> PlaceAsync(HttpClient channel, OrderBody body)
    {
        using var response = await channel.PostAsJsonAsync("/api/v1/orders", body, SiloHost.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<OrderView>(SiloHost.Json))!;
    }

    private static async Task<string?> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();

    private async Task<OrderView> GetAsync(string orderId) =>
        (await Host.Operator().GetFromJsonAsync<OrderView>($"/api/v1/orders/{orderId}", SiloHost.Json))!;

    private async Task<(int OnHand, int Allocated, int Available)> SlotAsync(string sku, string locationId, bool held = false)
    {
        var slot = (await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{locationId}/{sku}", SiloHost.Json))!;
        return (held ? slot.Held : slot.OnHand, slot.Allocated, slot.Available);
    }
}
