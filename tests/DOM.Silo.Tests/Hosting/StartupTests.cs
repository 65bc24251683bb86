using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dom.Silo.Hosting;
using Dom.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dom.Silo.Tests.Hosting;

/// <summary>A silo started while a port it needs is taken (a second silo on a developer's machine) says which ports it
/// asked for and how to move them, and exits with 1 once what did start has stopped; it does not abort.</summary>
public class StartupTests
{
    [Theory]
    [InlineData("urls", "It needs {0} (--urls)")]
    [InlineData("Silo:SiloPort", "silo port {0} (--Silo:SiloPort)")]
    [InlineData("Silo:GatewayPort", "gateway port {0} (--Silo:GatewayPort)")]
    public async Task A_silo_whose_port_is_taken_exits_with_1_naming_the_setting_that_moves_it(string setting, string named)
    {
        var port = LoopbackPorts.Next();
        using var taken = new TcpListener(IPAddress.Loopback, port);
        // As Orleans listens: with address reuse, which on Linux would let a second listener with it share the port.
        taken.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        taken.Start();
        var value = setting == "urls" ? $"http://127.0.0.1:{port}" : port.ToString(CultureInfo.InvariantCulture);
        var app = DomHost.Build(DomHost.CreateBuilder(SiloHost.Arguments("Development", new Dictionary<string, string> { [setting] = value })));
        using var error = new StringWriter();

        var exitCode = await DomHost.RunAsync(app, error).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        var message = error.ToString();
        Assert.StartsWith("DOM.Silo cannot start: ", message, StringComparison.Ordinal);
        Assert.Contains(string.Format(CultureInfo.InvariantCulture, named, value), message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Orders:Unavailable", "Cancelled", "Failed to convert configuration value 'Cancelled' at 'Orders:Unavailable'")]
    [InlineData("Risk:VelocityWindow", "1h", "at 'Risk:VelocityWindow'")]
    [InlineData("Orders:DefaultPromiseDays", "-4", "Orders:DefaultPromiseDays must be 1 to 365.")]
    [InlineData("Orders:Channels:webshop:ReturnDays", "-1", "Orders:ReturnDays (and each channel's) must be 0 (no limit) to 3650.")]
    [InlineData("Orders:PickupDays", "100000000", "Orders:PickupDays (and each channel's) must be 0 (an order waits until collected) to 365.")]
    [InlineData("Orders:Channels:webshop:PickupDays", "-1", "Orders:PickupDays (and each channel's) must be 0 (an order waits until collected) to 365.")]
    [InlineData("Orders:BackorderDays", "-1", "Orders:BackorderDays (and each channel's) must be 0 (a line waits until supplied) to 3650.")]
    [InlineData("Orders:BackorderWarningDays", "-1", "Orders:BackorderWarningDays must be 0 (no warning) to 3650.")]
    [InlineData("Orders:Channels:webshop:BackorderDays", "100000000", "Orders:BackorderDays (and each channel's) must be 0 (a line waits until supplied) to 3650.")]
    [InlineData("Orders:PickupReminderDays", "-2", "Orders:PickupReminderDays must be 0 (no reminder) to 365.")]
    [InlineData("Webhooks:Url", "hooks.example.com/dom", "Webhooks:Url (and each channel's) must be an absolute http or https URL.")]
    [InlineData("Tax:Rates:0:Rate", "19", "Tax:Rates: a rate is not valid")]
    [InlineData("Tax:DeliveryClass", " ", "or Tax:DeliveryClass is empty")]
    [InlineData("Webhooks:Url", "https://hooks.example.com/dom", "Webhooks:Secret must be at least 16 characters when Webhooks:Url is set")]
    [InlineData("Webhooks:Channels:marketplace:Url", "https://hooks.example.com/mp", "Webhooks:Secret must be at least 16 characters when Webhooks:Url is set")]
    [InlineData("Notifications:Templates:shipped:fr:Subject", "Commande {orderId} expédiée", "Notifications:Templates: each template needs a Subject and a Text")]
    [InlineData("Notifications:Templates:shiped:fr:Subject", "Commande {orderId} expédiée", "Notifications:Templates: a template is for a type no order sends")]
    [InlineData("Silo:Clustering", "adonet", "Silo:Clustering must be Localhost or AdoNet.")]
    [InlineData("Silo:AdvertisedAddress", "silo-1.internal", "Silo:AdvertisedAddress must be an IP address")]
    [InlineData("Silo:AdvertisedAddress", "1.2.3", "Silo:AdvertisedAddress must be an IP address")]
    [InlineData("Silo:AdvertisedAddress", "cafe", "Silo:AdvertisedAddress must be an IP address")]
    [InlineData("urls", "http://0.0.0.0:0", "the Development environment (its demo keys are public, its storage is memory) listens on loopback only, not http://0.0.0.0:0")]
    [InlineData("urls", "http://127.0.0.1:0;http://[::]:0", "listens on loopback only, not http://[::]:0")]
    [InlineData("Kestrel:Endpoints:Exposed:Url", "http://0.0.0.0:0", "listens on loopback only, not http://0.0.0.0:")]
    public async Task A_setting_that_is_wrong_stops_the_start_with_one_line_naming_it(string setting, string value, string named)
    {
        using var error = new StringWriter();
        var args = SiloHost.Arguments("Development", new Dictionary<string, string> { [setting] = value });

        var logged = new ErrorsLogged();

        var exitCode = await Task.Run(async () =>
        {
            WebApplication app;
            try
            {
                var builder = DomHost.CreateBuilder(args);
                builder.Logging.AddProvider(logged);
                app = DomHost.Build(builder);
            }
            catch (Exception)
            {
                // A setting that does not bind fails the build: the entry point answers that one (nothing was built, so
                // nothing is there to log).
                return await DomHost.RunAsync(args, error);
            }

            return await DomHost.RunAsync(app, error);
        }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.StartsWith("DOM.Silo cannot start: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
        // The one line is all: no host's "failed to start" with its stack trace before it. (Only the host's own: the
        // cases that find the problem once Kestrel has bound, as for Kestrel:Endpoints, stop a started silo, and
        // Orleans' stream agents may log their shutdown.)
        Assert.DoesNotContain(logged.Errors, error => error.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_channels_webhook_endpoint_is_found_whatever_the_case_of_its_configuration_key()
    {
        // Configuration keys are case-insensitive: Webhooks:Channels:Marketplace is the marketplace channel's.
        var app = DomHost.Build(DomHost.CreateBuilder(SiloHost.Arguments("Development", new Dictionary<string, string>
        {
            ["Webhooks:Url"] = "https://shop.example.com/dom",
            ["Webhooks:Secret"] = "shop-secret-0123456789",
            ["Webhooks:Channels:Marketplace:Url"] = "https://marketplace.example.com/dom",
            ["Webhooks:Channels:Marketplace:Secret"] = "marketplace-secret-0123",
        })));
        await using var _ = app;

        var endpoint = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Dom.Grains.Notifications.WebhookOptions>>().Value.EndpointFor("marketplace");

        Assert.Equal(("marketplace.example.com", "marketplace-secret-0123"), (endpoint?.Url?.Host, endpoint?.Secret));
    }

    [Fact]
    public async Task A_channels_order_settings_are_found_whatever_the_case_of_their_configuration_key()
    {
        var app = DomHost.Build(DomHost.CreateBuilder(SiloHost.Arguments("Development", new Dictionary<string, string>
        {
            ["Orders:Channels:Marketplace:ReturnDays"] = "14",
            ["Orders:Channels:Marketplace:Unavailable"] = "Cancel",
        })));
        await using var _ = app;

        var orders = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Dom.Grains.Orders.OrderOptions>>().Value;

        Assert.Equal((14, Dom.Grains.Orders.UnavailableLinePolicy.Cancel, 30), (orders.ReturnDaysFor("marketplace"), orders.UnavailableFor("marketplace"), orders.ReturnDaysFor("webshop")));
    }

    /// <summary>What was logged at Error or above, by category.</summary>
    private sealed class ErrorsLogged : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Errors { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Errors);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> errors) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    errors.Enqueue($"{category}: {formatter(state, exception)}");
                }
            }
        }
    }
}
