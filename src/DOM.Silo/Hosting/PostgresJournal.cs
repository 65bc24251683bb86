using System.Collections.Concurrent;
using System.Threading.Channels;
using Dom.Grains.Journal;
using Npgsql;
using NpgsqlTypes;

namespace Dom.Silo.Hosting;

/// <summary>
/// The grain journal on PostgreSQL. One writer loop per silo takes every entry queued since its last commit and
/// writes them as one multi-row INSERT in one transaction: one round trip and one WAL flush for the whole batch, so
/// the commit rate of the server is no ceiling on the event rate. While a batch commits, the next one fills (group
/// commit across grains). A batch is all or nothing; entries that collide with an existing (stream, seq) are taken
/// out as conflicts and the rest is written again.
/// </summary>
internal sealed class PostgresJournal : IGrainJournal, IAsyncDisposable
{
    private const int MaxBatch = 4_096;
    private const int MaxConcurrentLoads = 4;

    private readonly NpgsqlDataSource _data;
    private readonly ILogger<PostgresJournal> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _failedStreams = new(StringComparer.Ordinal);
    private readonly Channel<PendingLoad> _loads = Channel.CreateUnbounded<PendingLoad>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _loaders = new(MaxConcurrentLoads);
    private readonly Task _writer;
    private readonly Task _loader;

    public PostgresJournal(NpgsqlDataSource data, ILogger<PostgresJournal> logger)
    {
        _data = data;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
        _loader = Task.Run(LoadLoopAsync);
    }

    public Task AppendAsync(JournalEntry entry)
    {
        if (_failedStreams.ContainsKey(entry.Stream))
        {
            return Task.FromException(new StorageUnavailableException());
        }

        var pending = new Pending(entry);
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : Task.FromException(new StorageUnavailableException("The silo is shutting down."));
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
        _queue.Writer.TryComplete();
        _loads.Writer.TryComplete();
        await Task.WhenAll(_writer, _loader);
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
            await using (var query = _data.CreateBatch())
            {
                query.BatchCommands.Add(Command("SELECT stream, seq, payload FROM dom_snapshot WHERE stream = ANY($1)", streams));
                query.BatchCommands.Add(Command(
                    """
                    SELECT j.stream, j.seq, j.payload
                    FROM dom_journal j LEFT JOIN dom_snapshot s ON s.stream = j.stream
                    WHERE j.stream = ANY($1) AND j.seq > coalesce(s.seq, 0)
                    ORDER BY j.stream, j.seq
                    """,
                    streams));
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    snapshots[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
                }

                await reader.NextResultAsync();
                while (await reader.ReadAsync())
                {
                    var stream = reader.GetString(0);
                    events[stream].Add(new JournalEntry(stream, reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
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

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                if (_failedStreams.ContainsKey(pending.Entry.Stream))
                {
                    pending.Done.TrySetException(new StorageUnavailableException());
                }
                else
                {
                    batch.Add(pending);
                }
            }

            await CommitAsync(batch);
        }
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        while (batch.Count > 0)
        {
            HashSet<(string, long)> conflicts;
            try
            {
                conflicts = await InsertAsync(batch);
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "Journal batch of {Count} entries failed; nothing of it is acknowledged", batch.Count);
                Fail(batch, new StorageUnavailableException());
                return;
            }

            if (conflicts.Count == 0)
            {
                foreach (var pending in batch)
                {
                    pending.Done.TrySetResult();
                }

                return;
            }

            // Rolled back: drop every entry of a conflicting stream (later ones depend on the conflicting one) and retry the rest.
            var streams = conflicts.Select(c => c.Item1).ToHashSet(StringComparer.Ordinal);
            _logger.LogWarning("Journal conflict on {Streams}; another activation wrote them first", string.Join(", ", streams));
            Fail(batch.Where(p => streams.Contains(p.Entry.Stream)).ToList(), new JournalConflictException());
            batch.RemoveAll(p => streams.Contains(p.Entry.Stream));
        }
    }

    /// <summary>Inserts the batch in one transaction and commits it unless some entry already existed; returns those.</summary>
    private async Task<HashSet<(string, long)>> InsertAsync(List<Pending> batch)
    {
        var streams = new string[batch.Count];
        var sequences = new long[batch.Count];
        var payloads = new byte[batch.Count][];
        for (var i = 0; i < batch.Count; i++)
        {
            (streams[i], sequences[i], payloads[i]) = (batch[i].Entry.Stream, batch[i].Entry.Sequence, batch[i].Entry.Payload);
        }

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
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = sequences, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        insert.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });

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
        return batch.Select(p => (p.Entry.Stream, p.Entry.Sequence)).Where(key => !written.Contains(key)).ToHashSet();
    }

    private void Fail(List<Pending> entries, Exception exception)
    {
        foreach (var pending in entries)
        {
            // Later entries of the stream were decided on top of this one: refuse them until the grain reloads.
            _failedStreams.TryAdd(pending.Entry.Stream, 0);
            pending.Done.TrySetException(exception);
        }
    }

    private static NpgsqlBatchCommand Command(string sql, string stream)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, string[] streams)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
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

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
