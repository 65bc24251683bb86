using System.Globalization;
using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using Dom.Benchmarks.Baseline;

namespace Dom.Benchmarks.Reporting;

/// <summary>What the numbers were measured on.</summary>
internal sealed record MachineInfo(
    int Processors,
    string Cpu,
    double MemoryGiB,
    string LoadAverageAtStart,
    string OperatingSystem,
    string Runtime,
    string Orleans,
    bool ServerGc,
    string PostgreSql)
{
    public string Summary =>
        $"{Processors} cores ({Cpu}), {MemoryGiB:0.#} GiB, {OperatingSystem}, {Runtime}, Orleans {Orleans}, server GC {(ServerGc ? "on" : "off")}, {PostgreSql}; load average at start {LoadAverageAtStart}";

    public static async Task<MachineInfo> CollectAsync(string postgresAdmin)
    {
        var cpu = ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var memory = memKb is null ? 0 : double.Parse(memKb, CultureInfo.InvariantCulture) / 1024 / 1024;
        var load = ReadLines("/proc/loadavg").FirstOrDefault() is { } line ? string.Join(' ', line.Split(' ').Take(3)) : "n/a";
        var orleans = typeof(Grain).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+', ' ')[0].TrimEnd('.') ?? "?";
        var postgres = (await Sql.ScalarAsync<string>(postgresAdmin, "SELECT version()")).Split(" on ")[0];
        return new MachineInfo(Environment.ProcessorCount, cpu, memory, load, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, orleans, GCSettings.IsServerGC, postgres);
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
