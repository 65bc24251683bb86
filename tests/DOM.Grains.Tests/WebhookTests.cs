using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dom.Grains.Journal;
using Dom.Grains.Notifications;
using Dom.Orders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

/// <summary>A cluster whose orders send their notifications to a webhook, answered by <see cref="Endpoint"/>; its own
/// clock, so moving it does not move the other tests' time.</summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    public const string Secret = "test-secret-0123456789";

    public const string MarketplaceSecret = "marketplace-secret-0123";

    /// <summary>The drop-shipper whose system is told of the lines released to it (its own webhook).</summary>
    public const string HookedPartner = "ds-hooked";

    public const string PartnerSecret = "partner-secret-01234567";

    /// <summary>A click &amp; collect store whose system is told of the units coming to it.</summary>
    public const string HookedStore = "store-hooked";

    public static FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));

    public static FakeEndpoint Endpoint { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            TestSilo.Configure(silo, Time, new MemoryJournal());
            silo.Services.Configure<WebhookOptions>(o =>
            {
                o.Url = new Uri("http://webhooks.test/dom");
                o.Secret = Secret;
                o.Channels["marketplace"] = new WebhookEndpoint { Url = new Uri("http://marketplace.test/hooks"), Secret = MarketplaceSecret };
                o.Locations[HookedPartner] = new WebhookEndpoint { Url = new Uri("http://partner.test/lines"), Secret = PartnerSecret };
                o.Locations[HookedStore] = new WebhookEndpoint { Url = new Uri("http://store.test/incoming"), Secret = PartnerSecret };
            });
            silo.Services.AddHttpClient(WebhookOptions.Client).ConfigurePrimaryHttpMessageHandler(() => Endpoint);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebhookCollection : ICollectionFixture<WebhookFixture>
{
    public const string Name = "webhooks";
}

/// <summary>The receiving end: records what it took; refuses (503) the deliveries of the orders it is told to.</summary>
public sealed class FakeEndpoint : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new();

    public ConcurrentQueue<(WebhookEvent Event, string? Signature, string? EventId, string Body, Uri? Target)> Received { get; } = new();

    public ConcurrentDictionary<string, bool> Refusing { get; } = new();

    /// <summary>Hosts whose deliveries are refused (503), whatever the order.</summary>
    public ConcurrentDictionary<string, bool> RefusingHosts { get; } = new();

    public int Attempts(string orderId) => _attempts.GetValueOrDefault(orderId);

    private readonly ConcurrentDictionary<string, int> _attempts = new();

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _refusals = new();

    /// <summary>Completes once a delivery for <paramref name="orderId"/> was refused (the order's send after a change is a
    /// call of its own: a test that stops refusing must wait for it first).</summary>
    public Task RefusedAsync(string orderId) => _refusals.GetOrAdd(orderId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Completes once a delivery of <paramref name="type"/> for <paramref name="orderId"/> was taken.</summary>
    public Task TakenAsync(string orderId, string type) => _waiters.GetOrAdd($"{orderId}|{type}", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(TimeSpan.FromSeconds(30));

    public List<WebhookEvent> For(string orderId) => Received.Select(r => r.Event).Where(e => e.OrderId == orderId).ToList();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsStringAsync(cancellationToken);
        var delivered = JsonSerializer.Deserialize<WebhookEvent>(body, WebhookSender.Json)!;
        _attempts.AddOrUpdate(delivered.OrderId, 1, (_, n) => n + 1);
        if (Refusing.ContainsKey(delivered.OrderId) || RefusingHosts.ContainsKey(request.RequestUri!.Host))
        {
            _refusals.GetOrAdd(delivered.OrderId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }

        Received.Enqueue((delivered, request.Headers.GetValues("X-Dom-Signature").SingleOrDefault(), request.Headers.GetValues("X-Dom-Event-Id").SingleOrDefault(), body, request.RequestUri));
        _waiters.GetOrAdd($"{delivered.OrderId}|{delivered.Type}", _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return new HttpResponseMessage(HttpStatusCode.NoContent);
    }
}

/// <summary>Customer notifications delivered to a webhook: signed, in order, at least once, retried with back-off, none
/// lost, an order's past not sent when webhooks are turned on.</summary>
[Collection(WebhookCollection.Name)]
public class WebhookTests(WebhookFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task An_order_s_notifications_reach_the_webhook_signed_and_in_order()
    {
        var (id, warehouse) = await PlaceAsync();

        await WebhookFixture.Endpoint.TakenAsync(id, "orderConfirmed");
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        await WebhookFixture.Endpoint.TakenAsync(id, "shipped");

        var received = WebhookFixture.Endpoint.Received.Where(r => r.Event.OrderId == id).ToList();
        Assert.Equal(["orderConfirmed", "shipped"], received.Select(r => r.Event.Type));
        Assert.All(received, r => Assert.Equal(WebhookSender.Signature(WebhookFixture.Secret, System.Text.Encoding.UTF8.GetBytes(r.Body)), r.Signature));
        Assert.Equal([$"{id}-n1", $"{id}-n2"], received.Select(r => r.EventId));
        Assert.Equal(("web", "c-" + id), (received[0].Event.Channel, received[0].Event.CustomerId));
    }

    [Fact]
    public async Task Each_message_is_written_in_the_customer_s_language_with_the_order_s_details()
    {
        var (german, english) = (_world.Id("de"), _world.Id("en"));
        var (_, warehouse) = await PlaceAsync(german, customer: new CustomerData("ada@example.com", "Ada", "de-AT"));
        await PlaceAsync(english, customer: new CustomerData("bo@example.com", "Bo"));
        await WebhookFixture.Endpoint.TakenAsync(german, "orderConfirmed");
        await Order(german).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T-42"));
        await WebhookFixture.Endpoint.TakenAsync(german, "shipped");
        await WebhookFixture.Endpoint.TakenAsync(english, "orderConfirmed");

        var (confirmed, shipped) = (WebhookFixture.Endpoint.For(german).Single(e => e.Type == "orderConfirmed"), WebhookFixture.Endpoint.For(german).Single(e => e.Type == "shipped"));
        var inEnglish = WebhookFixture.Endpoint.For(english).Single();

        // de-AT has no texts of its own: German, with a decimal comma.
        Assert.Equal(("de", "ada@example.com", "Ada"), (confirmed.Language, confirmed.Email, confirmed.Name));
        Assert.Equal($"Ihre Bestellung {german}", confirmed.Subject);
        Assert.StartsWith($"Vielen Dank, Ada. Ihre Bestellung {german} (10,00 EUR)", confirmed.Text, StringComparison.Ordinal);
        Assert.Contains("mit DHL, Sendungsnummer T-42", shipped.Text, StringComparison.Ordinal);
        Assert.Equal(("en", $"Your order {english}"), (inEnglish.Language, inEnglish.Subject));
        Assert.StartsWith("Thank you, Bo.", inEnglish.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partner_s_system_is_told_of_the_units_released_to_it_once_an_order_is_released_and_of_their_cancellation()
    {
        var sku = await _world.ArticleAsync("a");
        await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(WebhookFixture.HookedPartner).PutAsync(
            new Dom.Locations.LocationInfo(WebhookFixture.HookedPartner, "Hooked drop-shipper", Dom.Locations.LocationType.DropShipper, 52.5, 13.4, 1_000, "DE"));
        await _world.StockAsync(sku, WebhookFixture.HookedPartner, 10);
        var (held, cancelled) = (_world.Id("held"), _world.Id("cancelled"));
        // Worth more than the review threshold: held, its units claimed at the partner, who is not told yet.
        await Order(held).CreateAsync(Request(held, sku, 2, 1_500m));
        await Order(cancelled).CreateAsync(Request(cancelled, sku, 3, 10m));
        await WebhookFixture.Endpoint.TakenAsync(cancelled, "allocated");
        // The held order's own send after its intake is done (else a notice it wrongly sent could arrive after the count).
        await SettledAsync(held);
        var beforeRelease = WebhookFixture.Endpoint.Received.Count(r => r.Event.OrderId == held && r.Target!.Host == "partner.test");
        // Released a minute later: a notice made at intake would carry the earlier time.
        WebhookFixture.Time.Advance(TimeSpan.FromMinutes(1));
        var releasedAt = WebhookFixture.Time.GetUtcNow();

        await Order(held).ReviewAsync(new ReviewDecision(true, "known customer"));
        await WebhookFixture.Endpoint.TakenAsync(held, "allocated");
        await Order(cancelled).CancelAsync(null);
        // The customer's "cancelled" goes out first in the same call: the outbox's next turn waits for that call to end.
        await WebhookFixture.Endpoint.TakenAsync(cancelled, "cancelled");
        await fixture.Grains.GetGrain<IRemindable>(Order(cancelled).GetGrainId()).ReceiveReminder("outbox", default);

        var toPartner = WebhookFixture.Endpoint.Received.Where(r => r.Target!.Host == "partner.test" && (r.Event.OrderId == held || r.Event.OrderId == cancelled)).ToList();
        var released = JsonSerializer.Deserialize<LocationWebhookEvent>(toPartner.Single(r => r.Event.OrderId == held).Body, WebhookSender.Json)!;
        Assert.Equal((0, releasedAt), (beforeRelease, released.At));
        Assert.Equal((WebhookFixture.HookedPartner, "l1", sku, 2, "Ada"), (released.LocationId, released.LineId, released.Sku, released.Quantity, released.Name));
        Assert.Equal((DeliveryMethod.Ship, "DE"), (released.Delivery.Method, released.Delivery.Address.Country));
        Assert.Equal([("allocated", 3), ("cancelled", 3)], toPartner.Where(r => r.Event.OrderId == cancelled)
            .Select(r => JsonSerializer.Deserialize<LocationWebhookEvent>(r.Body, WebhookSender.Json)!).Select(e => (e.Type, e.Quantity)));
        Assert.All(toPartner, r => Assert.Equal(WebhookSender.Signature(WebhookFixture.PartnerSecret, System.Text.Encoding.UTF8.GetBytes(r.Body)), r.Signature));
    }

    [Fact]
    public async Task A_partner_keeping_units_of_an_order_whose_address_changed_is_told_the_new_address()
    {
        var sku = await HookedStockAsync(2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, 10m));
        await WebhookFixture.Endpoint.TakenAsync(id, "allocated");

        var changed = await Order(id).ChangeAddressAsync("a1", new Address("DE", 52.39, 13.06, "Am Neuen Markt 1", "14467", "Potsdam"), vouched: false);
        // The customer's message and the partner's notice share the type: the outbox's next turn sends what is left.
        await WebhookFixture.Endpoint.TakenAsync(id, "addressChanged");
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);

        Assert.Equal(OrderCommandStatus.Done, changed.Status);
        var toPartner = ToPartner(id);
        Assert.Equal([("allocated", 2, "DE"), ("addressChanged", 2, "DE")], toPartner.Select(e => (e.Type, e.Quantity, e.Delivery.Address.Country)));
        Assert.Equal("Potsdam", toPartner.Last().Delivery.Address.City);
    }

    [Fact]
    public async Task A_partner_whose_units_already_left_is_not_told_of_a_new_address()
    {
        var (shipped, open) = (await HookedStockAsync(2), await _world.ArticleAsync("b"));
        var warehouse = await _world.LocationAsync("w", 52.5, 13.4);
        await _world.StockAsync(open, warehouse, 2);
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, shipped, 2, 10m) with { Lines = [new OrderLineRequest("l1", shipped, 2, 10m), new OrderLineRequest("l2", open, 1, 10m)] });
        await WebhookFixture.Endpoint.TakenAsync(id, "allocated");
        // The partner's parcel left with every unit it had; the warehouse has not started.
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", WebhookFixture.HookedPartner, FulfilmentEventType.Shipped, null, "DHL", "T"));

        var changed = await Order(id).ChangeAddressAsync("a1", new Address("DE", 52.39, 13.06, "Am Neuen Markt 1", "14467", "Potsdam"), vouched: false);
        await WebhookFixture.Endpoint.TakenAsync(id, "addressChanged");
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);

        Assert.Equal(OrderCommandStatus.Done, changed.Status);
        Assert.Equal([("allocated", "l1", 2)], ToPartner(id).Select(e => (e.Type, e.LineId, e.Quantity)));
    }

    [Fact]
    public async Task A_pickup_store_s_system_is_told_of_the_units_coming_to_it_and_of_those_that_no_longer_come()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(WebhookFixture.HookedStore).PutAsync(
            new Dom.Locations.LocationInfo(WebhookFixture.HookedStore, "Hooked store", Dom.Locations.LocationType.Store, 52.5, 13.4, 1_000, "DE"));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, 10m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), WebhookFixture.HookedStore) });
        await WebhookFixture.Endpoint.TakenAsync(id, "incoming");

        await Order(id).CancelAsync(null);
        await WebhookFixture.Endpoint.TakenAsync(id, "incomingCancelled");

        var toStore = ToStore(id);
        Assert.Equal([("incoming", 2), ("incomingCancelled", 2)], toStore.Select(e => (e.Type, e.Quantity)));
        Assert.All(toStore, e => Assert.Equal((WebhookFixture.HookedStore, "l1"), (e.LocationId, e.LineId)));
    }

    [Fact]
    public async Task Units_not_collected_are_no_longer_coming_to_the_pickup_store_and_their_sender_is_not_told_to_stop()
    {
        var sku = await HookedStockAsync();
        await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(WebhookFixture.HookedStore).PutAsync(
            new Dom.Locations.LocationInfo(WebhookFixture.HookedStore, "Hooked store", Dom.Locations.LocationType.Store, 52.5, 13.4, 1_000, "DE"));
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 2, 10m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), WebhookFixture.HookedStore) });
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", WebhookFixture.HookedPartner, FulfilmentEventType.Shipped, null, null, null));
        await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", WebhookFixture.HookedStore, FulfilmentEventType.ReadyForPickup, null, null, null));

        WebhookFixture.Time.Advance(TimeSpan.FromDays(9));
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("pickup", default);
        await WebhookFixture.Endpoint.TakenAsync(id, "incomingCancelled");

        var toStore = ToStore(id);
        Assert.Equal([("incoming", 2), ("incomingCancelled", 2)], toStore.Select(e => (e.Type, e.Quantity)));
        Assert.Equal([("allocated", 2)], ToPartner(id).Select(e => (e.Type, e.Quantity)));
    }

    [Fact]
    public async Task A_store_that_becomes_the_pickup_store_hears_of_every_unit_coming_and_the_one_it_no_longer_is_of_none()
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var other = _world.Id("store");
        foreach (var store in new[] { WebhookFixture.HookedStore, other })
        {
            await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(store).PutAsync(
                new Dom.Locations.LocationInfo(store, store, Dom.Locations.LocationType.Store, 52.5, 13.4, 1_000, "DE"));
        }

        var (away, toward) = (_world.Id("o1"), _world.Id("o2"));
        await Order(away).CreateAsync(Request(away, sku, 2, 10m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), WebhookFixture.HookedStore) });
        await Order(toward).CreateAsync(Request(toward, sku, 1, 10m) with { Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), other) });
        await WebhookFixture.Endpoint.TakenAsync(away, "incoming");

        Assert.Equal(OrderCommandStatus.Done, (await Order(away).ChangePickupStoreAsync("c", other)).Status);
        Assert.Equal(OrderCommandStatus.Done, (await Order(toward).ChangePickupStoreAsync("c", WebhookFixture.HookedStore)).Status);
        await WebhookFixture.Endpoint.TakenAsync(away, "incomingCancelled");
        await WebhookFixture.Endpoint.TakenAsync(toward, "incoming");

        Assert.Equal([("incoming", 2), ("incomingCancelled", 2)], ToStore(away).Select(e => (e.Type, e.Quantity)));
        Assert.Equal([("incoming", 1)], ToStore(toward).Select(e => (e.Type, e.Quantity)));
    }

    [Fact]
    public async Task After_a_pickup_store_change_units_already_collected_are_neither_incoming_to_the_new_store_nor_cancelled_to_the_old_one()
    {
        var (a, b, warehouse) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(a, warehouse, 5);
        await _world.StockAsync(b, warehouse, 5);
        var other = _world.Id("store");
        foreach (var store in new[] { WebhookFixture.HookedStore, other })
        {
            await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(store).PutAsync(
                new Dom.Locations.LocationInfo(store, store, Dom.Locations.LocationType.Store, 52.5, 13.4, 1_000, "DE"));
        }

        // Line l1 of each order came and was collected; l2 is still at the warehouse.
        var (away, toward) = (_world.Id("o1"), _world.Id("o2"));
        foreach (var (id, store) in new[] { (away, WebhookFixture.HookedStore), (toward, other) })
        {
            await Order(id).CreateAsync(Request(id, a, 1, 10m) with
            {
                Lines = [new OrderLineRequest("l1", a, 1, 10m), new OrderLineRequest("l2", b, 1, 10m)],
                Delivery = new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), store),
            });
            await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, null, null));
            await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", store, FulfilmentEventType.ReadyForPickup, null, null, null));
            Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent("p", "l1", store, FulfilmentEventType.PickedUp, null, null, null))).Status);
        }

        Assert.Equal(OrderCommandStatus.Done, (await Order(away).ChangePickupStoreAsync("c", other)).Status);
        Assert.Equal(OrderCommandStatus.Done, (await Order(toward).ChangePickupStoreAsync("c", WebhookFixture.HookedStore)).Status);
        await WebhookFixture.Endpoint.TakenAsync(away, "incomingCancelled");
        await WebhookFixture.Endpoint.TakenAsync(toward, "incoming");
        await SettledAsync(away);
        await SettledAsync(toward);

        Assert.Equal([("incomingCancelled", "l2", 1)], ToStore(away).Where(e => e.Type == "incomingCancelled").Select(e => (e.Type, e.LineId, e.Quantity)));
        Assert.Equal([("incoming", "l2", 1)], ToStore(toward).Where(e => e.Type == "incoming").Select(e => (e.Type, e.LineId, e.Quantity)));
    }

    [Fact]
    public async Task A_channel_with_an_endpoint_of_its_own_is_told_there_signed_with_its_own_secret()
    {
        var (web, marketplace) = (_world.Id("w"), _world.Id("m"));
        await PlaceAsync(web);
        await PlaceAsync(marketplace, channel: "marketplace");

        await WebhookFixture.Endpoint.TakenAsync(web, "orderConfirmed");
        await WebhookFixture.Endpoint.TakenAsync(marketplace, "orderConfirmed");

        var (toWeb, toMarketplace) = (WebhookFixture.Endpoint.Received.Single(r => r.Event.OrderId == web), WebhookFixture.Endpoint.Received.Single(r => r.Event.OrderId == marketplace));
        Assert.Equal(("webhooks.test", "marketplace.test"), (toWeb.Target!.Host, toMarketplace.Target!.Host));
        Assert.Equal(WebhookSender.Signature(WebhookFixture.MarketplaceSecret, System.Text.Encoding.UTF8.GetBytes(toMarketplace.Body)), toMarketplace.Signature);
        Assert.Equal(WebhookSender.Signature(WebhookFixture.Secret, System.Text.Encoding.UTF8.GetBytes(toWeb.Body)), toWeb.Signature);
    }

    [Fact]
    public async Task A_refused_delivery_is_retried_with_back_off_by_the_reminder_and_delivered_once()
    {
        var id = _world.Id("o");
        WebhookFixture.Endpoint.Refusing[id] = true;
        await PlaceAsync(id);
        var tick = () => fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);
        var armed = await Reminders.ReadRow(Order(id).GetGrainId(), "outbox");
        await tick();
        var attemptsAfterFirst = WebhookFixture.Endpoint.Attempts(id);
        await tick();
        // Backing off: a tick before the next attempt is due sends nothing.
        var attemptsTooSoon = WebhookFixture.Endpoint.Attempts(id);

        await SettledAsync(id);
        WebhookFixture.Endpoint.Refusing.TryRemove(id, out _);
        WebhookFixture.Time.Advance(TimeSpan.FromMinutes(5));
        await tick();
        await tick();

        Assert.NotNull(armed);
        Assert.Equal(attemptsAfterFirst, attemptsTooSoon);
        Assert.Equal(["orderConfirmed"], WebhookFixture.Endpoint.For(id).Select(e => e.Type));
        Assert.Null(await Reminders.ReadRow(Order(id).GetGrainId(), "outbox"));
    }

    [Fact]
    public async Task A_notification_older_than_the_maximum_age_when_its_turn_comes_is_not_sent()
    {
        var id = _world.Id("o");
        WebhookFixture.Endpoint.Refusing[id] = true;
        var (_, warehouse) = await PlaceAsync(id);
        // The confirmation's own send is refused, and the order has recorded it (at the time before the clock moves on),
        // before the endpoint takes deliveries again.
        await WebhookFixture.Endpoint.RefusedAsync(id);
        await SettledAsync(id);
        WebhookFixture.Time.Advance(TimeSpan.FromDays(2));
        WebhookFixture.Endpoint.Refusing.TryRemove(id, out _);

        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        await WebhookFixture.Endpoint.TakenAsync(id, "shipped");

        Assert.Equal(["shipped"], WebhookFixture.Endpoint.For(id).Select(e => e.Type));
    }

    [Fact]
    public async Task A_shipped_message_names_the_parcel_it_is_about()
    {
        var id = _world.Id("o");
        WebhookFixture.Endpoint.Refusing[id] = true;
        var (_, warehouse) = await PlaceAsync(id, quantity: 2);
        var sku = (await Order(id).GetAsync())!.Lines[0].Sku;
        await Order(id).ReportAsync(new FulfilmentEvent("s1", "l1", warehouse, FulfilmentEventType.Shipped, 1, "DHL", "T1"));
        await Order(id).ReportAsync(new FulfilmentEvent("s2", "l1", warehouse, FulfilmentEventType.Shipped, 1, "UPS", "T2"));
        await SettledAsync(id);
        WebhookFixture.Endpoint.Refusing.TryRemove(id, out _);
        WebhookFixture.Time.Advance(TimeSpan.FromMinutes(5));

        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);

        // Each parcel's message names that parcel: its units, carrier and tracking number, however late it goes out.
        Assert.Equal(
            [$"Part of your order {id} has left us: 1 × {sku} with DHL, tracking number T1.", $"Part of your order {id} has left us: 1 × {sku} with UPS, tracking number T2."],
            WebhookFixture.Endpoint.For(id).Where(e => e.Type == "shipped").Select(e => e.Text));
    }

    [Fact]
    public async Task A_backordered_line_s_message_does_not_tell_the_customer_it_was_cancelled()
    {
        var id = _world.Id("o");
        var sku = await _world.ArticleAsync("a");
        await Order(id).CreateAsync(Request(id, sku, 1, 10m));
        await WebhookFixture.Endpoint.TakenAsync(id, "itemUnavailable");

        var message = WebhookFixture.Endpoint.For(id).Single(e => e.Type == "itemUnavailable");
        Assert.Equal(LineStatus.Backordered, (await Order(id).GetAsync())!.Lines[0].Status);
        Assert.DoesNotContain("cancelled", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partner_that_rejects_some_of_its_units_is_not_told_they_were_cancelled()
    {
        var sku = await HookedStockAsync();
        var id = _world.Id("o");
        await Order(id).CreateAsync(Request(id, sku, 3, 10m));
        await WebhookFixture.Endpoint.TakenAsync(id, "allocated");

        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportAsync(new FulfilmentEvent("r", "l1", WebhookFixture.HookedPartner, FulfilmentEventType.Rejected, 1, null, null))).Status);
        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);

        // It rejected the unit itself: it knows, and still ships the other two.
        Assert.Equal([("allocated", 3)], ToPartner(id).Select(e => (e.Type, e.Quantity)));
    }

    [Fact]
    public async Task A_partner_s_endpoint_down_does_not_hold_up_the_customer_s_messages()
    {
        var sku = await HookedStockAsync();
        var id = _world.Id("o");
        WebhookFixture.Endpoint.RefusingHosts["partner.test"] = true;
        try
        {
            await Order(id).CreateAsync(Request(id, sku, 1, 10m));
            await WebhookFixture.Endpoint.TakenAsync(id, "orderConfirmed");
            var tick = () => fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);
            await tick();

            await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", WebhookFixture.HookedPartner, FulfilmentEventType.Shipped, null, "DHL", "T1"));
            await tick();

            Assert.Equal(["orderConfirmed", "shipped"], WebhookFixture.Endpoint.For(id).Select(e => e.Type));
        }
        finally
        {
            WebhookFixture.Endpoint.RefusingHosts.TryRemove("partner.test", out _);
        }
    }

    [Fact]
    public async Task A_replacement_message_names_its_own_replacement()
    {
        var id = _world.Id("o");
        var (_, warehouse) = await PlaceAsync(id, quantity: 2);
        await Order(id).ReportAsync(new FulfilmentEvent("s", "l1", warehouse, FulfilmentEventType.Shipped, null, "DHL", "T1"));
        WebhookFixture.Endpoint.Refusing[id] = true;
        await Order(id).ReportAsync(new FulfilmentEvent("d1", "l1", warehouse, FulfilmentEventType.Delivered, 1, null, null));
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportWrongItemAsync("l1")).Status);
        await Order(id).ReportAsync(new FulfilmentEvent("d2", "l1", warehouse, FulfilmentEventType.Delivered, 1, null, null));
        Assert.Equal(OrderCommandStatus.Done, (await Order(id).ReportWrongItemAsync("l1")).Status);
        await SettledAsync(id);
        WebhookFixture.Endpoint.Refusing.TryRemove(id, out _);
        WebhookFixture.Time.Advance(TimeSpan.FromMinutes(5));

        await fixture.Grains.GetGrain<IRemindable>(Order(id).GetGrainId()).ReceiveReminder("outbox", default);

        var replacements = (await Order(id).GetAsync())!.Replacements;
        Assert.Equal(2, replacements.Count);
        Assert.Equal(
            replacements.Select(r => $"as order {r}, at no charge."),
            WebhookFixture.Endpoint.For(id).Where(e => e.Type == "replacementCreated").Select(e => e.Text![e.Text!.IndexOf("as order ", StringComparison.Ordinal)..]));
    }

    /// <summary>Waits for the order's turns queued before this call, its own one-way send after a change among them (the
    /// grain takes one call at a time): a refused send records its back-off at the clock's time then, so a test moves the
    /// clock or stops refusing only after it.</summary>
    private Task SettledAsync(string id) => Order(id).GetAsync();

    /// <summary>A fresh article of which the drop-shipper with a webhook of its own has <paramref name="units"/>.</summary>
    private async Task<string> HookedStockAsync(int units = 10)
    {
        var sku = await _world.ArticleAsync("a");
        await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(WebhookFixture.HookedPartner).PutAsync(
            new Dom.Locations.LocationInfo(WebhookFixture.HookedPartner, "Hooked drop-shipper", Dom.Locations.LocationType.DropShipper, 52.5, 13.4, 1_000, "DE"));
        await _world.StockAsync(sku, WebhookFixture.HookedPartner, units);
        return sku;
    }

    /// <summary>The notices the hooked click &amp; collect store took for order <paramref name="id"/>, in order.</summary>
    private static List<LocationWebhookEvent> ToStore(string id) => WebhookFixture.Endpoint.Received.Where(r => r.Event.OrderId == id && r.Target!.Host == "store.test")
            .Select(r => JsonSerializer.Deserialize<LocationWebhookEvent>(r.Body, WebhookSender.Json)!).ToList();

    private static List<LocationWebhookEvent> ToPartner(string id) => WebhookFixture.Endpoint.Received
        .Where(r => r.Target!.Host == "partner.test" && r.Event.OrderId == id)
        .Select(r => JsonSerializer.Deserialize<LocationWebhookEvent>(r.Body, WebhookSender.Json)!).ToList();

    private IReminderTable Reminders => ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredService<IReminderTable>();

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private Task<(string Id, string Warehouse)> PlaceAsync() => PlaceAsync(_world.Id("o"));

    private static CreateOrderRequest Request(string id, string sku, int quantity, decimal unitPrice) => new(
        id, "web", "c-" + id, null, [new OrderLineRequest("l1", sku, quantity, unitPrice)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        new CustomerData("ada@example.com", "Ada"), null, [], "EUR", false, null, null);

    /// <summary>Order <paramref name="id"/> of <paramref name="quantity"/> units of a fresh article from a fresh warehouse.</summary>
    private async Task<(string Id, string Warehouse)> PlaceAsync(string id, string channel = "web", CustomerData? customer = null, int quantity = 1)
    {
        var (sku, warehouse) = (await _world.ArticleAsync("a"), await _world.LocationAsync("w", 52.5, 13.4));
        await _world.StockAsync(sku, warehouse, 5);
        var created = await Order(id).CreateAsync(new CreateOrderRequest(
            id, channel, "c-" + id, null, [new OrderLineRequest("l1", sku, quantity, 10m)],
            new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
            customer, null, [], "EUR", false, null, null));
        Assert.Equal(OrderOutcome.Created, created.Outcome);
        return (id, warehouse);
    }
}
