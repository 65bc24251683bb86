using Dom.Grains.Journal;

namespace Dom.Silo.Hosting;

/// <summary>
/// How the PostgreSQL journal lays entries into rows: one row per run of a stream's consecutive entries in a batch
/// (<c>seq</c> its first sequence, <c>events</c> how many), so a batch's holds on one slot or bookings at one location
/// cost one row, not one each. A row of one event keeps the event's bytes as they are (every row written before rows
/// held ranges is one of those); a row of several frames them, each as a 7-bit encoded length and its bytes.
/// <para>Why the key on the first sequence still catches a second writer: every writer starts at the end of what it
/// loaded, which is the end of a row, and writes its next row only after the previous one is stored; so two writers
/// of a stream always collide on the first sequence of a row, never inside one.</para>
/// </summary>
internal static class JournalRows
{
    /// <summary>The rows for <paramref name="entries"/>, in their order: adjacent entries of one stream whose sequences
    /// follow each other share a row.</summary>
    public static Rows Of(IReadOnlyList<JournalEntry> entries)
    {
        var rows = new Rows(entries.Count);
        var start = 0;
        for (var i = 1; i <= entries.Count; i++)
        {
            if (i < entries.Count && entries[i].Stream == entries[i - 1].Stream && entries[i].Sequence == entries[i - 1].Sequence + 1)
            {
                continue;
            }

            rows.Add(entries[start].Stream, entries[start].Sequence, i - start, Pack(entries, start, i - start));
            start = i;
        }

        return rows;
    }

    /// <summary>The events of a row, with their sequences, as the grain appended them.</summary>
    public static IEnumerable<JournalEntry> Unpack(string stream, long first, int events, byte[] payload)
    {
        if (events == 1)
        {
            yield return new JournalEntry(stream, first, payload);
            yield break;
        }

        using var reader = new BinaryReader(new MemoryStream(payload, writable: false));
        for (var i = 0; i < events; i++)
        {
            var length = reader.BaseStream.Position < payload.Length ? reader.Read7BitEncodedInt() : -1;
            var bytes = length >= 0 ? reader.ReadBytes(length) : [];
            if (length < 0 || bytes.Length != length)
            {
                throw new InvalidDataException($"Journal row {stream}#{first} is cut short: event {i + 1} of {events}.");
            }

            yield return new JournalEntry(stream, first + i, bytes);
        }

        if (reader.BaseStream.Position != payload.Length)
        {
            throw new InvalidDataException($"Journal row {stream}#{first} holds more than its {events} events.");
        }
    }

    private static byte[] Pack(IReadOnlyList<JournalEntry> entries, int start, int count)
    {
        if (count == 1)
        {
            return entries[start].Payload;
        }

        var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            for (var i = start; i < start + count; i++)
            {
                writer.Write7BitEncodedInt(entries[i].Payload.Length);
                writer.Write(entries[i].Payload);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The columns of the rows, as the journal's <c>unnest</c> takes them.</summary>
    public sealed class Rows(int capacity)
    {
        public List<string> Streams { get; } = new(capacity);

        public List<long> Sequences { get; } = new(capacity);

        public List<int> Events { get; } = new(capacity);

        public List<byte[]> Payloads { get; } = new(capacity);

        public int Count => Streams.Count;

        public void Add(string stream, long sequence, int events, byte[] payload)
        {
            Streams.Add(stream);
            Sequences.Add(sequence);
            Events.Add(events);
            Payloads.Add(payload);
        }
    }
}
