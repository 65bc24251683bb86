using System.Net;
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
        builder.Services.AddOpenApi(options => options.AddSchemaTransformer(EnumSchemas.DescribeAsync).AddApiAnswers());
        builder.Services.AddHealthChecks()
            .AddCheck<SiloHealthCheck>("membership", tags: [HealthTags.Ready])
            .AddCheck<SiloHealthCheck>("silo", tags: [HealthTags.Live]);
        builder.Services.AddGracefulShutdown();
        builder.AddDomTelemetry();
        builder.Services.AddDomGrains();
        // Checked when the silo starts, not at the first order: a value that does not bind (an unknown policy name, a
        // window written "1h") or is out of range stops the start with a message naming it.
        builder.Services.AddOptions<Dom.Grains.Orders.OrderOptions>().BindConfiguration(Dom.Grains.Orders.OrderOptions.Section)
            .Validate(o => o.DefaultPromiseDays is >= 1 and <= 365, "Orders:DefaultPromiseDays must be 1 to 365.")
            .Validate(o => o.ReturnDays is >= 0 and <= 3650 && o.Channels.Values.All(c => c.ReturnDays is null or (>= 0 and <= 3650)),
                "Orders:ReturnDays (and each channel's) must be 0 (no limit) to 3650.")
            .Validate(o => o.PickupDays is >= 0 and <= 365 && o.Channels.Values.All(c => c.PickupDays is null or (>= 0 and <= 365)),
                "Orders:PickupDays (and each channel's) must be 0 (an order waits until collected) to 365.")
            .Validate(o => o.PickupReminderDays is >= 0 and <= 365, "Orders:PickupReminderDays must be 0 (no reminder) to 365.")
            .Validate(o => o.BackorderDays is >= 0 and <= 3650 && o.Channels.Values.All(c => c.BackorderDays is null or (>= 0 and <= 3650)),
                "Orders:BackorderDays (and each channel's) must be 0 (a line waits until supplied) to 3650.")
            .Validate(o => o.BackorderWarningDays is >= 0 and <= 3650, "Orders:BackorderWarningDays must be 0 (no warning) to 3650.")
            .ValidateOnStart();
        builder.Services.AddOptions<Dom.Domain.Money.TaxRates>().BindConfiguration("Tax")
            .Validate(t => t.Problem() is null, "Tax:Rates: a rate is not valid (a fraction from 0 to 1, an ISO country code, a class, a window that ends after it starts, no two of a country and class starting on the same day), or Tax:DeliveryClass is empty.")
            .ValidateOnStart();
        builder.Services.AddOptions<Dom.Grains.Notifications.WebhookOptions>().BindConfiguration(Dom.Grains.Notifications.WebhookOptions.Section)
            .Validate(w => w.Endpoints().All(e => e.Url is null || (e.Url.IsAbsoluteUri && e.Url.Scheme is "http" or "https")),
                "Webhooks:Url (and each channel's) must be an absolute http or https URL.")
            .Validate(w => w.Endpoints().All(e => e.Url is null || e.Secret is { Length: >= 16 }),
                "Webhooks:Secret must be at least 16 characters when Webhooks:Url is set (and each channel's with its Url).")
            .Validate(w => w.MaxAge > TimeSpan.Zero && w.Timeout > TimeSpan.Zero && w.Timeout <= TimeSpan.FromMinutes(1),
                "Webhooks:MaxAge must be positive, and Webhooks:Timeout positive and at most 00:01:00.")
            .ValidateOnStart();
        builder.Services.AddOptions<Dom.Grains.Notifications.NotificationOptions>().BindConfiguration(Dom.Grains.Notifications.NotificationOptions.Section)
            .Validate(n => Validation.IsLanguage(n.DefaultLanguage) && n.Templates.Values.All(t => t.Keys.All(Validation.IsLanguage)),
                "Notifications:DefaultLanguage and the languages of Notifications:Templates must be BCP 47 tags such as en, de or de-AT.")
            // A template replaces the built-in one whole: one without a text would send the customer an empty message.
            .Validate(n => n.Templates.Keys.All(Dom.Domain.Notifications.MessageTemplates.BuiltIn.ContainsKey),
                $"Notifications:Templates: a template is for a type no order sends; the types are {string.Join(", ", Dom.Domain.Notifications.MessageTemplates.BuiltIn.Keys)}.")
            .Validate(n => n.Templates.Values.All(t => t.Values.All(m => m is { Subject.Length: > 0, Text.Length: > 0 })),
                "Notifications:Templates: each template needs a Subject and a Text (Notifications:Templates:{type}:{language}:Subject and :Text).")
            .ValidateOnStart();
        builder.Services.AddOptions<Dom.Domain.Risk.RiskPolicy>().BindConfiguration("Risk")
            .Validate(r => r.ReviewOrderValue >= 0 && r.FirstOrderReviewValue >= 0, "Risk:ReviewOrderValue and Risk:FirstOrderReviewValue must not be negative.")
            .Validate(r => r.MaxLineQuantity >= 1 && r.VelocityOrders >= 1, "Risk:MaxLineQuantity and Risk:VelocityOrders must be at least 1.")
            .Validate(r => r.VelocityWindow > TimeSpan.Zero, "Risk:VelocityWindow must be a positive time span (e.g. 01:00:00).")
            .Validate(r => Validation.IsCurrency(r.Currency) && r.ExchangeRates.All(x => Validation.IsCurrency(x.Key) && x.Value > 0),
                "Risk:Currency and the keys of Risk:ExchangeRates must be ISO 4217 codes (three capital letters), and every rate positive.")
            .ValidateOnStart();
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
        app.UsePages();
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
        app.MapReturnsApi();
        app.MapCustomersApi();
        app.MapRiskApi();
        app.MapPromotionsApi();
        app.MapLedgerApi();
        app.MapBackordersApi();
        return app;
    }

    /// <summary>Builds and runs the silo; a configuration that cannot work stops it with one line naming the setting
    /// and exit code 1.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error)
    {
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (Exception exception) when (Misconfigured(exception) is { } problem)
        {
            await error.WriteLineAsync($"DOM.Silo cannot start: {problem}");
            return 1;
        }

        return await RunAsync(app, error);
    }

    /// <summary>
    /// Runs <paramref name="app"/> until it is shut down; 0 then. A silo that cannot start returns 1 after one plain line
    /// on <paramref name="error"/> instead of Orleans' and Kestrel's stack traces and an abort: a port it listens on is
    /// taken (most often by another silo still running; the line names the ports and the settings that move them), a
    /// setting fails its validation, Silo:AdvertisedAddress is not this machine's, PostgreSQL cannot be used or lacks
    /// this build's schema, or Development would listen beyond loopback. What did start is stopped first, so Orleans
    /// leaves before its services are disposed (disposing a started silo sent its background work into a disposed
    /// container: a page of ObjectDisposedExceptions). A stop that outlasts Shutdown:TimeoutSeconds ends the process.
    /// </summary>
    public static async Task<int> RunAsync(WebApplication app, TextWriter error)
    {
        await using (app)
        {
            if (app.Environment.IsDevelopment() && ExposedUrl(app.Configuration[WebHostDefaults.ServerUrlsKey]) is { } exposed)
            {
                await error.WriteLineAsync(DevelopmentExposed(exposed));
                return 1;
            }

            try
            {
                // The settings' validation, which StartAsync would run too, but only after the host logged the failure
                // with a stack trace of its own ahead of the one line below.
                app.Services.GetService<IStartupValidator>()?.Validate();
                ClaimSiloPorts(app.Services.GetRequiredService<IOptions<OrleansHostingOptions>>().Value);
                if (app.Services.GetService<Npgsql.NpgsqlDataSource>() is { } data && await CheckDatabaseAsync(data) is { } database)
                {
                    await error.WriteLineAsync($"DOM.Silo cannot start: {database}");
                    return 1;
                }

                await app.StartAsync();
            }
            catch (Exception exception) when (Misconfigured(exception) is { } problem)
            {
                await error.WriteLineAsync($"DOM.Silo cannot start: {problem}");
                return 1;
            }
            catch (AdvertisedAddressException foreign)
            {
                // Thrown before anything started.
                await error.WriteLineAsync($"DOM.Silo cannot start: {foreign.Address} (--Silo:AdvertisedAddress) is not an address of this machine.");
                return 1;
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

            // What Kestrel listens on can also come from ASPNETCORE_HTTP_PORTS or Kestrel:Endpoints, which --urls does
            // not show: checked again on the addresses it did bind.
            var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
            if (app.Environment.IsDevelopment() && ExposedUrl(string.Join(';', bound)) is { } exposedNow)
            {
                await error.WriteLineAsync(DevelopmentExposed(exposedNow));
                await app.StopAsync();
                return 1;
            }

            // Shutdown:TimeoutSeconds bounds the host's own stop, but not Orleans' membership agent, which retries its
            // "Dead" update for a minute (twice) when PostgreSQL is gone: past the budget and a margin, the process
            // stops hard with 1, so a supervisor (systemd, the local cluster script) is not left waiting.
            var budget = TimeSpan.FromSeconds(app.Services.GetRequiredService<IOptions<ShutdownOptions>>().Value.TimeoutSeconds) + HardStopMargin;
            using var stopped = new CancellationTokenSource();
            using (app.Lifetime.ApplicationStopping.Register(() => _ = StopHardAfterAsync(budget, error, stopped.Token)))
            {
                await app.WaitForShutdownAsync();
                await stopped.CancelAsync();
            }

            return 0;
        }
    }

    /// <summary>The grace past <c>Shutdown:TimeoutSeconds</c> before a stop that hangs ends the process.</summary>
    public static readonly TimeSpan HardStopMargin = TimeSpan.FromSeconds(5);

    private static async Task StopHardAfterAsync(TimeSpan budget, TextWriter error, CancellationToken stopped)
    {
        try
        {
            await Task.Delay(budget, stopped);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await error.WriteLineAsync($"DOM.Silo did not stop within Shutdown:TimeoutSeconds and {HardStopMargin.TotalSeconds:0} s more (is PostgreSQL unreachable?); stopping hard.");
        await error.FlushAsync(CancellationToken.None);
        Environment.Exit(1);
    }

    private static string DevelopmentExposed(string url) =>
        $"DOM.Silo cannot start: the Development environment (its demo keys are public, its storage is memory) listens on " +
        $"loopback only, not {url}. Choose an environment (--environment PostgreSQL) or listen on localhost.";

    /// <summary>The first of <paramref name="urls"/> (Kestrel's <c>--urls</c>, ';'-separated) that listens beyond this
    /// machine: a wildcard host or an address that is not loopback.</summary>
    private static string? ExposedUrl(string? urls) =>
        (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(url =>
        {
            var host = BindingAddress.Parse(url).Host;
            return host is "*" or "+" or "0.0.0.0" or "[::]" or "::"
                || (!string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) && !(IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)));
        });

    /// <summary>Why the silo cannot run on its database (unreachable, or without this build's schema); null if it can.</summary>
    private static async Task<string?> CheckDatabaseAsync(Npgsql.NpgsqlDataSource data)
    {
        try
        {
            return await DatabaseSchema.CheckAsync(data);
        }
        catch (Npgsql.NpgsqlException unreachable)
        {
            return $"PostgreSQL (ConnectionStrings:{OrleansSetup.ConnectionStringName}) cannot be used: {unreachable.Message}";
        }
    }

    /// <summary>Fails with "address in use" when the silo or gateway port is taken. Orleans listens with the address
    /// reuse option, which on Linux lets a second silo share a port a running one listens on (both then take half the
    /// connections); a bind without it fails against any listener, so it is tried first.</summary>
    private static void ClaimSiloPorts(OrleansHostingOptions options)
    {
        if (options.Kubernetes)
        {
            return; // One silo per pod: nothing else listens on its address.
        }

        var address = options.Clustering == "Localhost" ? IPAddress.Loopback : IPAddress.Parse(options.AdvertisedAddress);
        foreach (var port in new[] { options.SiloPort, options.GatewayPort })
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(address, port));
            }
            catch (SocketException notHere) when (notHere.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                throw new AdvertisedAddressException(options.AdvertisedAddress);
            }
        }
    }

    /// <summary>Silo:AdvertisedAddress is not an address of this machine.</summary>
    private sealed class AdvertisedAddressException(string address) : Exception($"{address} is not an address of this machine.")
    {
        public string Address { get; } = address;
    }

    /// <summary>What is wrong with the configuration, when that is why the start failed: a setting that failed its
    /// validation, or one that does not bind to its type (the binder names the key and the value).</summary>
    private static string? Misconfigured(Exception? exception) => exception switch
    {
        null => null,
        OptionsValidationException invalid => string.Join(" ", invalid.Failures),
        System.ComponentModel.DataAnnotations.ValidationException invalid => invalid.Message,
        InvalidOperationException { InnerException: FormatException or InvalidOperationException or ArgumentException or OverflowException } binding
            when binding.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => binding.Message,
        AggregateException all => all.InnerExceptions.Select(Misconfigured).FirstOrDefault(m => m is not null),
        _ => Misconfigured(exception.InnerException),
    };

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
        options.Converters.Add(new StrictEnumConverterFactory());
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
