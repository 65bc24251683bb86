using System.Collections.Concurrent;
using CsCheck;
using Dom.Grains.Journal;
using Dom.Silo.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Dom.Silo.Tests.Postgres.JournalTestEntries;

namespace Dom.Silo.Tests.Postgres;

/// <summary>The PostgreSQL journal on its own: several batches in flight, per-stream order, conflicts and failures.</summary>
[Collection(PostgresCollection.Name)]
public class PostgresJournalTests(PostgresFixture database)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Per stream, how many entries each caller appends before awaiting them: many streams, and several
    /// entries of one stream in flight at once.</summary>
    private static readonly Gen<int[][]> Workloads = Gen.Int[1, 40].Array[1, 5].Array[1, 12];

    [Fact]
    public async Task Concurrent_appends_to_many_streams_and_within_a_stream_are_stored_in_order_without_gaps()
    {
        await using var data = DataSource(database.ConnectionString);
        await Workloads.SampleAsync(async windows =>
        {
            await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 4, writeBudget: Unhurried);
            var appended = new ConcurrentDictionary<(string, long), Task>();
            var sentTooEarly = new ConcurrentQueue<JournalEntry>();
            journal.BeforeWrite = entries =>
            {
                // An entry may be written only once its predecessor is acknowledged or beside it in the same batch.
                var batch = entries.Select(e => (e.Stream, e.Sequence)).ToHashSet();
                foreach (var entry in entries.Where(e => e.Sequence > 1 && !batch.Contains((e.Stream, e.Sequence - 1))))
                {
                    if (!appended[(entry.Stream, entry.Sequence - 1)].IsCompletedSuccessfully)
                    {
                        sentTooEarly.Enqueue(entry);
                    }
                }

                return Task.CompletedTask;
            };

            var streams = windows.Select(_ => NewStream("load")).ToArray();
            await Task.WhenAll(streams.Select((stream, i) => Task.Run(async () =>
            {
                var sequence = 0L;
                foreach (var window in windows[i])
                {
                    var writes = new List<Task>();
                    for (var k = 0; k < window; k++)
                    {
                        sequence++;
                        var write = journal.AppendAsync(Entry(stream, sequence));
                        appended[(stream, sequence)] = write;
                        writes.Add(write);
                    }

                    await Task.WhenAll(writes).WaitAsync(Patience);
                }
            })));

            Assert.Empty(sentTooEarly);
            for (var i = 0; i < streams.Length; i++)
            {
                var load = await journal.LoadAsync(streams[i]);
                Assert.Equal(Enumerable.Range(1, windows[i].Sum()).Select(s => (long)s), load.Events.Select(e => e.Sequence));
                Assert.All(load.Events, e => Assert.Equal(Entry(streams[i], e.Sequence).Payload, e.Payload));
            }
        }, iter: 20, threads: 1);
    }

    [Fact]
    public async Task An_entry_that_waited_out_most_of_its_budget_behind_a_batch_fails_unsent_and_so_does_its_stream()
    {
        await using var data = DataSource(database.ConnectionString);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var journal = Budgeted(data, time);
        var (plug, late, fresh) = (NewStream("plug"), NewStream("late"), NewStream("fresh"));
        var (plugGate, _) = Gate(journal, plug);
        using var release = new Release(plugGate);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var waiting = journal.AppendAsync(Entry(late, 1));
        time.Advance(TimeSpan.FromSeconds(3.5));
        var justIn = journal.AppendAsync(Entry(fresh, 1));
        plugGate.SetResult();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => waiting.WaitAsync(Patience));
        await Task.WhenAll(plugged, justIn).WaitAsync(Patience);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => journal.AppendAsync(Entry(late, 2)).WaitAsync(Patience));
        Assert.Equal(0L, await CountRowsAsync(data, late));
        Assert.Equal(1L, await CountRowsAsync(data, fresh));
    }

    [Fact]
    public async Task A_batch_still_running_when_its_oldest_entrys_budget_runs_out_is_cancelled_and_nothing_of_it_is_stored()
    {
        await using var data = DataSource(database.ConnectionString);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var journal = Budgeted(data, time);
        var stream = NewStream("stalled");
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        journal.BeforeWrite = _ =>
        {
            sent.TrySetResult();
            return Task.CompletedTask;
        };

        // Another session holds the journal's table, as a stalled server or a long lock would: the insert waits.
        await using var held = await JournalLock.TakeAsync(data);

        var append = journal.AppendAsync(Entry(stream, 1));
        await sent.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(4));

        // Well within the driver's own statement timeout (30 s here): only the budget can end it this soon.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => append.WaitAsync(TimeSpan.FromSeconds(10)));
        await held.ReleaseAsync();
        Assert.Equal(0L, await CountRowsAsync(data, stream));
    }

    [Fact]
    public async Task Two_writers_of_one_entry_in_a_batch_that_fails_both_fail_and_neither_is_told_of_a_conflict()
    {
        await using var data = DataSource(database.ConnectionString);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var journal = Budgeted(data, time);
        var (plug, twice) = (NewStream("plug"), NewStream("twice"));
        var plugGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var twiceSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new Release(plugGate);
        journal.BeforeWrite = async entries =>
        {
            if (entries.Any(e => e.Stream == plug))
            {
                await plugGate.Task;
                throw new NpgsqlException("The plug's batch fails before it is sent.");
            }

            if (entries.Any(e => e.Stream == twice))
            {
                twiceSent.TrySetResult();
            }
        };

        // Another session holds the table, so the batch with both writers of twice#1 (the second one a duplicate of
        // the first) waits in its insert until its budget runs out: the statement fails, nothing of it is stored.
        await using var held = await JournalLock.TakeAsync(data);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var (a, b) = (journal.AppendAsync(new JournalEntry(twice, 1, "a"u8.ToArray())), journal.AppendAsync(new JournalEntry(twice, 1, "b"u8.ToArray())));
        plugGate.SetResult();
        await twiceSent.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(4));

        // A conflict would tell the second writer that the first one's entry is stored (a settlement would then give
        // back what it took while that entry may still land): in a failed batch, it is not.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => a.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => b.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => plugged.WaitAsync(Patience));
        await held.ReleaseAsync();
        Assert.Equal(0L, await CountRowsAsync(data, twice));
    }

    /// <summary>A journal with the silo's default write budget (4 s) on <paramref name="time"/>, one batch in flight.</summary>
    private static PostgresJournal Budgeted(NpgsqlDataSource data, TimeProvider time) =>
        new(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: TimeSpan.FromSeconds(4), time: time);

    [Fact]
    public async Task Two_writers_of_one_entry_in_one_batch_get_one_write_and_one_conflict_and_the_rest_commits()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, twice, other) = (NewStream("plug"), NewStream("twice"), NewStream("other"));
        var (plugGate, batches) = Gate(journal, plug);
        using var release = new Release(plugGate);

        // Two attempts record the same new stream while the only slot is busy: both go out in the next batch.
        var plugged = journal.AppendAsync(Entry(plug, 1));
        var (a, b) = (journal.AppendAsync(new JournalEntry(twice, 1, "a"u8.ToArray())), journal.AppendAsync(new JournalEntry(twice, 1, "b"u8.ToArray())));
        var others = journal.AppendAsync(Entry(other, 1));
        plugGate.SetResult();
        await Task.WhenAll(plugged, others).WaitAsync(Patience);

        await a.WaitAsync(Patience);
        await Assert.ThrowsAsync<JournalConflictException>(() => b);
        Assert.Contains(batches, batch => batch.Any(e => e.Stream == twice) && batch.Any(e => e.Stream == other));

        // The first writer's stream is not refused for the second one's conflict (no reload in between).
        await journal.AppendAsync(Entry(twice, 2)).WaitAsync(Patience);
        var stored = await journal.LoadAsync(twice);
        Assert.Equal([1L, 2L], stored.Events.Select(e => e.Sequence));
        Assert.Equal("a"u8.ToArray(), stored.Events[0].Payload);
        Assert.Single((await journal.LoadAsync(other)).Events);
    }

    [Fact]
    public async Task A_conflict_fails_only_its_streams_entries_and_those_waiting_behind_them_while_the_rest_of_the_batch_commits()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, conflicting, first, second) = (NewStream("plug"), NewStream("conflicting"), NewStream("first"), NewStream("second"));
        await InsertAsync(data, new JournalEntry(conflicting, 2, "theirs"u8.ToArray()));
        var plugGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var conflictGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var conflictSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new Release(plugGate, conflictGate);
        var batches = new ConcurrentQueue<IReadOnlyList<JournalEntry>>();
        journal.BeforeWrite = async entries =>
        {
            batches.Enqueue(entries);
            if (entries.Any(e => e.Stream == plug))
            {
                await plugGate.Task;
            }

            if (entries.Any(e => e.Stream == conflicting))
            {
                conflictSent.TrySetResult();
                await conflictGate.Task;
            }
        };

        // The only slot is held by the plug, so everything appended meanwhile goes out together in the next batch.
        var plugged = journal.AppendAsync(Entry(plug, 1));
        var mine = Enumerable.Range(1, 3).Select(s => journal.AppendAsync(Entry(conflicting, s))).ToList();
        var others = new[] { journal.AppendAsync(Entry(first, 1)), journal.AppendAsync(Entry(second, 1)) };
        plugGate.SetResult();
        await conflictSent.Task.WaitAsync(Patience);
        var waitingBehind = journal.AppendAsync(Entry(conflicting, 4));
        var later = journal.AppendAsync(Entry(first, 2));
        conflictGate.SetResult();

        await Task.WhenAll([plugged, later, .. others]).WaitAsync(Patience);
        foreach (var write in mine)
        {
            await Assert.ThrowsAsync<JournalConflictException>(() => write);
        }

        await Assert.ThrowsAsync<StorageUnavailableException>(() => waitingBehind);
        Assert.Contains(batches, b => b.Count(e => e.Stream == conflicting) == 3 && b.Any(e => e.Stream == first) && b.Any(e => e.Stream == second));
        Assert.DoesNotContain(batches, b => b.Any(e => e.Stream == conflicting && e.Sequence == 4));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => journal.AppendAsync(Entry(conflicting, 5)));

        var stored = await journal.LoadAsync(conflicting);
        Assert.Equal([2L], stored.Events.Select(e => e.Sequence));
        Assert.Equal("theirs"u8.ToArray(), stored.Events[0].Payload);
        Assert.Equal([1L, 2L], (await journal.LoadAsync(first)).Events.Select(e => e.Sequence));
        Assert.Equal([1L], (await journal.LoadAsync(second)).Events.Select(e => e.Sequence));
        await journal.AppendAsync(Entry(conflicting, 3)).WaitAsync(Patience);
    }

    [Fact]
    public async Task A_stale_writer_below_a_snapshot_gets_a_conflict_not_a_row_every_load_would_skip_and_the_rest_of_its_batch_commits()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, snapshotted, other) = (NewStream("plug"), NewStream("snapshotted"), NewStream("other"));

        // The live activation wrote 1..5 and snapshotted at 5, which trims them: seq 3 is free in the table again.
        await Task.WhenAll(Enumerable.Range(1, 5).Select(s => journal.AppendAsync(Entry(snapshotted, s)))).WaitAsync(Patience);
        await journal.SaveSnapshotAsync(snapshotted, 5, "state@5"u8.ToArray());
        Assert.Equal(0L, await CountRowsAsync(data, snapshotted));

        var (plugGate, batches) = Gate(journal, plug);
        using var release = new Release(plugGate);

        // A stale activation, loaded at 2, writes 3 in the same batch as another stream's entry.
        var plugged = journal.AppendAsync(Entry(plug, 1));
        var stale = journal.AppendAsync(Entry(snapshotted, 3));
        var others = journal.AppendAsync(Entry(other, 1));
        plugGate.SetResult();

        await Task.WhenAll(plugged, others).WaitAsync(Patience);
        await Assert.ThrowsAsync<JournalConflictException>(() => stale.WaitAsync(Patience));
        Assert.Contains(batches, b => b.Any(e => e.Stream == snapshotted) && b.Any(e => e.Stream == other));
        Assert.Equal(0L, await CountRowsAsync(data, snapshotted));
        Assert.Equal([1L], (await journal.LoadAsync(other)).Events.Select(e => e.Sequence));

        // A reload starts from the snapshot and goes on from there.
        var load = await journal.LoadAsync(snapshotted);
        Assert.Equal(5, load.SnapshotSequence);
        Assert.Empty(load.Events);
        await journal.AppendAsync(Entry(snapshotted, 6)).WaitAsync(Patience);
        Assert.Equal([6L], (await journal.LoadAsync(snapshotted)).Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_snapshot_older_than_the_one_stored_changes_nothing_and_the_stream_loads_from_the_newer()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var stream = NewStream("snapshots");
        await Task.WhenAll(Enumerable.Range(1, 5).Select(s => journal.AppendAsync(Entry(stream, s)))).WaitAsync(Patience);

        // The live activation snapshots at 5 (trimming 1..5); a previous activation's snapshot at 3 arrives after it.
        await journal.SaveSnapshotAsync(stream, 5, "state@5"u8.ToArray());
        await journal.SaveSnapshotAsync(stream, 3, "state@3"u8.ToArray());
        await journal.AppendAsync(Entry(stream, 6)).WaitAsync(Patience);
        var load = await journal.LoadAsync(stream);

        Assert.Equal(5L, load.SnapshotSequence);
        Assert.Equal("state@5"u8.ToArray(), load.Snapshot);
        Assert.Equal([6L], load.Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_stale_write_waiting_on_a_snapshot_that_trims_its_seq_gets_a_conflict_when_that_snapshot_commits()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var stream = NewStream("racing");
        await Task.WhenAll(Enumerable.Range(1, 5).Select(s => journal.AppendAsync(Entry(stream, s)))).WaitAsync(Patience);

        // The live activation's snapshot at 5, as SaveSnapshotAsync writes it, held open after its trim.
        await using var live = await data.OpenConnectionAsync();
        await using var snapshot = await SnapshotHeldOpenAsync(live, stream, 5);

        // The stale activation's seq 3: its key check finds the row the open trim deletes, and waits for that transaction.
        var stale = journal.AppendAsync(Entry(stream, 3));
        await BlockedByAsync(data, live.ProcessID);
        Assert.False(stale.IsCompleted);

        // Once the trim commits the row is gone, the key check passes, and only the guard stands between the stale
        // entry and a row every load skips.
        await snapshot.CommitAsync();
        await Assert.ThrowsAsync<JournalConflictException>(() => stale.WaitAsync(Patience));
        Assert.Equal(0L, await CountRowsAsync(data, stream));
    }

    [Fact]
    public async Task A_snapshot_committing_under_the_conflict_path_fails_only_the_stale_stream_and_the_rest_of_the_batch_commits()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, taken, racing, good) = (NewStream("plug"), NewStream("taken"), NewStream("racing"), NewStream("good"));
        await InsertAsync(data, new JournalEntry(taken, 1, "theirs"u8.ToArray()));
        for (var sequence = 1; sequence <= 5; sequence++)
        {
            await journal.AppendAsync(Entry(racing, sequence)).WaitAsync(Patience);
        }

        // The live activation's snapshot of the racing stream at 5, held open after its trim.
        await using var live = await data.OpenConnectionAsync();
        await using var snapshot = await SnapshotHeldOpenAsync(live, racing, 5);

        var (plugGate, _) = Gate(journal, plug);
        using var release = new Release(plugGate);

        // One batch (the plug's own, or the next one if the slot was still busy with racing#5): taken#1 comes before
        // racing#3 and fails the fast statement at once, so the conflict path inserts the rest, and its key check on
        // racing#3 waits for the open trim.
        var plugged = journal.AppendAsync(Entry(plug, 1));
        var collides = journal.AppendAsync(Entry(taken, 1));
        var stale = journal.AppendAsync(Entry(racing, 3));
        var fine = journal.AppendAsync(Entry(good, 1));
        plugGate.SetResult();
        await BlockedByAsync(data, live.ProcessID);

        // The trim commits: that attempt stores racing#3 and the guard fails it; the next one sees the snapshot.
        await snapshot.CommitAsync();
        await Task.WhenAll(plugged, fine).WaitAsync(Patience);
        await Assert.ThrowsAsync<JournalConflictException>(() => collides.WaitAsync(Patience));
        await Assert.ThrowsAsync<JournalConflictException>(() => stale.WaitAsync(Patience));
        Assert.Equal(0L, await CountRowsAsync(data, racing));
        Assert.Equal("theirs"u8.ToArray(), Assert.Single((await journal.LoadAsync(taken)).Events).Payload);
        Assert.Equal([1L], (await journal.LoadAsync(good)).Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Entries_waiting_behind_a_failed_batch_of_their_stream_fail_with_it_while_other_streams_are_written_meanwhile()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 4, writeBudget: Unhurried);
        var (failing, other) = (NewStream("failing"), NewStream("other"));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new Release(gate);
        var sent = new ConcurrentQueue<JournalEntry>();
        journal.BeforeWrite = async entries =>
        {
            foreach (var entry in entries)
            {
                sent.Enqueue(entry);
            }

            if (entries.Any(e => e.Stream == failing))
            {
                await gate.Task;
            }
        };

        var held = journal.AppendAsync(Entry(failing, 1));
        var waiting = journal.AppendAsync(Entry(failing, 2));
        await journal.AppendAsync(Entry(other, 1)).WaitAsync(Patience);
        await journal.AppendAsync(Entry(other, 2)).WaitAsync(Patience);

        Assert.False(held.IsCompleted);
        Assert.False(waiting.IsCompleted);
        Assert.DoesNotContain(sent, e => e.Stream == failing && e.Sequence == 2);

        gate.SetException(new TimeoutException("The server went away."));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => held);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => waiting);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => journal.AppendAsync(Entry(failing, 3)));

        Assert.DoesNotContain(sent, e => e.Stream == failing && e.Sequence == 2);
        Assert.Empty((await journal.LoadAsync(failing)).Events);
        Assert.Equal([1L, 2L], (await journal.LoadAsync(other)).Events.Select(e => e.Sequence));
    }

    /// <summary>Saves a snapshot as <see cref="PostgresJournal.SaveSnapshotAsync"/> does (upsert, then trim) in a
    /// transaction left open: committing it is up to the caller.</summary>
    private static async Task<NpgsqlTransaction> SnapshotHeldOpenAsync(NpgsqlConnection connection, string stream, long sequence)
    {
        var transaction = await connection.BeginTransactionAsync();
        foreach (var sql in (string[])["INSERT INTO dom_snapshot (stream, seq, payload) VALUES ($1, $2, '\\x00')", "DELETE FROM dom_journal WHERE stream = $1 AND seq <= $2"])
        {
            await using var save = new NpgsqlCommand(sql, connection, transaction);
            save.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            save.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
            await save.ExecuteNonQueryAsync();
        }

        return transaction;
    }

    private static async Task<long> CountRowsAsync(NpgsqlDataSource data, string stream)
    {
        await using var count = data.CreateCommand("SELECT count(*) FROM dom_journal WHERE stream = $1");
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Returns once some session waits on a lock the given backend holds. The server offers no event for
    /// that, so this polls what it reports (pg_blocking_pids), within the test's patience.</summary>
    private static async Task BlockedByAsync(NpgsqlDataSource data, int holder)
    {
        using var patience = new CancellationTokenSource(Patience);
        await using var blocked = data.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))");
        blocked.Parameters.Add(new NpgsqlParameter<int> { TypedValue = holder });
        while ((long)(await blocked.ExecuteScalarAsync(patience.Token))! == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), patience.Token);
        }
    }
}
