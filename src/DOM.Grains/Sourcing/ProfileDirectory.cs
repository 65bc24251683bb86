using System.Collections.Concurrent;
using Dom.Domain.Sourcing;
using Dom.Grains.Hosting;
using Dom.Sourcing;

namespace Dom.Grains.Sourcing;

/// <summary>A silo-local, briefly cached copy of each channel's active sourcing profile. Activating or rolling back
/// clears it on the silo that did it at once; other silos follow within the freshness window.</summary>
internal sealed class ProfileDirectory(IGrainFactory grains)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (PlanningProfile Profile, long FetchedAt)> _cache = new(StringComparer.Ordinal);

    /// <summary>The channel's active profile with the optimiser's policy made from it (once per fetch, not per
    /// reservation).</summary>
    public async Task<PlanningProfile> GetAsync(string channel)
    {
        var now = Environment.TickCount64;
        if (_cache.TryGetValue(channel, out var entry) && now - entry.FetchedAt < Freshness.TotalMilliseconds)
        {
            return entry.Profile;
        }

        var active = await grains.Get<ISourcingProfileGrain>(channel).GetActiveAsync();
        var profile = new PlanningProfile(active, SourcingMapping.ToPolicy(active.Settings));
        _cache[channel] = (profile, now);
        return profile;
    }

    public void Forget(string channel) => _cache.TryRemove(channel, out _);
}

/// <summary>A channel's active sourcing profile and the optimiser's policy made from it.</summary>
internal sealed record PlanningProfile(ActiveSourcingProfile Active, SourcingPolicy Policy);
