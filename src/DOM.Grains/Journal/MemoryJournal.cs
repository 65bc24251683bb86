namespace Dom.Grains.Journal;

/// <summary>The embedded default: the journal lives in the silo's memory (durable as long as the process runs).</summary>
public sealed class MemoryJournal : IGrainJournal
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Stream> _streams = new(StringComparer.Ordinal);

    public Task AppendAsync(JournalEntry entry)
    {
        lock (_lock)
        {
            var stream = Get(entry.Stream);
            if (entry.Sequence <= stream.Last)
            {
                return Task.FromException(new JournalConflictException());
            }

            stream.Events.Add(entry);
            stream.Last = entry.Sequence;
        }

        return Task.CompletedTask;
    }

    public void Reopen(string stream)
    {
    }

    public Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var s = Get(stream);
            return Task.FromResult(new JournalLoad(s.SnapshotSequence, s.Snapshot, s.Events.ToList()));
        }
    }

    public Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var s = Get(stream);
            if (sequence > s.SnapshotSequence)
            {
                (s.SnapshotSequence, s.Snapshot) = (sequence, snapshot);
                s.Events.RemoveAll(e => e.Sequence <= sequence);
            }
        }

        return Task.CompletedTask;
    }

    private Stream Get(string name)
    {
        if (!_streams.TryGetValue(name, out var stream))
        {
            _streams[name] = stream = new Stream();
        }

        return stream;
    }

    private sealed class Stream
    {
        public List<JournalEntry> Events { get; } = [];

        public long Last { get; set; }

        public long SnapshotSequence { get; set; }

        public byte[]? Snapshot { get; set; }
    }
}
