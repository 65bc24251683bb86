using Dom.Domain.Money;
using Dom.Domain.Pricing;
using Dom.Grains.Hosting;
using Dom.Promotions;

namespace Dom.Silo.Api;

/// <summary>A promotion as an operator writes it (see <see cref="Promotion"/>); the id comes from the path.</summary>
public sealed record PromotionBody(
    string? Name,
    PromotionKind? Kind,
    decimal? Percent = null,
    decimal? Amount = null,
    decimal? Threshold = null,
    int? Buy = null,
    int? Get = null,
    List<string?>? Skus = null,
    List<string?>? Channels = null,
    string? Code = null,
    string? Currency = null,
    DateTimeOffset? ValidFrom = null,
    DateTimeOffset? ValidTo = null,
    int? Priority = null,
    bool? Exclusive = null);

public sealed record PromotionList(IReadOnlyList<Promotion> Promotions);

/// <summary>Promotions, applied to orders at intake and remembered per line (operators only).</summary>
public static class PromotionsApi
{
    private const int MaxSkus = 1_000;
    private const int MaxChannels = 50;

    public static RouteGroupBuilder MapPromotionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/promotions").WithTags("Promotions").RequireAuthorization(Policies.Operator);
        api.MapGet("/", ListAsync);
        api.MapGet("/{promotionId}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/{promotionId}", SaveAsync).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/{promotionId}", RemoveAsync).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Ok<PromotionList>> ListAsync(IGrainFactory grains) => TypedResults.Ok(new PromotionList(await Catalog(grains).ListAsync()));

    private static async Task<Results<Ok<Promotion>, ValidationProblem, ProblemHttpResult>> GetAsync(string promotionId, IGrainFactory grains)
    {
        var validation = new Validation().Id("promotionId", promotionId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await Catalog(grains).GetAsync(promotionId) is { } promotion ? TypedResults.Ok(promotion) : Answers.NotFound($"Promotion {promotionId}");
    }

    private static async Task<Results<Created<Promotion>, Ok<Promotion>, ValidationProblem, ProblemHttpResult>> SaveAsync(string promotionId, PromotionBody body, IGrainFactory grains)
    {
        var (validation, promotion) = Parse(promotionId, body);
        if (promotion is null)
        {
            return validation.Problem();
        }

        var result = await Catalog(grains).SaveAsync(promotion);
        return result.Status switch
        {
            PromotionSaveStatus.Created => TypedResults.Created($"/api/v1/promotions/{promotionId}", result.Promotion),
            PromotionSaveStatus.CodeTaken => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Coupon code taken.", detail: result.Problem),
            _ => TypedResults.Ok(result.Promotion),
        };
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RemoveAsync(string promotionId, IGrainFactory grains)
    {
        var validation = new Validation().Id("promotionId", promotionId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await Catalog(grains).RemoveAsync(promotionId) ? TypedResults.NoContent() : Answers.NotFound($"Promotion {promotionId}");
    }

    /// <summary>The promotion the body describes, or the errors that keep it from being one.</summary>
    private static (Validation, Promotion?) Parse(string promotionId, PromotionBody body)
    {
        var validation = new Validation()
            .Id("promotionId", promotionId)
            .Text("name", body.Name, 200)
            .Required("kind", body.Kind)
            .Money("amount", body.Amount, 1_000_000m)
            .Money("threshold", body.Threshold, 100_000_000m)
            .Int("priority", body.Priority, -1_000, 1_000, required: false)
            .Id("code", body.Code, required: false);
        if (body.Currency is not null && !Validation.IsCurrency(body.Currency))
        {
            validation.Add("currency", "Must be an ISO 4217 code such as EUR.");
        }
        else if (body.Currency is { } currency && body.Amount is { } amount && Currency.Round(amount, currency) != amount)
        {
            validation.Add("amount", $"Must be in whole minor units of {currency} ({Currency.Decimals(currency)} decimals).");
        }

        if (body.Percent is { } percent && decimal.Round(percent, 4) != percent)
        {
            validation.Add("percent", "At most 4 decimals.");
        }

        List("skus", body.Skus, MaxSkus, validation);
        List("channels", body.Channels, MaxChannels, validation);
        if (!validation.IsValid)
        {
            return (validation, null);
        }

        var promotion = new Promotion(
            promotionId, body.Name!.Trim(), body.Kind!.Value, body.Percent, body.Amount, body.Threshold, body.Buy, body.Get,
            body.Skus?.Distinct(StringComparer.Ordinal).ToList()!, body.Channels?.Distinct(StringComparer.Ordinal).ToList()!, body.Code, body.Currency,
            body.ValidFrom, body.ValidTo, body.Priority ?? 0, body.Exclusive ?? false);
        if (Dom.Grains.Promotions.PromotionMapping.ToRule(promotion).Problem() is { } problem)
        {
            return (validation.Add(problem.Field, problem.Problem), null);
        }

        return (validation, promotion);
    }

    /// <summary>An optional list of ids: not empty when given (leave it out for "every one"), at most
    /// <paramref name="max"/>.</summary>
    private static void List(string field, List<string?>? values, int max, Validation validation)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count is 0 || values.Count > max)
        {
            validation.Add(field, $"List 1 to {max}, or leave it out for every one.");
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            validation.Id($"{field}[{i}]", values[i]);
        }
    }

    private static IPromotionCatalogGrain Catalog(IGrainFactory grains) => grains.Get<IPromotionCatalogGrain>(0);
}
