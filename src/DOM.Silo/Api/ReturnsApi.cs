using System.Security.Claims;
using Dom.Access;
using Dom.Grains.Hosting;
using Dom.Orders;

namespace Dom.Silo.Api;

/// <summary>A line of a return: the order line by <paramref name="LineId"/> or by <paramref name="Sku"/> (one of them).</summary>
public sealed record ReturnLineBody(string? LineId, string? Sku, int? Quantity, string? Reason);

/// <summary>A return (RMA) of an order's units at a store or warehouse.</summary>
public sealed record ReturnBody(string? ReturnId, string? LocationId, List<ReturnLineBody?>? Lines);

/// <summary>What arrived of a return's line: units back into stock and units written off (0 when left out).</summary>
public sealed record ReceiptLineBody(string? LineId, int? Restock = null, int? WriteOff = null);

/// <summary>The receipt of a return; its lines not listed did not arrive.</summary>
public sealed record ReceiptBody(List<ReceiptLineBody?>? Lines);

/// <summary>Returns (DESIGN §7): registered by the order's channel, an operator or the store taking the goods back,
/// received (restocked or written off, refunded) by that store or warehouse or an operator. Answers are the order as
/// the caller may see it, as for every change to an order.</summary>
public static class ReturnsApi
{
    /// <summary>The longest return reason taken (a code such as "tooSmall", or a few words).</summary>
    public const int MaxReason = 200;

    public static RouteGroupBuilder MapReturnsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/orders/{orderId}/returns").WithTags("Returns");
        foreach (var change in new[]
        {
            api.MapPost("/", AnnounceAsync).RequireAuthorization(Policies.AnyRole),
            api.MapPost("/{returnId}/receive", ReceiveAsync).RequireAuthorization(Policies.OperatorOrStore),
            api.MapPost("/{returnId}/cancel", CancelAsync).RequireAuthorization(Policies.AnyRole),
        })
        {
            change.ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        }

        return api;
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> AnnounceAsync(string orderId, ReturnBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Id("returnId", body.ReturnId).Id("locationId", body.LocationId);
        var named = new HashSet<string>(StringComparer.Ordinal);
        EachLine(validation, body.Lines, (i, line) =>
        {
            if ((line.LineId is null) == (line.Sku is null))
            {
                validation.Add($"lines[{i}]", "Name the order line by its lineId or by its sku, one of the two.");
            }
            else if (!named.Add(line.LineId is null ? $"sku {line.Sku}" : $"line {line.LineId}"))
            {
                validation.Add($"lines[{i}]", "Each line may appear once in a return.");
            }

            validation.Id($"lines[{i}].lineId", line.LineId, required: false).Id($"lines[{i}].sku", line.Sku, required: false)
                .Int($"lines[{i}].quantity", line.Quantity, 1, Validation.MaxQuantity)
                .Text($"lines[{i}].reason", line.Reason, MaxReason);
            if (line.Reason?.TrimStart().StartsWith('~') == true)
            {
                // The KPIs count the reasons past the twenty with most units under "~other" (the reason as it is stored:
                // trimmed).
                validation.Add($"lines[{i}].reason", "May not begin with '~'.");
            }
        });

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // A store or warehouse takes returns at its own counter, for any order (the customer brings the receipt); a
        // channel registers returns of its own orders; a partner ships, and takes nothing back.
        if (user.IsInRole(nameof(ApiRole.Partner)) || (user.IsInRole(nameof(ApiRole.Store)) && user.Scope() != body.LocationId))
        {
            return Answers.Forbidden();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (user.IsInRole(nameof(ApiRole.Channel)) && OrdersApi.VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        // An operator may take units back past the return window (goodwill); channels and stores keep to it.
        var request = new ReturnRequest(body.ReturnId!, body.LocationId!, body.Lines!.Select(l => new ReturnLineRequest(l!.LineId, l.Sku, l.Quantity!.Value, l.Reason!.Trim())).ToList(),
            Goodwill: user.IsOperator());
        var result = await order.AnnounceReturnAsync(request);
        // A store asking about an order held for review (not released to it) hears that it does not exist, as for a read;
        // the order's channel sees the order, and hears why nothing can come back yet.
        return user.IsInRole(nameof(ApiRole.Store)) && result is { Status: not (OrderCommandStatus.Done or OrderCommandStatus.AlreadyDone), Order.Status: OrderStatus.HeldForReview }
            ? Answers.NotFound($"Order {orderId}")
            : OrdersApi.Answer(result, user);
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> ReceiveAsync(
        string orderId, string returnId, ReceiptBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Id("returnId", returnId);
        var named = new HashSet<string>(StringComparer.Ordinal);
        EachLine(validation, body.Lines, (i, line) =>
        {
            validation.Id($"lines[{i}].lineId", line.LineId)
                .Int($"lines[{i}].restock", line.Restock, 0, Validation.MaxQuantity, required: false)
                .Int($"lines[{i}].writeOff", line.WriteOff, 0, Validation.MaxQuantity, required: false);
            if (line.LineId is not null && !named.Add(line.LineId))
            {
                validation.Add($"lines[{i}].lineId", "Each line may appear once in a receipt.");
            }

            if ((line.Restock ?? 0) + (line.WriteOff ?? 0) == 0)
            {
                validation.Add($"lines[{i}]", "Restock or write off at least one unit; leave out a line of which nothing arrived.");
            }
        });

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // A store receives the returns sent to it; the grain answers "not found" for any other.
        var receipt = new ReturnReceipt(returnId, user.IsOperator() ? null : user.Scope(),
            body.Lines!.Select(l => new ReceiptLine(l!.LineId!, l.Restock ?? 0, l.WriteOff ?? 0)).ToList());
        return OrdersApi.Answer(await grains.Get<IOrderGrain>(orderId).ReceiveReturnAsync(receipt), user);
    }

    private static async Task<Results<Ok<OrderView>, ValidationProblem, ProblemHttpResult>> CancelAsync(
        string orderId, string returnId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("orderId", orderId).Id("returnId", returnId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // The order's channel (the customer changed their mind), an operator, or the store the return was sent to (a return
        // registered at its counter by mistake); a partner takes nothing back.
        if (user.IsInRole(nameof(ApiRole.Partner)))
        {
            return Answers.Forbidden();
        }

        var order = grains.Get<IOrderGrain>(orderId);
        if (user.IsInRole(nameof(ApiRole.Channel)) && OrdersApi.VisibleTo(user, await order.GetAsync()) is null)
        {
            return Answers.NotFound($"Order {orderId}");
        }

        return OrdersApi.Answer(await order.CancelReturnAsync(returnId, user.IsInRole(nameof(ApiRole.Store)) ? user.Scope() : null), user);
    }

    /// <summary>Checks that a body has 1 to <see cref="Validation.MaxLines"/> lines, none of them null, and each as
    /// <paramref name="check"/> (given its index) says.</summary>
    private static void EachLine<T>(Validation validation, List<T?>? lines, Action<int, T> check)
        where T : class
    {
        if (lines is not { Count: > 0 and <= Validation.MaxLines })
        {
            validation.Add("lines", $"From 1 to {Validation.MaxLines} lines are required.");
            return;
        }

        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i] is { } line)
            {
                check(i, line);
            }
            else
            {
                validation.Add($"lines[{i}]", "Required.");
            }
        }
    }
}
