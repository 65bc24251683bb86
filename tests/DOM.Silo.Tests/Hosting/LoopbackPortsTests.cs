using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dom.Testing;

namespace Dom.Silo.Tests.Hosting;

/// <summary>The ports the tests hand to silos: never from the range the kernel gives outgoing connections, never twice,
/// and held against every other process that asks.</summary>
public class LoopbackPortsTests
{
    [Fact]
    public void A_port_is_outside_the_ephemeral_range_free_and_reserved_against_other_takers()
    {
        var ports = Enumerable.Range(0, 20).Select(_ => LoopbackPorts.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        var (low, _) = EphemeralRange();
        Assert.All(ports, port => Assert.InRange(port, 1024, low - 1));
        Assert.All(ports, port =>
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        });

        // Another reservation of a handed-out port, as another test process would make (a second open of the lock file
        // conflicts with the first as one from another process does), is refused while this one lives.
        Assert.All(ports, port => Assert.Null(LoopbackPorts.Reserve(port)));
    }

    private static (int Low, int High) EphemeralRange()
    {
        const string setting = "/proc/sys/net/ipv4/ip_local_port_range";
        if (!File.Exists(setting))
        {
            return (32768, 60999);
        }

        var parts = File.ReadAllText(setting).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
