using System.Collections.Concurrent;
using Dom.Domain.Sourcing;
using Dom.Grains.Hosting;
using Dom.Locations;
using static Dom.Grains.Sourcing.SourcingMapping;

namespace Dom.Grains.Locations;

/// <summary>
/// A silo-local, briefly cached view of locations as the planner sees them (the <see cref="Site"/> built from the master
/// data, and each day's capacity), so a reservation neither calls every candidate location nor rebuilds what it plans
/// with. Only for choosing: booking is the check, and every booking answer refreshes the cached capacity, so a location
/// that filled up or closed is skipped by the re-plan and every plan after it.
/// </summary>
internal sealed class LocationDirectory(IGrainFactory grains)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CapacityFreshness = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (Site? Site, long FetchedAt)> _sites = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string LocationId, DateOnly Date), (SiteDay Day, long FetchedAt)> _capacity = new();

    /// <summary>The planning site of each known location among <paramref name="locationIds"/>, from the cache when
    /// fresh; unknown locations are left out.</summary>
    public async Task<Dictionary<string, Site>> GetSitesAsync(IReadOnlySet<string> locationIds)
    {
        var now = Environment.TickCount64;
        var found = new Dictionary<string, Site>(locationIds.Count, StringComparer.Ordinal);
        List<string>? missing = null;
        foreach (var id in locationIds)
        {
            if (_sites.TryGetValue(id, out var entry) && now - entry.FetchedAt < Freshness.TotalMilliseconds)
            {
                if (entry.Site is not null)
                {
                    found[id] = entry.Site;
                }
            }
            else
            {
                (missing ??= []).Add(id);
            }
        }

        if (missing is null)
        {
            return found;
        }

        var fetched = await Task.WhenAll(missing.Select(id => grains.Get<ILocationGrain>(id).GetAsync()));
        for (var i = 0; i < missing.Count; i++)
        {
            var site = fetched[i] is { } info ? ToSite(info) : null;
            _sites[missing[i]] = (site, now);
            if (site is not null)
            {
                found[missing[i]] = site;
            }
        }

        return found;
    }

    /// <summary>Adds the capacity of each (location, day) in <paramref name="days"/> to <paramref name="into"/>, from
    /// the cache when fresh.</summary>
    public async Task ReadCapacityAsync(IEnumerable<(string LocationId, DateOnly Date)> days, Dictionary<(string LocationId, DateOnly Date), SiteDay> into)
    {
        var now = Environment.TickCount64;
        List<(string LocationId, DateOnly Date)>? missing = null;
        foreach (var day in days)
        {
            if (_capacity.TryGetValue(day, out var entry) && now - entry.FetchedAt < CapacityFreshness.TotalMilliseconds)
            {
                into[day] = entry.Day;
            }
            else
            {
                (missing ??= []).Add(day);
            }
        }

        if (missing is null)
        {
            return;
        }

        var fetched = await Task.WhenAll(missing.Select(day => grains.Get<ILocationGrain>(day.LocationId).GetCapacityAsync(day.Date)));
        for (var i = 0; i < missing.Count; i++)
        {
            if (fetched[i] is { } capacity)
            {
                into[missing[i]] = Remember(missing[i].LocationId, capacity, now);
            }
        }
    }

    /// <summary>Records a capacity a location just reported (a booking's answer).</summary>
    public SiteDay Remember(string locationId, CapacitySnapshot capacity) => Remember(locationId, capacity, Environment.TickCount64);

    /// <summary>Drops what is cached about a location after its master data or capacity changed through this silo.</summary>
    public void Forget(string locationId)
    {
        _sites.TryRemove(locationId, out _);
        foreach (var key in _capacity.Keys.Where(k => k.LocationId == locationId))
        {
            _capacity.TryRemove(key, out _);
        }
    }

    private SiteDay Remember(string locationId, CapacitySnapshot capacity, long now)
    {
        var day = new SiteDay(locationId, capacity.Date, capacity.Limit, capacity.Booked);
        _capacity[(locationId, capacity.Date)] = (day, now);
        return day;
    }
}
