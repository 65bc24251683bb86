using CsCheck;
using Dom.Grains.Journal;
using Dom.Silo.Hosting;

namespace Dom.Silo.Tests.Hosting;

public class JournalRowsTests
{
    /// <summary>A batch as the journal sends it: streams one after another, each with a run of sequences (sometimes
    /// with a gap, as after a duplicate was taken out), payloads of any length including empty and long ones.</summary>
    private static readonly Gen<JournalEntry[]> Batches =
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 6], Gen.Long[1, 1_000], Gen.Byte.Array[0, 300].Array[1, 6])
            .Select((stream, gap, first, payloads) => payloads.Select((payload, i) => new JournalEntry($"s{stream}", first + i + (i == 3 ? gap : 0), payload)))
            .Array[1, 8]
            .Select(runs => runs.SelectMany(run => run).ToArray());

    [Fact]
    public void Rows_give_back_every_entry_in_order_and_merge_exactly_the_adjacent_consecutive_ones_of_a_stream()
    {
        Batches.Sample(entries =>
        {
            var rows = JournalRows.Of(entries);

            var unpacked = Enumerable.Range(0, rows.Count).SelectMany(i => JournalRows.Unpack(rows.Streams[i], rows.Sequences[i], rows.Events[i], rows.Payloads[i])).ToList();
            Assert.Equal(entries.Select(e => (e.Stream, e.Sequence)), unpacked.Select(e => (e.Stream, e.Sequence)));
            Assert.Equal(entries.Select(e => e.Payload), unpacked.Select(e => e.Payload));

            var breaks = entries.Skip(1).Zip(entries).Count(pair => pair.First.Stream != pair.Second.Stream || pair.First.Sequence != pair.Second.Sequence + 1);
            Assert.Equal(breaks + 1, rows.Count);
        });
    }

    [Fact]
    public void A_row_of_one_event_holds_the_event_bytes_as_they_are()
    {
        var payload = "one event"u8.ToArray();
        var rows = JournalRows.Of([new JournalEntry("slot/a@1", 7, payload)]);

        Assert.Same(payload, rows.Payloads.Single());
        Assert.Equal(1, rows.Events.Single());
        Assert.Equal(7, rows.Sequences.Single());
    }

    [Fact]
    public void A_row_cut_short_or_with_bytes_left_over_is_refused_not_half_read()
    {
        var rows = JournalRows.Of([new("s", 1, [1, 2, 3]), new("s", 2, [4, 5])]);
        var payload = rows.Payloads.Single();

        Assert.Throws<InvalidDataException>(() => JournalRows.Unpack("s", 1, 2, payload[..^1]).ToList());
        Assert.Throws<InvalidDataException>(() => JournalRows.Unpack("s", 1, 2, [.. payload, 0]).ToList());
        Assert.Throws<InvalidDataException>(() => JournalRows.Unpack("s", 1, 3, payload).ToList());
    }
}
