namespace Dom.Grains.Hosting;

/// <summary>
/// Grain references without per-call reflection. <c>IGrainFactory.GetGrain&lt;T&gt;(key)</c> resolves the interface's
/// grain type from its attributes on every call (Orleans 10.4: about a tenth of the engine's CPU in a reservation
/// profile, as a reservation makes a dozen references). Here the grain type and interface type are resolved once per
/// interface, and every later reference is built from them directly.
/// </summary>
public static class GrainReferences
{
    /// <summary>The grain of interface <typeparamref name="T"/> with the string key <paramref name="key"/>.</summary>
    public static T Get<T>(this IGrainFactory grains, string key)
        where T : IGrainWithStringKey
    {
        var (grain, @interface) = Types<T>.Resolve(grains);
        return (T)grains.GetGrain(GrainId.Create(grain, key), @interface);
    }

    /// <summary>The grain of interface <typeparamref name="T"/> with the integer key <paramref name="key"/> (stateless
    /// workers use 0).</summary>
    public static T Get<T>(this IGrainFactory grains, long key)
        where T : IGrainWithIntegerKey
    {
        var (grain, @interface) = Types<T>.Resolve(grains);
        return (T)grains.GetGrain(GrainId.Create(grain, GrainIdKeyExtensions.CreateIntegerKey(key)), @interface);
    }

    private static class Types<T>
    {
        // A reference, so a concurrent first call sees either nothing or the whole pair (a struct could tear).
        private static Resolved? _resolved;

        public static (GrainType Grain, GrainInterfaceType Interface) Resolve(IGrainFactory grains)
        {
            if (Volatile.Read(ref _resolved) is not { } resolved)
            {
                // Once per interface, the documented way; every grain factory of the process resolves alike.
                var sample = (GrainReference)(typeof(IGrainWithIntegerKey).IsAssignableFrom(typeof(T))
                    ? grains.GetGrain(typeof(T), 0L)
                    : grains.GetGrain(typeof(T), "-"));
                resolved = new Resolved(sample.GrainId.Type, sample.InterfaceType);
                Volatile.Write(ref _resolved, resolved);
            }

            return (resolved.Grain, resolved.Interface);
        }
    }

    private sealed record Resolved(GrainType Grain, GrainInterfaceType Interface);
}
