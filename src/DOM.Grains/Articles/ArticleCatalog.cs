using Dom.Articles;

namespace Dom.Grains.Articles;

/// <summary>
/// Saves an article with the bookkeeping that keeps bundles one level deep (sourcing expands a bundle once): a bundle's
/// components learn that it lists them before it is stored, each refusing in its own turn if it is a bundle itself,
/// and the article refuses in its turn to become a bundle while one lists it, so either PUT of a pair that would nest
/// loses, whichever comes first. Every call to another article is made from here, outside any grain's turn, so two
/// PUTs naming each other cannot wait on each other. One change of an article runs at a time (the article holds it for
/// a few seconds at most), so a second PUT of the same bundle never takes back or tells to leave what the first lists.
/// </summary>
public static class ArticleCatalog
{
    public static async Task<ArticleSaveAnswer> SaveAsync(IGrainFactory grains, ArticleInfo info, ILogger logger)
    {
        // One change of an article's membership at a time: a second PUT of the same bundle could otherwise take back,
        // or tell to leave, a component the first one is just listing.
        var token = Guid.NewGuid().ToString("N");
        var article = grains.GetGrain<IArticleGrain>(info.Sku);
        var listed = info.ComponentSkus();
        if (!await article.BeginChangeAsync(token, listed))
        {
            return new ArticleSaveAnswer(null, Busy: true);
        }

        var before = ((await article.GetAsync())?.ComponentSkus() ?? []).ToHashSet(StringComparer.Ordinal);
        var joins = listed.Select(c => grains.GetGrain<IArticleGrain>(c).JoinBundleAsync(info.Sku)).ToList();
        try
        {
            await Task.WhenAll(joins);
        }
        catch (Exception)
        {
            // Each join answered on its own: the ones that did not fail are undone below.
        }

        var bundles = listed.Where((_, i) => joins[i].IsCompletedSuccessfully && !joins[i].Result).ToList();
        var failed = joins.FirstOrDefault(join => !join.IsCompletedSuccessfully);
        if (failed is not null || bundles.Count > 0)
        {
            await ForgetJoinsAsync(grains, article, token, listed.Where((c, i) => joins[i].IsCompletedSuccessfully && joins[i].Result && !before.Contains(c)), logger);
            await (failed ?? Task.CompletedTask);
            return new ArticleSaveAnswer(null, BundleComponents: bundles);
        }

        // A failed save leaves the joins and the change: the article is held until the change lapses, and the next
        // change tells the components it joined and the article does not list (undoing them now could clear one a save
        // that landed after all relies on).
        var answer = await article.SaveAsync(info, token);
        if (answer.Stored is null)
        {
            await ForgetJoinsAsync(grains, article, token, listed.Where(c => !before.Contains(c)), logger);
            return answer;
        }

        if (answer.Leaving is { Count: > 0 } leaving)
        {
            try
            {
                await Task.WhenAll(leaving.Select(c => grains.GetGrain<IArticleGrain>(c).LeaveBundleAsync(info.Sku)));
                await article.ForgetLeavingAsync(leaving);
            }
            catch (Exception exception)
            {
                // Stored: the bundle keeps the components to tell, and tells them at its next save.
                logger.LogWarning(exception, "Bundle {Sku} is stored but could not tell every component it dropped; it tells them at its next save", info.Sku);
            }

            // The save held the change until now (see ArticleGrain.SaveAsync); if this fails, it lapses in seconds.
            try
            {
                await article.EndChangeAsync(token);
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Bundle {Sku} is stored; its change could not be ended and lapses in a few seconds", info.Sku);
            }
        }

        return answer;
    }

    /// <summary>Takes back the joins this change made and ends it. Best effort: a join left over only keeps that
    /// component from becoming a bundle until the bundle's next change tells it.</summary>
    private static async Task ForgetJoinsAsync(IGrainFactory grains, IArticleGrain article, string token, IEnumerable<string> joined, ILogger logger)
    {
        try
        {
            var bundleSku = article.GetPrimaryKeyString();
            await Task.WhenAll(joined.Select(c => grains.GetGrain<IArticleGrain>(c).LeaveBundleAsync(bundleSku)));
            await article.EndChangeAsync(token);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Bundle {Sku} was not saved, and a component it joined may still name it until its next change", article.GetPrimaryKeyString());
        }
    }
}
