using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dom.Silo.Hosting;
using Dom.Testing;

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
}
