using Orleans.Serialization;

namespace Dom.Grains.Journal;

/// <summary>
/// A grain whose state is a fold of its events, stored in the silo's shared <see cref="IGrainJournal"/>: O(1) bytes
/// per change, batched with every other grain's changes, and a snapshot now and then so reloads stay short.
/// <para>Group commit: <see cref="Raise(TEvent)"/> applies an event to memory at once and returns the task of its durable
/// write, so a reentrant grain takes the next call while the write is in flight and many callers share one flush.
/// Callers are answered only after their own event is durable. Memory may run ahead of storage only until a write
/// fails; then the grain refuses everything and deactivates, and the next activation reloads what is durable.</para>
/// </summary>
internal abstract class JournaledGrain<TState, TEvent>(IGrainJournal journal, Serializer serializer, ILogger logger) : Grain
    where TState : class
{
    private long _snapshotVersion;
    private bool _broken;
    private Task _lastWrite = Task.CompletedTask;
    private string? _stream;

    /// <summary>The state after every event applied so far (durable or in flight).</summary>
    protected TState State { get; set; } = null!;

    /// <summary>The sequence number of the last event applied.</summary>
    protected long Version { get; private set; }

    /// <summary>How many events between snapshots, at the least.</summary>
    protected virtual int SnapshotEvery => 1_000;

    /// <summary>How many entries the state holds (open holds, bookings…). A snapshot costs that much, so snapshots
    /// are spaced at least twice that many events apart: the cost stays O(1) per event however large the state.</summary>
    protected virtual int StateSize => 0;

    /// <summary>The grain's journal stream. Read once per activation: every event carries it, and the memory journal
    /// keeps it for the life of the process.</summary>
    protected abstract string Stream { get; }

    private string StreamName => _stream ??= Stream;

    protected abstract TState Initial { get; }

    /// <summary>Pure: the state after one event.</summary>
    protected abstract TState Apply(TState state, TEvent @event);

    /// <summary>False for grains that are nearly always new when activated (every reservation id is new): they start
    /// from <see cref="Initial"/> without a read, and the journal catches the rare stream that existed, trimmed by a
    /// snapshot or not (the first write then fails with <see cref="JournalConflictException"/> and the grain calls
    /// <see cref="ReloadAsync"/>). Such grains call <see cref="EnsureLoadedAsync"/> before reading their state.</summary>
    protected virtual bool LoadOnActivation => true;

    /// <summary>True once the state was read from the journal (or written to it).</summary>
    protected bool Loaded { get; private set; }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (LoadOnActivation)
        {
            await ReloadAsync(cancellationToken);
        }
        else
        {
            journal.Reopen(StreamName);
            State = Initial;
        }
    }

    protected async Task EnsureLoadedAsync()
    {
        if (!Loaded)
        {
            await ReloadAsync();
        }
    }

    /// <summary>Replaces the state with what the journal holds.</summary>
    protected async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        var load = await journal.LoadAsync(StreamName, cancellationToken);
        var state = load.Snapshot is null ? Initial : serializer.Deserialize<TState>(load.Snapshot)!;
        var version = load.SnapshotSequence;
        foreach (var entry in load.Events)
        {
            // The journal keeps each stream a prefix of what its grain appended, so the events go up one at a time from
            // the snapshot. A gap or a repeat means rows were lost or written twice outside the engine (a restore, a
            // hand edit): replaying past it would answer from a state that never existed, so the activation fails,
            // loudly, and nothing is decided on it.
            if (entry.Sequence != version + 1)
            {
                logger.LogError(
                    "{Stream} is damaged: event {Sequence} follows {Version} (snapshot at {Snapshot}); not loaded, nothing will be decided on it until it is repaired",
                    StreamName,
                    entry.Sequence,
                    version,
                    load.SnapshotSequence);
                throw new JournalDamagedException(StreamName, version, entry.Sequence);
            }

            state = Apply(state, serializer.Deserialize<TEvent>(entry.Payload)!);
            version = entry.Sequence;
        }

        State = state;
        Version = version;
        _snapshotVersion = load.SnapshotSequence;

        Loaded = true;
        _broken = false;
        OnLoaded();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation loads what the journal holds: a write still on its way (a call answered early ends before
        // its write is stored) must be stored or failed first, or the next activation would answer from a state
        // behind what was acknowledged until its own first write collided with it. Bounded by the deactivation's own
        // timeout.
        if (!_lastWrite.IsCompleted)
        {
            try
            {
                await _lastWrite.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("{Stream} deactivated with event {Version} still on its way to the journal", StreamName, Version);
            }
            catch (Exception)
            {
                // Failed: logged where it failed; the next activation reloads what is durable.
            }
        }

        // Only a snapshot of durable events: a call answered early (a hold whose caller rests its own entry on the write)
        // may have ended with its write still in flight, so the last write must have succeeded, and with it, the stream
        // being a prefix, every write before it. Otherwise the events stay in the journal and a reload replays them.
        // A short tail is cheaper to replay than to snapshot (a reservation has one to three events).
        if (!_broken && _lastWrite.IsCompletedSuccessfully && Version - _snapshotVersion >= Math.Min(SnapshotEvery, 100))
        {
            await SaveSnapshotAsync(Version, serializer.SerializeToArray(State), cancellationToken);
        }
    }

    /// <summary>Called after the state was loaded; rebuild in-memory indexes here.</summary>
    protected virtual void OnLoaded()
    {
    }

    /// <summary>Throws when an earlier write failed and this activation must not answer from memory any more.</summary>
    protected void EnsureUsable()
    {
        if (_broken)
        {
            throw new StorageUnavailableException();
        }
    }

    /// <summary>Completes once every event this activation raised is stored; throws <see cref="StorageUnavailableException"/>
    /// if one of them failed. An answer that repeats an earlier decision ("already held") waits for it: the event that
    /// made the decision may still be on its way to the journal, and may yet fail (the journal stores each stream as a
    /// prefix, so the last write stored means every earlier one is).</summary>
    protected Task EarlierWritesAsync() => _lastWrite.IsCompletedSuccessfully ? Task.CompletedTask : AwaitEarlierWritesAsync();

    private async Task AwaitEarlierWritesAsync()
    {
        try
        {
            await _lastWrite;
        }
        catch (Exception exception) when (exception is not StorageUnavailableException)
        {
            throw new StorageUnavailableException();
        }
    }

    /// <summary>Applies <paramref name="event"/> now and returns its durable write. Call only in the synchronous part
    /// of a call (before any await), after every check, so the decision and its event cannot interleave.</summary>
    protected Task Raise(TEvent @event) => Raise(@event, out _);

    /// <summary>As <see cref="Raise(TEvent)"/>, and gives the journal's own task for the event's write in
    /// <paramref name="stored"/>: an entry another grain appends on this silo may rest on it
    /// (<see cref="IGrainJournal.AppendAsync(JournalEntry, IReadOnlyList{Task})"/>).</summary>
    protected Task Raise(TEvent @event, out Task stored)
    {
        EnsureUsable();
        // Serialised first: an event that cannot be stored must leave neither the state nor the sequence moved.
        var payload = serializer.SerializeToArray(@event);
        State = Apply(State, @event);
        Version++;
        Task append;
        try
        {
            append = journal.AppendAsync(new JournalEntry(StreamName, Version, payload));
        }
        catch (Exception exception)
        {
            // A journal that throws instead of failing its task: the state moved already, so this is a failed write
            // like any other (the grain stops answering from memory and reloads).
            append = Task.FromException(exception);
        }

        stored = _lastWrite = append;
        var snapshot = Version - _snapshotVersion >= Math.Max(SnapshotEvery, 2L * StateSize) ? serializer.SerializeToArray(State) : null;
        if (snapshot is not null)
        {
            _snapshotVersion = Version;
        }

        var optimistic = !Loaded;
        Loaded = true;
        return CommitAsync(append, Version, snapshot, optimistic);
    }

    private async Task CommitAsync(Task append, long version, byte[]? snapshot, bool optimistic)
    {
        try
        {
            await append;
        }
        catch (JournalConflictException) when (optimistic)
        {
            // The stream existed after all: the caller reloads and answers from what is there.
            Loaded = false;
            throw;
        }
        catch (Exception exception)
        {
            if (!_broken)
            {
                _broken = true;
                logger.LogError(exception, "{Stream} could not store event {Version}; deactivating to reload what is durable", StreamName, version);
                DeactivateOnIdle();
            }

            throw exception is JournalConflictException or StorageUnavailableException ? exception : new StorageUnavailableException();
        }

        if (snapshot is not null)
        {
            // Off the caller's path: a lost snapshot only means a longer replay.
            SaveSnapshotAsync(version, snapshot, CancellationToken.None).Ignore();
        }
    }

    private async Task SaveSnapshotAsync(long version, byte[] snapshot, CancellationToken cancellationToken)
    {
        try
        {
            await journal.SaveSnapshotAsync(StreamName, version, snapshot, cancellationToken);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "{Stream} snapshot at {Version} not stored; the journal still has every event", StreamName, version);
        }
    }
}
