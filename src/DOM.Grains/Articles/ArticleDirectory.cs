using System.Collections.Concurrent;
using Dom.Articles;
using Dom.Grains.Hosting;

namespace Dom.Grains.Articles;

/// <summary>A silo-local, briefly cached view of article master data (kind, bundle components) for planning.</summary>
internal sealed class ArticleDirectory(IGrainFactory grains)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (ArticleInfo Info, long FetchedAt)> _cache = new(StringComparer.Ordinal);

    /// <summary>The master data of each known article; unknown ones are left out (and not cached).</summary>
    public async Task<IReadOnlyDictionary<string, ArticleInfo>> GetAsync(IEnumerable<string> skus)
    {
        var now = Environment.TickCount64;
        var found = new Dictionary<string, ArticleInfo>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var sku in skus.Distinct(StringComparer.Ordinal))
        {
            if (_cache.TryGetValue(sku, out var entry) && now - entry.FetchedAt < Freshness.TotalMilliseconds)
            {
                found[sku] = entry.Info;
            }
            else
            {
                missing.Add(sku);
            }
        }

        var fetched = await Task.WhenAll(missing.Select(sku => grains.Get<IArticleGrain>(sku).GetAsync()));
        for (var i = 0; i < missing.Count; i++)
        {
            if (fetched[i] is { } info)
            {
                _cache[missing[i]] = (info, now);
                found[missing[i]] = info;
            }
        }

        return found;
    }

    public void Forget(string sku) => _cache.TryRemove(sku, out _);
}
