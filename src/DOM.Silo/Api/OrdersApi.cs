using System.Security.Claims;
using System.Text.Json;
using Dom.Access;
using Dom.Domain.Money;
using Dom.Grains.Hosting;
using Dom.Orders;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Dom.Silo.Api;

public sealed record AddressBody(string? Country, double? Latitude, double? Longitude, string? Street = null, string? PostalCode = null, string? City = null);

public sealed record DeliveryBody(DeliveryMethod? Method, AddressBody? Address, string? PickupLocationId = null);

public sealed record OrderLineBody(string? LineId, string? Sku, int? Quantity, decimal? UnitPrice = null);

public sealed record CustomerBody(string? Email = null, string? Name = null, string? Language = null);

public sealed record PaymentBody(string? Method, decimal? Amount, string? Instrument = null);

/// <summary>An order as a channel sends it. The channel comes from the caller's key.</summary>
public sealed record OrderBody(
    string? OrderId,
    string? CustomerId,
    List<OrderLineBody?>? Lines,
    DeliveryBody? Delivery,
    string? ReservationId = null,
    CustomerBody? Customer = null,
    AddressBody? BillingAddress = null,
    List<PaymentBody?>? Payments = null,
    string? Currency = null,
    bool? Priority = null,
    DateTimeOffset? PromisedBy = null,
    List<string?>? Coupons = null,
    decimal? DeliveryCharge = null);

/// <summary>A location's or partner's event for a line.</summary>
public sealed record FulfilmentBody(string? EventId, string? LocationId, FulfilmentEventType? Type, int? Quantity = null, string? Carrier = null, string? TrackingNumber = null);

/// <summary>What to cancel: the whole order (no body), a line (<c>lineId</c>), or some of its units (<c>quantity</c>, with
/// the <c>cancelId</c> that makes it idempotent); and why (<c>reason</c>, a <see cref="CancelReason"/>; none: not said).</summary>
public sealed record CancelBody(string? LineId = null, int? Quantity = null, string? CancelId = null, string? Reason = null);

/// <summary>Where what is left of an order goes from now on (<c>address</c>), once per <c>changeId</c>.</summary>
public sealed record AddressChangeBody(string? ChangeId, AddressBody? Address);

/// <summary>The store a click &amp; collect order is collected at from now on (<c>locationId</c>), once per <c>changeId</c>.</summary>
public sealed record PickupStoreChangeBody(string? ChangeId, string? LocationId);

/// <summary>An order's customer messages, oldest first.</summary>
public sealed record CustomerMessages(IReadOnlyList<CustomerMessage> Items);

/// <summary>Money received for a payment settled later, a chargeback or its reversal, for payment number
/// <c>tender</c> (0, the first, when left out).</summary>
public sealed record PaymentEventBody(string? EventId, PaymentEventType? Type, decimal? Amount, int? Tender = null, string? InvoiceId = null, string? Reference = null);

public sealed record ReviewBody(string? Decision, string? Note = null);

/// <summary>Money given back without goods coming back (an appeasement), once per <c>creditId</c>: <c>amount</c> for
/// <c>reason</c>, against line <c>lineId</c> or (left out) the order; <c>note</c> in the caller's own words.</summary>
public sealed record CreditBody(string? CreditId, decimal? Amount, string? Reason, string? LineId = null, string? Note = null);

/// <summary>A page of the order list; pass <paramref name="Next"/> as <c>createdBefore</c> and <paramref name="NextAfter"/>
/// as <c>after</c> for the next page (null at the last page).</summary>
public sealed record OrderPage(IReadOnlyList<OrderSummary> Items, DateTimeOffset? Next, string? NextAfter = null);

/// <summary>The operator's KPIs: orders per status; the open ones by age (<paramref name="OpenByAge"/>: under 1 hour,
/// 1–4 hours, 4–24 hours, 1–3 days, 3 days and more) and how many of them are late; how many delivered orders kept
/// their promise and their cycle time from intake to the last unit delivered (<paramref name="DeliveredByCycleTime"/>:
/// under 1 day, 1–2, 2–3, 3–5, 5–7 days, 7 days and more); and inventory accuracy: of the units allocated at
/// locations (cancelled ones not counted), how many a location reported not there; and the return rate: of the units
/// that reached customers (shipped to them, or picked up), how many came back in returns received; and the units
/// cancelled by reason (<paramref name="CancelledUnitsByReason"/>: each reason by name, and <c>unspecified</c> for those
/// cancelled without one); the credit notes given by reason (<paramref name="CreditsByReason"/>); and the units received
/// back by the reason their return gave (<paramref name="ReturnedUnitsByReason"/>: the 20 with most units, the rest under
/// <c>~other</c>).</summary>
public sealed record OrderStatsView(
    DateTimeOffset At,
    IReadOnlyDictionary<string, int> ByStatus,
    int Open,
    int Late,
    IReadOnlyList<int> OpenByAge,
    int Delivered,
    int DeliveredOnTime,
    IReadOnlyList<int> DeliveredByCycleTime,
    int AllocatedUnits,
    int RejectedUnits,
    int ShippedUnits,
    int ReturnedUnits,
    int OutstandingOrders,
    int ChargedBackOrders,
    IReadOnlyDictionary<string, int> CancelledUnitsByReason,
    IReadOnlyDictionary<string, int> CreditsByReason,
    IReadOnlyDictionary<string, int> ReturnedUnitsByReason);

/// <summary>Where a relist goes on from (an order id; null: the first) and how many orders it takes (1 to 1,000; 500).</summary>
public sealed record RelistBody(string? After = null, int? Limit = null);

/// <summary>What a relist did: orders listed again, those it could not (gone, or the list did not take them), and where
/// the next call goes on from (null: done).</summary>
public sealed record RelistAnswer(int Relisted, int NotRelisted, string? Next);

/// <summary>Orders to read in one call (1 to <see cref="OrdersApi.MaxLookup"/> ids).</summary>
public sealed record LookupBody(List<string?>? OrderIds);

/// <summary>The orders of a lookup the caller may see, in the order asked for.</summary>
public sealed record OrderViews(IReadOnlyList<OrderView> Items);

public static class OrdersApi
{
    private const int MaxPage = 500;

    /// <summary>The most orders one lookup reads.</summary>
    public const int MaxLookup = 100;

    /// <summary>Coupon codes an order may carry.</summary>
    private const int MaxCoupons = 10;

    /// <summary>The most a payment or the delivery charge may be (amounts in VND are large numbers).</summary>
    private const decimal MaxAmount = 10_000_000m;

    /// <summary>An order's currency when it names none.</summary>
    private const string DefaultCurrency = "EUR";

    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/orders").WithTags("Orders");
        api.MapPost("/", CreateAsync).RequireAuthorization(Policies.Channel)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/", ListAsync).RequireAuthorization(Policies.AnyRole);
        api.MapGet("/{orderId}", GetAsync).RequireAuthorization(Policies.AnyRole).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/lookup", LookupAsync).RequireAuthorization(Policies.AnyRole);
        api.MapPost("/relist", RelistAsync).RequireAuthorization(Policies.Operator);
        // A change to an order: not found, not allowed in its state (422), or an event id used with another body (409).
        foreach (var change in new[]
        {
            api.MapPost("/{orderId}/lines/{lineId}/events", ReportAsync).RequireAuthorization(Policies.Fulfilment),
            api.MapPost("/{orderId}/cancel", CancelAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapPost("/{orderId}/address", ChangeAddressAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapPost("/{orderId}/pickup-store", ChangePickupStoreAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapPost("/{orderId}/payment-events", RecordPaymentAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapPost("/{orderId}/credits", CreditAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapGet("/{orderId}/messages", MessagesAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapPost("/{orderId}/review", ReviewAsync).RequireAuthorization(Policies.Operator),
            api.MapPost("/{orderId}/lines/{lineId}/wrong-item", WrongItemAsync).RequireAuthorization(Policies.ChannelOrOperator),
            api.MapPost("/{orderId}/retry-backorders", RetryBackordersAsync).RequireAuthorization(Policies.Operator),
        })
        {
            change.ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        }

        app.MapGet("/api/v1/order-stats", StatsAsync).WithTags("Orders").RequireAuthorization(Policies.Operator);
        return api;
    }

    /// <summary>Every bucket of the order list; a read asks them all and merges.</summary>
    private static IEnumerable<IOrderIndexGrain> IndexBuckets(IGrainFactory grains) =>
        Enumerable.Range(0, Dom.Grains.Orders.OrderIndexGrain.Buckets).Select(b => grains.Get<IOrderIndexGrain>(b));

    private static async Task<Results<Ok<OrderStatsView>, ValidationProblem>> StatsAsync(IGrainFactory grains, string? channel)
    {
        var validation = new Validation().Id("channel", channel, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var stats = OrderStats.Sum(await Task.WhenAll(IndexBuckets(grains).Select(bucket => bucket.StatsAsync(channel))));
        return TypedResults.Ok(new OrderStatsView(
            stats.At,
            Enum.GetValues<OrderStatus>().ToDictionary(s => JsonNamingPolicy.CamelCase.ConvertName(s.ToString()), s => stats.ByStatus[(int)s]),
            stats.Open,
            stats.Late,
            stats.OpenByAge,
            stats.Delivered,
            stats.DeliveredOnTime,
            stats.DeliveredByCycleTime,
            stats.AllocatedUnits,
            stats.RejectedUnits,
            stats.ShippedUnits,
            stats.ReturnedUnits,
            stats.OutstandingOrders,
            stats.ChargedBackOrders,
            Enum.GetValues<CancelReason>().Select(r => (CancelReason?)r).Append(null).ToDictionary(
                r => r is { } reason ? JsonNamingPolicy.CamelCase.ConvertName(reason.ToString()) : "unspecified",
                r => stats.CancelledByReason?.ElementAtOrDefault(OrderStats.ReasonBucket(r)) ?? 0),
            Enum.GetValues<CreditReason>().ToDictionary(r => JsonNamingPolicy.CamelCase.ConvertName(r.ToString()), r => stats.CreditsByReason?.ElementAtOrDefault((int)r) ?? 0),
            stats.ReturnedByReason ?? new Dictionary<string, int>()));
    }

    private static async Task<Results<Created<OrderView>, ValidationProblem, ProblemHttpResult>> CreateAsync(OrderBody body, ClaimsPrincipal user, IGrainFactory grains, DomClock clock)
    {
        var validation = Validate(body, clock.UtcNow);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var request = new CreateOrderRequest(
            body.OrderId!,
            user.Scope(),
            body.CustomerId!,
            body.ReservationId,
            body.Lines!.Select(l => new OrderLineRequest(l!.LineId!, l.Sku!, l.Quantity!.Value, l.UnitPrice ?? 0m)).ToList(),
            new Delivery(body.Delivery!.Method!.Value, ToAddress(body.Delivery.Address!), body.Delivery.PickupLocationId),
            body.Customer is { } customer ? new CustomerData(customer.Email, customer.Name, customer.Language) : null,
            body.BillingAddress is { } billing ? ToAddress(billing) : null,
            (body.Payments ?? []).Select(p => new Payment(p!.Method!, p.Instrument, p.Amount ?? 0m)).ToList(),
            body.Currency ?? DefaultCurrency,
            body.Priority ?? false,
            body.PromisedBy,
            null,
            body.Coupons is { Count: > 0 } coupons ? coupons.Select(c => c!).ToList() : null,
            body.DeliveryCharge ?? 0m);
        var result = await grains.Get<IOrderGrain>(request.OrderId).CreateAsync(request);
        return result.Outcome switch
        {
            OrderOutcome.Created or OrderOutcome.Replayed => TypedResults.Created($"/api/v1/orders/{request.OrderId}", result.Order),
            OrderOutcome.IdempotencyConflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Order id already used.", detail: result.Problem),
            OrderOutcome.Unsupported => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not supported.", detail: result.Problem),
            OrderOutcome.CouponNotValid => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Coupon not valid.", detail: result.Problem),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The reservation does not fit the order.", detail: result.Problem),
        };
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> GetAsync(string orderId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return VisibleTo(user, await grains.Get<IOrderGrain>(orderId).GetAsync()) is { } view ? TypedResults.Ok(view) : Answers.NotFound($"Order {orderId}");
    }

    /// <summary>Reads several orders in one call (a page of the list, say), each as <see cref="GetAsync"/> would answer
    /// it: an order the caller may not see, or that does not exist, is left out.</summary>
    private static async Task<Results<Ok<OrderViews>, ValidationProblem>> LookupAsync(LookupBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation();
        if (body.OrderIds is not { Count: >= 1 and <= MaxLookup } ids)
        {
            validation.Add("orderIds", $"Must list 1 to {MaxLookup} order ids.");
        }
        else
        {
            for (var i = 0; i < ids.Count; i++)
            {
                validation.Id($"orderIds[{i}]", ids[i]);
            }
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var wanted = body.OrderIds!.Distinct(StringComparer.Ordinal).ToList();
        var views = await Task.WhenAll(wanted.Select(id => grains.Get<IOrderGrain>(id!).GetAsync()));
        return TypedResults.Ok(new OrderViews(views.Select(view => VisibleTo(user, view)).OfType<OrderView>().ToList()));
    }

    /// <summary>Lists orders again as this build lists them (after an upgrade: the KPIs over orders last changed by an
    /// earlier build then count what it did not keep), a page at a time in order id order: the caller goes on with
    /// <c>next</c> until it is null.</summary>
    private static async Task<Results<Ok<RelistAnswer>, ValidationProblem>> RelistAsync(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] RelistBody? body, IGrainFactory grains)
    {
        var validation = new Validation().Id("after", body?.After, required: false).Int("limit", body?.Limit, 1, 1_000, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var limit = body?.Limit ?? 500;
        var ids = (await Task.WhenAll(IndexBuckets(grains).Select(bucket => bucket.OrderIdsAsync(body?.After, limit))))
            .SelectMany(page => page).Order(StringComparer.Ordinal).Take(limit).ToList();
        var relisted = 0;
        foreach (var chunk in ids.Chunk(50))
        {
            relisted += (await Task.WhenAll(chunk.Select(id => RelistOneAsync(grains.Get<IOrderGrain>(id))))).Count(done => done);
        }

        return TypedResults.Ok(new RelistAnswer(relisted, ids.Count - relisted, ids.Count == limit ? ids[^1] : null));
    }

    /// <summary>Relists one order; one that cannot answer (its storage down, its journal damaged) counts as not relisted
    /// rather than failing the page, so a relist gets past it (a later one may take it).</summary>
    private static async Task<bool> RelistOneAsync(IOrderGrain order)
    {
        try
        {
            return await order.RelistAsync();
        }
        catch (Exception exception) when (exception is StorageUnavailableException or TimeoutException or Dom.Grains.Journal.JournalDamagedException)
        {
            return false;
        }
    }

    private static async Task<Results<Ok<OrderPage>, ValidationProblem>> ListAsync(
        ClaimsPrincipal user,
        IGrainFactory grains,
        string? status,
        string? channel,
        string? customerId,
        string? locationId,
        string? returnsAt,
        bool? late,
        bool? open,
        bool? outstanding,
        bool? chargedBack,
        string? sku,
        DateTimeOffset? createdBefore,
        string? after,
        int? limit)
    {
        var validation = new Validation()
            .Id("after", after, required: false)
            .Id("sku", sku, required: false)
            .Id("channel", channel, required: false)
            .Id("customerId", customerId, required: false)
            .Id("locationId", locationId, required: false)
            .Id("returnsAt", returnsAt, required: false)
            .Int("limit", limit, 1, MaxPage, required: false);
        var wanted = validation.OneOf<OrderStatus>("status", status);

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // Channels see their own orders; stores and partners the orders with lines at their location. A filter naming
        // another channel or location matches none of those.
        if (user.IsInRole(nameof(ApiRole.Channel)))
        {
            if (channel is not null && channel != user.Scope())
            {
                return TypedResults.Ok(new OrderPage([], null));
            }

            channel = user.Scope();
        }
        else if (!user.IsOperator())
        {
            // Nor does a store or partner learn which orders have money due or were charged back (the order's money is
            // the channel's), or which hold an article on lines elsewhere.
            if ((locationId is not null && locationId != user.Scope()) || (returnsAt is not null && returnsAt != user.Scope())
                || outstanding is not null || chargedBack is not null || sku is not null)
            {
                return TypedResults.Ok(new OrderPage([], null));
            }

            // The returns on their way to a store are its business, whether or not it fulfilled the order.
            locationId = returnsAt is null ? user.Scope() : locationId;
        }

        var query = new OrderQuery(wanted, channel, customerId, locationId, late, createdBefore, (limit ?? 50) + 1, createdBefore is null ? null : after, open, returnsAt, outstanding, chargedBack, sku);
        var buckets = await Task.WhenAll(IndexBuckets(grains).Select(bucket => bucket.QueryAsync(query)));
        var items = buckets.SelectMany(b => b).OrderByDescending(o => o.CreatedAt).ThenBy(o => o.OrderId, StringComparer.Ordinal).Take(query.Limit).ToList();
        var page = items.Take(query.Limit - 1).ToList();
        var last = items.Count > page.Count ? page[^1] : null;
        if (!user.IsOperator() && !user.IsInRole(nameof(ApiRole.Channel)))
        {
            // A store's or partner's list names no other location; the order's value is the channel's. Orders held for
            // review are not released to it yet (such a page can come out shorter than the limit; the next goes on
            // after the last order looked at).
            page = page.Where(o => o.Status != OrderStatus.HeldForReview)
                .Select(o => o with { Locations = o.Locations.Contains(user.Scope()) ? [user.Scope()] : [], Total = 0m, Outstanding = 0m, ChargedBack = 0m, ReturnsAt = o.ReturnsAt?.Contains(user.Scope()) == true ? [user.Scope()] : null })
                .ToList();
        }

        return TypedResults.Ok(last is not null ? new OrderPage(page, last.CreatedAt, last.OrderId) : new OrderPage(page, null));
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> ReportAsync(
        string orderId, string lineId, FulfilmentBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("orderId", orderId)
            .Id("lineId", lineId)
            .Id("eventId", body.EventId)
            .Id("locationId", body.LocationId)
            .Required("type", body.Type)
            .Int("quantity", body.Quantity, 1, Validation.MaxQuantity, required: false)
            .Text("carrier", body.Carrier, 100, required: false)
            .Text("trackingNumber", body.TrackingNumber, 100, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.IsOperator() && user.Scope() != body.LocationId)
        {
            return Answers.Forbidden();
        }

        // A location with no part in the order gets "Order not found." from the grain, whatever the order's state; and so
        // does a store or partner while the order is held for review (not released to it yet), which the grain refuses
        // changing nothing.
        var result = await grains.Get<IOrderGrain>(orderId).ReportAsync(
            new FulfilmentEvent(body.EventId!, lineId, body.LocationId!, body.Type!.Value, body.Quantity, body.Carrier, body.TrackingNumber));
        return !user.IsOperator() && result is { Status: OrderCommandStatus.NotAllowed, Order.Status: OrderStatus.HeldForReview }
            ? Answers.NotFound($"Order {orderId}")
            : Answer(result, user);
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> CancelAsync(
        string orderId, [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CancelBody? body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var units = body?.Quantity is not null || body?.CancelId is not null;
        var validation = new Validation().Id("orderId", orderId).Id("lineId", body?.LineId, required: units);
        if (units)
        {
            // Some units of a line: how many, and the id that answers a retry as the first.
            validation.Int("quantity", body!.Quantity, 1, Validation.MaxQuantity).Id("cancelId", body.CancelId);
        }

        var reason = validation.OneOf<CancelReason>("reason", body?.Reason);

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return Answer(units ? await order.CancelUnitsForAsync(body!.CancelId!, body.LineId!, body.Quantity!.Value, reason) : await order.CancelForAsync(body?.LineId, reason), user);
    }

    /// <summary>Sends what is left of a shipped order to another address (see <see cref="IOrderGrain.ChangeAddressAsync"/>);
    /// an operator's change is vouched for (it may leave the billing address's country).</summary>
    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> ChangeAddressAsync(
        string orderId, AddressChangeBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Id("changeId", body.ChangeId).Required("address", body.Address);
        if (body.Address is { } address)
        {
            ValidateAddress(validation, "address.", address);
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return Answer(await order.ChangeAddressAsync(body.ChangeId!, ToAddress(body.Address!), vouched: user.IsOperator()), user);
    }

    /// <summary>Has a click &amp; collect order collected at another store (see <see cref="IOrderGrain.ChangePickupStoreAsync"/>).</summary>
    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> ChangePickupStoreAsync(
        string orderId, PickupStoreChangeBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Id("changeId", body.ChangeId).Id("locationId", body.LocationId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return Answer(await order.ChangePickupStoreAsync(body.ChangeId!, body.LocationId!), user);
    }

    /// <summary>The order's customer messages written out in the customer's language (the channel's own orders, or an
    /// operator's): a channel that sends its messages itself renders them from here.</summary>
    private static async Task<Results<Ok<CustomerMessages>, ValidationProblem, ProblemHttpResult>> MessagesAsync(string orderId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null || await order.MessagesAsync() is not { } messages)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return TypedResults.Ok(new CustomerMessages(messages));
    }

    /// <summary>Records money received for a payment settled later (an invoice paid in part or in full), a chargeback or
    /// its reversal: the order's channel or an operator (for the debtor ledger or the payment service).</summary>
    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> RecordPaymentAsync(string orderId, PaymentEventBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("orderId", orderId)
            .Id("eventId", body.EventId)
            .Required("type", body.Type)
            .Int("tender", body.Tender, 0, Validation.MaxLines, required: false)
            .Id("invoiceId", body.InvoiceId, required: false)
            .Text("reference", body.Reference, 200, required: false)
            .Money("amount", body.Amount, 100_000_000m, required: true);
        if (body.Amount is 0m)
        {
            validation.Add("amount", "Must be more than 0.");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return Answer(await order.RecordPaymentAsync(new PaymentEvent(body.EventId!, body.Type!.Value, body.Tender ?? 0, body.Amount!.Value, body.InvoiceId, body.Reference)), user);
    }

    /// <summary>Gives money back without goods coming back (see <see cref="IOrderGrain.CreditAsync"/>): the order's channel
    /// (its customer service) or an operator.</summary>
    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> CreditAsync(string orderId, CreditBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("orderId", orderId)
            .Id("creditId", body.CreditId)
            .Id("lineId", body.LineId, required: false)
            .Text("note", body.Note, 500, required: false)
            .Money("amount", body.Amount, 100_000_000m, required: true)
            .Required("reason", body.Reason);
        if (body.Amount is 0m)
        {
            validation.Add("amount", "Must be more than 0.");
        }

        var reason = validation.OneOf<CreditReason>("reason", body.Reason);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return Answer(await order.CreditAsync(new CreditRequest(body.CreditId!, body.LineId, body.Amount!.Value, reason!.Value, body.Note)), user);
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> ReviewAsync(string orderId, ReviewBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Text("note", body.Note, 500, required: false);
        if (body.Decision is not ("release" or "reject"))
        {
            validation.Add("decision", "Must be 'release' or 'reject'.");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return Answer(await grains.Get<IOrderGrain>(orderId).ReviewAsync(new ReviewDecision(body.Decision == "release", body.Note)), user);
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> WrongItemAsync(string orderId, string lineId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Id("lineId", lineId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return Answer(await order.ReportWrongItemAsync(lineId), user);
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> RetryBackordersAsync(string orderId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId);
        return validation.IsValid ? Answer(await grains.Get<IOrderGrain>(orderId).RetryBackordersAsync(), user) : validation.Problem();
    }

    internal static Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult> Answer(OrderCommandResult result, ClaimsPrincipal user) => result.Status switch
    {
        OrderCommandStatus.Done or OrderCommandStatus.AlreadyDone when VisibleTo(user, result.Order) is { } view => TypedResults.Ok(view),
        OrderCommandStatus.NotAllowed => TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not allowed in the current state.", detail: result.Problem),
        OrderCommandStatus.IdempotencyConflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Done before with another body.", detail: result.Problem),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: result.Problem ?? "The order does not exist."),
    };

    /// <summary>Channels see their own orders; stores and partners only the lines at their location, and a store or
    /// warehouse the returns taken there with their lines; null otherwise.</summary>
    internal static OrderView? VisibleTo(ClaimsPrincipal user, OrderView? view)
    {
        if (view is null || user.IsOperator())
        {
            return view;
        }

        if (user.IsInRole(nameof(ApiRole.Channel)))
        {
            return view.Channel == user.Scope() ? view : null;
        }

        // An order is released to its locations once the risk check lets it through: until an operator releases one
        // held for review, its stores and partners do not see it (nor pick what may be rejected).
        if (view.Status == OrderStatus.HeldForReview)
        {
            return null;
        }

        // A store sees the lines it fulfils, and, for click & collect at the store, every line it hands over.
        var location = user.Scope();
        // A store sees how a refund goes back (to give cash or a voucher at the counter), not the payment instruments.
        var returns = view.Returns.Where(r => r.LocationId == location)
            .Select(r => r with { Tenders = r.Tenders?.Select(t => t with { Instrument = null }).ToList() })
            .ToList();
        var returned = returns.SelectMany(r => r.Lines).Select(l => l.LineId).ToHashSet(StringComparer.Ordinal);
        var own = view.Lines
            .Select(l => l with { Allocations = l.Allocations.Where(a => Dom.Grains.Orders.OrderRules.Concerns(a, view.Delivery, location)).ToList() })
            .Where(l => l.Allocations.Count > 0 || returned.Contains(l.LineId))
            .ToList();
        if (own.Count == 0)
        {
            return null;
        }

        // A store or partner sees its own lines and what happened to them, nothing of the other locations (not even
        // in a history entry's detail), the customer's messages, the risk check's reasons or the order's other value.
        var lineIds = own.Select(l => l.LineId).ToHashSet(StringComparer.Ordinal);
        var others = view.Lines.SelectMany(l => l.Allocations).Where(a => !Dom.Grains.Orders.OrderRules.Concerns(a, view.Delivery, location)).Select(a => a.LocationId).ToHashSet(StringComparer.Ordinal);
        return view with
        {
            Lines = own,
            Risk = view.Risk with { Reasons = [] },
            // Each line's units at what its promotions left, rounded once per line as the order's total is.
            Total = own.Sum(l => Currency.Round(l.NetUnitPrice * l.AllocatedQuantity, view.Currency)),
            ReservationId = null,
            Replacements = [],
            // A credit on its line is money, as the invoices are: not the store's (it neither gives nor sees credits).
            History = view.History
                .Where(h => h.LineId is { } lineId && lineIds.Contains(lineId) && h.Event != "credited" && (h.Detail is null || !others.Any(other => h.Detail.Contains(other, StringComparison.Ordinal))))
                .ToList(),
            Outbox = [],
            Returns = returns,
            // Why its own lines' units were cancelled, not which other lines were cancelled, how many or why.
            Cancellations = view.Cancellations?.Where(c => lineIds.Contains(c.LineId)).ToList(),
            Refunded = returns.Sum(r => r.Refund),
            Credits = null,
            Invoices = [],
            Captured = 0m,
            DeliveryCharge = 0m,
            PaymentEvents = [],
            Outstanding = 0m,
            ChargedBack = 0m,
        };
    }

    private static Address ToAddress(AddressBody body) =>
        new(body.Country!, body.Latitude!.Value, body.Longitude!.Value, body.Street, body.PostalCode, body.City);

    private static Validation Validate(OrderBody body, DateTimeOffset now)
    {
        var validation = new Validation()
            .Id("orderId", body.OrderId)
            .Id("customerId", body.CustomerId)
            .Id("reservationId", body.ReservationId, required: false)
            .Required("delivery", body.Delivery);
        // At most a year ahead, as reservations. A date passed is taken (the order is late at once), so a retry of an
        // order whose promise has passed still replays.
        if (body.PromisedBy is { } promised && promised > now.AddDays(366))
        {
            validation.Add("promisedBy", "Must be at most a year ahead.");
        }

        if (body.Currency is not null && !Validation.IsCurrency(body.Currency))
        {
            validation.Add("currency", "Must be an ISO 4217 code such as EUR.");
        }
        else
        {
            // Charged as it is, so in the currency's minor units (no rounding later decides a cent of it).
            validation.Money("deliveryCharge", body.DeliveryCharge, MaxAmount, decimals: Currency.Decimals(body.Currency ?? DefaultCurrency));
        }

        if (body.Coupons is { } coupons)
        {
            if (coupons.Count > MaxCoupons)
            {
                validation.Add("coupons", $"At most {MaxCoupons} coupon codes.");
            }

            for (var i = 0; i < coupons.Count; i++)
            {
                validation.Id($"coupons[{i}]", coupons[i]);
            }

            if (coupons.OfType<string>().GroupBy(c => c, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                validation.Add("coupons", $"The coupon {twice.Key} is named twice.");
            }
        }

        if (body.Delivery is { } delivery)
        {
            validation.Required("delivery.method", delivery.Method).Required("delivery.address", delivery.Address);
            if (delivery.Address is { } address)
            {
                ValidateAddress(validation, "delivery.address.", address);
            }

            if (delivery.Method == DeliveryMethod.Pickup)
            {
                validation.Id("delivery.pickupLocationId", delivery.PickupLocationId);
            }
            else if (delivery.PickupLocationId is not null)
            {
                validation.Add("delivery.pickupLocationId", "Only for pickup.");
            }
        }

        if (body.BillingAddress is { } billing)
        {
            ValidateAddress(validation, "billingAddress.", billing);
        }

        if (body.Customer is { } customer)
        {
            validation.Text("customer.name", customer.Name, 200, required: false).Email("customer.email", customer.Email, required: false);
            if (customer.Language is not null && !Validation.IsLanguage(customer.Language))
            {
                validation.Add("customer.language", "Must be a language tag such as en, de or de-AT.");
            }
        }

        for (var i = 0; i < (body.Payments?.Count ?? 0); i++)
        {
            if (body.Payments![i] is not { } payment)
            {
                validation.Add($"payments[{i}]", "Required.");
                continue;
            }

            validation.Text($"payments[{i}].method", payment.Method, 40).Text($"payments[{i}].instrument", payment.Instrument, 100, required: false);
            validation.Money($"payments[{i}].amount", payment.Amount, MaxAmount, required: true);
        }

        if (body.Lines is not { Count: > 0 and <= Validation.MaxLines } lines)
        {
            return validation.Add("lines", $"From 1 to {Validation.MaxLines} lines are required.");
        }

        var lineIds = new HashSet<string>(StringComparer.Ordinal);
        var skus = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i] is not { } line)
            {
                validation.Add($"lines[{i}]", "Required.");
                continue;
            }

            validation.Id($"lines[{i}].lineId", line.LineId).Id($"lines[{i}].sku", line.Sku).Int($"lines[{i}].quantity", line.Quantity, 1, Validation.MaxQuantity);
            validation.Money($"lines[{i}].unitPrice", line.UnitPrice, 1_000_000m);

            if (line.LineId is not null && !lineIds.Add(line.LineId))
            {
                validation.Add($"lines[{i}].lineId", "Line ids must be unique within the order.");
            }

            if (line.Sku is not null && !skus.Add(line.Sku))
            {
                validation.Add($"lines[{i}].sku", "Each SKU may appear in one line only.");
            }
        }

        return validation;
    }

    private static void ValidateAddress(Validation validation, string prefix, AddressBody address) =>
        validation.Country($"{prefix}country", address.Country)
            .Position(prefix, address.Latitude, address.Longitude)
            .Text($"{prefix}street", address.Street, 200, required: false)
            .Text($"{prefix}postalCode", address.PostalCode, 20, required: false)
            .Text($"{prefix}city", address.City, 100, required: false);
}
