using Dom.Benchmarks.Reporting;
using Dom.Benchmarks.Workload;

namespace Dom.Benchmarks.Tests;

/// <summary>What PostgreSQL did per reservation in a row's window (<c>DOM_BENCH_PG_STATEMENTS=1</c>): sums over every
/// statement of the window, divided by the reservations granted in it, and kept in the row's JSON.</summary>
public sealed class PgStatementsTests
{
    private static readonly StatementStat[] Window =
    [
        new("INSERT INTO dom_journal (stream, seq, payload) SELECT * FROM unnest($1, $2, $3)", Calls: 20, Rows: 960, ExecMs: 18.5, WalRecords: 1_900, WalBytes: 240_000),
        new("UPDATE membership SET i_am_alive_time = $1", Calls: 2, Rows: 2, ExecMs: 1.5, WalRecords: 4, WalBytes: 400),
    ];

    [Fact]
    public void The_window_is_summed_over_its_statements_and_divided_by_the_reservations()
    {
        var work = PgWork.Of(Window, reservations: 320);

        Assert.NotNull(work);
        Assert.Equal(22 / 320d, work.Statements, 9);
        Assert.Equal(962 / 320d, work.Rows, 9);
        Assert.Equal(20_000 / 320d, work.ExecMicros, 9);
        Assert.Equal(1_904 / 320d, work.WalRecords, 9);
        Assert.Equal(240_400 / 320d, work.WalBytes, 9);
    }

    [Fact]
    public void A_window_without_reservations_has_nothing_per_reservation()
    {
        Assert.Null(PgWork.Of(Window, reservations: 0));
    }

    [Fact]
    public async Task A_rows_statements_survive_the_reports_json()
    {
        var directory = Directory.CreateTempSubdirectory("dom-bench-pgss-").FullName;
        try
        {
            var work = PgWork.Of(Window, reservations: 320)!;
            var report = IsolatedRunnerTests.Report(new RowResult { Scenario = "uniform", System = "engine-pg-inproc", Label = "engine", PgStatements = work });

            await ReportWriter.WriteAsync(report, directory);
            var read = await ReportWriter.ReadAsync(Path.Combine(directory, "latest.json"));

            Assert.Equal(work, Assert.Single(read.Rows).PgStatements);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
