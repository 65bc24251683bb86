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
/// Entries that collide with an existing (stream, seq), or with a snapshot that covers their seq (a stale activation
/// writing below what the live one snapshotted and trimmed; the schema's guard, 0006, makes that a collision too), fail
/// their stream's entries as conflicts; the rest commits.</para>
/// <para>Dependencies: an entry appended with <c>after</c> (a reservation's record resting on its holds and bookings) is
/// sent only in the batch that carries the last of those entries or in one after they are stored, never before; if one
/// of them fails, it fails unwritten. In the common case the entries it rests on are still waiting when it arrives, so
/// all of them share one statement and one flush.</para>
/// </summary>
internal sealed class PostgresJournal : IGrainJournal, IAsyncDisposable
{
    /// <summary>One batch at a time unless configured otherwise (<c>Silo:JournalBatchesInFlight</c>).</summary>
    public const int DefaultBatchesInFlight = 1;

    private const int MaxBatch = 4_096;
    private const int MaxConcurrentLoads = 4;

    /// <summary>The schema's guard against a row below its stream's snapshot (0006), and how many times in a row the
    /// conflict path retries when a snapshot commits under it before failing the batch.</summary>
    private const string SnapshotGuard = "dom_journal_snapshot";
    private const int MaxOvertaken = 3;

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

    // Under _lock: the streams whose next entry waits for entries it rests on (not ready until those are taken into a
    // batch or stored); entries whose dependencies failed, to be answered outside the lock. An entry another one rests
    // on is found from its task, whose state is the entry itself.
    private readonly HashSet<string> _blocked = new(StringComparer.Ordinal);
    private readonly List<Pending> _doomed = new();
    private int _lastBatch;

    /// <summary>No batch has this id: an entry waiting to be taken has batch 0, so asking about batch 0 would count it.</summary>
    private const int NoBatch = -1;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _batchesInFlight;
    private bool _closing;

    /// <summary>How long an entry may take from its append to its answer when nothing else is said: the default
    /// statement timeout (<see cref="PostgresOptions.CommandTimeoutSeconds"/>).</summary>
    public static readonly TimeSpan DefaultWriteBudget = TimeSpan.FromSeconds(new PostgresOptions().CommandTimeoutSeconds);

    private readonly TimeSpan _writeBudget;

    /// <summary>The least of its budget an entry must have left to be sent (a second, or a quarter of a shorter
    /// budget): less than this and it fails unsent.</summary>
    private readonly TimeSpan _leastToSend;
    private readonly TimeProvider _time;

    /// <param name="data">The database.</param>
    /// <param name="logger">Where failed batches are reported.</param>
    /// <param name="maxBatchesInFlight">Batches written at once (<c>Silo:JournalBatchesInFlight</c>).</param>
    /// <param name="writeBudget">How long an entry may take from its append to its answer, waiting for a batch ahead of
    /// it included (<see cref="DefaultWriteBudget"/> when null): an entry with less than a second of it (a quarter of a
    /// shorter budget) left when its batch is taken fails unsent, and a batch's statements are cancelled when its
    /// oldest entry's budget runs out. So a caller waiting on a write gets its answer within the budget however long the
    /// database stalls, and the budget stays below the silo's response timeout: the grain sees the failure before its
    /// caller gives up.</param>
    /// <param name="time">The clock of the budgets (the system's unless a test gives one).</param>
    public PostgresJournal(NpgsqlDataSource data, ILogger<PostgresJournal> logger, int maxBatchesInFlight = DefaultBatchesInFlight, TimeSpan? writeBudget = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchesInFlight, 1);
        _data = data;
        _logger = logger;
        _maxBatchesInFlight = maxBatchesInFlight;
        _writeBudget = writeBudget ?? DefaultWriteBudget;
        ArgumentOutOfRangeException.ThrowIfLessThan(_writeBudget, TimeSpan.FromMilliseconds(100));
        _leastToSend = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, _writeBudget.Ticks / 4));
        _time = time ?? TimeProvider.System;
        _loader = Task.Run(LoadLoopAsync);
    }

    /// <summary>Test seam: awaited before each batch is written, with its entries; an exception fails the batch.</summary>
    internal Func<IReadOnlyList<JournalEntry>, Task>? BeforeWrite { get; set; }

    public Task AppendAsync(JournalEntry entry) => Enqueue(new Pending(this, entry, null));

    public Task AppendAsync(JournalEntry entry, IReadOnlyList<Task> after)
    {
        List<Pending>? rests = null;
        List<Task>? foreign = null;
        lock (_lock)
        {
            foreach (var task in after)
            {
                if (task.IsCompletedSuccessfully)
                {
                    continue;
                }

                if (task.AsyncState is Pending dependency && dependency.Journal == this)
                {
                    if (dependency.Stored == false)
                    {
                        return FailAtOnce(entry.Stream);
                    }

                    if (dependency.Stored is null)
                    {
                        (rests ??= []).Add(dependency);
                    }
                }
                else if (task.IsCompleted)
                {
                    return FailAtOnce(entry.Stream);
                }
                else
                {
                    (foreign ??= []).Add(task);
                }
            }
        }

        return foreign is null ? Enqueue(new Pending(this, entry, rests?.ToArray())) : AppendAfterAsync(entry, foreign, rests);
    }

    /// <summary>Under _lock: an entry resting on a failed write fails before it is queued, and like any failed entry it
    /// fails every later entry of its stream until the stream is reloaded.</summary>
    private Task FailAtOnce(string stream)
    {
        _failedStreams.TryAdd(stream, 0);
        return Task.FromException(RestingEntries.NotStored());
    }

    /// <summary>An entry resting on tasks this journal did not hand out: it waits for them, then rests on the rest.</summary>
    private async Task AppendAfterAsync(JournalEntry entry, List<Task> foreign, List<Pending>? rests)
    {
        await RestingEntries.StoredAsync(foreign);
        await Enqueue(new Pending(this, entry, rests?.ToArray()));
    }

    private Task Enqueue(Pending pending)
    {
        var entry = pending.Entry;
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
        AnswerDoomed();
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

    /// <summary>Under _lock: as many batches as free slots allow, from the streams that may be sent now. A stream whose
    /// next entry rests on entries neither stored nor in this batch is blocked; once the ready streams are taken, the
    /// blocked ones whose entries it rests on all went into this batch join it.</summary>
    private List<List<Pending>>? TakeBatches()
    {
        List<List<Pending>>? batches = null;
        Unblock();
        while (_batchesInFlight < _maxBatchesInFlight && _ready.Count > 0)
        {
            var batch = new List<Pending>();
            var id = ++_lastBatch;
            while (batch.Count < MaxBatch && _ready.TryDequeue(out var stream))
            {
                Take(stream, batch, id);
            }

            foreach (var stream in _blocked.Count > 0 ? _blocked.ToList() : [])
            {
                if (batch.Count < MaxBatch && Sendable(_waiting[stream].Peek(), id) != false)
                {
                    _blocked.Remove(stream);
                    Take(stream, batch, id);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            _batchesInFlight++;
            (batches ??= []).Add(batch);
        }

        return batches;
    }

    /// <summary>Under _lock: moves the stream's entries into the batch, up to the first that may not go in it yet.</summary>
    private void Take(string stream, List<Pending> batch, int id)
    {
        var queue = _waiting[stream];
        var taken = 0;
        while (batch.Count < MaxBatch && queue.TryPeek(out var next))
        {
            var sendable = Sendable(next, id);
            if (taken == 0 && (sendable is null || Left(next) < _leastToSend))
            {
                // What it rests on failed, or it waited so long for a batch ahead of it that too little of its budget
                // is left to write it: it fails unsent, and its stream with it, rather than be answered late.
                if (sendable is not null)
                {
                    _logger.LogWarning("Journal entry {Stream}/{Sequence} waited {Waited} ms for a batch ahead of it; failed unsent", stream, next.Entry.Sequence, (long)_time.GetElapsedTime(next.QueuedAt).TotalMilliseconds);
                }

                Doom(stream);
                return;
            }

            if (sendable != true)
            {
                break;
            }

            queue.Dequeue();
            next.Batch = id;
            batch.Add(next);
            taken++;
        }

        if (taken == 0)
        {
            // Its next entry rests on entries not sent yet: it waits for them to be taken or stored.
            _blocked.Add(stream);
            return;
        }

        _writing.Add(stream);

        // A stream cut off by a full batch (or by an entry that must wait) waits, not ready, until this batch completes.
        if (queue.Count == 0)
        {
            _waiting.Remove(stream);
        }
    }

    /// <summary>Under _lock: blocked streams whose next entry may go now (what it rests on is stored) or must fail
    /// (what it rests on failed) become ready; taking them sends or fails them.</summary>
    private void Unblock()
    {
        if (_blocked.Count == 0)
        {
            return;
        }

        foreach (var stream in _blocked.ToList())
        {
            if (Sendable(_waiting[stream].Peek(), NoBatch) != false)
            {
                _blocked.Remove(stream);
                _ready.Enqueue(stream);
            }
        }
    }

    /// <summary>Under _lock: true when the entry may go into batch <paramref name="id"/> (it rests on nothing, or on
    /// entries stored or in that batch), false when it must wait, null when something it rests on failed.</summary>
    private static bool? Sendable(Pending pending, int id)
    {
        var sendable = true;
        foreach (var dependency in pending.After ?? [])
        {
            if (dependency.Stored == false)
            {
                return null;
            }

            if (dependency.Stored is null && dependency.Batch != id)
            {
                sendable = false;
            }
        }

        return sendable;
    }

    /// <summary>What is left of <paramref name="pending"/>'s write budget.</summary>
    private TimeSpan Left(Pending pending) => _writeBudget - _time.GetElapsedTime(pending.QueuedAt);

    /// <summary>Under _lock: the stream's next entry rests on a failed entry (or its budget is spent), so it and
    /// everything behind it fail.</summary>
    private void Doom(string stream)
    {
        _blocked.Remove(stream);
        _failedStreams.TryAdd(stream, 0);
        if (_waiting.Remove(stream, out var queue))
        {
            foreach (var pending in queue)
            {
                pending.Stored = false;
                _doomed.Add(pending);
            }
        }
    }

    /// <summary>Answers, outside the lock, the entries found resting on failed ones.</summary>
    private void AnswerDoomed()
    {
        List<Pending> doomed;
        lock (_lock)
        {
            if (_doomed.Count == 0)
            {
                return;
            }

            doomed = [.. _doomed];
            _doomed.Clear();
        }

        foreach (var pending in doomed)
        {
            pending.Done.TrySetException(RestingEntries.NotStored());
        }
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
            // Cancelled when the budget of its oldest entry runs out (every entry in it had some of its own left when
            // the batch was taken; at least a millisecond, should the thread pool have been slow to start this).
            using var budget = new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, batch.Min(Left).Ticks)), _time);
            if (BeforeWrite is { } hook)
            {
                await hook(batch.ConvertAll(p => p.Entry));
            }

            await CommitAsync(batch, conflicted, budget.Token);
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
    private async Task CommitAsync(List<Pending> batch, List<Pending> conflicted, CancellationToken cancellationToken)
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

            // An entry resting on a duplicate is not written either.
            conflicted.AddRange(TakeDependents(batch, [.. duplicates]));
        }

        try
        {
            await InsertAsync(batch, cancellationToken);
            return;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The statement was all or nothing: nothing of the batch is stored. Find the collisions in a transaction.
        }

        await CommitCollidingAsync(batch, conflicted, cancellationToken);
    }

    private async Task CommitCollidingAsync(List<Pending> batch, List<Pending> conflicted, CancellationToken cancellationToken)
    {
        var rest = batch.ToList();
        var overtaken = 0;
        while (rest.Count > 0)
        {
            HashSet<(string, long)> conflicts;
            try
            {
                conflicts = await InsertInTransactionAsync(rest, cancellationToken);
            }
            catch (PostgresException exception) when (exception.ConstraintName == SnapshotGuard && ++overtaken <= MaxOvertaken)
            {
                // A snapshot committed while this ran and covers one of its entries: the next attempt's filter sees it
                // and reports that entry as a conflict, so the rest of the batch is not failed for it.
                _logger.LogInformation("A snapshot committed under a batch's conflict path ({Detail}); trying again ({Attempt} of {Max})", exception.MessageText, overtaken, MaxOvertaken);
                continue;
            }

            if (conflicts.Count == 0)
            {
                return;
            }

            // Rolled back: drop every entry of a conflicting stream (later ones depend on the conflicting one) and retry the rest.
            var streams = conflicts.Select(c => c.Item1).ToHashSet(StringComparer.Ordinal);
            _logger.LogWarning("Journal conflict on {Streams}; another activation wrote them first", string.Join(", ", streams));
            var dropped = rest.Where(p => streams.Contains(p.Entry.Stream)).ToHashSet();
            rest.RemoveAll(dropped.Contains);
            conflicted.AddRange(dropped);

            // Entries resting on a dropped one cannot be written without it.
            conflicted.AddRange(TakeDependents(rest, dropped));
        }
    }

    /// <summary>Removes from <paramref name="batch"/> every entry resting (directly or through another) on one of
    /// <paramref name="dropped"/>, with every other entry of its stream in the batch (a stream's stored part stays a
    /// prefix), and returns them; they are answered as not stored, not as conflicts.</summary>
    private static List<Pending> TakeDependents(List<Pending> batch, HashSet<Pending> dropped)
    {
        var taken = new List<Pending>();
        while (true)
        {
            var streams = batch.Where(p => p.After is { } after && after.Any(dropped.Contains)).Select(p => p.Entry.Stream).ToHashSet(StringComparer.Ordinal);
            if (streams.Count == 0)
            {
                return taken;
            }

            foreach (var pending in batch.Where(p => streams.Contains(p.Entry.Stream)).ToList())
            {
                batch.Remove(pending);
                dropped.Add(pending);
                pending.RestsOnFailure = true;
                taken.Add(pending);
            }
        }
    }

    /// <summary>Answers a finished batch, fails what waits behind its failed streams, and sends what may go now.</summary>
    private void Complete(List<Pending> batch, List<Pending> conflicted, bool written)
    {
        var isConflict = conflicted.ToHashSet();
        var failedStreams = (written ? conflicted : batch).Select(p => p.Entry.Stream).ToHashSet(StringComparer.Ordinal);
        var stranded = new List<Pending>();
        lock (_lock)
        {
            // Before any caller hears of the outcome: entries resting on these see it from now on.
            foreach (var pending in batch)
            {
                pending.Stored = written && !pending.Duplicate && !isConflict.Contains(pending);
            }

            foreach (var stream in failedStreams)
            {
                // Before any caller hears of the failure, so that a reload (which clears it) cannot come first.
                _failedStreams.TryAdd(stream, 0);
                if (_waiting.Remove(stream, out var queue))
                {
                    foreach (var pending in queue)
                    {
                        pending.Stored = false;
                        stranded.Add(pending);
                    }
                }
            }
        }

        foreach (var pending in batch)
        {
            if (pending.RestsOnFailure)
            {
                pending.Done.TrySetException(RestingEntries.NotStored());
            }
            else if ((pending.Duplicate && written) || isConflict.Contains(pending))
            {
                // A duplicate conflicts with its first writer only if that was stored: in a failed batch neither is.
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
        AnswerDoomed();
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
    private async Task InsertAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        await using var insert = _data.CreateCommand(
            """
            INSERT INTO dom_journal (stream, seq, payload)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
            """);
        AddEntries(insert, batch);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Inserts the batch in one transaction and commits it unless some entry already existed or its stream's
    /// snapshot covers it; returns those. (A snapshot committed while this runs still fails the statement through the
    /// schema's guard, 0006, with nothing of it stored; the caller tries again.)</summary>
    private async Task<HashSet<(string, long)>> InsertInTransactionAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        await using var connection = await _data.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO dom_journal (stream, seq, payload)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS e (stream, seq, payload)
            WHERE NOT EXISTS (SELECT FROM dom_snapshot s WHERE s.stream = e.stream AND e.seq <= s.seq)
            ON CONFLICT DO NOTHING
            RETURNING stream, seq
            """,
            connection,
            transaction);
        AddEntries(insert, batch);

        var written = new HashSet<(string, long)>();
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                written.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        if (written.Count == batch.Count)
        {
            await transaction.CommitAsync(cancellationToken);
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

    private sealed class Pending
    {
        public Pending(PostgresJournal journal, JournalEntry entry, Pending[]? after)
        {
            (Journal, Entry, After, QueuedAt) = (journal, entry, after, journal._time.GetTimestamp());

            // The task's state is the entry: an entry appended later to rest on this one finds it from the task alone.
            // Completed on the writer's thread with continuations run there: a grain's await posts its continuation to
            // the grain's own scheduler anyway, so an asynchronous completion would only add a thread-pool hop per entry.
            Done = new TaskCompletionSource(this);
        }

        public PostgresJournal Journal { get; }

        public JournalEntry Entry { get; }

        /// <summary>When it was appended (a <see cref="TimeProvider"/> timestamp): its write budget runs from here.</summary>
        public long QueuedAt { get; }

        /// <summary>The entries this one rests on: it goes into their batch or a later one, and fails if they fail.</summary>
        public Pending[]? After { get; }

        /// <summary>Under _lock: the batch it was taken into (0 while it waits).</summary>
        public int Batch { get; set; }

        /// <summary>Under _lock: null until its outcome is known, then whether it is stored.</summary>
        public bool? Stored { get; set; }

        public TaskCompletionSource Done { get; }

        /// <summary>Dropped from its batch because an entry it rests on was (a conflict or a duplicate): answered as not
        /// stored.</summary>
        public bool RestsOnFailure { get; set; }

        /// <summary>A second entry for the same (stream, seq) in its batch: answered as a conflict, never written.</summary>
        public bool Duplicate { get; set; }
    }
}
