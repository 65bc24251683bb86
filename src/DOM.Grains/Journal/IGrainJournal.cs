namespace Dom.Grains.Journal;

/// <summary>One event of one grain's stream, already serialised.</summary>
/// <param name="Stream">The grain's stream, e.g. <c>slot/sku@loc</c>.</param>
/// <param name="Sequence">1, 2, 3… per stream, assigned by the grain.</param>
/// <param name="Payload">The event, serialised with the Orleans serializer.</param>
public readonly record struct JournalEntry(string Stream, long Sequence, byte[] Payload);

/// <summary>What a grain reloads: its latest snapshot (if any) and every event after it, in order.</summary>
public sealed record JournalLoad(long SnapshotSequence, byte[]? Snapshot, IReadOnlyList<JournalEntry> Events);

/// <summary>
/// An append-only journal of grain events, shared by every grain of a silo so that writes of many grains are
/// committed together (one round trip and one fsync per batch, not per event).
/// <para>Guarantees: <see cref="AppendAsync(JournalEntry)"/> completes only when the entry is durable. Entries are committed in
/// append order, and a failed entry fails every later entry of the same stream until the stream is reloaded, so the
/// durable part of a stream is always a prefix of what its grain appended. An entry whose sequence already exists
/// or is covered by the stream's snapshot (a second activation of the same grain wrote it, and may since have trimmed
/// it) fails with <see cref="JournalConflictException"/>: never stored where a load would skip it.</para>
/// </summary>
public interface IGrainJournal
{
    /// <summary>Appends an entry; completes when it is durable, fails with <see cref="StorageUnavailableException"/>
    /// or <see cref="JournalConflictException"/> when it is not (nothing of it is then acknowledged).</summary>
    Task AppendAsync(JournalEntry entry);

    /// <summary>Appends an entry that rests on entries appended before it (by other grains of this silo, given by the
    /// tasks <see cref="AppendAsync(JournalEntry)"/> returned for them): it is committed only together with them or
    /// after them, and fails with <see cref="StorageUnavailableException"/> if any of them fails, so once it is durable
    /// they are too. This default commits it strictly after them; a journal that writes in batches may put it into the
    /// same batch as they are, so a caller waits for one flush instead of two.</summary>
    async Task AppendAsync(JournalEntry entry, IReadOnlyList<Task> after)
    {
        await RestingEntries.StoredAsync(after);
        await AppendAsync(entry);
    }

    /// <summary>Clears any failure recorded against a stream, as <see cref="LoadAsync"/> does: for a new activation
    /// that starts without reading (every entry of the failed activation has been answered by then).</summary>
    void Reopen(string stream);

    /// <summary>Loads a stream and clears any failure recorded against it.</summary>
    Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default);

    /// <summary>Stores a snapshot taken right after <paramref name="sequence"/> and drops the events it covers.
    /// Call only once that event is durable.</summary>
    Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default);
}

/// <summary>The sequence was already written by another activation of the same grain: reload and retry.</summary>
[GenerateSerializer, Alias("dom.journal.conflict")]
public sealed class JournalConflictException : Exception
{
    public JournalConflictException()
        : this("Another activation wrote this stream first; nothing was changed. Retry.")
    {
    }

    public JournalConflictException(string message)
        : base(message)
    {
    }

    public JournalConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A stream's stored events do not follow one another (one is missing or repeated), so the grain was not
/// loaded: it would answer from a state that never existed. Not transient; an operator repairs the stream. The
/// message names the stream and is meant for logs, not for clients.</summary>
[GenerateSerializer, Alias("dom.journal.damaged")]
public sealed class JournalDamagedException : Exception
{
    public JournalDamagedException(string stream, long version, long next)
        : this($"Journal stream {stream} is damaged: event {next} follows {version}.")
    {
    }

    public JournalDamagedException(string message)
        : base(message)
    {
    }

    public JournalDamagedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
