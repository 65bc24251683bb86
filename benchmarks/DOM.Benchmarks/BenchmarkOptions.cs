using System.Globalization;

namespace Dom.Benchmarks;

/// <summary>What one benchmark run measures and how long. <see cref="Full"/> is for measurement, <see cref="Smoke"/>
/// (seconds, small data) keeps the benchmark from rotting inside the test suite.</summary>
internal sealed record BenchmarkOptions
{
    public const string PostgresVariable = "DOM_BENCH_POSTGRES";
    public const string TestPostgresVariable = "DOM_TEST_POSTGRES";

    public bool IsSmoke { get; init; }

    /// <summary>An admin connection string to the PostgreSQL server: the run creates (and drops) its own databases.</summary>
    public string PostgresAdmin { get; init; } = "";

    public string OutputDirectory { get; init; } = "benchmarks/results";

    /// <summary>The olist data set (sellers and customers with coordinates); null: generated coordinates.</summary>
    public string? OlistDirectory { get; init; }

    public int Callers { get; init; } = 32;

    /// <summary>Long enough for tiered JIT to settle: a bare grain call loop runs several times slower in its first seconds.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each row's warm-up lasts at least <see cref="Warmup"/> and until the JIT has compiled nothing for a
    /// second (at most 30 s more): the HTTP rows' tier-up outlasts a fixed few seconds on two cores.</summary>
    public bool WarmUntilJitQuiet { get; init; } = true;

    public int Articles { get; init; } = 10_000;

    public int Locations { get; init; } = 20;

    /// <summary>Articles per sell-out row; every one of them is stocked at every location.</summary>
    public int SellOutArticles { get; init; } = 50;

    public int SellOutUnitsPerSlot { get; init; } = 10;

    /// <summary>A sell-out row that has not sold out by then fails the run.</summary>
    public TimeSpan SellOutTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Mixed load: percent of operations that are capacity updates and stock updates; the rest reserve.</summary>
    public int MixedCapacityPercent { get; init; } = 5;

    public int MixedStockPercent { get; init; } = 5;

    public int Seed { get; init; } = 20_260_403;

    /// <summary>Systems to run (lock, cond, engine-memory, engine-postgres); empty: all.</summary>
    public IReadOnlySet<string> Systems { get; init; } = new HashSet<string>();

    /// <summary>Scenarios to run (uniform, hot, sell-out, mixed); empty: all.</summary>
    public IReadOnlySet<string> Scenarios { get; init; } = new HashSet<string>();

    /// <summary>Rounds of the whole run; each row reports its median round.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Every system in this process, one after the other (the suite's smoke test, and each group's process of
    /// an isolated run). Otherwise each system group runs in a process of its own.</summary>
    public bool OneProcess { get; init; }

    /// <summary>The command line, for the report.</summary>
    public string CommandLine { get; init; } = "";

    public int SellOutUnits => SellOutArticles * Locations * SellOutUnitsPerSlot;

    public static BenchmarkOptions Full(string postgresAdmin) => new() { PostgresAdmin = postgresAdmin };

    public static BenchmarkOptions Smoke(string postgresAdmin) => new()
    {
        IsSmoke = true,
        PostgresAdmin = postgresAdmin,

        // A smoke run must not replace the committed results of the last full run (results/tmp is ignored by git).
        OutputDirectory = "benchmarks/results/tmp",
        Warmup = TimeSpan.FromMilliseconds(300),
        WarmUntilJitQuiet = false,
        Duration = TimeSpan.FromSeconds(1),
        Articles = 200,
        SellOutArticles = 10,
        SellOutUnitsPerSlot = 2,
        SellOutTimeout = TimeSpan.FromSeconds(60),
    };

    public bool Runs(string system) => Systems.Count == 0 || Systems.Contains(system);

    public bool Runs(Scenario scenario) => Scenarios.Count == 0 || Scenarios.Contains(scenario.Name());

    public static BenchmarkOptions Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var postgres = Value(args, "--postgres")
            ?? Environment.GetEnvironmentVariable(PostgresVariable)
            ?? Environment.GetEnvironmentVariable(TestPostgresVariable)
            ?? throw new ArgumentException($"No PostgreSQL server: pass --postgres <admin connection string> or set {PostgresVariable} (benchmarks/run.sh starts a private one).");
        var options = smoke ? Smoke(postgres) : Full(postgres);
        options = options with
        {
            OutputDirectory = Value(args, "--out") ?? options.OutputDirectory,
            OlistDirectory = args.Contains("--no-olist") ? null : Value(args, "--olist") ?? DefaultOlistDirectory(),
            Callers = Int(args, "--callers") ?? options.Callers,
            Warmup = Seconds(args, "--warmup") ?? options.Warmup,
            WarmUntilJitQuiet = !args.Contains("--fixed-warmup") && options.WarmUntilJitQuiet,
            Duration = Seconds(args, "--duration") ?? options.Duration,
            Articles = Int(args, "--articles") ?? options.Articles,
            SellOutArticles = Int(args, "--sell-out-articles") ?? options.SellOutArticles,
            SellOutUnitsPerSlot = Int(args, "--sell-out-units") ?? options.SellOutUnitsPerSlot,
            Seed = Int(args, "--seed") ?? options.Seed,
            Repeat = Int(args, "--repeat") ?? options.Repeat,
            OneProcess = args.Contains("--one-process"),
            Systems = List(args, "--systems"),
            Scenarios = List(args, "--scenarios"),
            CommandLine = string.Join(' ', args.Select(a => a.Contains("Host=", StringComparison.Ordinal) ? "<connection string>" : a)),
        };
        if (options.Callers < 1 || options.Articles < options.Callers || options.Locations < 1 || options.SellOutArticles < 1 || options.SellOutUnitsPerSlot < 1 || options.Repeat < 1)
        {
            throw new ArgumentException("callers ≥ 1, articles ≥ callers, sell-out articles and units ≥ 1, repeat ≥ 1.");
        }

        if (options.OneProcess && options.Repeat > 1)
        {
            throw new ArgumentException("--repeat runs each system group in a process of its own: it cannot be combined with --one-process.");
        }

        return options;
    }

    /// <summary>The project workspace keeps the olist data beside the repository (../shared/data/olist); a clone
    /// without it runs on generated coordinates.</summary>
    private static string? DefaultOlistDirectory()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DOM.Orleans.sln")))
            {
                var olist = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "olist"));
                return Directory.Exists(olist) ? olist : null;
            }
        }

        return null;
    }

    private static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int? Int(string[] args, string name) =>
        Value(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;

    private static TimeSpan? Seconds(string[] args, string name) =>
        Value(args, name) is { } text ? TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture)) : null;

    private static HashSet<string> List(string[] args, string name) =>
        Value(args, name) is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) : [];
}
