using Dom.Articles;
using Dom.Grains.Articles;
using Dom.Grains.Hosting;
using Dom.Locations;

namespace Dom.Silo.Api;

/// <summary>Article master data as sent by an operator. The SKU comes from the path. A bundle lists its components
/// (kept at one location unless <c>allowSplit</c>); a non-physical article may name the virtual location that fulfils it
/// without a limit (<c>fulfilledBy</c>).</summary>
public sealed record ArticleBody(
    string? Name,
    string? Sku = null,
    ArticleKind? Kind = null,
    string? Description = null,
    List<ComponentBody?>? Components = null,
    bool? AllowSplit = null,
    string? FulfilledBy = null,
    string? TaxClass = null);

/// <summary>One component of a bundle. <c>priceShare</c>: what one unit of it weighs in the bundle's price when an order
/// splits that over the components (its list price, say); given for all components or none (then each unit weighs the
/// same).</summary>
public sealed record ComponentBody(string? Sku, int? Quantity, decimal? PriceShare = null);

public static class ArticlesApi
{
    public static RouteGroupBuilder MapArticlesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/articles").WithTags("Articles");
        api.MapPut("/{sku}", PutAsync).RequireAuthorization(Policies.Operator);
        api.MapGet("/{sku}", GetAsync).RequireAuthorization(Policies.ChannelOrOperator);
        return api;
    }

    private const int MaxComponents = 20;

    private static async Task<Results<Ok<ArticleInfo>, ValidationProblem, ProblemHttpResult>> PutAsync(string sku, ArticleBody body, IGrainFactory grains, ILoggerFactory loggers)
    {
        var kind = body.Kind ?? ArticleKind.Physical;
        var validation = new Validation()
            .Id("sku", sku)
            .SameAsRoute("sku", body.Sku, sku)
            .Text("name", body.Name, 200)
            .Text("description", body.Description, 2000, required: false)
            .Id("fulfilledBy", body.FulfilledBy, required: false)
            .Id("taxClass", body.TaxClass, required: false);
        if (body.FulfilledBy is not null && kind == ArticleKind.Physical)
        {
            validation.Add("fulfilledBy", "Only non-physical articles are fulfilled by a virtual location.");
        }

        if (body.Components is { } components)
        {
            if (components.Count > MaxComponents)
            {
                validation.Add("components", $"At most {MaxComponents} components.");
            }

            for (var i = 0; i < components.Count && i < MaxComponents; i++)
            {
                if (components[i] is not { } component)
                {
                    validation.Add($"components[{i}]", "Required.");
                    continue;
                }

                validation.Id($"components[{i}].sku", component.Sku).Int($"components[{i}].quantity", component.Quantity, 1, 1_000)
                    .Money($"components[{i}].priceShare", component.PriceShare, 1_000_000m);
                if (component.PriceShare == 0)
                {
                    validation.Add($"components[{i}].priceShare", "Must be above 0: a component worth nothing would be returned for nothing.");
                }
                if (component.Sku == sku)
                {
                    validation.Add($"components[{i}].sku", "A bundle cannot contain itself.");
                }
            }

            if (components.Any(c => c?.PriceShare is not null) && components.Any(c => c is not null && c.PriceShare is null))
            {
                validation.Add("components", "Give every component a priceShare, or none.");
            }

            if (components.Where(c => c?.Sku is not null).GroupBy(c => c!.Sku).Any(g => g.Count() > 1))
            {
                validation.Add("components", "Each component SKU at most once.");
            }
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // A non-physical article is served from its virtual location: one that is none would be stored and then reported
        // as out of stock at every checkout.
        if (body.FulfilledBy is { } virtualId && await grains.Get<ILocationGrain>(virtualId).GetAsync() is not { Type: LocationType.Virtual })
        {
            validation.Add("fulfilledBy", $"{virtualId} is not a virtual location.");
            return validation.Problem();
        }

        // A bundle is sold as its components: one naming an article that does not exist would be stored and then refuse
        // every reservation with an unknown SKU the checkout never sent.
        if (body.Components is { Count: > 0 } named)
        {
            var known = await Task.WhenAll(named.Select(c => grains.Get<IArticleGrain>(c!.Sku!).GetAsync()));
            for (var i = 0; i < named.Count; i++)
            {
                if (known[i] is null)
                {
                    validation.Add($"components[{i}].sku", $"No article {named[i]!.Sku}: create the component before the bundle.");
                }
            }

            if (!validation.IsValid)
            {
                return validation.Problem();
            }
        }

        var info = new ArticleInfo(
            sku,
            body.Name!.Trim(),
            kind,
            body.Description,
            body.Components is { Count: > 0 } parts ? parts.Select(c => new BundleComponent(c!.Sku!, c.Quantity!.Value, c.PriceShare)).ToList() : null,
            body.AllowSplit ?? false,
            body.FulfilledBy,
            body.TaxClass);

        // Sourcing expands a bundle one level: the article refuses a bundle of bundles, either way round.
        var answer = await ArticleCatalog.SaveAsync(grains, info, loggers.CreateLogger(typeof(ArticleCatalog)));
        if (answer.Stored is { } stored)
        {
            return TypedResults.Ok(stored);
        }

        if (answer.Busy)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Article is being changed.",
                detail: $"Another change of {sku} is in progress; nothing was changed. Retry in a few seconds.");
        }

        foreach (var bundle in answer.BundleComponents ?? [])
        {
            var at = body.Components!.FindIndex(c => c!.Sku == bundle);
            validation.Add($"components[{at}].sku", $"{bundle} is a bundle itself: list its components instead.");
        }

        if (answer.ListedIn is { Count: > 0 } bundles)
        {
            validation.Add("components", $"{sku} is a component of {string.Join(", ", bundles)}: take it out of those bundles before making it a bundle.");
        }

        return validation.Problem();
    }

    private static async Task<Results<Ok<ArticleInfo>, ValidationProblem, ProblemHttpResult>> GetAsync(string sku, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await grains.Get<IArticleGrain>(sku).GetAsync() is { } info ? TypedResults.Ok(info) : Answers.NotFound($"Article {sku}");
    }
}
