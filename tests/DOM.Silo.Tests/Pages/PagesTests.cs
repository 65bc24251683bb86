using System.Net;
using System.Net.Http.Json;
using Dom.Locations;
using Dom.Orders;
using Dom.Risk;
using Dom.Silo.Api;
using Dom.Silo.Hosting;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;
using OpenQA.Selenium;

namespace Dom.Silo.Tests.Pages;

/// <summary>One embedded-default silo and one headless Chromium, shared by the page tests (a collection of their own,
/// so the console's counts move only with what the test running does).</summary>
public sealed class PagesFixture : IAsyncLifetime
{
    public SiloHost Host { get; private set; } = null!;

    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await SiloHost.StartAsync("Development");
        Browser = new Browser(Host.Address);
    }

    public async Task DisposeAsync()
    {
        Browser?.Dispose();
        await Host.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PagesCollection : ICollectionFixture<PagesFixture>
{
    public const string Name = "pages";
}

/// <summary>The operator console, the store page and the partner portal, clicked through in a real browser; what they
/// did is checked through the API.</summary>
[Collection(PagesCollection.Name)]
public class PagesTests(PagesFixture fixture)
{
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    private Browser Browser => fixture.Browser;

    private HttpClient Webshop => Host.Client("dev-channel-webshop-key");

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/console.html", "text/html")]
    [InlineData("/store.html", "text/html")]
    [InlineData("/partner.html", "text/html")]
    [InlineData("/lines.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    public async Task The_pages_load_without_a_key_and_may_run_only_their_own_scripts(string path, string type)
    {
        using var response = await Host.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Dom.Silo.Hosting.Pages.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public void A_wrong_key_gets_the_APIs_problem_and_a_key_of_another_role_is_told_whom_the_page_is_for()
    {
        Browser.OpenAs("/console.html", "not-a-key-of-this-silo");
        var wrong = Browser.TextOf("#message", "Authentication required.");
        var hiddenAfterWrong = !Browser.Driver.FindElement(By.CssSelector("main")).Displayed;

        Browser.SignIn("dev-store-berlin-key-0001");
        var other = Browser.TextOf("#message", "This page is not for this key.");

        Assert.Contains("X-Api-Key", wrong, StringComparison.Ordinal);
        Assert.True(hiddenAfterWrong);
        Assert.Contains("for operator keys; this one is a store key", other, StringComparison.Ordinal);
        Assert.False(Browser.Driver.FindElement(By.CssSelector("main")).Displayed);
    }

    [Fact]
    public async Task The_console_shows_the_counts_the_API_gives_and_releases_an_order_held_for_review()
    {
        var (sku, _) = await StockedAsync("store", 10);
        var held = _catalog.Id("held");
        var routine = _catalog.Id("routine");
        await PlaceAsync(Order(held, sku, 2, unitPrice: 1_500m));
        await PlaceAsync(Order(routine, sku, 1));

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        var row = Browser.Find($"#held tr[data-order='{held}']");
        var reasons = row.FindElements(By.TagName("td"))[5].Text;
        var stats = await StatsAsync();
        var tiles = (Open: Browser.Find("#kpi-open .value").Text, Held: Browser.Find("#kpi-held .value").Text, Late: Browser.Find("#kpi-late .value").Text);
        var heldBar = Browser.Find("svg rect[data-label='heldForReview']").GetDomAttribute("data-value");
        var accuracy = Browser.Find("#kpi-accuracy").Text;
        var listed = Browser.Find($"#orders tr[data-order='{routine}'] .status").Text;

        row.FindElement(By.Name("note")).SendKeys("called the customer");
        row.FindElement(By.CssSelector("button[data-decision='release']")).Click();
        var done = Browser.TextOf("#message", "released");
        Browser.Gone($"#held tr[data-order='{held}']");
        var order = await OrderAsync(held);

        Assert.Contains("order value", reasons, StringComparison.Ordinal);
        Assert.Equal((stats.Open.ToString(), stats.ByStatus["heldForReview"].ToString(), stats.Late.ToString()), tiles);
        Assert.Equal(stats.ByStatus["heldForReview"].ToString(), heldBar);
        Assert.Contains($"({stats.AllocatedUnits - stats.RejectedUnits} of {stats.AllocatedUnits} units found)", accuracy, StringComparison.Ordinal);
        Assert.Equal("released", listed);
        Assert.Contains(held, done, StringComparison.Ordinal);
        Assert.Equal((OrderStatus.Released, RiskDecision.Accept), (order.Status, order.Risk.Reviewed));
        Assert.Contains(order.History, h => h.Detail?.Contains("called the customer", StringComparison.Ordinal) == true);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_shows_an_order_held_for_review_after_it_was_opened_without_a_click()
    {
        var (sku, _) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");

        Browser.OpenAs("/console.html?refresh=1", SiloHost.OperatorKey);
        // The held orders were read once signed in, before this one came in.
        Browser.Until(d => d.FindElement(By.CssSelector("#held caption")).Text.Length > 0 ? "read" : null);
        await PlaceAsync(Order(id, sku, 2, unitPrice: 1_500m));
        var row = Browser.Find($"#held tr[data-order='{id}']");

        Assert.Contains(id, row.Text, StringComparison.Ordinal);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_opens_an_order_with_its_lines_and_history()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 3));

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var detail = Browser.TextOf("#detail", $"Order {id}");

        Assert.Contains($"{store}: 3 allocated", detail, StringComparison.Ordinal);
        Assert.Contains("released", detail, StringComparison.Ordinal);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_consoles_More_and_Refresh_go_on_under_the_filter_its_list_was_shown_with()
    {
        var (sku, _) = await StockedAsync("store", 100);
        var channel = _catalog.Id("shop");
        var shop = await Host.ClientForAsync("channel", channel);
        var placed = new List<string>();
        for (var i = 0; i < 51; i++)
        {
            var id = _catalog.Id($"o{i:D2}");
            using var response = await shop.PostAsJsonAsync("/api/v1/orders", Order(id, sku, 1), SiloHost.Json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            placed.Add(id);
        }

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        var filter = Browser.Find("#filter");
        filter.FindElement(By.Name("channel")).SendKeys(channel);
        filter.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#orders caption", "50 order(s) shown");
        // The field changed, the list not shown again: "More" still pages the list on the screen.
        filter.FindElement(By.Name("channel")).Clear();
        filter.FindElement(By.Name("channel")).SendKeys("webshop");
        Browser.Find("#more").Click();
        Browser.TextOf("#orders caption", "51 order(s) shown");
        var listed = Browser.Driver.FindElements(By.CssSelector("#orders tbody tr")).Select(r => r.GetDomAttribute("data-order")!).ToList();
        var moreHidden = !Browser.Driver.FindElement(By.Id("more")).Displayed;
        // A refresh lists again what is shown, under the same filter.
        Browser.Find("#refresh").Click();
        Browser.TextOf("#orders caption", "50 order(s) shown");
        var refreshed = Browser.Driver.FindElements(By.CssSelector("#orders tbody tr")).Select(r => r.GetDomAttribute("data-order")!).ToList();

        Assert.Equal(placed.ToHashSet(), listed.ToHashSet());
        Assert.Equal(51, listed.Count);
        Assert.True(moreHidden);
        Assert.Subset(placed.ToHashSet(), refreshed.ToHashSet());
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_cancels_an_order_on_the_second_click()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 3));

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        Browser.TextOf("#detail", $"Order {id}");
        Browser.Find("#detail #cancel-reason option[value='paymentFailed']").Click();
        Browser.Find("#detail button[data-command='cancel']").Click();
        Browser.TextOf("#detail button[data-command='cancel']", "Click again");
        var stillOpen = await OrderAsync(id);
        Browser.Find("#detail button[data-command='cancel']").Click();
        Browser.TextOf("#message", "cancelled");
        Browser.TextOf("#detail", "3 cancelled (3 paymentFailed)");
        var order = await OrderAsync(id);
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Assert.Equal(OrderStatus.Released, stillOpen.Status);
        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.Equal(CancelReason.PaymentFailed, order.Cancellations!.Single().Reason);
        Assert.Equal((0, 10), (slot!.Allocated, slot.Available));
        Assert.Empty(Browser.Driver.FindElements(By.CssSelector("#detail button[data-command='cancel']")));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_cancels_some_units_of_a_line_for_a_customer_who_wants_fewer()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 3));

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var form = Browser.Find("#detail tr[data-line='l1'] form.cancel-units");
        var offered = form.FindElement(By.Name("quantity")).GetAttribute("max");
        form.FindElement(By.Name("quantity")).Clear();
        form.FindElement(By.Name("quantity")).SendKeys("2");
        form.FindElement(By.CssSelector("select[name='reason'] option[value='duplicate']")).Click();
        form.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", $"2 × {sku} cancelled");
        Browser.TextOf("#detail tr[data-line='l1']", "2 cancelled (2 duplicate)");
        var order = await OrderAsync(id);
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Assert.Equal("3", offered);
        Assert.Equal((2, 1, OrderStatus.Released), (order.Lines.Single().CancelledQuantity, order.Lines.Single().AllocatedQuantity, order.Status));
        Assert.Equal(CancelReason.Duplicate, order.Cancellations!.Single().Reason);
        Assert.Equal((1, 9), (slot!.Allocated, slot.Available));
        Assert.Equal("1", Browser.Find("#detail tr[data-line='l1'] form.cancel-units input[name='quantity']").GetAttribute("max"));
        Assert.Contains("units cancelled l1: 2", Browser.Find("#detail").Text, StringComparison.Ordinal);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_shows_where_an_order_goes_and_sends_it_to_a_new_address_until_a_parcel_is_packed()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 1));

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var shown = Browser.Find("#detail #delivery").Text;
        var form = Browser.Find("#detail #address-form");
        foreach (var (name, value) in new[] { ("street", "Am Neuen Markt 1"), ("postalCode", "14467"), ("city", "Potsdam"), ("latitude", "52.39"), ("longitude", "13.06") })
        {
            form.FindElement(By.Name(name)).Clear();
            form.FindElement(By.Name(name)).SendKeys(value);
        }

        form.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", $"{id} goes to the new address");
        Browser.TextOf("#detail #delivery", "Am Neuen Markt 1, 14467 Potsdam, DE");
        var order = await OrderAsync(id);
        using var packed = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "p1", locationId = store, type = "packed" }, SiloHost.Json);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        Browser.TextOf("#detail", "packed");

        Assert.Equal("Ships to Unter den Linden 1, 10117 Berlin, DE (52.52, 13.405)", shown);
        Assert.Equal(("Potsdam", 52.39, 13.06), (order.Delivery.Address.City, order.Delivery.Address.Latitude, order.Delivery.Address.Longitude));
        Assert.Equal(HttpStatusCode.OK, packed.StatusCode);
        Assert.Empty(Browser.Driver.FindElements(By.CssSelector("#detail #address-form")));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_has_a_click_and_collect_order_collected_at_another_store_until_it_is_ready()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var other = await _catalog.LocationAsync("other", 52.5, 13.4, type: "store");
        var id = _catalog.Id("cc");
        await PlaceAsync(Order(id, sku, 1) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 52.5, 13.4), store) });

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var input = Browser.Find("#detail #pickup-form input[name='locationId']");
        input.Clear();
        input.SendKeys(other);
        Browser.Find("#detail #pickup-form button").Click();
        Browser.TextOf("#message", $"{id} is collected at {other}");
        Browser.TextOf("#detail #delivery", $"Collected at {other}");
        var order = await OrderAsync(id);
        // The old store sends its unit on; once ready at the new store, the store is the customer's to come to.
        await ReportAsync(id, store, "shipped");
        await ReportAsync(id, other, "readyForPickup");
        Browser.Find($"#orders a[data-open='{id}']").Click();
        Browser.TextOf("#detail", "readyForPickup");

        Assert.Equal(other, order.Delivery.PickupLocationId);
        Assert.Empty(Browser.Driver.FindElements(By.CssSelector("#detail #pickup-form")));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task After_an_action_in_an_orders_panel_the_list_stays_under_the_filter_it_was_shown_with()
    {
        var (sku, _) = await StockedAsync("store", 10);
        var channel = _catalog.Id("shop");
        var id = _catalog.Id("o");
        using var placed = await (await Host.ClientForAsync("channel", channel)).PostAsJsonAsync("/api/v1/orders", Order(id, sku, 1), SiloHost.Json);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        var filter = Browser.Find("#filter");
        filter.FindElement(By.Name("channel")).SendKeys(channel);
        filter.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#orders caption", "1 order(s) shown");
        Browser.Find($"#orders a[data-open='{id}']").Click();
        Browser.Find("#detail button[data-command='cancel']").Click();
        Browser.TextOf("#detail button[data-command='cancel']", "Click again");
        Browser.Find("#detail button[data-command='cancel']").Click();
        Browser.TextOf($"#orders tr[data-order='{id}'] .status", "cancelled");
        var listed = Browser.Driver.FindElements(By.CssSelector("#orders tbody tr")).Select(r => r.GetDomAttribute("data-order")).ToList();

        Assert.Equal([id], listed);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_shows_a_slot_and_stores_a_count()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 3));
        var key = await Host.KeyForAsync("store", store);

        Browser.OpenAs("/store.html", key);
        ShowStock(sku);
        var shown = (Browser.TextOf("#on-hand", "10"), Browser.Find("#allocated").Text, Browser.Find("#available").Text);
        Count(8);
        Browser.TextOf("#message", "8 on hand recorded");
        var after = (Browser.Find("#on-hand").Text, Browser.Find("#available").Text);
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Assert.Equal(("10", "3", "7"), shown);
        Assert.Equal(("8", "5"), after);
        Assert.Equal((8, 3, 5), (slot!.OnHand, slot.Allocated, slot.Available));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_sets_todays_capacity_and_hands_a_click_and_collect_order_over()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var id = _catalog.Id("cc");
        await PlaceAsync(Order(id, sku, 2) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 52.5, 13.4), store) });
        var key = await Host.KeyForAsync("store", store);
        var before = await CapacityAsync(store);

        Browser.OpenAs("/store.html", key);
        var shown = (Booked: Browser.Find("#booked").Text, Limit: Browser.Find("#limit").Text);
        var capacity = Browser.Find("#capacity-form");
        capacity.FindElement(By.Name("limit")).SendKeys("7");
        capacity.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#limit", "7");
        var after = await CapacityAsync(store);

        var buttons = Browser.Find($"#lines tr[data-order='{id}']").FindElements(By.CssSelector("button[data-event]")).Select(b => b.GetDomAttribute("data-event")).ToList();
        Browser.Find($"#lines tr[data-order='{id}'] button[data-event='readyForPickup']").Click();
        Browser.TextOf($"#lines tr[data-order='{id}'] .status", "readyForPickup");
        var ready = await OrderAsync(id);
        var collectBy = Browser.TextOf($"#lines tr[data-order='{id}']", "collect by");
        Browser.Find($"#lines tr[data-order='{id}'] button[data-event='pickedUp']").Click();
        Browser.Gone($"#lines tr[data-order='{id}']");
        var collected = await OrderAsync(id);

        Assert.Equal((before.Booked.ToString(), before.Limit.ToString()), shown);
        Assert.Equal((7, before.Booked), (after.Limit, after.Booked));
        // Click & collect at the store's own stock: nothing to ship.
        Assert.Equal(["accepted", "picked", "packed", "readyForPickup", "rejected"], buttons);
        Assert.Equal(AllocationStatus.ReadyForPickup, ready.Lines[0].Allocations[0].Status);
        Assert.Contains(ready.Outbox, n => n.Type == "readyForPickup");
        // Seven days from the day it was ready (the default pickup days).
        Assert.Equal(DateOnly.FromDateTime(ready.Outbox.Single(n => n.Type == "readyForPickup").At.UtcDateTime).AddDays(7), ready.CollectBy);
        Assert.Contains($"collect by {ready.CollectBy:yyyy-MM-dd}", collectBy, StringComparison.Ordinal);
        Assert.Equal(OrderStatus.Delivered, collected.Status);
        Assert.Null(collected.CollectBy);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_rejects_the_units_that_are_not_there_and_the_engine_routes_them_elsewhere()
    {
        var (sku, store) = await StockedAsync("store", 3);
        var warehouse = await FarWarehouseAsync(sku, 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 3));
        var key = await Host.KeyForAsync("store", store);

        Browser.OpenAs("/store.html", key);
        Reject($"#lines tr[data-order='{id}']", 2);
        Browser.TextOf("#message", "Reject recorded");
        var order = await OrderAsync(id);

        var line = order.Lines[0];
        Assert.Contains(line.Allocations, a => a is { Status: AllocationStatus.Rejected, Quantity: 2 } && a.LocationId == store);
        Assert.Contains(line.Allocations, a => a is { Status: AllocationStatus.Allocated, Quantity: 2 } && a.LocationId == warehouse);
        Assert.Equal(0, line.OpenQuantity);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_partner_portal_confirms_a_line_and_ships_it_with_a_tracking_number()
    {
        var (sku, partner) = await StockedAsync("dropShipper", 8);
        var id = _catalog.Id("ds");
        await PlaceAsync(Order(id, sku, 2));
        var key = await Host.KeyForAsync("partner", partner);

        Browser.OpenAs("/partner.html", key);
        Browser.Find($"#lines tr[data-order='{id}'] button[data-event='accepted']").Click();
        Browser.TextOf($"#lines tr[data-order='{id}'] .status", "accepted");
        Ship($"#lines tr[data-order='{id}']", "DHL", "JJD0001234");
        Browser.Gone($"#lines tr[data-order='{id}']");
        var order = await OrderAsync(id);

        var shipped = Assert.Single(order.Lines[0].Allocations);
        Assert.Equal((partner, AllocationStatus.Shipped, 2, "DHL", "JJD0001234"), (shipped.LocationId, shipped.Status, shipped.Shipped, shipped.Carrier, shipped.TrackingNumber));
        Assert.Equal(OrderStatus.Shipped, order.Status);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_partner_portal_shows_a_line_routed_to_it_after_it_was_opened_without_a_click()
    {
        var (sku, partner) = await StockedAsync("dropShipper", 8);
        var (first, later) = (_catalog.Id("first"), _catalog.Id("later"));
        await PlaceAsync(Order(first, sku, 1));
        var key = await Host.KeyForAsync("partner", partner);

        Browser.OpenAs("/partner.html?refresh=1", key);
        Browser.Find($"#lines tr[data-order='{first}']");
        await PlaceAsync(Order(later, sku, 1));
        var row = Browser.Find($"#lines tr[data-order='{later}']");

        Assert.NotNull(row.FindElement(By.CssSelector("button[data-event='accepted']")));
        Assert.Equal("2 line(s) to work on", Browser.Find("#lines caption").Text);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task An_operator_opens_a_partners_portal_by_its_id_and_a_typo_opens_nothing()
    {
        var (sku, partner) = await StockedAsync("dropShipper", 8);
        var id = _catalog.Id("ds");
        await PlaceAsync(Order(id, sku, 2));

        Browser.OpenAs("/partner.html", SiloHost.OperatorKey);
        OpenLocation(partner + "-typo");
        var typo = Browser.TextOf("#message", "does not exist");
        var headingAfterTypo = Browser.Find("h1").Text;
        OpenLocation(partner);
        Browser.TextOf("h1", partner);
        var confirm = Browser.Find($"#lines tr[data-order='{id}'] button[data-event='accepted']");
        confirm.Click();
        Browser.TextOf($"#lines tr[data-order='{id}'] .status", "accepted");
        var order = await OrderAsync(id);

        Assert.Contains(partner + "-typo", typo, StringComparison.Ordinal);
        Assert.Equal("Partner portal", headingAfterTypo);
        Assert.Equal(AllocationStatus.Accepted, order.Lines[0].Allocations[0].Status);
    }

    [Fact]
    public async Task An_action_on_a_line_cancelled_meanwhile_shows_the_engines_refusal_and_changes_nothing()
    {
        var (sku, partner) = await StockedAsync("dropShipper", 8);
        var id = _catalog.Id("ds");
        await PlaceAsync(Order(id, sku, 2));
        var key = await Host.KeyForAsync("partner", partner);

        Browser.OpenAs("/partner.html", key);
        var confirm = Browser.Find($"#lines tr[data-order='{id}'] button[data-event='accepted']");
        using var cancelled = await Webshop.PostAsync($"/api/v1/orders/{id}/cancel", null);
        confirm.Click();
        var problem = Browser.Find("#message .problem").Text;
        var order = await OrderAsync(id);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(problem));
        Assert.Equal(OrderStatus.Cancelled, order.Status);
        Assert.Equal(AllocationStatus.Cancelled, order.Lines[0].Allocations[0].Status);
        Assert.DoesNotContain(order.History, h => h.Event == "accepted");
    }

    [Fact]
    public async Task A_pickup_store_marks_the_units_sent_to_it_ready_only_on_their_own_row()
    {
        // Click & collect of 2: one unit from the store's own shelf, one shipped to it from a warehouse (the store could
        // not find the second). The engine gives a "ready for pickup" from the store to its own units first.
        var (sku, store) = await StockedAsync("store", 2);
        var warehouse = await FarWarehouseAsync(sku, 10);
        var id = _catalog.Id("cc");
        await PlaceAsync(Order(id, sku, 2) with { Delivery = new DeliveryBody(DeliveryMethod.Pickup, new AddressBody("DE", 52.5, 13.4), store) });
        await ReportAsync(id, store, "rejected", quantity: 1);
        await ReportAsync(id, warehouse, "shipped");
        var key = await Host.KeyForAsync("store", store);
        var (own, sent) = ($"#lines tr[data-order='{id}'][data-location='{store}']", $"#lines tr[data-order='{id}'][data-location='{warehouse}']");

        Browser.OpenAs("/store.html", key);
        Browser.Find($"{own} button[data-event='readyForPickup']");
        var sentBefore = Browser.Driver.FindElements(By.CssSelector(sent))
            .Select(r => string.Join(",", r.FindElements(By.CssSelector("button[data-event]")).Select(b => b.GetDomAttribute("data-event")))).ToList();
        Browser.Find($"{own} button[data-event='readyForPickup']").Click();
        Browser.TextOf($"{own} .status", "readyForPickup");
        Browser.Find($"{sent} button[data-event='readyForPickup']").Click();
        // Ready, its "picked up" is the store's own units' first: the row waits for them.
        Browser.Gone(sent);
        var ready = await OrderAsync(id);
        // The customer collects the line: one "picked up" hands over every unit of it waiting on the shelf.
        Browser.Find($"{own} button[data-event='pickedUp']").Click();
        Browser.Gone($"#lines tr[data-order='{id}']");
        var collected = await OrderAsync(id);

        // The units on their way are not offered before the store's own: the engine would have taken the click for those.
        Assert.Empty(sentBefore);
        Assert.Equal(
            [(store, AllocationStatus.ReadyForPickup), (store, AllocationStatus.Rejected), (warehouse, AllocationStatus.ReadyForPickup)],
            ready.Lines[0].Allocations.Select(a => (a.LocationId, a.Status)));
        Assert.Single(ready.Outbox, n => n.Type == "readyForPickup");
        Assert.Equal(OrderStatus.Delivered, collected.Status);
        Assert.Equal(2, collected.Invoices.Sum(i => i.Lines.Sum(l => l.Quantity)));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task A_line_routed_to_the_store_twice_is_offered_one_allocation_after_the_other()
    {
        // Two units, one at the store and one at a warehouse; the warehouse cannot find its unit, and the re-route goes
        // to the store, which has one more by then: the line has two allocations there. The engine gives a store's event
        // on the line to the first one it may follow.
        var (sku, store) = await StockedAsync("store", 1);
        var warehouse = await FarWarehouseAsync(sku, 1);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2));
        await _catalog.StockAsync(sku, store, 2);
        await ReportAsync(id, warehouse, "rejected");
        var routed = await OrderAsync(id);
        var key = await Host.KeyForAsync("store", store);
        var row = $"#lines tr[data-order='{id}']";

        Browser.OpenAs("/store.html", key);
        Browser.Find($"{row} button[data-event='accepted']");
        var rowsFirst = Browser.Driver.FindElements(By.CssSelector(row)).Count;
        Ship(row, "DHL", "JJD0001");
        Browser.TextOf("#message", "Ship recorded");
        Browser.Find($"{row} button[data-event='accepted']").Click();
        Browser.TextOf($"{row} .status", "accepted");
        var order = await OrderAsync(id);

        Assert.Equal(2, routed.Lines[0].Allocations.Count(a => a.LocationId == store));
        // The second allocation's row comes once the first's units are shipped: before, its "Confirm" was the first's.
        Assert.Equal(1, rowsFirst);
        Assert.Equal([AllocationStatus.Shipped, AllocationStatus.Accepted], order.Lines[0].Allocations.Where(a => a.LocationId == store).Select(a => a.Status));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task A_lost_answer_is_repeated_with_its_event_id_and_a_later_rejection_of_as_many_units_is_a_new_event()
    {
        var (sku, store) = await StockedAsync("store", 4);
        var warehouse = await FarWarehouseAsync(sku, 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 4));
        var key = await Host.KeyForAsync("store", store);
        var row = $"#lines tr[data-order='{id}']";

        Browser.OpenAs("/store.html", key);
        Browser.Find($"{row} button[data-event='rejected']");
        LoseTheNextAnswer(install: true);
        Reject(row, 1);
        Browser.TextOf("#message", "The engine did not answer.");
        // The clerk sends it again: the engine took it the first time and answers as it did.
        Browser.Find($"{row} form[data-form='rejected'] button[type=submit]").Click();
        Browser.TextOf("#message", "Reject recorded");
        Browser.TextOf($"{row} td.number", "3");

        LoseTheNextAnswer(install: false);
        Reject(row, 1);
        Browser.TextOf("#message", "The engine did not answer.");
        // This time the clerk looks again first: the unit is gone from the row. Then another one is not there.
        Browser.Find("#refresh").Click();
        Browser.TextOf($"{row} td.number", "2");
        Reject(row, 1);
        Browser.TextOf("#message", "Reject recorded");
        var order = await OrderAsync(id);

        var atStore = order.Lines[0].Allocations.Where(a => a.LocationId == store).ToList();
        Assert.Equal((1, 3), (atStore.Where(a => a.Status != AllocationStatus.Rejected).Sum(a => a.Quantity), atStore.Where(a => a.Status == AllocationStatus.Rejected).Sum(a => a.Quantity)));
        Assert.Equal(3, order.History.Count(h => h.Event == "rejected"));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task An_operator_on_the_store_page_is_not_offered_the_lines_of_an_order_held_for_review()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var held = _catalog.Id("held");
        var routine = _catalog.Id("routine");
        await PlaceAsync(Order(held, sku, 2, unitPrice: 1_500m));
        await PlaceAsync(Order(routine, sku, 1));

        Browser.OpenAs("/store.html", SiloHost.OperatorKey);
        OpenLocation(store);
        Browser.Find($"#lines tr[data-order='{routine}']");
        var heldRows = Browser.Driver.FindElements(By.CssSelector($"#lines tr[data-order='{held}']")).Count;
        var order = await OrderAsync(held);

        // The engine refuses every event on it until an operator releases it.
        Assert.Equal(OrderStatus.HeldForReview, order.Status);
        Assert.Equal(0, heldRows);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_shows_an_open_order_older_than_the_newest_hundred()
    {
        var sku = await _catalog.ArticleAsync("a");
        var store = await _catalog.LocationAsync("busy", 52.4, 13.1, capacityPerDay: 1_000, type: "store");
        await _catalog.StockAsync(sku, store, 200);
        var oldest = _catalog.Id("oldest");
        await PlaceAsync(Order(oldest, sku, 1));
        for (var i = 0; i < 100; i++)
        {
            await PlaceAsync(Order(_catalog.Id($"o{i}"), sku, 1));
        }

        var key = await Host.KeyForAsync("store", store);

        Browser.OpenAs("/store.html", key);
        var row = Browser.Find($"#lines tr[data-order='{oldest}']");
        var caption = Browser.TextOf("#lines caption", "line(s) to work on");

        Assert.Equal("101 line(s) to work on", caption);
        Assert.NotNull(row.FindElement(By.CssSelector("button[data-event='accepted']")));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_offers_the_oldest_held_orders_when_more_than_a_hundred_wait()
    {
        var (sku, _) = await StockedAsync("store", 200);
        var held = new List<string>();
        try
        {
            for (var i = 0; i < 101; i++)
            {
                var id = _catalog.Id($"held{i:D3}");
                await PlaceAsync(Order(id, sku, 1, unitPrice: 2_500m));
                held.Add(id);
            }

            Browser.OpenAs("/console.html", SiloHost.OperatorKey);
            var caption = Browser.TextOf("#held caption", "wait for a decision");
            var oldest = Browser.Driver.FindElements(By.CssSelector($"#held tr[data-order='{held[0]}']")).Count;
            var shown = Browser.Driver.FindElements(By.CssSelector("#held tbody tr")).Count;
            var waiting = (await StatsAsync()).ByStatus["heldForReview"];

            // The newest hundred alone left the oldest, the most pressing, with no way to release or reject it.
            Assert.Equal(1, oldest);
            Assert.Equal(100, shown);
            Assert.Contains($"The 100 oldest of {waiting}", caption, StringComparison.Ordinal);
            Assert.Empty(Browser.Errors());
        }
        finally
        {
            // The other tests' held orders are shown again (they are newer than these).
            foreach (var id in held)
            {
                using var rejected = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/review", new { decision = "reject" }, SiloHost.Json);
            }
        }
    }

    [Fact]
    public async Task The_console_offers_no_cancel_for_an_order_shipped_in_full()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var shipped = _catalog.Id("shipped");
        var partly = _catalog.Id("partly");
        await PlaceAsync(Order(shipped, sku, 2));
        await PlaceAsync(Order(partly, sku, 2));
        await ReportAsync(shipped, store, "shipped");
        await ReportAsync(partly, store, "shipped", quantity: 1);

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find($"#orders a[data-open='{shipped}']").Click();
        Browser.TextOf("#detail h2", shipped);
        var offeredShipped = Browser.Driver.FindElements(By.CssSelector("#detail button[data-command='cancel']")).Count;
        Browser.Find($"#orders a[data-open='{partly}']").Click();
        Browser.TextOf("#detail h2", partly);
        var offeredPartly = Browser.Driver.FindElements(By.CssSelector("#detail button[data-command='cancel']")).Count;
        using var refused = await Host.Operator().PostAsync($"/api/v1/orders/{shipped}/cancel", null);

        // Every unit is on its way: the engine refuses the cancellation ("Nothing is left to cancel").
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(0, offeredShipped);
        Assert.Equal(1, offeredPartly);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task A_second_sign_in_after_the_consoles_first_load_failed_wires_its_controls_once()
    {
        var (sku, _) = await StockedAsync("store", 100);
        var channel = _catalog.Id("shop");
        var shop = await Host.ClientForAsync("channel", channel);
        for (var i = 0; i < 51; i++)
        {
            using var response = await shop.PostAsJsonAsync("/api/v1/orders", Order(_catalog.Id($"o{i:D2}"), sku, 1), SiloHost.Json);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Browser.Open("/console.html");
        FailTheNextRequestTo("/api/v1/order-stats");
        Browser.SignIn(SiloHost.OperatorKey);
        Browser.TextOf("#message", "The engine did not answer.");
        Browser.SignIn(SiloHost.OperatorKey);
        Browser.Find("#kpi-open");
        var options = Browser.Driver.FindElements(By.CssSelector("#filter select option")).Count;
        var filter = Browser.Find("#filter");
        filter.FindElement(By.Name("channel")).SendKeys(channel);
        filter.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#orders caption", "50 order(s) shown");
        Browser.Find("#more").Click();
        Browser.TextOf("#orders caption", "51 order(s) shown");
        Browser.Until(d => d.FindElement(By.Id("more")).Enabled ? "done" : null);
        var listed = Browser.Driver.FindElements(By.CssSelector("#orders tbody tr")).Select(r => r.GetDomAttribute("data-order")).ToList();

        // "any" and each status once; each order once (the second sign-in's listeners had "More" append its page twice).
        Assert.Equal(10, options);
        Assert.Equal(51, listed.Count);
        Assert.Equal(51, listed.Distinct().Count());
    }

    [Fact]
    public async Task A_recount_of_a_number_sent_before_a_lost_answer_is_stored_after_another_count()
    {
        var (sku, store) = await StockedAsync("store", 10);
        var key = await Host.KeyForAsync("store", store);

        Browser.OpenAs("/store.html", key);
        ShowStock(sku);
        Browser.TextOf("#on-hand", "10");
        LoseTheNextAnswer(install: true, method: "PUT");
        Count(8);
        Browser.TextOf("#message", "The engine did not answer.");
        // The clerk counts again, and finds 9; then once more, and finds 8 after all.
        Count(9);
        Browser.TextOf("#message", "9 on hand recorded");
        Count(8);
        Browser.TextOf("#message", "8 on hand recorded");
        var shown = Browser.Find("#on-hand").Text;
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Assert.Equal((8, "8"), (slot!.OnHand, shown));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_stores_the_first_count_of_an_article_never_stocked_there()
    {
        var (stocked, store) = await StockedAsync("store", 10);
        var sku = await _catalog.ArticleAsync("new");
        var key = await Host.KeyForAsync("store", store);

        Browser.OpenAs("/store.html", key);
        ShowStock(sku);
        Browser.TextOf("#stock-sku", sku);
        var shown = Browser.Find("#on-hand").Text;
        Count(3);
        Browser.TextOf("#message", "3 on hand recorded");
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Assert.NotEqual(stocked, sku);
        Assert.Equal("0", shown);
        Assert.Equal((3, 3), (slot!.OnHand, slot.Available));
    }

    [Fact]
    public async Task An_operator_who_opens_another_store_on_the_store_page_sees_only_that_ones_stock_and_capacity()
    {
        var (sku, first) = await StockedAsync("store", 10);
        var (other, second) = await StockedAsync("store", 10);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, other, 1));
        var before = await CapacityAsync(second);

        Browser.OpenAs("/store.html", SiloHost.OperatorKey);
        OpenLocation(first);
        ShowStock(sku);
        Browser.TextOf("#on-hand", "10");
        OpenLocation(second);
        Browser.Find($"#lines tr[data-order='{id}']");
        var slotShown = Browser.Driver.FindElement(By.Id("stock-slot")).Displayed;
        // A name that is no store: refused, and the page stays on the second store.
        OpenLocation(_catalog.Id("no-such-store"));
        Browser.Find("#message .problem");
        var capacity = Browser.Find("#capacity-form");
        capacity.FindElement(By.Name("limit")).SendKeys((before.Limit + 3).ToString());
        capacity.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", "Today's limit is set.");
        var after = await CapacityAsync(second);

        // The first store's article was still shown, its count going to the second store as an article "null".
        Assert.False(slotShown);
        Assert.Equal(before.Limit + 3, after.Limit);
        Assert.Contains(second, Browser.Find("h1").Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Browser.Errors(), e => !e.Contains("404", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_store_page_takes_goods_back_at_the_counter_once_even_after_a_lost_answer()
    {
        var (sku, warehouse) = await StockedAsync("warehouse", 5);
        var counter = await _catalog.LocationAsync("counter", 52.5, 13.4, type: "store");
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2, unitPrice: 12.5m));
        await ReportAsync(id, warehouse, "shipped");
        await ReportAsync(id, warehouse, "delivered");

        Browser.OpenAs("/store.html", await Host.KeyForAsync("store", counter));
        var take = Browser.Find("#return-take");
        foreach (var (name, value) in new[] { ("orderId", id), ("sku", sku), ("reason", "tooSmall") })
        {
            take.FindElement(By.Name(name)).SendKeys(value);
        }

        var quantity = take.FindElement(By.Name("quantity"));
        quantity.Clear();
        quantity.SendKeys("2");
        // The engine registers the return, and its answer is lost: the clerk clicks again.
        LoseTheNextAnswer(install: true);
        take.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", "The engine did not answer.");
        Browser.Find("#return-take button").Click();
        var message = Browser.TextOf("#message", "taken back onto the shelf");
        var listed = Browser.TextOf("#return-list", "received");
        var order = await OrderAsync(id);
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{counter}/{sku}", SiloHost.Json);

        Assert.Contains("refund EUR 25.00", message, StringComparison.Ordinal);
        Assert.Contains("2 restocked, 0 written off", listed, StringComparison.Ordinal);
        Assert.Equal([(counter, ReturnStatus.Received, 25m)], order.Returns.Select(r => (r.LocationId, r.Status, r.Refund)));
        Assert.Equal((OrderStatus.Returned, 25m), (order.Status, order.Refunded));
        Assert.Equal(2, slot!.OnHand);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_lists_the_returns_on_their_way_and_receives_or_cancels_them_there()
    {
        var (sku, warehouse) = await StockedAsync("warehouse", 5);
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        var (kept, dropped) = (_catalog.Id("o1"), _catalog.Id("o2"));
        foreach (var id in new[] { kept, dropped })
        {
            await PlaceAsync(Order(id, sku, 1));
            await ReportAsync(id, warehouse, "shipped");
            using var announced = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
                new { returnId = "rma", locationId = store, lines = new[] { new { lineId = "l1", quantity = 1, reason = "tooSmall" } } }, SiloHost.Json);
            Assert.True(announced.IsSuccessStatusCode, await announced.Content.ReadAsStringAsync());
        }

        Browser.OpenAs("/store.html", await Host.KeyForAsync("store", store));
        var listed = Browser.TextOf("#returns-coming", kept);
        Browser.Find($"#returns-coming li:has(button) button[data-command='cancel']");
        foreach (var li in Browser.Driver.FindElements(By.CssSelector("#returns-coming li")).Where(li => li.Text.StartsWith(dropped, StringComparison.Ordinal)))
        {
            li.FindElement(By.CssSelector("button[data-command='cancel']")).Click();
        }

        Browser.TextOf("#message", $"{dropped}: return rma cancelled");
        var receive = Browser.Driver.FindElements(By.CssSelector("#returns-coming li")).Single(li => li.Text.StartsWith(kept, StringComparison.Ordinal));
        receive.FindElement(By.CssSelector("button[type=submit]")).Click();
        Browser.TextOf("#message", $"{kept}: return rma received");
        var emptied = Browser.TextOf("#returns-coming", "None.");
        var (keptOrder, droppedOrder) = (await OrderAsync(kept), await OrderAsync(dropped));
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Assert.Contains(dropped, listed, StringComparison.Ordinal);
        Assert.Equal((ReturnStatus.Received, ReturnStatus.Cancelled), (keptOrder.Returns.Single().Status, droppedOrder.Returns.Single().Status));
        Assert.Equal(1, slot!.OnHand);
        Assert.Equal("None.", emptied);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task A_counter_return_taken_back_after_a_lost_answer_leaves_the_returns_on_their_way()
    {
        var (sku, warehouse) = await StockedAsync("warehouse", 5);
        var counter = await _catalog.LocationAsync("counter", 52.5, 13.4, type: "store");
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 1));
        await ReportAsync(id, warehouse, "shipped");

        Browser.OpenAs("/store.html", await Host.KeyForAsync("store", counter));
        Browser.TextOf("#returns-coming", "None.");
        var take = Browser.Find("#return-take");
        foreach (var (name, value) in new[] { ("orderId", id), ("sku", sku), ("reason", "tooSmall") })
        {
            take.FindElement(By.Name(name)).SendKeys(value);
        }

        // The engine registers the return, and its answer is lost: the list shows it on its way until the clerk clicks again.
        LoseTheNextAnswer(install: true);
        take.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", "The engine did not answer.");
        Browser.Find("#returns-refresh").Click();
        Browser.TextOf("#returns-coming", id);
        Browser.Find("#return-take button").Click();
        Browser.TextOf("#message", "taken back onto the shelf");
        var left = Browser.TextOf("#returns-coming", "None.");

        Assert.Equal("None.", left);
        Assert.Equal(ReturnStatus.Received, (await OrderAsync(id)).Returns.Single().Status);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_keeps_what_was_typed_for_a_return_on_its_way_when_another_is_received()
    {
        var (sku, warehouse) = await StockedAsync("warehouse", 5);
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        var (first, damaged) = (_catalog.Id("o1"), _catalog.Id("o2"));
        foreach (var id in new[] { first, damaged })
        {
            await PlaceAsync(Order(id, sku, 1));
            await ReportAsync(id, warehouse, "shipped");
            using var announced = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
                new { returnId = "rma", locationId = store, lines = new[] { new { lineId = "l1", quantity = 1, reason = "damaged" } } }, SiloHost.Json);
            Assert.True(announced.IsSuccessStatusCode, await announced.Content.ReadAsStringAsync());
        }

        Browser.OpenAs("/store.html", await Host.KeyForAsync("store", store));
        Browser.TextOf("#returns-coming", first);
        IWebElement Row(string id) => Browser.Until(d => d.FindElements(By.CssSelector("#returns-coming li")).SingleOrDefault(li => li.Text.StartsWith(id, StringComparison.Ordinal)));
        // The clerk unpacks both parcels: the second one's unit is broken, to be written off.
        foreach (var (name, value) in new[] { ("restock-l1", "0"), ("writeOff-l1", "1") })
        {
            var input = Row(damaged).FindElement(By.Name(name));
            input.Clear();
            input.SendKeys(value);
        }

        Row(first).FindElement(By.CssSelector("button[type=submit]")).Click();
        Browser.TextOf("#message", $"{first}: return rma received");
        Browser.Until(d => d.FindElements(By.CssSelector("#returns-coming li")).Count == 1 ? "one left" : null);
        Row(damaged).FindElement(By.CssSelector("button[type=submit]")).Click();
        Browser.TextOf("#message", $"{damaged}: return rma received");
        var line = (await OrderAsync(damaged)).Returns.Single().Lines.Single();

        Assert.Equal((0, 1), (line.Restocked, line.WrittenOff));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_keeps_what_was_typed_for_a_looked_up_orders_return_when_its_other_one_is_received()
    {
        var (sku, warehouse) = await StockedAsync("warehouse", 5);
        var store = await _catalog.LocationAsync("store", 52.5, 13.4, type: "store");
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2));
        await ReportAsync(id, warehouse, "shipped");
        foreach (var returnId in new[] { "rma-1", "rma-2" })
        {
            using var announced = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
                new { returnId, locationId = store, lines = new[] { new { lineId = "l1", quantity = 1, reason = "damaged" } } }, SiloHost.Json);
            Assert.True(announced.IsSuccessStatusCode, await announced.Content.ReadAsStringAsync());
        }

        Browser.OpenAs("/store.html", await Host.KeyForAsync("store", store));
        var find = Browser.Find("#return-find");
        find.FindElement(By.Name("orderId")).SendKeys(id);
        find.FindElement(By.CssSelector("button")).Click();
        IWebElement Row(string returnId) => Browser.Find($"#return-list li[data-return='{returnId}']");
        // The second parcel's unit is broken, to be written off; the first one is received before it.
        foreach (var (name, value) in new[] { ("restock-l1", "0"), ("writeOff-l1", "1") })
        {
            var input = Row("rma-2").FindElement(By.Name(name));
            input.Clear();
            input.SendKeys(value);
        }

        Row("rma-1").FindElement(By.CssSelector("button[type=submit]")).Click();
        Browser.TextOf("#message", "return rma-1 received");
        Browser.TextOf("#return-list li[data-return='rma-1']", "received");
        Browser.Find("#return-list li[data-return='rma-2'] button[type=submit]").Click();
        Browser.TextOf("#message", "return rma-2 received");
        var line = (await OrderAsync(id)).Returns.Single(r => r.ReturnId == "rma-2").Lines.Single();

        Assert.Equal((0, 1), (line.Restocked, line.WrittenOff));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_store_page_receives_a_return_sent_to_it_and_the_console_shows_it_with_the_refund()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var id = _catalog.Id("o");
        // Delivered for 4.95: the return of every unit refunds the delivery too.
        await PlaceAsync(Order(id, sku, 2) with { DeliveryCharge = 4.95m, Payments = [new PaymentBody("card", 44.95m, "tok_visa_4242")] });
        await ReportAsync(id, store, "shipped");
        await ReportAsync(id, store, "delivered");
        using var announced = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
            new { returnId = "rma-1", locationId = store, lines = new[] { new { lineId = "l1", quantity = 2, reason = "damaged" } } }, SiloHost.Json);
        Assert.True(announced.IsSuccessStatusCode, await announced.Content.ReadAsStringAsync());

        Browser.OpenAs("/store.html", await Host.KeyForAsync("store", store));
        var find = Browser.Find("#return-find");
        find.FindElement(By.Name("orderId")).SendKeys(id);
        find.FindElement(By.CssSelector("button")).Click();
        var form = Browser.Find("#return-list li[data-return='rma-1'] form");
        var (restock, writeOff) = (form.FindElement(By.Name("restock-l1")), form.FindElement(By.Name("writeOff-l1")));
        restock.Clear();
        restock.SendKeys("1");
        writeOff.Clear();
        writeOff.SendKeys("1");
        form.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", "return rma-1 received");
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{store}/{sku}", SiloHost.Json);

        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find("#filter select option[value='returned']").Click();
        Browser.Find("#filter button").Click();
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var returns = Browser.TextOf("#detail #returns", "rma-1");
        var stats = await StatsAsync();
        var returnRate = Browser.TextOf("#kpi-returns", "came back");

        Assert.Equal(4, slot!.OnHand);
        Assert.Contains("2 × " + sku + " (damaged): 1 restocked, 1 written off", returns, StringComparison.Ordinal);
        Assert.Contains("EUR 44.95 (card EUR 44.95) (delivery EUR 4.95)", returns, StringComparison.Ordinal);
        Assert.Contains("delivery EUR 4.95", Browser.Find("#detail > p").Text, StringComparison.Ordinal);
        Assert.Contains("refunded EUR 44.95", Browser.Find("#detail").Text, StringComparison.Ordinal);
        Assert.Contains($"2 × {sku}; delivery EUR 4.95", Browser.Find("#detail #invoices").Text, StringComparison.Ordinal);
        Assert.Contains("EUR 44.95 (card EUR 44.95)", Browser.Find("#detail #invoices").Text, StringComparison.Ordinal);
        Assert.Contains($"({stats.ReturnedUnits} of {stats.ShippedUnits} units came back)", returnRate, StringComparison.Ordinal);
        Assert.Contains($"damaged {stats.ReturnedUnitsByReason["damaged"]}", Browser.Find("#charts svg[aria-label^='Units returned by reason']").GetDomAttribute("aria-label"), StringComparison.Ordinal);
        Assert.True(stats.ReturnedUnitsByReason["damaged"] >= 2);
        Assert.True(stats.ReturnedUnits >= 2 && stats.ShippedUnits >= stats.ReturnedUnits);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_shows_what_promotions_took_off_each_line_an_invoice_paid_in_part_and_lists_orders_with_money_due()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var promotion = _catalog.Id("p");
        using (var saved = await Host.Operator().PutAsJsonAsync($"/api/v1/promotions/{promotion}", new { name = "Winter sale", kind = "percentage", percent = 25, skus = new[] { sku } }, SiloHost.Json))
        {
            Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
        }

        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2) with { Payments = [new PaymentBody("invoice", 30m)] });
        await ReportAsync(id, store, "shipped");
        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find("#filter input[name='outstanding']").Click();
        Browser.Find("#filter button").Click();
        Browser.Find($"#orders a[data-open='{id}']").Click();
        // The debtor clerk records 10.00 received for the invoice, from the order's panel.
        var form = Browser.Find("#payment-form");
        form.FindElement(By.Name("amount")).SendKeys("10");
        form.FindElement(By.Name("reference")).SendKeys("statement 12");
        form.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", "money received of EUR 10.00 recorded");
        var lines = Browser.TextOf("#detail #lines", "Winter sale");
        var payments = Browser.TextOf("#detail #payments", "statement 12");
        var messages = Browser.TextOf("#detail #messages", "Your order");
        var stats = await StatsAsync();

        // 2 × 20.00 less 25 %: 10.00 off, 30.00 invoiced on account, 10.00 of it paid.
        Assert.Contains("Winter sale −EUR 10.00", lines, StringComparison.Ordinal);
        Assert.Contains("received invoice EUR 10.00 statement 12", payments, StringComparison.Ordinal);
        Assert.Contains($"Your order {id} is on its way (en)", messages, StringComparison.Ordinal);
        Assert.Single((await Host.Operator().GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!.PaymentEvents!);
        Assert.Contains("due EUR 20.00", Browser.Find("#detail").Text, StringComparison.Ordinal);
        Assert.Contains(id, Browser.Find("#orders").Text, StringComparison.Ordinal);
        Assert.Equal(stats.OutstandingOrders.ToString(System.Globalization.CultureInfo.InvariantCulture), Browser.Find("#kpi-outstanding .value").Text);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task An_operator_gives_a_credit_for_a_damaged_line_from_the_console_and_sees_it_refunded_to_the_card()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2) with { Payments = [new PaymentBody("card", 40m)] });
        await ReportAsync(id, store, "shipped");
        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        Browser.Find("#filter select option[value='shipped']").Click();
        Browser.Find("#filter button").Click();
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var form = Browser.Find("#credit-form");
        form.FindElement(By.CssSelector("select[name='lineId'] option[value='l1']")).Click();
        form.FindElement(By.Name("amount")).SendKeys("7.5");
        form.FindElement(By.CssSelector("select[name='reason'] option[value='damaged']")).Click();
        form.FindElement(By.Name("note")).SendKeys("dented box");
        form.FindElement(By.CssSelector("button")).Click();
        Browser.TextOf("#message", "EUR 7.50 credited");
        var credits = Browser.TextOf("#detail #credits", "dented box");

        Assert.Contains("l1 damaged EUR 7.50 (card EUR 7.50) dented box", credits, StringComparison.Ordinal);
        Assert.Contains("refunded EUR 7.50", Browser.Find("#detail").Text, StringComparison.Ordinal);
        var order = (await Host.Operator().GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json))!;
        Assert.Equal([("l1", 7.5m, CreditReason.Damaged)], order.Credits!.Select(c => (c.LineId!, c.Amount, c.Reason)));
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task The_console_shows_a_bundle_s_parts_as_lines_naming_their_bundle()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var other = await _catalog.ArticleAsync("b");
        await _catalog.StockAsync(other, store, 5);
        var kit = _catalog.Id("kit");
        using (var put = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "Kit", components = new[] { new { sku, quantity = 2 }, new { sku = other, quantity = 1 } } }, SiloHost.Json))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, kit, 1, 30m));
        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        // Found by the SKU of one of its parts.
        Browser.Find("#filter input[name='sku']").SendKeys(other);
        Browser.Find("#filter button").Click();
        // The list under the filter: the caption says how many it shows, once it shows them.
        var listed = Browser.Until(d => d.FindElement(By.CssSelector("#orders caption")).Text.StartsWith("1 order(s)", StringComparison.Ordinal)
            ? d.FindElements(By.CssSelector("#orders tbody a[data-open]")).Select(a => a.GetAttribute("data-open")).ToList()
            : null);
        Browser.Find($"#orders a[data-open='{id}']").Click();
        var part = Browser.TextOf("#detail #lines tr[data-line='l1.2']", other);

        Assert.Equal([id], listed);
        Assert.Contains($"{other} (1 per {kit}, line l1)", part, StringComparison.Ordinal);
        Assert.Contains($"{sku} (2 per {kit}, line l1)", Browser.Find("#detail #lines tr[data-line='l1.1']").Text, StringComparison.Ordinal);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task An_operator_sees_a_sku_s_backorder_queue_in_the_console_and_serves_it_after_a_goods_receipt()
    {
        var (sku, store) = await StockedAsync("store", 0);
        var (first, second) = (_catalog.Id("first"), _catalog.Id("second"));
        await PlaceAsync(Order(first, sku, 1));
        await PlaceAsync(Order(second, sku, 1));
        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        var form = Browser.Find("#backorder-form");
        form.FindElement(By.Name("sku")).SendKeys(sku);
        form.FindElement(By.CssSelector("[data-command='show']")).Click();
        var queued = Browser.TextOf("#backorder-queue caption", "2 orders waiting");
        var order = Browser.Find("#backorder-queue tbody").Text;

        await _catalog.StockAsync(sku, store, 1);
        form.FindElement(By.CssSelector("[data-command='serve']")).Click();
        Browser.TextOf("#message", "1 still wait");
        Browser.TextOf("#backorder-queue caption", "1 order waiting");

        Assert.True(order.IndexOf(first, StringComparison.Ordinal) < order.IndexOf(second, StringComparison.Ordinal), order);
        Assert.Contains(sku, queued, StringComparison.Ordinal);
        Assert.Contains(second, Browser.Find("#backorder-queue tbody").Text, StringComparison.Ordinal);
        Assert.DoesNotContain(first, Browser.Find("#backorder-queue tbody").Text, StringComparison.Ordinal);
        Assert.Equal(OrderStatus.Released, (await OrderAsync(first)).Status);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task An_operator_keeps_promotions_in_the_console_and_reads_the_day_s_ledger()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var promotion = _catalog.Id("p");
        Browser.OpenAs("/console.html", SiloHost.OperatorKey);
        var form = Browser.Find("#promotion-form");
        form.FindElement(By.Name("promotionId")).SendKeys(promotion);
        form.FindElement(By.Name("name")).SendKeys("Spring 20");
        form.FindElement(By.Name("percent")).SendKeys("20");
        form.FindElement(By.Name("skus")).SendKeys(sku);
        form.FindElement(By.CssSelector("button")).Click();
        var listed = Browser.TextOf($"#promotion-list tr[data-promotion='{promotion}']", "Spring 20");

        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2));
        await ReportAsync(id, store, "shipped");
        var order = await Host.Operator().GetFromJsonAsync<OrderView>($"/api/v1/orders/{id}", SiloHost.Json);
        var day = DateOnly.FromDateTime(order!.Invoices[0].At.UtcDateTime);
        var ledger = Browser.Find("#ledger-form");
        // The invoice's day and the next: a date input takes the date as typed in the browser's format, so it is set.
        ((IJavaScriptExecutor)Browser.Driver).ExecuteScript(
            "document.querySelector('#ledger-form [name=from]').value = arguments[0]; document.querySelector('#ledger-form [name=to]').value = arguments[1];",
            day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), day.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        ledger.FindElement(By.CssSelector("[data-command='show']")).Click();
        var invoices = Browser.TextOf("#ledger-summary tr[data-kind='invoice']", "invoices");
        Browser.Find($"#promotion-list tr[data-promotion='{promotion}'] button[data-command='remove']").Click();
        Browser.Gone($"#promotion-list tr[data-promotion='{promotion}']");

        Assert.Contains("20 %", listed, StringComparison.Ordinal);
        Assert.Contains(sku, listed, StringComparison.Ordinal);
        Assert.Equal([(promotion, 8m)], order.Lines[0].Discounts!.Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal(32m, order.Invoices[0].Total);
        Assert.Contains("invoices", invoices, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/promotions/{promotion}")).StatusCode);
        Assert.Empty(Browser.Errors());
    }

    [Fact]
    public async Task An_operator_on_the_store_page_is_offered_only_the_returns_sent_to_that_store()
    {
        var (sku, store) = await StockedAsync("store", 5);
        var other = await _catalog.LocationAsync("other", 52.5, 13.4, type: "store");
        var id = _catalog.Id("o");
        await PlaceAsync(Order(id, sku, 2));
        await ReportAsync(id, store, "shipped");
        await ReportAsync(id, store, "delivered");
        foreach (var (returnId, at) in new[] { ("rma-here", store), ("rma-there", other) })
        {
            using var announced = await Webshop.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
                new { returnId, locationId = at, lines = new[] { new { lineId = "l1", quantity = 1, reason = "damaged" } } }, SiloHost.Json);
            Assert.True(announced.IsSuccessStatusCode, await announced.Content.ReadAsStringAsync());
        }

        Browser.OpenAs("/store.html", SiloHost.OperatorKey);
        OpenLocation(store);
        var find = Browser.Find("#return-find");
        find.FindElement(By.Name("orderId")).SendKeys(id);
        find.FindElement(By.CssSelector("button")).Click();
        Browser.Find("#return-list li[data-return='rma-here'] form");
        var elsewhere = Browser.Driver.FindElements(By.CssSelector("#return-list li[data-return='rma-there']")).Count;

        // The other store's parcel is not at this counter: received from here, it would be restocked over there.
        Assert.Equal(0, elsewhere);
        Assert.Empty(Browser.Errors());
    }

    /// <summary>The answer to the page's next <paramref name="method"/> request is lost: the engine gets the request, the
    /// page a network error.</summary>
    private void LoseTheNextAnswer(bool install, string method = "POST")
    {
        var script = install
            ? """
              const send = window.fetch;
              window.fetch = async (resource, init) => {
                const response = await send(resource, init);
                if (init?.method === window.loseNextAnswer) {
                  window.loseNextAnswer = null;
                  throw new TypeError("Failed to fetch");
                }
                return response;
              };
              window.loseNextAnswer = arguments[0];
              """
            : "window.loseNextAnswer = arguments[0];";
        ((IJavaScriptExecutor)Browser.Driver).ExecuteScript(script, method);
    }

    /// <summary>The page's next request to <paramref name="path"/> gets no answer (the silo did not answer).</summary>
    private void FailTheNextRequestTo(string path) =>
        ((IJavaScriptExecutor)Browser.Driver).ExecuteScript("""
            const send = window.fetch;
            let failed = false;
            window.fetch = async (resource, init) => {
              if (!failed && String(resource).startsWith(arguments[0])) {
                failed = true;
                throw new TypeError("Failed to fetch");
              }
              return send(resource, init);
            };
            """, path);

    private void Count(int onHand)
    {
        var count = Browser.Find("#stock-count");
        var field = count.FindElement(By.Name("onHand"));
        field.Clear();
        field.SendKeys(onHand.ToString());
        count.FindElement(By.CssSelector("button")).Click();
    }

    private void ShowStock(string sku)
    {
        var find = Browser.Find("#stock-find");
        find.FindElement(By.Name("sku")).Clear();
        find.FindElement(By.Name("sku")).SendKeys(sku);
        find.FindElement(By.CssSelector("button")).Click();
    }

    private void OpenLocation(string locationId)
    {
        var pick = Browser.Find("#location-pick");
        pick.FindElement(By.Name("location")).Clear();
        pick.FindElement(By.Name("location")).SendKeys(locationId);
        pick.FindElement(By.CssSelector("button")).Click();
    }

    /// <summary>Reports <paramref name="units"/> of <paramref name="row"/>'s units not there, through its form.</summary>
    private void Reject(string row, int units)
    {
        Browser.Find($"{row} button[data-event='rejected']").Click();
        var form = Browser.Find($"{row} form[data-form='rejected']");
        var quantity = form.FindElement(By.Name("quantity"));
        quantity.Clear();
        quantity.SendKeys(units.ToString());
        form.FindElement(By.CssSelector("button[type=submit]")).Click();
    }

    /// <summary>Ships every unit left of <paramref name="row"/>, through its form.</summary>
    private void Ship(string row, string carrier, string trackingNumber)
    {
        Browser.Find($"{row} button[data-event='shipped']").Click();
        var form = Browser.Find($"{row} form[data-form='shipped']");
        form.FindElement(By.Name("carrier")).SendKeys(carrier);
        form.FindElement(By.Name("trackingNumber")).SendKeys(trackingNumber);
        form.FindElement(By.CssSelector("button[type=submit]")).Click();
    }

    private async Task<string> FarWarehouseAsync(string sku, int onHand)
    {
        var warehouse = await _catalog.LocationAsync("far", 48.1, 11.6);
        await _catalog.StockAsync(sku, warehouse, onHand);
        return warehouse;
    }

    private async Task ReportAsync(string orderId, string locationId, string type, int? quantity = null)
    {
        using var response = await Host.Operator().PostAsJsonAsync($"/api/v1/orders/{orderId}/lines/l1/events",
            new { eventId = _catalog.Id(type), locationId, type, quantity }, SiloHost.Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(string Sku, string LocationId)> StockedAsync(string type, int onHand)
    {
        var sku = await _catalog.ArticleAsync("a");
        var location = await _catalog.LocationAsync(type, 52.4, 13.1, type: type);
        await _catalog.StockAsync(sku, location, onHand);
        return (sku, location);
    }

    private static OrderBody Order(string orderId, string sku, int quantity, decimal unitPrice = 20m) => new(
        orderId,
        "c-" + orderId,
        [new OrderLineBody("l1", sku, quantity, unitPrice)],
        new DeliveryBody(DeliveryMethod.Ship, new AddressBody("DE", 52.52, 13.405, "Unter den Linden 1", "10117", "Berlin")),
        Payments: [new PaymentBody("card", unitPrice * quantity, "tok_visa_4242")],
        Currency: "EUR");

    private async Task PlaceAsync(OrderBody body)
    {
        using var response = await Webshop.PostAsJsonAsync("/api/v1/orders", body, SiloHost.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<OrderView> OrderAsync(string orderId) =>
        (await Host.Operator().GetFromJsonAsync<OrderView>($"/api/v1/orders/{orderId}", SiloHost.Json))!;

    private async Task<OrderStatsView> StatsAsync() =>
        (await Host.Operator().GetFromJsonAsync<OrderStatsView>("/api/v1/order-stats", SiloHost.Json))!;

    private async Task<CapacitySnapshot> CapacityAsync(string locationId) =>
        (await Host.Operator().GetFromJsonAsync<CapacitySnapshot>($"/api/v1/locations/{locationId}/capacity", SiloHost.Json))!;
}
