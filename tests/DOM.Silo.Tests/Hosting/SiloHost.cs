using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dom.Grains.Hosting;
using Dom.Silo.Hosting;
using Dom.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dom.Silo.Tests.Hosting;

/// <summary>The real silo host (DOM.Silo's own builder) on free loopback ports, answering over real HTTP.</summary>
public sealed class SiloHost : IAsyncDisposable
{
    public const string OperatorKey = "dev-operator-key-0001";

    public static readonly JsonSerializerOptions Json = DomHost.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private readonly WebApplication _app;

    private SiloHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a silo. <paramref name="settings"/> are passed as command-line configuration.</summary>
    public static async Task<SiloHost> StartAsync(string environment, IDictionary<string, string>? settings = null, TimeProvider? businessTime = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = DomHost.CreateBuilder(Arguments(environment, settings));
        if (businessTime is not null)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton(new DomClock(businessTime)));
        }

        configure?.Invoke(builder);
        var app = DomHost.Build(builder);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SiloHost(app, new Uri(address));
    }

    /// <summary>A silo's command line: free loopback ports, a cluster of its own, warnings only; then
    /// <paramref name="settings"/>, which win over those.</summary>
    public static string[] Arguments(string environment, IDictionary<string, string>? settings = null)
    {
        var args = new List<string>
        {
            "--environment", environment,
            "--urls", "http://127.0.0.1:0",
            $"--Silo:SiloPort={LoopbackPorts.Next()}",
            $"--Silo:GatewayPort={LoopbackPorts.Next()}",
            $"--Silo:ClusterId=test-{Guid.NewGuid():N}",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange((settings ?? new Dictionary<string, string>()).Select(s => $"--{s.Key}={s.Value}"));
        return [.. args];
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public HttpClient Operator() => Client(OperatorKey);

    /// <summary>Issues a key through the API, as an operator would.</summary>
    public async Task<HttpClient> ClientForAsync(string role, string scope) => Client(await KeyForAsync(role, scope));

    /// <summary>Issues a key through the API and answers the key itself.</summary>
    public async Task<string> KeyForAsync(string role, string scope)
    {
        using var response = await Operator().PostAsJsonAsync("/api/v1/api-keys", new { role, scope }, Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        return issued.GetProperty("key").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
