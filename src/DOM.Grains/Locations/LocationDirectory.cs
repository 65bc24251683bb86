using System.Collections.Concurrent;
using Dom.Locations;

namespace Dom.Grains.Locations;

/// <summary>
/// A silo-local, briefly cached view of location master data for planning, so a reservation does not call every
/// candidate location for its coordinates. Capacity is never cached: booking is the check.
/// </summary>
internal sealed class LocationDirectory(IGrainFactory grains)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (LocationInfo? Info, long FetchedAt)> _cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<string, LocationInfo>> GetAsync(IEnumerable<string> locationIds)
    {
        var now = Environment.TickCount64;
        var found = new Dictionary<string, LocationInfo>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var id in locationIds.Distinct(StringComparer.Ordinal))
        {
            if (_cache.TryGetValue(id, out var entry) && now - entry.FetchedAt < Freshness.TotalMilliseconds)
            {
                if (entry.Info is not null)
                {
                    found[id] = entry.Info;
                }
            }
            else
            {
                missing.Add(id);
            }
        }

        var fetched = await Task.WhenAll(missing.Select(id => grains.GetGrain<ILocationGrain>(id).GetAsync()));
        for (var i = 0; i < missing.Count; i++)
        {
            _cache[missing[i]] = (fetched[i], now);
            if (fetched[i] is { } info)
            {
                found[missing[i]] = info;
            }
        }

        return found;
    }
}
