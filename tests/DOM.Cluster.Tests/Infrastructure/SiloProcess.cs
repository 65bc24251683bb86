using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using Dom.Testing;

namespace Dom.Cluster.Tests.Infrastructure;

/// <summary>Where the built pieces are: DOM.Silo's output and the repository (for deploy/ scripts).</summary>
public static class Paths
{
    public static string SiloDirectory { get; } = Metadata("DomSiloDirectory");

    public static string SiloAssembly { get; } = Path.Combine(SiloDirectory, "DOM.Silo.dll");

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    private static string Metadata(string key) =>
        typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

/// <summary>
/// One silo as a separate OS process started from DOM.Silo's build output (environment PostgreSQL, loopback ports),
/// so it can crash for real (SIGKILL) or leave gracefully (SIGTERM). Its output goes to a log file.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    public const string OperatorKey = "cluster-test-operator-key-0001";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pump;

    private SiloProcess(int index, Process process, StreamWriter log, Task pump, int httpPort, int siloPort, string logPath)
    {
        Index = index;
        _process = process;
        _log = log;
        _pump = pump;
        HttpPort = httpPort;
        SiloPort = siloPort;
        LogPath = logPath;
        Address = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public int Index { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public Uri Address { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public int GatewayPort { get; private init; }

    /// <summary>Starts a silo process; returns once it is running (not yet ready: see <see cref="WaitReadyAsync"/>).</summary>
    public static SiloProcess Start(int index, string clusterId, string connectionString, string logDirectory, IDictionary<string, string>? settings = null)
    {
        var (httpPort, siloPort, gatewayPort) = (LoopbackPorts.Next(), LoopbackPorts.Next(), LoopbackPorts.Next());
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Paths.SiloDirectory,
        };
        foreach (var argument in new[]
        {
            Paths.SiloAssembly, "--environment", "PostgreSQL", "--urls", $"http://127.0.0.1:{httpPort}",
            $"--Silo:ClusterId={clusterId}", $"--Silo:SiloPort={siloPort}", $"--Silo:GatewayPort={gatewayPort}",
            "--Silo:AdvertisedAddress=127.0.0.1",
        })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["ConnectionStrings__Dom"] = connectionString;
        start.Environment["Auth__OperatorKey"] = OperatorKey;
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");

        var logPath = Path.Combine(logDirectory, $"silo-{index}-{siloPort}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var pump = Task.WhenAll(PumpAsync(process.StandardOutput, log), PumpAsync(process.StandardError, log));
        return new SiloProcess(index, process, log, pump, httpPort, siloPort, logPath) { GatewayPort = gatewayPort };
    }

    /// <summary>Polls <c>/health/ready</c> until this silo is ready and sees <paramref name="activeSilos"/> active members.</summary>
    public async Task WaitReadyAsync(int activeSilos, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(3) };
        var deadline = Stopwatch.StartNew();
        string last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo {Index} exited with {_process.ExitCode} while starting:\n{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync("/health/ready");
                last = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && ActiveSilos(last) == activeSilos)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                last = exception.Message;
            }

            await Poll.Pause();
        }

        throw new TimeoutException($"Silo {Index} not ready with {activeSilos} active silos after {timeout}: {last}\n{Tail()}");
    }

    /// <summary>A crash: SIGKILL, no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the silo drains and leaves the cluster; completes when the process has exited.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var signal = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException exception)
        {
            return exception.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        await _pump;
        await _log.DisposeAsync();
        _process.Dispose();
    }

    private static int? ActiveSilos(string health)
    {
        try
        {
            using var json = JsonDocument.Parse(health);
            return json.RootElement.GetProperty("checks").GetProperty("membership").GetProperty("data").GetProperty("activeSilos").GetInt32();
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task PumpAsync(StreamReader source, StreamWriter log)
    {
        while (await source.ReadLineAsync() is { } line)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }
}
