namespace Dom.Silo.Tests.Hosting;

/// <summary>One embedded-default silo (in-memory providers, demo data) shared by the API tests.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public SiloHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await SiloHost.StartAsync(
        "Development",
        new Dictionary<string, string> { ["Orders:Channels:marketplace:Unavailable"] = "Cancel" });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
