using Dom.Grains.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Dom.Silo.Hosting;

/// <summary>
/// Metrics and logs, the OpenTelemetry way. The meters are always there (in-process listeners such as
/// <c>dotnet-counters</c> see them); they are exported over OTLP when the standard variable
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, with the rest of OpenTelemetry's standard variables
/// (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>,
/// <c>OTEL_RESOURCE_ATTRIBUTES</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c>) honoured. Without it nothing is collected, so a
/// silo pays nothing for an exporter nobody reads. Only stable OpenTelemetry packages are used; a Prometheus scrape is
/// had through an OpenTelemetry Collector (its prometheus exporter), since the in-process Prometheus exporter is
/// still a prerelease.
/// </summary>
internal static class Telemetry
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The meters exported: the engine's, Orleans', ASP.NET Core's, the runtime's and Npgsql's.</summary>
    public static readonly string[] Meters =
    [
        EngineMetrics.MeterName,
        "Microsoft.Orleans",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Runtime",
        "Npgsql",
    ];

    public static void AddDomTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddEngineMetrics();
        if (builder.Configuration[OtlpEndpointVariable] is not { Length: > 0 })
        {
            return;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "dom-silo"))
            .WithMetrics(metrics => metrics.AddMeter(Meters))
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            })
            .UseOtlpExporter();
    }
}
