using System.Collections.Concurrent;
using Dom.Grains.Journal;
using Dom.Silo.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Dom.Silo.Tests.Postgres.JournalTestEntries;

namespace Dom.Silo.Tests.Postgres;

/// <summary>
/// Entries that rest on others (a reservation's record on its holds): stored in the same statement as those or after
/// them, never before and never without them. The only batch slot is held by a "plug" entry behind a gate, so what is
/// appended meanwhile provably waits, and the tests decide what goes out together.
/// </summary>
[Collection(PostgresCollection.Name)]
public class PostgresJournalDependencyTests(PostgresFixture database)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_entry_resting_on_waiting_entries_goes_out_in_their_batch_and_is_stored_with_them()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, hold, booking, record) = (NewStream("plug"), NewStream("hold"), NewStream("booking"), NewStream("record"));
        var (gate, batches) = Gate(journal, plug);
        using var release = new Release(gate);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var rests = new[] { journal.AppendAsync(Entry(hold, 1)), journal.AppendAsync(Entry(booking, 1)) };
        var recorded = journal.AppendAsync(Entry(record, 1), rests);
        gate.SetResult();

        await Task.WhenAll([plugged, recorded, .. rests]).WaitAsync(Patience);
        Assert.Contains(batches, b => b.Any(e => e.Stream == record) && b.Any(e => e.Stream == hold) && b.Any(e => e.Stream == booking));
        Assert.Equal(2, batches.Count);
        Assert.Single((await journal.LoadAsync(record)).Events);
    }

    [Fact]
    public async Task An_entry_resting_on_one_in_flight_waits_for_it_and_joins_a_later_batch()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 2, writeBudget: Unhurried);
        var (hold, record, other) = (NewStream("hold"), NewStream("record"), NewStream("other"));
        var (gate, batches) = Gate(journal, hold);
        using var release = new Release(gate);

        // The hold is written (and held at the gate) before the record arrives; a free slot must not send the record.
        var held = journal.AppendAsync(Entry(hold, 1));
        var recorded = journal.AppendAsync(Entry(record, 1), [held]);
        await journal.AppendAsync(Entry(other, 1)).WaitAsync(Patience);

        Assert.False(recorded.IsCompleted);
        Assert.DoesNotContain(batches, b => b.Any(e => e.Stream == record));
        gate.SetResult();

        await Task.WhenAll(held, recorded).WaitAsync(Patience);
        var order = batches.ToList();
        Assert.True(order.FindIndex(b => b.Any(e => e.Stream == hold)) < order.FindIndex(b => b.Any(e => e.Stream == record)));
        Assert.Single((await journal.LoadAsync(record)).Events);
    }

    [Fact]
    public async Task An_entry_resting_on_one_whose_batch_fails_fails_unwritten_whether_it_waited_beside_it_or_behind_it()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, hold, beside, behind) = (NewStream("plug"), NewStream("hold"), NewStream("beside"), NewStream("behind"));
        var plugGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holdSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new Release(plugGate, holdGate);
        var sent = new ConcurrentQueue<JournalEntry>();
        journal.BeforeWrite = async entries =>
        {
            foreach (var entry in entries)
            {
                sent.Enqueue(entry);
            }

            if (entries.Any(e => e.Stream == plug))
            {
                await plugGate.Task;
            }

            if (entries.Any(e => e.Stream == hold))
            {
                holdSent.TrySetResult();
                await holdGate.Task;
            }
        };

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var held = journal.AppendAsync(Entry(hold, 1));
        var besideIt = journal.AppendAsync(Entry(beside, 1), [held]);
        plugGate.SetResult();
        await holdSent.Task.WaitAsync(Patience);
        var behindIt = journal.AppendAsync(Entry(behind, 1), [held]);
        holdGate.SetException(new TimeoutException("The server went away."));

        await plugged.WaitAsync(Patience);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => held.WaitAsync(Patience));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => besideIt.WaitAsync(Patience));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => behindIt.WaitAsync(Patience));
        Assert.DoesNotContain(sent, e => e.Stream == behind);
        Assert.Empty((await journal.LoadAsync(beside)).Events);
        Assert.Empty((await journal.LoadAsync(behind)).Events);

        // Resting on a write already known to have failed fails at once.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => journal.AppendAsync(Entry(NewStream("late"), 1), [held]));
    }

    [Fact]
    public async Task An_entry_resting_on_a_conflicting_one_is_not_written_while_the_rest_of_their_batch_commits()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (plug, hold, record, other) = (NewStream("plug"), NewStream("hold"), NewStream("record"), NewStream("other"));
        await InsertAsync(data, Entry(hold, 1));
        var (gate, batches) = Gate(journal, plug);
        using var release = new Release(gate);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var held = journal.AppendAsync(Entry(hold, 1));
        var recorded = journal.AppendAsync(Entry(record, 1), [held]);
        var others = journal.AppendAsync(Entry(other, 1));
        gate.SetResult();

        await Task.WhenAll(plugged, others).WaitAsync(Patience);
        await Assert.ThrowsAsync<JournalConflictException>(() => held.WaitAsync(Patience));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => recorded.WaitAsync(Patience));
        Assert.Contains(batches, b => b.Any(e => e.Stream == record) && b.Any(e => e.Stream == hold) && b.Any(e => e.Stream == other));
        Assert.Empty((await journal.LoadAsync(record)).Events);
        Assert.Single((await journal.LoadAsync(other)).Events);
    }

    [Fact]
    public async Task Resting_on_writes_already_stored_or_on_none_is_a_plain_append()
    {
        await using var data = DataSource(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1, writeBudget: Unhurried);
        var (hold, record, alone) = (NewStream("hold"), NewStream("record"), NewStream("alone"));

        var held = journal.AppendAsync(Entry(hold, 1));
        await held.WaitAsync(Patience);
        await journal.AppendAsync(Entry(record, 1), [held]).WaitAsync(Patience);
        await journal.AppendAsync(Entry(alone, 1), []).WaitAsync(Patience);

        Assert.Single((await journal.LoadAsync(record)).Events);
        Assert.Single((await journal.LoadAsync(alone)).Events);
    }
}
