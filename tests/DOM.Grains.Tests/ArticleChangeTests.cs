using Dom.Articles;
using Dom.Grains.Articles;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dom.Grains.Tests;

/// <summary>A bundle's change is one at a time until every component it dropped is told, so a component listed again by
/// the next change is never taken out by the late leave of the one before.</summary>
[Collection(ClusterCollection.Name)]
public class ArticleChangeTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Fact]
    public async Task A_bundle_is_held_by_its_change_until_the_components_it_dropped_are_told()
    {
        var (c, d) = (await _world.ArticleAsync("c"), await _world.ArticleAsync("d"));
        var kit = _world.Id("kit");
        Assert.NotNull((await ArticleCatalog.SaveAsync(fixture.Grains, Info(kit, c), NullLogger.Instance)).Stored);
        var article = Article(kit);

        // A change to [d], stopped after its save, before it told c to leave (as a PUT is, between two awaits).
        Assert.True(await article.BeginChangeAsync("first", [d]));
        Assert.True(await Article(d).JoinBundleAsync(kit));
        var saved = await article.SaveAsync(Info(kit, d), "first");
        // The next change, back to [c], must wait: else it finds c still listing the kit, stores [c], and the first
        // change's leave then takes c's knowledge of the kit away.
        var second = await article.BeginChangeAsync("second", [c]);
        await Article(c).LeaveBundleAsync(kit);
        await article.ForgetLeavingAsync([c]);
        await article.EndChangeAsync("first");
        var afterwards = await ArticleCatalog.SaveAsync(fixture.Grains, Info(kit, c), NullLogger.Instance);

        Assert.Equal([c], saved.Leaving!);
        Assert.False(second);
        Assert.NotNull(afterwards.Stored);
        // c knows it is listed again: it may not become a bundle.
        var nested = await ArticleCatalog.SaveAsync(fixture.Grains, Info(c, d), NullLogger.Instance);
        Assert.Equal([kit], nested.ListedIn!);
    }

    private static ArticleInfo Info(string sku, string component) => new(sku, sku, ArticleKind.Physical, null, [new BundleComponent(component, 1)]);

    private IArticleGrain Article(string sku) => fixture.Grains.GetGrain<IArticleGrain>(sku);
}
