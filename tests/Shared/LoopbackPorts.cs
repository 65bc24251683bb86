using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Dom.Testing;

/// <summary>
/// Loopback ports for silos the tests and the benchmark start, safe to hand to a process that binds them seconds later.
/// <para>
/// Asking the kernel for port 0 and closing the listener (the usual trick) returns a port from the ephemeral range,
/// which the kernel also gives to outgoing connections: a silo's connections to PostgreSQL or to the other silos took
/// such a port between the pick and the bind, and the silo died with "address already in use" (CI, 2026-12-06). These
/// ports come from below the ephemeral range and outside Orleans.TestingHost's (22300-29999, 40000-49999), and each is
/// reserved across processes by an exclusive lock on a file named after it, held until this process exits, so two
/// test processes running at once never hand out the same port.
/// </para>
/// </summary>
internal static class LoopbackPorts
{
    private const int First = 12000;
    private const int End = 22000;

    private static readonly string Directory = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dom-loopback-ports")).FullName;

    // The open lock files: kept referenced so no finalizer closes one (and releases its port) before the process ends.
    private static readonly List<FileStream> Reservations = [];
    private static int _next = Random.Shared.Next(End - First);

    /// <summary>A port nobody listens on and no other process using this class holds.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < End - First; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % (End - First));
            if (Reserve(port) is not { } reservation)
            {
                continue;
            }

            if (Bindable(port))
            {
                lock (Reservations)
                {
                    Reservations.Add(reservation);
                }

                return port;
            }

            reservation.Dispose();
        }

        throw new InvalidOperationException($"No free loopback port in {First}-{End - 1}");
    }

    /// <summary>The reservation of <paramref name="port"/>, or null when another open of its lock file holds it.</summary>
    internal static FileStream? Reserve(int port)
    {
        try
        {
            // FileShare.None takes an exclusive flock on Unix: another process's attempt fails until this one exits.
            return new FileStream(
                Path.Combine(Directory, port.ToString(CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
