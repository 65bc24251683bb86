using System.Collections.Concurrent;
using System.Threading.Channels;
using Dom.Grains.Journal;
using Npgsql;
using NpgsqlTypes;

namespace Dom.Silo.Hosting;

/// <summary>
/// The grain journal on PostgreSQL. Entries of every grain of the silo are written in batches, one or a few at a time:
/// whatever is queued when a batch slot frees up goes out as one multi-row INSERT, one round trip and one WAL flush for
/// the whole batch (group commit across grains), so the commit rate of the server is no ceiling on the event rate.
/// <para>Per-stream order: a stream with entries in a batch in flight gets no entry into another batch until that
/// batch completes; its later entries wait and go into a following batch, so what is durable of a stream is always a
/// prefix. A batch that fails acknowledges nothing and fails its streams with every entry still waiting behind them.
/// Entries that collide with an existing (stream, seq) fail their stream's entries as conflicts; the rest commits.</para>
/// </summary>
internal sealed class PostgresJournal : IGrainJournal, IAsyncDisposable
{
    /// <summary>One batch at a time unless configured otherwise (<c>Silo:JournalBatchesInFlight</c>).</summary>
    public const int DefaultBatchesInFlight = 1;

    private const int MaxBatch = 4_096;
    private const int MaxConcurrentLoads = 4;

    private readonly NpgsqlDataSource _data;
    private readonly ILogger<PostgresJournal> _logger;
    private readonly int _maxBatchesInFlight;
    private readonly ConcurrentDictionary<string, byte> _failedStreams = new(StringComparer.Ordinal);
    private readonly Channel<PendingLoad> _loads = Channel.CreateUnbounded<PendingLoad>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _loaders = new(MaxConcurrentLoads);
    private readonly Task _loader;

    private readonly Lock _lock = new();

    // Under _lock: entries not sent yet, per stream in append order; the streams among them that may be sent now (none
    // of their entries in flight), oldest first; the streams with entries in a batch in flight.
    private readonly Dictionary<string, Queue<Pending>> _waiting = new(StringComparer.Ordinal);
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _writing = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _batchesInFlight;
    private bool _closing;

    public PostgresJournal(NpgsqlDataSource data, ILogger<PostgresJournal> logger, int maxBatchesInFlight = DefaultBatchesInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchesInFlight, 1);
        _data = data;
        _logger = logger;
        _maxBatchesInFlight = maxBatchesInFlight;
        _loader = Task.Run(LoadLoopAsync);
    }

    /// <summary>Test seam: awaited before each batch is written, with its entries; an exception fails the batch.</summary>
    internal Func<IReadOnlyList<JournalEntry>, Task>? BeforeWrite { get; set; }

    public Task AppendAsync(JournalEntry entry)
    {
        var pending = new Pending(entry);
        List<List<Pending>>? batches;
        lock (_lock)
        {
            if (_closing)
            {
                return Task.FromException(new StorageUnavailableException("The silo is shutting down."));
            }

            if (_failedStreams.ContainsKey(entry.Stream))
            {
                return Task.FromException(new StorageUnavailableException());
            }

            if (_waiting.TryGetValue(entry.Stream, out var queue))
            {
                queue.Enqueue(pending);
            }
            else
            {
                queue = new Queue<Pending>();
                queue.Enqueue(pending);
                _waiting.Add(entry.Stream, queue);
                if (!_writing.Contains(entry.Stream))
                {
                    _ready.Enqueue(entry.Stream);
                }
            }

            batches = TakeBatches();
        }

        Start(batches);
        return pending.Done.Task;
    }

    public void Reopen(string stream) => _failedStreams.TryRemove(stream, out _);

    public Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default)
    {
        var load = new PendingLoad(stream);
        return _loads.Writer.TryWrite(load) ? load.Done.Task.WaitAsync(cancellationToken) : Task.FromException<JournalLoad>(new StorageUnavailableException("The silo is shutting down."));
    }

    public async Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var batch = _data.CreateBatch();
            var upsert = Command(
                """
                INSERT INTO dom_snapshot (stream, seq, payload) VALUES ($1, $2, $3)
                ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, payload = excluded.payload, taken_at = now()
                WHERE dom_snapshot.seq < excluded.seq
                """,
                stream);
            upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
            upsert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = snapshot });
            var trim = Command("DELETE FROM dom_journal WHERE stream = $1 AND seq <= $2", stream);
            trim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
            batch.BatchCommands.Add(upsert);
            batch.BatchCommands.Add(trim);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            throw new StorageUnavailableException("Snapshot not stored.", exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _closing = true;
            SignalIfDrained();
        }

        _loads.Writer.TryComplete();
        await Task.WhenAll(_drained.Task, _loader);
    }

    /// <summary>Activations come in bursts (every reservation is a new grain): their loads are batched into one
    /// query per batch, a few batches at a time.</summary>
    private async Task LoadLoopAsync()
    {
        while (await _loads.Reader.WaitToReadAsync())
        {
            var batch = new List<PendingLoad>();
            while (batch.Count < MaxBatch && _loads.Reader.TryRead(out var load))
            {
                batch.Add(load);
            }

            await _loaders.WaitAsync();
            _ = LoadBatchAsync(batch).ContinueWith(_ => _loaders.Release(), TaskScheduler.Default);
        }
    }

    private async Task LoadBatchAsync(List<PendingLoad> batch)
    {
        var streams = batch.Select(l => l.Stream).Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            var snapshots = new Dictionary<string, (long Sequence, byte[] Payload)>(StringComparer.Ordinal);
            var events = streams.ToDictionary(s => s, _ => new List<JournalEntry>(), StringComparer.Ordinal);
            // One statement, so one view of the database: with two (snapshots, then the events after them), a snapshot
            // saved in between (by the previous activation, whose snapshot write may land after it is gone) moves the
            // second statement's starting point past events the first statement's snapshot does not cover, and those
            // events are lost to the new activation, acknowledged holds included.
            await using (var query = _data.CreateCommand(
                """
                WITH snap AS (SELECT stream, seq, payload FROM dom_snapshot WHERE stream = ANY($1))
                SELECT stream, seq, payload, true AS is_snapshot FROM snap
                UNION ALL
                SELECT j.stream, j.seq, j.payload, false
                FROM dom_journal j LEFT JOIN snap s ON s.stream = j.stream
                WHERE j.stream = ANY($1) AND j.seq > coalesce(s.seq, 0)
                ORDER BY 1, 4 DESC, 2
                """))
            {
                query.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var (stream, sequence, payload) = (reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
                    if (reader.GetBoolean(3))
                    {
                        snapshots[stream] = (sequence, payload);
                    }
                    else
                    {
                        events[stream].Add(new JournalEntry(stream, sequence, payload));
                    }
                }
            }

            foreach (var load in batch)
            {
                _failedStreams.TryRemove(load.Stream, out _);
                var (sequence, snapshot) = snapshots.TryGetValue(load.Stream, out var found) ? found : (0, null);
                load.Done.TrySetResult(new JournalLoad(sequence, snapshot, events[load.Stream]));
            }
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Loading {Count} streams failed", streams.Length);
            foreach (var load in batch)
            {
                load.Done.TrySetException(new StorageUnavailableException());
            }
        }
    }

    /// <summary>Under _lock: as many batches as free slots allow, from the streams that may be sent now.</summary>
    private List<List<Pending>>? TakeBatches()
    {
        List<List<Pending>>? batches = null;
        while (_batchesInFlight < _maxBatchesInFlight && _ready.Count > 0)
        {
            var batch = new List<Pending>();
            while (batch.Count < MaxBatch && _ready.TryDequeue(out var stream))
            {
                _writing.Add(stream);
                var queue = _waiting[stream];
                while (batch.Count < MaxBatch && queue.TryDequeue(out var pending))
                {
                    batch.Add(pending);
                }

                // A stream cut off by a full batch waits, not ready, until this batch completes.
                if (queue.Count == 0)
                {
                    _waiting.Remove(stream);
                }
            }

            _batchesInFlight++;
            (batches ??= []).Add(batch);
        }

        return batches;
    }

    private void Start(List<List<Pending>>? batches)
    {
        foreach (var batch in batches ?? [])
        {
            // Off the caller's scheduler (a grain's): the write and its completions run on the thread pool.
            _ = Task.Run(() => WriteAsync(batch));
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        var conflicted = new List<Pending>();
        var written = false;
        try
        {
            if (BeforeWrite is { } hook)
            {
                await hook(batch.ConvertAll(p => p.Entry));
            }

            await CommitAsync(batch, conflicted);
            written = true;
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Journal batch of {Count} entries failed; nothing of it is acknowledged", batch.Count);
        }

        Complete(batch, conflicted, written);
    }

    /// <summary>Writes the batch; entries of streams that collided with existing rows are moved to
    /// <paramref name="conflicted"/> and not written. Throws when the rest may not have been written.</summary>
    private async Task CommitAsync(List<Pending> batch, List<Pending> conflicted)
    {
        // Two writers of one (stream, seq) in one batch (two attempts recording the same new reservation): the first
        // is written, the other is a conflict. Its stream is not marked failed: the first writer's entries are good.
        var seen = new HashSet<(string, long)>(batch.Count);
        var duplicates = batch.Where(p => !seen.Add((p.Entry.Stream, p.Entry.Sequence))).ToList();
        if (duplicates.Count > 0)
        {
            _logger.LogWarning("Journal: {Count} entries written twice in one batch; the later ones are conflicts", duplicates.Count);
            duplicates.ForEach(p => p.Duplicate = true);
            batch = batch.Except(duplicates).ToList();
        }

        try
        {
            await InsertAsync(batch);
            return;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The statement was all or nothing: nothing of the batch is stored. Find the collisions in a transaction.
        }

        await CommitCollidingAsync(batch, conflicted);
    }

    private async Task CommitCollidingAsync(List<Pending> batch, List<Pending> conflicted)
    {
        var rest = batch.ToList();
        while (rest.Count > 0)
        {
            var conflicts = await InsertInTransactionAsync(rest);
            if (conflicts.Count == 0)
            {
                return;
            }

            // Rolled back: drop every entry of a conflicting stream (later ones depend on the conflicting one) and retry the rest.
            var streams = conflicts.Select(c => c.Item1).ToHashSet(StringComparer.Ordinal);
            _logger.LogWarning("Journal conflict on {Streams}; another activation wrote them first", string.Join(", ", streams));
            conflicted.AddRange(rest.Where(p => streams.Contains(p.Entry.Stream)));
            rest.RemoveAll(p => streams.Contains(p.Entry.Stream));
        }
    }

    /// <summary>Answers a finished batch, fails what waits behind its failed streams, and sends what may go now.</summary>
    private void Complete(List<Pending> batch, List<Pending> conflicted, bool written)
    {
        var failedStreams = (written ? conflicted : batch).Select(p => p.Entry.Stream).ToHashSet(StringComparer.Ordinal);
        var stranded = new List<Pending>();
        if (failedStreams.Count > 0)
        {
            lock (_lock)
            {
                foreach (var stream in failedStreams)
                {
                    // Before any caller hears of the failure, so that a reload (which clears it) cannot come first.
                    _failedStreams.TryAdd(stream, 0);
                    if (_waiting.Remove(stream, out var queue))
                    {
                        stranded.AddRange(queue);
                    }
                }
            }
        }

        var isConflict = conflicted.ToHashSet();
        foreach (var pending in batch)
        {
            if (pending.Duplicate || isConflict.Contains(pending))
            {
                pending.Done.TrySetException(new JournalConflictException());
            }
            else if (written)
            {
                pending.Done.TrySetResult();
            }
            else
            {
                pending.Done.TrySetException(new StorageUnavailableException());
            }
        }

        // They were decided on top of an entry that failed.
        foreach (var pending in stranded)
        {
            pending.Done.TrySetException(new StorageUnavailableException());
        }

        // Answered first, released after: a stream's next batch starts only once this one's entries are answered.
        List<List<Pending>>? batches;
        lock (_lock)
        {
            foreach (var stream in batch.Select(p => p.Entry.Stream).Distinct(StringComparer.Ordinal))
            {
                _writing.Remove(stream);
                if (_waiting.ContainsKey(stream))
                {
                    _ready.Enqueue(stream);
                }
            }

            _batchesInFlight--;
            batches = TakeBatches();
            SignalIfDrained();
        }

        Start(batches);
    }

    /// <summary>Under _lock.</summary>
    private void SignalIfDrained()
    {
        if (_closing && _batchesInFlight == 0 && _waiting.Count == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>The common path, one round trip: the whole batch in one autocommit statement, durable when it returns
    /// (synchronous_commit). A collision fails the statement with a unique violation and stores nothing of it.</summary>
    private async Task InsertAsync(List<Pending> batch)
    {
        await using var insert = _data.CreateCommand(
            """
            INSERT INTO dom_journal (stream, seq, payload)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
            """);
        AddEntries(insert, batch);
        await insert.ExecuteNonQueryAsync();
    }

    /// <summary>Inserts the batch in one transaction and commits it unless some entry already existed; returns those.</summary>
    private async Task<HashSet<(string, long)>> InsertInTransactionAsync(List<Pending> batch)
    {
        await using var connection = await _data.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO dom_journal (stream, seq, payload)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
            ON CONFLICT DO NOTHING
            RETURNING stream, seq
            """,
            connection,
            transaction);
        AddEntries(insert, batch);

        var written = new HashSet<(string, long)>();
        await using (var reader = await insert.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                written.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        if (written.Count == batch.Count)
        {
            await transaction.CommitAsync();
            return [];
        }

        await transaction.RollbackAsync();
        var missing = batch.Select(p => (p.Entry.Stream, p.Entry.Sequence)).Where(key => !written.Contains(key)).ToHashSet();
        return missing.Count > 0 ? missing : throw new InvalidOperationException("Journal batch rolled back without an identifiable conflict; nothing acknowledged.");
    }

    private static void AddEntries(NpgsqlCommand command, List<Pending> batch)
    {
        var streams = new string[batch.Count];
        var sequences = new long[batch.Count];
        var payloads = new byte[batch.Count][];
        for (var i = 0; i < batch.Count; i++)
        {
            (streams[i], sequences[i], payloads[i]) = (batch[i].Entry.Stream, batch[i].Entry.Sequence, batch[i].Entry.Payload);
        }

        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = sequences, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
    }

    private static NpgsqlBatchCommand Command(string sql, string stream)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        return command;
    }

    private sealed class PendingLoad(string stream)
    {
        public string Stream { get; } = stream;

        public TaskCompletionSource<JournalLoad> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Pending(JournalEntry entry)
    {
        public JournalEntry Entry { get; } = entry;

        /// <summary>Completed on the writer's thread with continuations run there: a grain's await posts its continuation to
        /// the grain's own scheduler anyway, so an asynchronous completion would only add a thread-pool hop per entry.</summary>
        public TaskCompletionSource Done { get; } = new();

        /// <summary>A second entry for the same (stream, seq) in its batch: answered as a conflict, never written.</summary>
        public bool Duplicate { get; set; }
    }
}
