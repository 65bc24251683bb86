namespace Dom.Grains.Hosting;

/// <summary>
/// The engine's business time (hold expiry, capacity days). Separate from the TimeProvider Orleans itself runs on,
/// so tests can move business time with a fake clock without stalling membership, timeouts and timers.
/// </summary>
public sealed class DomClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    public DateTimeOffset UtcNow => Time.GetUtcNow();

    public DateOnly Today => DateOnly.FromDateTime(UtcNow.UtcDateTime);

    /// <summary>How long until <paramref name="at"/>, never negative.</summary>
    public TimeSpan Until(DateTimeOffset at)
    {
        var due = at - UtcNow;
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }
}
