using Dom.Grains.Journal;

namespace Dom.Grains.Tests;

/// <summary>The embedded journal's contract: what goes in comes back, per stream and in order; a sequence already written
/// is a conflict; a snapshot drops what it covers.</summary>
public class MemoryJournalTests
{
    private static JournalEntry Entry(string stream, long sequence, int length) =>
        new(stream, sequence, Enumerable.Range(0, length).Select(i => (byte)(sequence * 31 + i)).ToArray());

    private static (long Sequence, byte[] Payload)[] Events(JournalLoad load) => [.. load.Events.Select(e => (e.Sequence, e.Payload))];

    [Fact]
    public async Task Interleaved_streams_load_their_own_events_in_order_with_their_payloads()
    {
        var journal = new MemoryJournal();
        var a = new[] { Entry("a", 1, 0), Entry("a", 2, 300), Entry("a", 3, 1), Entry("a", 4, 70) };
        var b = new[] { Entry("b", 1, 12), Entry("b", 2, 5000) };
        foreach (var entry in new[] { a[0], b[0], a[1], a[2], b[1], a[3] })
        {
            await journal.AppendAsync(entry);
        }

        var loadA = await journal.LoadAsync("a");
        var loadB = await journal.LoadAsync("b");
        var unknown = await journal.LoadAsync("c");

        Assert.Equal(a.Select(e => (e.Sequence, e.Payload)), Events(loadA));
        Assert.Equal(b.Select(e => (e.Sequence, e.Payload)), Events(loadB));
        Assert.All(loadA.Events, e => Assert.Equal("a", e.Stream));
        Assert.Equal((0L, null, 0), (unknown.SnapshotSequence, unknown.Snapshot, unknown.Events.Count));
    }

    [Fact]
    public async Task A_sequence_already_written_is_a_conflict_and_changes_nothing()
    {
        var journal = new MemoryJournal();
        await journal.AppendAsync(Entry("s", 1, 10));
        await journal.AppendAsync(Entry("s", 2, 10));

        await Assert.ThrowsAsync<JournalConflictException>(() => journal.AppendAsync(Entry("s", 2, 3)));
        await Assert.ThrowsAsync<JournalConflictException>(() => journal.AppendAsync(Entry("s", 1, 3)));

        Assert.Equal(new[] { Entry("s", 1, 10), Entry("s", 2, 10) }.Select(e => (e.Sequence, e.Payload)), Events(await journal.LoadAsync("s")));
    }

    [Fact]
    public async Task A_snapshot_drops_the_events_it_covers_and_the_stream_goes_on_after_it()
    {
        var journal = new MemoryJournal();
        for (var sequence = 1; sequence <= 5; sequence++)
        {
            await journal.AppendAsync(Entry("s", sequence, sequence * 7));
        }

        await journal.SaveSnapshotAsync("s", 3, [3]);
        await journal.SaveSnapshotAsync("s", 2, [2]);
        await journal.AppendAsync(Entry("s", 6, 9));
        var load = await journal.LoadAsync("s");
        await journal.SaveSnapshotAsync("s", 6, [6]);
        var empty = await journal.LoadAsync("s");
        await Assert.ThrowsAsync<JournalConflictException>(() => journal.AppendAsync(Entry("s", 6, 1)));
        await journal.AppendAsync(Entry("s", 7, 2));

        Assert.Equal(3L, load.SnapshotSequence);
        Assert.Equal([3], load.Snapshot!);
        Assert.Equal(new[] { Entry("s", 4, 28), Entry("s", 5, 35), Entry("s", 6, 9) }.Select(e => (e.Sequence, e.Payload)), Events(load));
        Assert.Equal((6L, 0), (empty.SnapshotSequence, empty.Events.Count));
        Assert.Equal([(7L, Entry("s", 7, 2).Payload)], Events(await journal.LoadAsync("s")));
    }
}
