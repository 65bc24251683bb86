using System.Collections.Concurrent;
using System.Threading.Channels;
using Dom.Grains.Journal;

namespace Dom.Grains.Tests;

/// <summary>
/// The journal of the test cluster: the memory journal behind a queue that acknowledges appends in batches from a
/// background loop, as the PostgreSQL journal does, so reentrant grains really interleave calls while their writes are
/// in flight. Streams can be told to fail, to test what a failed write leaves behind.
/// </summary>
public sealed class TestJournal : IGrainJournal
{
    private readonly MemoryJournal _inner = new();
    private readonly Channel<(JournalEntry Entry, TaskCompletionSource Done)> _queue = Channel.CreateUnbounded<(JournalEntry, TaskCompletionSource)>();
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _failedStreams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _loads = new(StringComparer.Ordinal);

    public TestJournal() => _ = Task.Run(AcknowledgeAsync);

    private readonly ConcurrentDictionary<string, WriteGate> _gates = new(StringComparer.Ordinal);

    /// <summary>The next append to <paramref name="stream"/> (and everything queued behind it) waits until the returned
    /// gate is opened; failing the gate fails that append as a storage outage would.</summary>
    public WriteGate Gate(string stream) => _gates[stream] = new WriteGate();

    private readonly ConcurrentDictionary<string, TaskCompletionSource<JournalEntry>> _watches = new(StringComparer.Ordinal);

    /// <summary>Completes with the next entry stored in <paramref name="stream"/>: a test awaits a write it cannot call
    /// for (one a timer makes).</summary>
    public Task<JournalEntry> NextStored(string stream) =>
        _watches.GetOrAdd(stream, _ => new TaskCompletionSource<JournalEntry>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private readonly ConcurrentDictionary<string, int> _skips = new(StringComparer.Ordinal);

    /// <summary>The next <paramref name="count"/> appends to <paramref name="stream"/> fail as a storage outage would,
    /// after <paramref name="after"/> more are stored.</summary>
    public void FailNext(string stream, int count = 1, int after = 0)
    {
        _failureTargets.TryRemove(stream, out _);
        _skips[stream] = after;
        _failures[stream] = count;
    }

    private readonly ConcurrentDictionary<string, Func<JournalEntry, bool>> _failureTargets = new(StringComparer.Ordinal);

    /// <summary>As <see cref="FailNext(string, int, int)"/>, but only appends that <paramref name="target"/> picks fail
    /// or are counted: on a stream other tests' grains write to as well (an order-list bucket), a write of theirs (a
    /// reminder's, on a slow run) cannot take the failure meant for the test's own.</summary>
    public void FailNext(string stream, Func<JournalEntry, bool> target, int count = 1, int after = 0)
    {
        _failureTargets[stream] = target;
        _skips[stream] = after;
        _failures[stream] = count;
    }

    private readonly ConcurrentDictionary<string, WriteGate> _late = new(StringComparer.Ordinal);

    /// <summary>The next append to <paramref name="stream"/> is reported failed at once, and stored when the returned
    /// gate opens (unless its place was taken meanwhile): a statement that outlived its answer, as after a timeout.</summary>
    public WriteGate LandLate(string stream) => _late[stream] = new WriteGate();

    private readonly ConcurrentDictionary<string, byte> _conflicts = new(StringComparer.Ordinal);

    /// <summary>The next append to <paramref name="stream"/> is answered as a conflict and not stored, though nothing
    /// stored explains it (a record still uncommitted in another statement): a conflict that rules nothing out.</summary>
    public void ConflictNext(string stream) => _conflicts[stream] = 0;

    private readonly ConcurrentDictionary<string, byte> _throws = new(StringComparer.Ordinal);

    /// <summary>The next append to <paramref name="stream"/> throws at once instead of failing its task.</summary>
    public void ThrowNext(string stream) => _throws[stream] = 0;

    public Task AppendAsync(JournalEntry entry)
    {
        if (_throws.TryRemove(entry.Stream, out _))
        {
            throw new StorageUnavailableException();
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((entry, done));
        return done.Task;
    }

    /// <summary>How often a stream was loaded, i.e. how often its grain was activated.</summary>
    public int Loads(string stream) => _loads.GetValueOrDefault(stream);

    public void Reopen(string stream) => _failedStreams.TryRemove(stream, out _);

    private readonly ConcurrentDictionary<string, Func<IReadOnlyList<JournalEntry>, IReadOnlyList<JournalEntry>>> _damage = new(StringComparer.Ordinal);

    /// <summary>Until <see cref="Repair"/>, loads of <paramref name="stream"/> return its stored events as
    /// <paramref name="damage"/> changes them (an event dropped or repeated, as a bad restore would leave them).</summary>
    public void Damage(string stream, Func<IReadOnlyList<JournalEntry>, IReadOnlyList<JournalEntry>> damage) => _damage[stream] = damage;

    public void Repair(string stream) => _damage.TryRemove(stream, out _);

    public async Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default)
    {
        _loads.AddOrUpdate(stream, 1, (_, n) => n + 1);
        _failedStreams.TryRemove(stream, out _);
        var load = await _inner.LoadAsync(stream, cancellationToken);
        return _damage.TryGetValue(stream, out var damage) ? load with { Events = damage(load.Events) } : load;
    }

    public Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default) =>
        _inner.SaveSnapshotAsync(stream, sequence, snapshot, cancellationToken);

    /// <summary>Stores a late entry once its gate opens (failing the gate drops it); <see cref="WriteGate.Reached"/>
    /// then completes.</summary>
    private async Task StoreLateAsync(JournalEntry entry, WriteGate late)
    {
        try
        {
            await late.Opened.Task;
            await _inner.AppendAsync(entry);
            if (_watches.TryRemove(entry.Stream, out var watch))
            {
                watch.TrySetResult(entry);
            }
        }
        catch (Exception exception) when (exception is JournalConflictException or StorageUnavailableException)
        {
            // Its place was taken, or the test dropped it: it never lands.
        }
        finally
        {
            late.Arrived.TrySetResult();
        }
    }

    private async Task AcknowledgeAsync()
    {
        while (await _queue.Reader.WaitToReadAsync())
        {
            // Like a real batch: everything queued since the last one is acknowledged together.
            var batch = new List<(JournalEntry Entry, TaskCompletionSource Done)>();
            while (_queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            foreach (var (entry, done) in batch)
            {
                if (_late.TryRemove(entry.Stream, out var late))
                {
                    // As in the real journal: after a failure the stream refuses everything until it is reloaded.
                    _failedStreams.TryAdd(entry.Stream, 0);
                    done.TrySetException(new StorageUnavailableException());
                    _ = StoreLateAsync(entry, late);
                    continue;
                }

                if (_conflicts.TryRemove(entry.Stream, out _))
                {
                    done.TrySetException(new JournalConflictException());
                    continue;
                }

                var gateFailed = false;
                if (_gates.TryRemove(entry.Stream, out var gate))
                {
                    try
                    {
                        gate.Arrived.TrySetResult();
                        await gate.Opened.Task;
                    }
                    catch (StorageUnavailableException)
                    {
                        gateFailed = true;
                    }
                }

                // As in the real journal: after a failure the stream refuses everything until it is reloaded.
                if (gateFailed || _failedStreams.ContainsKey(entry.Stream) || TryConsumeFailure(entry))
                {
                    _failedStreams.TryAdd(entry.Stream, 0);
                    done.TrySetException(new StorageUnavailableException());
                }
                else
                {
                    try
                    {
                        await _inner.AppendAsync(entry);
                        done.TrySetResult();
                        if (_watches.TryRemove(entry.Stream, out var watch))
                        {
                            watch.TrySetResult(entry);
                        }
                    }
                    catch (JournalConflictException conflict)
                    {
                        done.TrySetException(conflict);
                    }
                }
            }

            await Task.Yield();
        }
    }

    private bool TryConsumeFailure(JournalEntry entry)
    {
        var stream = entry.Stream;
        if (_failureTargets.TryGetValue(stream, out var target) && _failures.GetValueOrDefault(stream) > 0 && !target(entry))
        {
            return false;
        }

        while (_skips.TryGetValue(stream, out var skip) && skip > 0)
        {
            if (_skips.TryUpdate(stream, skip - 1, skip))
            {
                return false;
            }
        }

        while (_failures.TryGetValue(stream, out var left) && left > 0)
        {
            if (_failures.TryUpdate(stream, left - 1, left))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Holds back one append of a stream: <see cref="Reached"/> completes once the append waits at it.</summary>
public sealed class WriteGate
{
    internal TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the held-back append is in the journal's hands.</summary>
    public Task Reached => Arrived.Task;

    /// <summary>Lets the append be stored.</summary>
    public void Open() => Opened.TrySetResult();

    /// <summary>Fails the append (and so its stream) as a storage outage would.</summary>
    public void Fail() => Opened.TrySetException(new StorageUnavailableException());
}
