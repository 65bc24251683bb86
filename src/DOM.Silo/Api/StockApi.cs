using System.Security.Claims;
using Dom.Grains.Hosting;
using Dom.Stock;

namespace Dom.Silo.Api;

/// <summary>A stock count for one slot.</summary>
public sealed record StockBody(int? OnHand, int? SafetyStock = null, string? CountId = null);

/// <summary>The size of a channel's pool at a slot (0 removes it).</summary>
public sealed record PoolBody(int? Size);

/// <summary>An expected delivery into a slot (quantity 0 removes it).</summary>
public sealed record InboundBody(int? Quantity, DateTimeOffset? Eta);

public static class StockApi
{
    public static RouteGroupBuilder MapStockApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/stock").WithTags("Stock").RequireAuthorization(Policies.OperatorOrStore);
        api.MapPut("/{locationId}/{sku}", PutAsync);
        api.MapGet("/{locationId}/{sku}", GetAsync);
        api.MapPut("/{locationId}/{sku}/pools/{channel}", SetPoolAsync).RequireAuthorization(Policies.Operator);
        api.MapPut("/{locationId}/{sku}/inbound/{batchId}", SetInboundAsync);
        api.MapPost("/{locationId}/{sku}/inbound/{batchId}/receive", ReceiveAsync);
        return api;
    }

    /// <summary>Operators resize a channel's pool at run time; only that channel's reservations may use it.</summary>
    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> SetPoolAsync(
        string locationId, string sku, string channel, PoolBody body, IGrainFactory grains)
    {
        var validation = new Validation().Id("locationId", locationId).Id("sku", sku).Id("channel", channel).Int("size", body.Size, 0, Validation.MaxStock);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await Slot(grains, locationId, sku).SetPoolAsync(new SetPoolRequest(channel, body.Size!.Value)) is { } slot
            ? TypedResults.Ok(slot)
            : Answers.NotFound($"Stock of {sku} at {locationId}");
    }

    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> SetInboundAsync(
        string locationId, string sku, string batchId, InboundBody body, ClaimsPrincipal user, IGrainFactory grains, DomClock clock)
    {
        var validation = new Validation().Id("locationId", locationId).Id("sku", sku).Id("batchId", batchId).Int("quantity", body.Quantity, 0, Validation.MaxStock).Required("eta", body.Eta);
        if (body.Eta is { } eta && (eta < clock.UtcNow.AddDays(-30) || eta > clock.UtcNow.AddDays(366)))
        {
            validation.Add("eta", "Must be within the last 30 days or the next year.");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        var result = await Slot(grains, locationId, sku).ExpectInboundAsync(new SetInboundRequest(batchId, body.Quantity!.Value, body.Eta!.Value));
        return result switch
        {
            { Outcome: InboundOutcome.Recorded, Slot: { } slot } => TypedResults.Ok(slot),
            { Outcome: InboundOutcome.AlreadyReceived } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Delivery already received.",
                detail: $"Delivery {batchId} of {sku} at {locationId} was received already: a new delivery needs a new id."),
            _ => Answers.NotFound($"Stock of {sku} at {locationId}"),
        };
    }

    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> ReceiveAsync(
        string locationId, string sku, string batchId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("locationId", locationId).Id("sku", sku).Id("batchId", batchId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        return await Slot(grains, locationId, sku).ReceiveInboundAsync(new ReceiveInboundRequest(batchId)) is { } slot
            ? TypedResults.Ok(slot)
            : Answers.NotFound($"Expected delivery {batchId} of {sku} at {locationId}");
    }

    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> PutAsync(
        string locationId, string sku, StockBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("locationId", locationId)
            .Id("sku", sku)
            .Int("onHand", body.OnHand, 0, Validation.MaxStock)
            .Int("safetyStock", body.SafetyStock, 0, Validation.MaxStock, required: false)
            .Id("countId", body.CountId, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        var result = await Slot(grains, locationId, sku).SetStockAsync(new SetStockRequest(body.OnHand!.Value, body.SafetyStock ?? 0, KeepSafetyStock: body.SafetyStock is null, body.CountId));
        return result.Status switch
        {
            SetStockStatus.Set => TypedResults.Ok(result.Slot!),
            SetStockStatus.UnknownArticle => Answers.NotFound($"Article {sku}"),
            SetStockStatus.CountIdReused => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Count id already used.",
                detail: $"Count {body.CountId} of {sku} at {locationId} was stored with other numbers; a new count needs a new id."),
            SetStockStatus.NotStockable => TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Not stocked here.",
                detail: $"{sku} cannot be stocked at {locationId}: a bundle is stocked as its components, a physical article at a location that ships, a non-physical one at the virtual location that fulfils it."),
            _ => Answers.NotFound($"Location {locationId}"),
        };
    }

    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string locationId, string sku, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("locationId", locationId).Id("sku", sku);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        return await Slot(grains, locationId, sku).GetAsync() is { } slot ? TypedResults.Ok(slot) : Answers.NotFound($"Stock of {sku} at {locationId}");
    }

    private static IStockSlotGrain Slot(IGrainFactory grains, string locationId, string sku) =>
        grains.Get<IStockSlotGrain>(new StockSlotKey(sku, locationId).ToString());
}
