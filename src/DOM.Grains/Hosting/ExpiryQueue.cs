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

    /// <summary>Pops every entry due at or before <paramref name="now"/> for which <paramref name="isCurrent"/> holds
    /// (given <paramref name="state"/>, so a static predicate needs no closure). Every call of a slot or location asks,
    /// and nearly always nothing is due: then it allocates nothing.</summary>
    public IReadOnlyCollection<string> PopDue<TState>(DateTimeOffset now, TState state, Func<TState, string, DateTimeOffset, bool> isCurrent)
    {
        List<string>? due = null;
        while (_queue.TryPeek(out var entry, out var at) && at <= now)
        {
            _queue.Dequeue();
            if (isCurrent(state, entry.Id, entry.ExpiresAt))
            {
                (due ??= []).Add(entry.Id);
            }
        }

        return due ?? (IReadOnlyCollection<string>)[];
    }

    public void Clear() => _queue.Clear();
}
