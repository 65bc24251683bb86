using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dom.Grains.Hosting;
using Dom.Silo.Api;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Dom.Silo.Hosting;

/// <summary>Builds the silo host: Orleans, the HTTP API and the pages in one process.</summary>
public static class DomHost
{
    /// <summary>The largest request body accepted, in bytes.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The builder, with every service registered; tests replace services before <see cref="Build(WebApplicationBuilder)"/>.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            EnvironmentName = EnvironmentFrom(args),
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(options => Configure(options.SerializerOptions));
        builder.Services.AddProblems();
        builder.Services.AddApiKeyAuthentication(builder.Configuration);
        builder.Services.AddDomRateLimiting();
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks()
            .AddCheck<SiloHealthCheck>("membership", tags: [HealthTags.Ready])
            .AddCheck<SiloHealthCheck>("silo", tags: [HealthTags.Live]);
        builder.Services.AddGracefulShutdown();
        builder.AddDomTelemetry();
        builder.Services.AddDomGrains();
        builder.Services.AddOptions<Dom.Grains.Orders.OrderOptions>().BindConfiguration(Dom.Grains.Orders.OrderOptions.Section);
        builder.Services.AddOptions<Dom.Domain.Risk.RiskPolicy>().BindConfiguration("Risk");
        builder.AddDomOrleans();
        builder.Services.AddDemoData();
        return builder;
    }

    public static WebApplication Build(string[] args) => Build(CreateBuilder(args));

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapOpenApi();
        // Probes are never rate limited: a busy address must not look like a dead silo.
        app.MapHealthChecks("/health/live", new() { Predicate = check => check.Tags.Contains(HealthTags.Live), ResponseWriter = HealthResponse.WriteAsync }).DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(HealthTags.Ready), ResponseWriter = HealthResponse.WriteAsync }).DisableRateLimiting();
        app.MapArticlesApi();
        app.MapLocationsApi();
        app.MapStockApi();
        app.MapAvailabilityApi();
        app.MapReservationsApi();
        app.MapSourcingApi();
        app.MapApiKeysApi();
        app.MapOrdersApi();
        app.MapCustomersApi();
        app.MapRiskApi();
        return app;
    }

    /// <summary>
    /// Runs <paramref name="app"/> until it is shut down; 0 then. A silo that cannot start because a port it listens on
    /// is taken (most often by another silo still running) returns 1 after one plain line on <paramref name="error"/>
    /// naming the ports it asked for and the settings that move them, instead of Orleans' and Kestrel's stack traces
    /// and an abort. What did start is stopped first, so Orleans leaves before its services are disposed (disposing a
    /// started silo sent its background work into a disposed container: a page of ObjectDisposedExceptions).
    /// </summary>
    public static async Task<int> RunAsync(WebApplication app, TextWriter error)
    {
        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (Exception exception) when (AddressInUse(exception))
            {
                try
                {
                    await app.StopAsync();
                }
                catch (InvalidOperationException)
                {
                    // Orleans refuses to stop a silo that never got to run (its own port was the one taken); the other
                    // services have been stopped by then.
                }

                var silo = app.Services.GetRequiredService<IOptions<OrleansHostingOptions>>().Value;
                var urls = app.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : "http://localhost:5000";
                await error.WriteLineAsync(
                    $"DOM.Silo cannot start: {exception.Message.TrimEnd('.')}. It needs {urls} (--urls), silo port " +
                    $"{silo.SiloPort} (--Silo:SiloPort) and gateway port {silo.GatewayPort} (--Silo:GatewayPort); is another " +
                    "silo still running? Stop it, or give this one free ports.");
                return 1;
            }

            await app.WaitForShutdownAsync();
            return 0;
        }
    }

    private static bool AddressInUse(Exception? exception) => exception switch
    {
        null => false,
        SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } or AddressInUseException => true,
        AggregateException all => all.InnerExceptions.Any(AddressInUse),
        _ => AddressInUse(exception.InnerException),
    };

    /// <summary>The JSON every answer and request uses: camelCase, enums as camelCase strings, unknown members refused.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        return options;
    }

    /// <summary>The configuration the host would read, for commands that run without a host (migrate).</summary>
    public static IConfiguration CreateConfiguration(string[] args)
    {
        var environment = EnvironmentFrom(args);
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
    }

    /// <summary>The embedded default is the default: without an explicit environment the silo runs as Development.</summary>
    private static string EnvironmentFrom(string[] args) =>
        new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()["environment"] is { Length: > 0 } name
            ? name
            : Environments.Development;
}
