using Dom.Grains.Journal;
using Dom.Silo.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Dom.Silo.Tests.Postgres.JournalTestEntries;

namespace Dom.Silo.Tests.Postgres;

/// <summary>
/// One row per stream and batch: the events a batch carries for one stream share a row, and everything that reads or
/// trims the journal sees them one by one, as before. The only batch slot is held by a "plug" entry behind a gate, so
/// what is appended meanwhile goes out together.
/// </summary>
[Collection(PostgresCollection.Name)]
public class PostgresJournalRowsTests(PostgresFixture database)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_batch_writes_one_row_per_stream_and_a_reload_gives_back_every_event_in_order()
    {
        await using var data = NpgsqlDataSource.Create(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1);
        var (plug, slot, location) = (NewStream("plug"), NewStream("slot"), NewStream("location"));
        var (gate, batches) = Gate(journal, plug);
        using var release = new Release(gate);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var writes = new List<Task>();
        for (var sequence = 1; sequence <= 5; sequence++)
        {
            writes.Add(journal.AppendAsync(Entry(slot, sequence)));
            writes.Add(journal.AppendAsync(Entry(location, sequence)));
        }

        gate.SetResult();
        await Task.WhenAll([plugged, .. writes]).WaitAsync(Patience);

        Assert.Contains(batches, b => b.Count(e => e.Stream == slot) == 5 && b.Count(e => e.Stream == location) == 5);
        Assert.Equal([(1L, 5)], await RowsAsync(data, slot));
        Assert.Equal([(1L, 5)], await RowsAsync(data, location));
        foreach (var stream in new[] { slot, location })
        {
            var load = await journal.LoadAsync(stream);
            Assert.Equal([1L, 2L, 3L, 4L, 5L], load.Events.Select(e => e.Sequence));
            Assert.All(load.Events, e => Assert.Equal(Entry(stream, e.Sequence).Payload, e.Payload));
        }
    }

    [Fact]
    public async Task A_snapshot_ending_inside_a_row_keeps_the_row_and_a_reload_replays_only_the_events_after_it()
    {
        await using var data = NpgsqlDataSource.Create(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1);
        var (plug, slot) = (NewStream("plug"), NewStream("slot"));
        var (gate, _) = Gate(journal, plug);
        using var release = new Release(gate);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var writes = Enumerable.Range(1, 5).Select(s => journal.AppendAsync(Entry(slot, s))).ToList();
        gate.SetResult();
        await Task.WhenAll([plugged, .. writes]).WaitAsync(Patience);
        await journal.AppendAsync(Entry(slot, 6)).WaitAsync(Patience);
        Assert.Equal([(1L, 5), (6L, 1)], await RowsAsync(data, slot));

        await journal.SaveSnapshotAsync(slot, 3, "state@3"u8.ToArray());
        Assert.Equal([(1L, 5), (6L, 1)], await RowsAsync(data, slot));
        var load = await journal.LoadAsync(slot);
        Assert.Equal(3, load.SnapshotSequence);
        Assert.Equal("state@3"u8.ToArray(), load.Snapshot);
        Assert.Equal([4L, 5L, 6L], load.Events.Select(e => e.Sequence));
        Assert.All(load.Events, e => Assert.Equal(Entry(slot, e.Sequence).Payload, e.Payload));

        await journal.SaveSnapshotAsync(slot, 5, "state@5"u8.ToArray());
        Assert.Equal([(6L, 1)], await RowsAsync(data, slot));
        Assert.Equal([6L], (await journal.LoadAsync(slot)).Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Rows_of_one_event_written_before_ranges_load_beside_rows_of_several()
    {
        await using var data = NpgsqlDataSource.Create(database.ConnectionString);
        await using var journal = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1);
        var (plug, slot) = (NewStream("plug"), NewStream("slot"));
        await InsertAsync(data, Entry(slot, 1));
        await InsertAsync(data, Entry(slot, 2));
        var (gate, _) = Gate(journal, plug);
        using var release = new Release(gate);

        var plugged = journal.AppendAsync(Entry(plug, 1));
        var writes = Enumerable.Range(3, 3).Select(s => journal.AppendAsync(Entry(slot, s))).ToList();
        gate.SetResult();
        await Task.WhenAll([plugged, .. writes]).WaitAsync(Patience);

        Assert.Equal([(1L, 1), (2L, 1), (3L, 3)], await RowsAsync(data, slot));
        var load = await journal.LoadAsync(slot);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], load.Events.Select(e => e.Sequence));
        Assert.All(load.Events, e => Assert.Equal(Entry(slot, e.Sequence).Payload, e.Payload));
    }

    [Fact]
    public async Task A_second_writer_of_a_stream_collides_on_the_first_event_of_the_row_stored_before_it()
    {
        await using var data = NpgsqlDataSource.Create(database.ConnectionString);
        await using var first = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1);
        await using var second = new PostgresJournal(data, NullLogger<PostgresJournal>.Instance, maxBatchesInFlight: 1);
        var (plug, slot) = (NewStream("plug"), NewStream("slot"));
        var (gate, _) = Gate(first, plug);
        using var release = new Release(gate);

        var plugged = first.AppendAsync(Entry(plug, 1));
        var theirs = Enumerable.Range(1, 3).Select(s => first.AppendAsync(Entry(slot, s))).ToList();
        gate.SetResult();
        await Task.WhenAll([plugged, .. theirs]).WaitAsync(Patience);

        // Both loaded the empty stream: the second one starts at event 1, the first event of the row 1-3.
        var collides = second.AppendAsync(new JournalEntry(slot, 1, "mine"u8.ToArray()));
        var behind = second.AppendAsync(new JournalEntry(slot, 2, "mine"u8.ToArray()));
        await Assert.ThrowsAsync<JournalConflictException>(() => collides);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => behind);
        Assert.Equal([(1L, 3)], await RowsAsync(data, slot));
        var load = await second.LoadAsync(slot);
        Assert.All(load.Events, e => Assert.Equal(Entry(slot, e.Sequence).Payload, e.Payload));
    }

    /// <summary>The stream's rows as stored: first sequence and number of events.</summary>
    private static async Task<List<(long, int)>> RowsAsync(NpgsqlDataSource data, string stream)
    {
        await using var query = data.CreateCommand("SELECT seq, events FROM dom_journal WHERE stream = $1 ORDER BY seq");
        query.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        await using var reader = await query.ExecuteReaderAsync();
        var rows = new List<(long, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt32(1)));
        }

        return rows;
    }
}
