using Dom.Silo.Hosting;
using Dom.Silo.Tests.Hosting;
using Npgsql;

namespace Dom.Silo.Tests.Postgres;

/// <summary>Applying the schema, and a silo's check of it at start, against a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public class SchemaTests(PostgresFixture database)
{
    [Fact]
    public async Task A_failing_script_is_named_applies_nothing_of_itself_and_leaves_the_migration_lock_free()
    {
        await using var scratch = await database.CreateEmptyDatabaseAsync();
        // A table of that name without the columns 0002 indexes: its CREATE TABLE IF NOT EXISTS skips, its index fails.
        await scratch.ExecuteAsync("CREATE TABLE orleans_membership (x integer)");

        var failed = await Record.ExceptionAsync(() => DatabaseSchema.ApplyAsync(scratch.ConnectionString));
        await scratch.ExecuteAsync("DROP TABLE orleans_membership");
        // Another session: it would wait for the lock for ever had the failed run kept it.
        var separate = new NpgsqlConnectionStringBuilder(scratch.ConnectionString) { Pooling = false }.ConnectionString;
        var applied = await DatabaseSchema.ApplyAsync(separate).WaitAsync(TimeSpan.FromSeconds(60));

        var schema = Assert.IsType<SchemaException>(failed);
        Assert.StartsWith("0002-orleans-clustering.sql failed, nothing of it was applied: 42703: ", schema.Message, StringComparison.Ordinal);
        Assert.Equal(DatabaseSchema.Scripts.Skip(1).Select(s => s.Name), applied);
    }

    [Fact]
    public async Task The_scripts_run_as_they_are_record_their_versions_so_a_silo_recognises_the_database()
    {
        await using var scratch = await database.CreateEmptyDatabaseAsync();
        foreach (var script in DatabaseSchema.Scripts)
        {
            await scratch.ExecuteAsync(script.Sql);
        }

        await using var data = NpgsqlDataSource.Create(scratch.ConnectionString);

        Assert.Null(await DatabaseSchema.CheckAsync(data));
        Assert.Empty(await DatabaseSchema.ApplyAsync(scratch.ConnectionString));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_silo_on_a_database_without_the_current_schema_does_not_start_and_says_to_migrate(bool olderSchema)
    {
        var (latest, before) = (DatabaseSchema.Scripts[^1], DatabaseSchema.Scripts[^2]);
        await using var scratch = await database.CreateEmptyDatabaseAsync();
        if (olderSchema)
        {
            await DatabaseSchema.ApplyAsync(scratch.ConnectionString);
            await scratch.ExecuteAsync($"DELETE FROM dom_schema_version WHERE version = {latest.Version}");
        }

        var said = $"the database's schema is {(olderSchema ? $"at version {before.Version}" : "not there")}; this build needs version {latest.Version} ({latest.Name}). Run `DOM.Silo migrate`";

        using var error = new StringWriter();
        var args = SiloHost.Arguments("PostgreSQL", new Dictionary<string, string> { ["ConnectionStrings:Dom"] = scratch.ConnectionString, ["Auth:OperatorKey"] = SiloHost.OperatorKey });

        var exitCode = await Task.Run(() => DomHost.RunAsync(args, error)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"DOM.Silo cannot start: {said}", error.ToString(), StringComparison.Ordinal);
    }
}
