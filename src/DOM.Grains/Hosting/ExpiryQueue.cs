namespace Dom.Grains.Hosting;

/// <summary>
/// Which entries have expired by a given time, in O(log n) per entry. Entries are never removed eagerly: a popped
/// id is only reported when its expiry still matches, so a released or renewed entry is skipped.
/// </summary>
internal sealed class ExpiryQueue
{
    private readonly PriorityQueue<(string Id, DateTimeOffset ExpiresAt), DateTimeOffset> _queue = new();

    public void Add(string id, DateTimeOffset expiresAt) => _queue.Enqueue((id, expiresAt), expiresAt);

    public DateTimeOffset? Next => _queue.TryPeek(out _, out var at) ? at : null;

    /// <summary>True when an entry is due at or before <paramref name="now"/>: every call of a slot or location asks
    /// first, and nearly always nothing is, so the answer allocates nothing.</summary>
    public bool AnyDue(DateTimeOffset now) => _queue.TryPeek(out _, out var at) && at <= now;

    /// <summary>Pops every entry due at or before <paramref name="now"/> for which <paramref name="isCurrent"/> holds.</summary>
    public List<string> PopDue(DateTimeOffset now, Func<string, DateTimeOffset, bool> isCurrent)
    {
        var due = new List<string>();
        while (_queue.TryPeek(out var entry, out var at) && at <= now)
        {
            _queue.Dequeue();
            if (isCurrent(entry.Id, entry.ExpiresAt))
            {
                due.Add(entry.Id);
            }
        }

        return due;
    }

    public void Clear() => _queue.Clear();
}
