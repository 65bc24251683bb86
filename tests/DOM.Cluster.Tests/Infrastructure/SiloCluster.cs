using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Dom.Cluster.Tests.Infrastructure;

/// <summary>
/// A cluster of silo processes on one database: started, grown, shrunk and crashed by the tests, with an operator
/// client over HTTP and, for questions HTTP does not answer (which silo hosts a grain), an Orleans client.
/// </summary>
public sealed class SiloCluster : IAsyncDisposable
{
    public const string ServiceId = "dom";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<SiloProcess> _silos = [];
    private readonly string _connectionString;
    private int _nextIndex = 1;

    public SiloCluster(string connectionString)
    {
        _connectionString = connectionString;
        Directory.CreateDirectory(LogDirectory);
    }

    public string ClusterId { get; private set; } = $"cluster-{Guid.NewGuid():N}";

    public string LogDirectory { get; } = Path.Combine(Path.GetTempPath(), $"dom-cluster-logs-{Guid.NewGuid():N}");

    /// <summary>The silos whose process is still running.</summary>
    public IReadOnlyList<SiloProcess> Running => _silos.Where(s => !s.HasExited).ToList();

    /// <summary>Starts silos until <paramref name="count"/> run, all at once, and waits until every one is ready and
    /// sees all of them as active members.</summary>
    public async Task EnsureSilosAsync(int count)
    {
        var missing = count - Running.Count;
        for (var i = 0; i < missing; i++)
        {
            _silos.Add(SiloProcess.Start(_nextIndex++, ClusterId, _connectionString, LogDirectory));
        }

        await WaitConvergedAsync();
    }

    /// <summary>Every silo crashes at once (SIGKILL), and <paramref name="count"/> new ones start on the same database, so
    /// every grain loads again from what storage holds. The new silos form a cluster of a new id: the dead ones stay
    /// in the old cluster's membership, where nobody has to wait for them to be declared dead.</summary>
    public async Task CrashAllAndStartOverAsync(int count)
    {
        await Task.WhenAll(Running.Select(silo => silo.KillAsync()));
        ClusterId = $"cluster-{Guid.NewGuid():N}";
        await EnsureSilosAsync(count);
    }

    /// <summary>Scale out by one; returns the new silo once the whole cluster sees it.</summary>
    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = SiloProcess.Start(_nextIndex++, ClusterId, _connectionString, LogDirectory);
        _silos.Add(silo);
        await WaitConvergedAsync();
        return silo;
    }

    /// <summary>Every running silo is ready and counts exactly the running silos as active.</summary>
    public Task WaitConvergedAsync()
    {
        var running = Running;
        return Task.WhenAll(running.Select(s => s.WaitReadyAsync(running.Count, StartTimeout)));
    }

    public HttpClient Operator() => Client(SiloProcess.OperatorKey);

    public HttpClient Client(string apiKey)
    {
        var client = new HttpClient { BaseAddress = Running[0].Address, Timeout = TimeSpan.FromSeconds(15) };
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>Issues a channel key through the API, as an operator would.</summary>
    public async Task<string> ChannelKeyAsync(string scope)
    {
        using var client = Operator();
        using var response = await client.PostAsJsonAsync("/api/v1/api-keys", new { role = "channel", scope });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    /// <summary>An Orleans client connected through the running silos' gateways. Dispose it when done.</summary>
    public async Task<IHost> ConnectClientAsync()
    {
        var gateways = Running.Select(s => new IPEndPoint(IPAddress.Loopback, s.GatewayPort)).ToArray();
        var host = new HostBuilder()
            .UseOrleansClient(client => client
                .UseStaticClustering(gateways)
                .Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = ClusterId;
                    options.ServiceId = ServiceId;
                })
                .Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(10)))
            .Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>The running silo that hosts <paramref name="grain"/>'s activation, by asking the cluster.</summary>
    public async Task<SiloProcess?> HostOfAsync(Func<IGrainFactory, IAddressable> grain)
    {
        using var host = await ConnectClientAsync();
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain(grains));
        var found = address is null ? null : Running.SingleOrDefault(s => s.SiloPort == address.Endpoint.Port);
        await host.StopAsync();
        return found;
    }

    /// <summary>The end of every silo's log, for a failure message.</summary>
    public string Diagnostics()
    {
        var text = new StringBuilder();
        foreach (var silo in _silos)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"---- silo {silo.Index} (pid {silo.Pid}, exit {silo.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "running"}) {silo.LogPath}");
            text.AppendLine(silo.Tail(15));
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // Graceful where possible, so the membership table is left clean; the database is dropped afterwards anyway.
        await Task.WhenAll(Running.Select(async silo =>
        {
            try
            {
                await silo.TerminateAsync(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
                await silo.KillAsync();
            }
        }));
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        // Failures carry the logs' tails in their messages; keep the whole logs only when asked to.
        if (Environment.GetEnvironmentVariable("DOM_KEEP_CLUSTER_LOGS") != "1")
        {
            Directory.Delete(LogDirectory, recursive: true);
        }
    }
}
