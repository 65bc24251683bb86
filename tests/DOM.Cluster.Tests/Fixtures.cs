using Dom.Cluster.Tests.Infrastructure;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Dom.Cluster.Tests;

/// <summary>Three silo processes on a fresh database of the suite's PostgreSQL (DOM_TEST_POSTGRES).</summary>
public sealed class FailoverFixture : IAsyncLifetime
{
    private ClusterDatabase? _database;

    public SiloCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await ClusterDatabase.CreateAsync(ClusterDatabase.SuiteServer());
        Cluster = new SiloCluster(_database.ConnectionString);
        await Cluster.EnsureSilosAsync(3);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _database!.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class FailoverCollection : ICollectionFixture<FailoverFixture>
{
    public const string Name = "failover";
}

/// <summary>Two silo processes on a PostgreSQL server of their own, which the tests stop and start.</summary>
public sealed class OutageFixture : IAsyncLifetime
{
    private ClusterDatabase? _database;

    public PrivatePostgres Postgres { get; private set; } = null!;

    /// <summary>The cluster's database on <see cref="Postgres"/>.</summary>
    public ClusterDatabase Database => _database!;

    public SiloCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The suite's server must exist too: without it the run is not the suite's, and these tests fail, not skip.
        ClusterDatabase.SuiteServer();
        Postgres = await PrivatePostgres.StartAsync();
        _database = await ClusterDatabase.CreateAsync(Postgres.AdminConnectionString);
        Cluster = new SiloCluster(_database.ConnectionString);
        await Cluster.EnsureSilosAsync(2);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _database!.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OutageCollection : ICollectionFixture<OutageFixture>
{
    public const string Name = "outage";
}
