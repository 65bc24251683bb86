using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;

namespace Dom.Silo.Tests.Api;

/// <summary>Bad input is a 400 ProblemDetails naming the field, changes nothing, and never becomes a 5xx.</summary>
[Collection(ApiCollection.Name)]
public class ValidationTests(ApiFixture fixture)
{
    private const string ShipTo = """ "shipTo": { "country": "DE", "latitude": 52.5, "longitude": 13.4 } """;
    private readonly Catalog _catalog = new(fixture.Host);

    private SiloHost Host => fixture.Host;

    public static TheoryData<string, string, string> BadReservations => new()
    {
        // body ({sku} is a stocked article), the field the error must name
        { "missing id", $$"""{ {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "reservationId" },
        { "id with a slash", $$"""{ "reservationId": "a/b", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "reservationId" },
        { "id too long", $$"""{ "reservationId": "{{new string('x', 65)}}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "reservationId" },
        { "zero quantity", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 0 }] }""", "lines[0].quantity" },
        { "negative quantity", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": -3 }] }""", "lines[0].quantity" },
        { "huge quantity", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 10001 }] }""", "lines[0].quantity" },
        { "fractional quantity", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1.5 }] }""", "lines[0].quantity" },
        { "quantity beyond int", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 99999999999 }] }""", "lines[0].quantity" },
        { "quantity as string", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": "2" }] }""", "lines[0].quantity" },
        { "no lines", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [] }""", "lines" },
        { "null line", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [null] }""", "lines[0]" },
        { "duplicate sku", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }, { "sku": "{sku}", "quantity": 1 }] }""", "lines[1].sku" },
        { "unknown member", $$"""{ "reservationId": "{id}", "coupon": "X", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "coupon" },
        { "unknown nested member", $$"""{ "reservationId": "{id}", {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1, "price": 3 }] }""", "lines[0].price" },
        { "no ship-to", $$"""{ "reservationId": "{id}", "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "shipTo" },
        { "latitude out of range", $$"""{ "reservationId": "{id}", "shipTo": { "country": "DE", "latitude": 91, "longitude": 13 }, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "shipTo.latitude" },
        { "lower-case country", $$"""{ "reservationId": "{id}", "shipTo": { "country": "de", "latitude": 52, "longitude": 13 }, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "shipTo.country" },
        { "ttl too long", $$"""{ "reservationId": "{id}", "ttlSeconds": 86401, {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "ttlSeconds" },
        { "ttl zero", $$"""{ "reservationId": "{id}", "ttlSeconds": 0, {{ShipTo}}, "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "ttlSeconds" },
        { "malformed json", """{ "reservationId": """, "reservationId" },
        { "json array", """[1, 2]""", "$" },
    };

    [Theory]
    [MemberData(nameof(BadReservations))]
    public async Task A_bad_reservation_is_a_400_naming_the_field_and_holds_nothing(string because, string template, string field)
    {
        var (sku, location) = await StockedAsync();
        var body = template.Replace("{sku}", sku).Replace("{id}", _catalog.Id("r"));

        using var response = await Host.Client("dev-channel-webshop-key").PostAsync("/api/v1/reservations", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, because);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{because}: {problem}");
        Assert.Equal(10, await AvailableAsync(sku, location));
    }

    public static TheoryData<string, string, string, string> BadOrders => new()
    {
        // a member of the line, a member of the order ({in two years} is replaced), the field the error must name
        { "promised in the year 9999", "", """, "promisedBy": "9999-12-31T23:59:59Z" """, "promisedBy" },
        { "promised two years ahead", "", """, "promisedBy": "{in two years}" """, "promisedBy" },
        { "a unit price with five decimals", """, "unitPrice": 1.23456""", "", "lines[0].unitPrice" },
        { "a negative unit price", """, "unitPrice": -1""", "", "lines[0].unitPrice" },
        { "a payment with five decimals", "", """, "payments": [{ "method": "card", "amount": 1.00001 }]""", "payments[0].amount" },
        { "a payment without an amount", "", """, "payments": [{ "method": "card" }]""", "payments[0].amount" },
        { "a currency in lower case", "", """, "currency": "eur" """, "currency" },
        { "a language that is no tag", "", """, "customer": { "language": "deutsch!" } """, "customer.language" },
        { "a coupon that is no id", "", """, "coupons": ["10 % off"] """, "coupons[0]" },
        { "a coupon twice", "", """, "coupons": ["A", "a"] """, "coupons" },
        { "eleven coupons", "", """, "coupons": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11"] """, "coupons" },
        { "a negative delivery charge", "", """, "deliveryCharge": -4.95""", "deliveryCharge" },
        { "a delivery charge in fractions of a cent", "", """, "deliveryCharge": 4.955""", "deliveryCharge" },
        { "a delivery charge in fractions of a yen", "", """, "currency": "JPY", "deliveryCharge": 500.5""", "deliveryCharge" },
    };

    [Theory]
    [MemberData(nameof(BadOrders))]
    public async Task A_bad_order_is_a_400_naming_the_field_and_creates_nothing(string because, string lineMember, string orderMember, string field)
    {
        var (sku, location) = await StockedAsync();
        var id = _catalog.Id("o");
        orderMember = orderMember.Replace("{in two years}", DateTimeOffset.UtcNow.AddYears(2).ToString("O"), StringComparison.Ordinal);
        var body = $$"""
            { "orderId": "{{id}}", "customerId": "c1", "lines": [{ "lineId": "l1", "sku": "{{sku}}", "quantity": 1{{lineMember}} }],
              "delivery": { "method": "ship", "address": { "country": "DE", "latitude": 52.5, "longitude": 13.4 } }{{orderMember}} }
            """;

        using var response = await Host.Client("dev-channel-webshop-key").PostAsync("/api/v1/orders", new StringContent(body, Encoding.UTF8, "application/json"));
        using var order = await Host.Operator().GetAsync($"/api/v1/orders/{id}");

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: {(int)response.StatusCode} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{because}: {problem}");
        Assert.Equal(HttpStatusCode.NotFound, order.StatusCode);
        Assert.Equal(10, await AvailableAsync(sku, location));
    }

    public static TheoryData<string, string, string, string, string> BadNamesAndQueries => new()
    {
        // method, path, body, the field the error must name
        { "two risk subjects OR-ed", "PUT", "/api/v1/risk/lists/black/email,address", """{ "value": "x@example.com" }""", "subject" },
        { "a white-listed e-mail", "PUT", "/api/v1/risk/lists/white/email", """{ "value": "x@example.com" }""", "subject" },
        { "risk list by number", "PUT", "/api/v1/risk/lists/1/email", """{ "value": "x@example.com" }""", "list" },
        { "order status by number", "GET", "/api/v1/orders?status=42", "", "status" },
        { "two order statuses OR-ed", "GET", "/api/v1/orders?status=heldForReview,rejected", "", "status" },
        { "a query number that is not one", "GET", "/api/v1/orders?limit=abc", "", "limit" },
        { "a query time that is not one", "GET", "/api/v1/orders?createdBefore=yesterday", "", "createdBefore" },
    };

    [Theory]
    [MemberData(nameof(BadNamesAndQueries))]
    public async Task A_name_or_query_value_that_is_not_one_is_a_400_naming_it(string because, string method, string path, string body, string field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Content = body.Length > 0 ? new StringContent(body, Encoding.UTF8, "application/json") : null;
        using var response = await Host.Operator().SendAsync(request);

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: {(int)response.StatusCode} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{because}: {problem}");
    }

    [Fact]
    public async Task Names_are_still_taken_in_any_case_and_an_unknown_order_is_a_404_that_reads_well()
    {
        using var listed = await Host.Operator().PutAsJsonAsync($"/api/v1/risk/lists/Black/EMAIL", new { value = $"{_catalog.Id("x")}@example.com" }, SiloHost.Json);
        using var released = await Host.Operator().GetAsync("/api/v1/orders?status=released&limit=1");
        using var unknown = await Host.Operator().PostAsync($"/api/v1/orders/{_catalog.Id("nope")}/retry-backorders", null);

        var problem = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.OK, HttpStatusCode.NotFound), (listed.StatusCode, released.StatusCode, unknown.StatusCode));
        Assert.Equal("Order not found.", problem.GetProperty("detail").GetString());
    }

    public static TheoryData<string, string, string, string> BadOperatorCalls => new()
    {
        { "negative on hand", "PUT", "/api/v1/stock/{location}/{sku}", """{ "onHand": -1 }""" },
        { "on hand missing", "PUT", "/api/v1/stock/{location}/{sku}", """{ "safetyStock": 1 }""" },
        { "on hand too large", "PUT", "/api/v1/stock/{location}/{sku}", """{ "onHand": 10000001 }""" },
        { "unknown stock member", "PUT", "/api/v1/stock/{location}/{sku}", """{ "onHand": 3, "reserved": 1 }""" },
        { "bad sku in path", "PUT", "/api/v1/stock/{location}/bad%20sku", """{ "onHand": 3 }""" },
        { "negative capacity", "PUT", "/api/v1/locations/{location}/capacity", """{ "limit": -1 }""" },
        { "capacity date far ahead", "PUT", "/api/v1/locations/{location}/capacity", """{ "date": "2099-01-01", "limit": 3 }""" },
        { "capacity date not a date", "PUT", "/api/v1/locations/{location}/capacity", """{ "date": "tomorrow", "limit": 3 }""" },
        { "location without type", "PUT", "/api/v1/locations/{location}", """{ "name": "x", "latitude": 1, "longitude": 1, "capacityPerDay": 1 }""" },
        { "location with unknown type", "PUT", "/api/v1/locations/{location}", """{ "name": "x", "type": "castle", "latitude": 1, "longitude": 1, "capacityPerDay": 1 }""" },
        { "location with two types", "PUT", "/api/v1/locations/{location}", """{ "name": "x", "type": "partner, logisticsProvider", "latitude": 1, "longitude": 1, "capacityPerDay": 1 }""" },
        { "location with a type as a number", "PUT", "/api/v1/locations/{location}", """{ "name": "x", "type": "1", "latitude": 1, "longitude": 1, "capacityPerDay": 1 }""" },
        { "location longitude out of range", "PUT", "/api/v1/locations/{location}", """{ "name": "x", "type": "store", "latitude": 1, "longitude": 181, "capacityPerDay": 1 }""" },
        { "location id differs from path", "PUT", "/api/v1/locations/{location}", """{ "locationId": "other", "name": "x", "type": "store", "latitude": 1, "longitude": 1, "capacityPerDay": 1 }""" },
        { "handling per unit finer than sourcing counts", "PUT", "/api/v1/locations/{location}", """{ "name": "x", "type": "store", "latitude": 1, "longitude": 1, "capacityPerDay": 1, "costs": { "handlingPerUnit": 0.0014 } }""" },
        { "article without name", "PUT", "/api/v1/articles/{sku}", """{ "kind": "physical" }""" },
        { "article with blank name", "PUT", "/api/v1/articles/{sku}", """{ "name": "  " }""" },
        { "key for operator role", "POST", "/api/v1/api-keys", """{ "role": "operator", "scope": "x" }""" },
        { "key without scope", "POST", "/api/v1/api-keys", """{ "role": "store" }""" },
        { "store key for no location", "POST", "/api/v1/api-keys", """{ "role": "store", "scope": "no-such-store" }""" },
    };

    [Theory]
    [MemberData(nameof(BadOperatorCalls))]
    public async Task A_bad_operator_call_is_a_400_and_changes_nothing(string because, string method, string template, string body)
    {
        var (sku, location) = await StockedAsync();
        var path = template.Replace("{sku}", sku).Replace("{location}", location);

        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await Host.Operator().SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var slot = await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);
        Assert.Equal((10, 0), (slot!.OnHand, slot.SafetyStock));
        var capacity = await Host.Operator().GetFromJsonAsync<JsonElement>($"/api/v1/locations/{location}/capacity");
        Assert.Equal(100, capacity.GetProperty("limit").GetInt32());
        var article = await Host.Operator().GetFromJsonAsync<JsonElement>($"/api/v1/articles/{sku}");
        Assert.Equal("a", article.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_bundle_of_bundles_and_a_virtual_location_that_is_none_are_refused_and_store_nothing()
    {
        var (sku, location) = await StockedAsync();
        var (kit, outer, card) = (_catalog.Id("kit"), _catalog.Id("outer"), _catalog.Id("card"));
        using var inner = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku, quantity = 1 } } }, SiloHost.Json);

        using var nested = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{outer}", new { name = "outer", components = new[] { new { sku = kit, quantity = 1 } } }, SiloHost.Json);
        using var notVirtual = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{card}", new { name = "card", kind = "giftCard", fulfilledBy = location }, SiloHost.Json);

        Assert.Equal(HttpStatusCode.OK, inner.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (nested.StatusCode, notVirtual.StatusCode));
        Assert.True((await nested.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("components[0].sku", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/articles/{outer}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/articles/{card}")).StatusCode);
    }

    [Fact]
    public async Task A_bundle_of_an_article_that_does_not_exist_is_refused_naming_the_component_and_stores_nothing()
    {
        var (sku, _) = await StockedAsync();
        var (kit, missing) = (_catalog.Id("kit"), _catalog.Id("missing"));

        using var refused = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku, quantity = 1 }, new { sku = missing, quantity = 1 } } });
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(missing, problem.GetProperty("errors").GetProperty("components[1].sku")[0].GetString(), StringComparison.Ordinal);
        Assert.False(problem.GetProperty("errors").TryGetProperty("components[0].sku", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Operator().GetAsync($"/api/v1/articles/{kit}")).StatusCode);
        // Once the component exists, the same PUT stores the bundle.
        using var component = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{missing}", new { name = "now there" });
        using var stored = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku, quantity = 1 }, new { sku = missing, quantity = 1 } } });
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (component.StatusCode, stored.StatusCode));
    }

    [Fact]
    public async Task A_component_becomes_a_bundle_only_once_no_bundle_lists_it()
    {
        var (sku, _) = await StockedAsync();
        var (part, kit) = (_catalog.Id("part"), _catalog.Id("kit"));
        var partAsBundle = new { name = "part", components = new[] { new { sku, quantity = 2 } } };
        using var created = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{part}", new { name = "part" });
        using var listed = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku = part, quantity = 1 } } });

        using var refused = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{part}", partAsBundle);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        using var dropped = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku, quantity = 1 } } });
        using var accepted = await Host.Operator().PutAsJsonAsync($"/api/v1/articles/{part}", partAsBundle);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (created.StatusCode, listed.StatusCode));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(kit, problem.GetProperty("errors").GetProperty("components")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (dropped.StatusCode, accepted.StatusCode));
        var stored = await Host.Operator().GetFromJsonAsync<JsonElement>($"/api/v1/articles/{part}");
        Assert.Equal(sku, stored.GetProperty("components")[0].GetProperty("sku").GetString());
    }

    [Fact]
    public async Task Two_articles_naming_each_other_at_once_make_at_most_one_bundle_and_leave_nothing_stuck()
    {
        var (sku, _) = await StockedAsync();
        var (a, b) = (_catalog.Id("first"), _catalog.Id("second"));
        var op = Host.Operator();
        foreach (var plainFirst in new[] { a, b })
        {
            using var created = await op.PutAsJsonAsync($"/api/v1/articles/{plainFirst}", new { name = "plain" });
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        var statuses = await PutAtOnceAsync(
            ($"/api/v1/articles/{a}", new { name = "a", components = new[] { new { sku = b, quantity = 1 } } }),
            ($"/api/v1/articles/{b}", new { name = "b", components = new[] { new { sku = a, quantity = 1 } } }));

        // Neither waited on the other; whichever lost (or both) can be put right at once.
        Assert.All(statuses, status => Assert.Contains(status, new[] { HttpStatusCode.OK, HttpStatusCode.BadRequest }));
        Assert.Contains(HttpStatusCode.BadRequest, statuses);
        // The one stored as a bundle (or, when both lost, the first) is a bundle again; the other a plain article.
        var (kit, loser) = statuses[1] == HttpStatusCode.OK ? (b, a) : (a, b);
        using var plain = await op.PutAsJsonAsync($"/api/v1/articles/{loser}", new { name = "plain" });
        using var bundle = await op.PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku = loser, quantity = 1 }, new { sku, quantity = 1 } } });
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (plain.StatusCode, bundle.StatusCode));
    }

    [Fact]
    public async Task Two_changes_of_one_bundle_at_once_leave_exactly_the_stored_components_knowing_it()
    {
        var (sku, _) = await StockedAsync();
        var (kit, c, d) = (_catalog.Id("kit"), _catalog.Id("c"), _catalog.Id("d"));
        var op = Host.Operator();
        foreach (var component in new[] { c, d })
        {
            using var created = await op.PutAsJsonAsync($"/api/v1/articles/{component}", new { name = "component" });
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        }

        using var first = await op.PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku = c, quantity = 1 } } });

        var statuses = await PutAtOnceAsync(
            ($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku = d, quantity = 1 } } }),
            ($"/api/v1/articles/{kit}", new { name = "kit", components = new[] { new { sku = c, quantity = 1 } } }));

        // One change at a time: the other waits its turn (a 409 to retry) or comes after; either way the components the
        // stored kit lists know it, and the one it does not list is free to become a bundle.
        Assert.All(statuses, status => Assert.Contains(status, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        var stored = (await op.GetFromJsonAsync<JsonElement>($"/api/v1/articles/{kit}")).GetProperty("components")[0].GetProperty("sku").GetString();
        var other = stored == c ? d : c;
        using var listedBecomesBundle = await op.PutAsJsonAsync($"/api/v1/articles/{stored}", new { name = "x", components = new[] { new { sku, quantity = 1 } } });
        using var freeBecomesBundle = await op.PutAsJsonAsync($"/api/v1/articles/{other}", new { name = "x", components = new[] { new { sku, quantity = 1 } } });
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.OK), (first.StatusCode, listedBecomesBundle.StatusCode, freeBecomesBundle.StatusCode));
    }

    /// <summary>Sends the operator's PUTs at once; their status codes, in the order given.</summary>
    private async Task<List<HttpStatusCode>> PutAtOnceAsync(params (string Path, object Body)[] puts)
    {
        var answers = await Task.WhenAll(puts.Select(put => Host.Operator().PutAsJsonAsync(put.Path, put.Body)));
        var statuses = answers.Select(answer => answer.StatusCode).ToList();
        foreach (var answer in answers)
        {
            answer.Dispose();
        }

        return statuses;
    }

    [Fact]
    public async Task An_enum_value_that_is_none_of_its_names_is_named_with_the_names_it_may_take()
    {
        var location = _catalog.Id("l");

        using var response = await Host.Operator().PutAsJsonAsync($"/api/v1/locations/{location}",
            new { name = "x", type = "warehouse, store", latitude = 1, longitude = 1, capacityPerDay = 1 });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        using var stored = await Host.Operator().GetAsync($"/api/v1/locations/{location}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("Must be one of: warehouse, store", problem.GetProperty("errors").GetProperty("type")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_problem_and_a_non_json_body_a_415()
    {
        var (sku, location) = await StockedAsync();
        var channel = Host.Client("dev-channel-webshop-key");
        var huge = $$"""{ "reservationId": "{{_catalog.Id("r")}}", {{ShipTo}}, "lines": [], "padding": "{{new string('x', 70_000)}}" }""";

        using var tooLarge = await channel.PostAsync("/api/v1/reservations", new StringContent(huge, Encoding.UTF8, "application/json"));
        using var notJson = await channel.PostAsync("/api/v1/reservations", new StringContent("reservationId=1", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal(10, await AvailableAsync(sku, location));
    }

    [Fact]
    public async Task No_generated_reservation_body_gets_a_5xx_or_leaks_internals()
    {
        var (sku, _) = await StockedAsync();
        var channel = Host.Client("dev-channel-webshop-key");
        var random = new Random(20261126);
        object?[] texts = [sku, "", "a/b", "ünï", " ", new string('z', 70), null, 7, true];
        object?[] numbers = [0, -1, 1, 3, int.MaxValue, long.MaxValue, 1.5, -0.0, 1e300, "2", null, false];
        T Any<T>(T[] values) => values[random.Next(values.Length)];

        for (var i = 0; i < 300; i++)
        {
            var lines = Enumerable.Range(0, random.Next(0, 4))
                .Select(_ => new Dictionary<string, object?> { ["sku"] = Any(texts), ["quantity"] = Any(numbers) })
                .ToList();
            var body = new Dictionary<string, object?>
            {
                ["reservationId"] = Any(texts),
                ["ttlSeconds"] = Any(numbers),
                ["shipTo"] = random.Next(5) == 0 ? null : new Dictionary<string, object?> { ["country"] = Any(texts), ["latitude"] = Any(numbers), ["longitude"] = Any(numbers) },
                ["lines"] = random.Next(8) == 0 ? Any(texts) : lines,
            };
            var json = JsonSerializer.Serialize(body);

            using var response = await channel.PostAsync("/api/v1/reservations", new StringContent(json, Encoding.UTF8, "application/json"));

            var answer = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {json}: {answer}");
            Assert.DoesNotContain("   at ", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("Dom.", answer, StringComparison.Ordinal);
        }
    }

    private async Task<(string Sku, string Location)> StockedAsync()
    {
        var sku = await _catalog.ArticleAsync("a");
        var location = await _catalog.LocationAsync("l", 52.4, 13.1);
        await _catalog.StockAsync(sku, location, 10);
        return (sku, location);
    }

    private async Task<int> AvailableAsync(string sku, string locationId) =>
        (await Host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{locationId}/{sku}", SiloHost.Json))!.Available;
}
