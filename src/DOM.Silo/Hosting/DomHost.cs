using System.Text.Json;
using System.Text.Json.Serialization;
using Dom.Grains.Hosting;
using Dom.Silo.Api;
using Microsoft.AspNetCore.Http.Json;

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
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapHealthChecks("/health/live", new() { Predicate = check => check.Tags.Contains(HealthTags.Live), ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(HealthTags.Ready), ResponseWriter = HealthResponse.WriteAsync });
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
