using Dom.Articles;

namespace Dom.Silo.Api;

/// <summary>Article master data as sent by an operator. The SKU comes from the path.</summary>
public sealed record ArticleBody(string? Sku, string? Name, ArticleKind? Kind, string? Description);

public static class ArticlesApi
{
    public static RouteGroupBuilder MapArticlesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/articles").WithTags("Articles");
        api.MapPut("/{sku}", PutAsync).RequireAuthorization(Policies.Operator);
        api.MapGet("/{sku}", GetAsync).RequireAuthorization(Policies.ChannelOrOperator);
        return api;
    }

    private static async Task<Results<Ok<ArticleInfo>, ValidationProblem>> PutAsync(string sku, ArticleBody body, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("sku", sku)
            .SameAsRoute("sku", body.Sku, sku)
            .Text("name", body.Name, 200)
            .Text("description", body.Description, 2000, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var info = new ArticleInfo(sku, body.Name!.Trim(), body.Kind ?? ArticleKind.Physical, body.Description);
        return TypedResults.Ok(await grains.GetGrain<IArticleGrain>(sku).PutAsync(info));
    }

    private static async Task<Results<Ok<ArticleInfo>, ValidationProblem, ProblemHttpResult>> GetAsync(string sku, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await grains.GetGrain<IArticleGrain>(sku).GetAsync() is { } info ? TypedResults.Ok(info) : Answers.NotFound($"Article {sku}");
    }
}
