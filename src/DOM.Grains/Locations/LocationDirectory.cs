using System.Collections.Concurrent;
using Dom.Grains.Hosting;
using Dom.Locations;

namespace Dom.Grains.Locations;

/// <summary>
/// A silo-local, briefly cached view of location master data and day capacities for planning, so a reservation does
/// not call every candidate location. Only for choosing: booking is the check, and every booking answer refreshes the
/// cached capacity, so a location that filled up or closed is skipped by the re-plan and every plan after it.
/// </summary>
internal sealed class LocationDirectory(IGrainFactory grains)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CapacityFreshness = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (LocationInfo? Info, long FetchedAt)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string LocationId, DateOnly Date), (CapacitySnapshot Capacity, long FetchedAt)> _capacity = new();

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

        var fetched = await Task.WhenAll(missing.Select(id => grains.Get<ILocationGrain>(id).GetAsync()));
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

    /// <summary>The capacity of each (location, day), from the cache when fresh.</summary>
    public async Task<IReadOnlyDictionary<(string LocationId, DateOnly Date), CapacitySnapshot>> GetCapacityAsync(IEnumerable<(string LocationId, DateOnly Date)> days)
    {
        var now = Environment.TickCount64;
        var found = new Dictionary<(string, DateOnly), CapacitySnapshot>();
        var missing = new List<(string LocationId, DateOnly Date)>();
        foreach (var day in days.Distinct())
        {
            if (_capacity.TryGetValue(day, out var entry) && now - entry.FetchedAt < CapacityFreshness.TotalMilliseconds)
            {
                found[day] = entry.Capacity;
            }
            else
            {
                missing.Add(day);
            }
        }

        var fetched = await Task.WhenAll(missing.Select(day => grains.Get<ILocationGrain>(day.LocationId).GetCapacityAsync(day.Date)));
        for (var i = 0; i < missing.Count; i++)
        {
            if (fetched[i] is { } capacity)
            {
                _capacity[missing[i]] = (capacity, now);
                found[missing[i]] = capacity;
            }
        }

        return found;
    }

    /// <summary>Records a capacity a location just reported (a booking's answer).</summary>
    public void Remember(string locationId, CapacitySnapshot capacity) => _capacity[(locationId, capacity.Date)] = (capacity, Environment.TickCount64);

    /// <summary>Drops what is cached about a location after its master data or capacity changed through this silo.</summary>
    public void Forget(string locationId)
    {
        _cache.TryRemove(locationId, out _);
        foreach (var key in _capacity.Keys.Where(k => k.LocationId == locationId))
        {
            _capacity.TryRemove(key, out _);
        }
    }
}
