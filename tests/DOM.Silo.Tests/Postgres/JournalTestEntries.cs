using System.Collections.Concurrent;
using System.Text;
using Dom.Grains.Journal;
using Dom.Silo.Hosting;
using Npgsql;

namespace Dom.Silo.Tests.Postgres;

/// <summary>Streams, entries and gates shared by the PostgreSQL journal's tests.</summary>
internal static class JournalTestEntries
{
    /// <summary>A data source whose connections behave as the silo's do (<see cref="PostgresSetup.Configure"/>; the
    /// silo's short timeouts aside) with every statement prepared from its first use, so the journal's tests run its
    /// statements the way a busy silo does (prepared after a few uses).</summary>
    public static NpgsqlDataSource DataSource(string connectionString)
    {
        var data = new NpgsqlDataSourceBuilder(connectionString);
        PostgresSetup.Configure(data.ConnectionStringBuilder, connectionString);
        data.ConnectionStringBuilder.AutoPrepareMinUsages = 1;
        return data.Build();
    }

    /// <summary>A write budget no test's gates come near: the tests that hold batches back are about other things.</summary>
    public static readonly TimeSpan Unhurried = TimeSpan.FromMinutes(5);

    public static string NewStream(string name) => $"test/{name}-{Guid.NewGuid():N}";

    public static JournalEntry Entry(string stream, long sequence) => new(stream, sequence, Encoding.UTF8.GetBytes($"{stream}#{sequence}"));

    /// <summary>Writes an entry straight into the table, as another activation would have.</summary>
    public static async Task InsertAsync(NpgsqlDataSource data, JournalEntry entry)
    {
        await using var insert = data.CreateCommand("INSERT INTO dom_journal (stream, seq, payload) VALUES ($1, $2, $3)");
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Stream });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entry.Sequence });
        insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = entry.Payload });
        await insert.ExecuteNonQueryAsync();
    }

    /// <summary>Another session holding the journal's table, as a stalled server or a long lock would: inserts wait until
    /// it is released.</summary>
    public sealed class JournalLock : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;

        private JournalLock(NpgsqlConnection connection, NpgsqlTransaction transaction) => (_connection, _transaction) = (connection, transaction);

        public static async Task<JournalLock> TakeAsync(NpgsqlDataSource data)
        {
            var connection = await data.OpenConnectionAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using (var take = new NpgsqlCommand("LOCK TABLE dom_journal IN EXCLUSIVE MODE", connection, transaction))
            {
                await take.ExecuteNonQueryAsync();
            }

            return new JournalLock(connection, transaction);
        }

        public Task ReleaseAsync() => _transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    /// <summary>Records every batch and holds each one carrying <paramref name="stream"/> until the gate opens (or
    /// fails it with the gate's exception). With one batch in flight, what is appended meanwhile goes out together next.</summary>
    public static (TaskCompletionSource Gate, ConcurrentQueue<IReadOnlyList<JournalEntry>> Batches) Gate(PostgresJournal journal, string stream)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new ConcurrentQueue<IReadOnlyList<JournalEntry>>();
        journal.BeforeWrite = async entries =>
        {
            batches.Enqueue(entries);
            if (entries.Any(e => e.Stream == stream))
            {
                await gate.Task;
            }
        };
        return (gate, batches);
    }

    /// <summary>Opens the gates on the way out: a failed assertion must not leave a batch held, or disposing the journal
    /// would wait for it forever.</summary>
    public sealed class Release(params TaskCompletionSource[] gates) : IDisposable
    {
        public void Dispose()
        {
            foreach (var gate in gates)
            {
                gate.TrySetResult();
            }
        }
    }
}
