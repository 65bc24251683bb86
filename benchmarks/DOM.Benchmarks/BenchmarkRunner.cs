using Dom.Benchmarks.Baseline;
using Dom.Benchmarks.Engine;
using Dom.Benchmarks.Reporting;
using Dom.Silo.Hosting;
using System.Globalization;
using Npgsql;

namespace Dom.Benchmarks;

/// <summary>
/// One run: the baseline patterns, the engine on memory and on PostgreSQL storage (in-process and over HTTP) and the
/// ceiling, every scenario, on the same machine and the same PostgreSQL server; then the oversell and loss checks.
/// </summary>
internal static class BenchmarkRunner
{
    public static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, Action<string> log)
    {
        var started = DateTimeOffset.UtcNow;
        var runId = $"{started:yyyyMMddHHmmss}_{Guid.NewGuid():N}"[..21];
        var geography = Geography.Load(options.OlistDirectory, options.Locations, options.Seed);
        var catalog = new Catalog(options, geography);
        var scenarios = Enum.GetValues<Scenario>().Where(options.Runs).ToList();
        var machine = await MachineInfo.CollectAsync(options.PostgresAdmin);
        var rows = new List<RowResult>();
        var checks = new List<Check>();
        var postgresSettings = "";
        var notes = new List<string>();
        var rowNumber = 0;
        log($"DOM.Orleans benchmark ({(options.IsSmoke ? "smoke" : "full")}): {options.Callers} callers, {options.Duration.TotalSeconds:0.#} s per row after {options.Warmup.TotalSeconds:0.#} s warm-up{(options.WarmUntilJitQuiet ? " and until the JIT is quiet" : "")}, "
            + $"{options.Articles} articles × {options.Locations} locations, sell-out {catalog.SellOutUnits} units; locations: {geography.Source}");
        log($"machine: {machine.Summary}");

        RowPlan Plan(Scenario scenario, string sellOutTag, StockLedger ledger) => new(
            scenario,
            $"r{++rowNumber:D2}",
            scenario switch
            {
                Scenario.Hot => [Catalog.HotSku],
                Scenario.SellOut => catalog.SellOutSkus(sellOutTag),
                _ => catalog.UniformSkus,
            },
            options.Locations,
            geography.Customers.Count,
            options.Callers,
            options.Warmup,
            options.Duration,
            options.SellOutTimeout,
            options.Seed,
            scenario == Scenario.Mixed ? options.MixedCapacityPercent : 0,
            scenario == Scenario.Mixed ? options.MixedStockPercent : 0,
            ledger,
            options.WarmUntilJitQuiet,
            PgStatementsSampler.Enabled ? options.PostgresAdmin : null);

        async Task<List<Ack>> RunRowAsync(Scenario scenario, ITarget target, string sellOutTag, StockLedger ledger, Dictionary<string, IReadOnlyList<Ack>> sellOutAcks)
        {
            var (row, acks) = await LoadDriver.RunAsync(Plan(scenario, sellOutTag, ledger), target);
            rows.Add(row);
            log($"  {row.Scenario,-8} {row.Label,-38} {row.ReservationsPerSecond,10:N0}/s  p50 {row.P50Ms,7:0.00}  p99 {row.P99Ms,8:0.00}  p99.9 {row.P999Ms,8:0.00} ms  errors {row.Errors}"
                + (row.Refused + row.Retried > 0 ? $"  refused {row.Refused} retried {row.Retried}" : "")
                + (row.CpuProcessMicros is { } cpu ? $"  cpu/res {cpu:N0} µs" + (row.CpuPostgresMicros is { } pg ? $" + PostgreSQL {pg:N0} µs" : "") : "")
                + (row.Gc is { } gc ? $"  {gc}" : "")
                + (row.WarmupSeconds > options.Warmup.TotalSeconds + 0.5 || !row.WarmupQuiet ? $"  warm-up {row.WarmupSeconds:0.#} s{(row.WarmupQuiet ? "" : ", JIT still compiling")}" : "")
                + (row.ErrorSamples.Count > 0 ? $"  ({row.ErrorSamples[0]})" : ""));
            if (scenario == Scenario.SellOut)
            {
                sellOutAcks[sellOutTag] = acks;
                checks.Add(new Check($"{target.System.Key} sell-out finished before the {options.SellOutTimeout.TotalSeconds:0} s limit", row.SoldOut == true, row.SoldOut == true ? $"{row.Seconds:0.0} s" : "timed out"));
            }

            return acks;
        }

        var baselines = new[] { SystemInfo.Lock, SystemInfo.Cond }.Where(s => options.Runs(s.Key)).ToList();
        if (baselines.Count > 0)
        {
            log("baseline: loading PostgreSQL tables");
            var tags = baselines.Select(s => s.Key).ToList();
            await using var baseline = await PostgresBaseline.CreateAsync(options.PostgresAdmin, runId, catalog, tags, options.Callers);
            postgresSettings = await baseline.SettingsAsync();
            var ledger = new StockLedger(options.Articles, options.Locations);
            var acks = new List<Ack>();
            var sellOutAcks = new Dictionary<string, IReadOnlyList<Ack>>();
            foreach (var scenario in scenarios)
            {
                foreach (var system in baselines)
                {
                    acks.AddRange(await RunRowAsync(scenario, system == SystemInfo.Lock ? baseline.Lock : baseline.Cond, system.Key, ledger, sellOutAcks));
                }
            }

            checks.AddRange(await baseline.CheckAsync(acks, sellOutAcks));
        }

        if (options.Runs("engine-memory"))
        {
            log("engine on memory storage: starting the silo and loading master data through the grains");
            await using var host = await EngineHost.StartAsync(postgres: false, connectionString: null, catalog);
            checks.AddRange(await RunEngineAsync(host, "engine memory", ["mem-inproc", "mem-http"], SystemInfo.MemoryInProcess, SystemInfo.MemoryHttp));
        }

        if (options.Runs("engine-postgres"))
        {
            var database = $"dom_bench_engine_{runId}";
            await Sql.ExecuteAsync(options.PostgresAdmin, $"CREATE DATABASE {database}");
            try
            {
                // The engine's durability as the baseline's: commits wait for the flush whatever the server's default.
                var connectionString = new NpgsqlConnectionStringBuilder(options.PostgresAdmin)
                {
                    Database = database,
                    MaxPoolSize = 64,
                    CommandTimeout = 60,
                    Options = "-c synchronous_commit=on",
                }.ConnectionString;
                await DatabaseSchema.ApplyAsync(connectionString);
                log("engine on PostgreSQL storage: fresh database, schema applied; starting the silo and loading master data through the grains");
                await using var host = await EngineHost.StartAsync(postgres: true, connectionString, catalog);
                var commit = await host.SynchronousCommitAsync();
                checks.Add(new Check("engine PostgreSQL: its connections commit with synchronous_commit on", commit == "on", $"synchronous_commit = {commit}"));
                checks.AddRange(await RunEngineAsync(host, "engine PostgreSQL", ["pg-inproc", "pg-http"], SystemInfo.PostgresInProcess, SystemInfo.PostgresHttp));
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                await Sql.ExecuteAsync(options.PostgresAdmin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            }
        }

        Ratios.Apply(rows);
        var report = new BenchmarkReport
        {
            StartedAt = started,
            FinishedAt = DateTimeOffset.UtcNow,
            Mode = options.IsSmoke ? "smoke" : "full",
            Command = options.CommandLine,
            Machine = machine,
            Settings = new RunSettings(
                options.Callers,
                options.Warmup.TotalSeconds,
                options.Duration.TotalSeconds,
                options.Articles,
                options.Locations,
                catalog.SellOutUnits,
                options.MixedCapacityPercent,
                options.MixedStockPercent,
                geography.Source,
                postgresSettings,
                options.WarmUntilJitQuiet),
            Rows = rows,
            Checks = checks,
            Targets = Ratios.Targets(rows),
            Notes = notes,
        };
        log(report.Passed ? "all oversell and loss checks passed" : "CHECKS FAILED: " + string.Join("; ", checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}")));
        return report;

        async Task<List<Check>> RunEngineAsync(EngineHost host, string name, string[] sellOutTags, SystemInfo inProcess, SystemInfo http)
        {
            var loadStarted = DateTimeOffset.UtcNow;
            await host.LoadAsync(sellOutTags);
            var slots = catalog.Articles(sellOutTags).Count() * options.Locations;
            var loadSeconds = (DateTimeOffset.UtcNow - loadStarted).TotalSeconds;
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: master data loaded through the grains before timing: {slots:N0} slots in {loadSeconds:0.0} s ({slots / loadSeconds:N0} slots/s, each a slot write and an article-index write)."));
            log($"  {notes[^1]}");
            var ledger = new StockLedger(options.Articles, options.Locations);
            var acks = new List<Ack>();
            var sellOutAcks = new Dictionary<string, IReadOnlyList<Ack>>();
            var rowsBefore = rows.Count;
            foreach (var scenario in scenarios)
            {
                if (!host.IsPostgres && scenario is Scenario.Uniform or Scenario.Hot)
                {
                    await RunRowAsync(scenario, host.Ceiling(), "", ledger, sellOutAcks);
                }

                acks.AddRange(await RunRowAsync(scenario, host.InProcess(inProcess), sellOutTags[0], ledger, sellOutAcks));
                acks.AddRange(await RunRowAsync(scenario, host.OverHttp(http), sellOutTags[1], ledger, sellOutAcks));
            }

            var skus = catalog.Articles(sellOutTags).Select(a => a.Sku).ToList();
            log($"  checking {acks.Count} acknowledged reservations and {skus.Count * options.Locations} slots");
            // With no failed attempt, every hold must be an acknowledged one.
            var exact = rows.Skip(rowsBefore).All(row => row.Errors == 0);
            var result = (await host.CheckAsync(name, acks, skus, sellOutAcks, exact)).ToList();
            notes.Add($"{name}: acknowledged units by location (nearest location with stock to the customer), top five: {host.RoutedShares}.");
            if (host.IsPostgres)
            {
                // Acknowledged means durable: a new silo, which reads everything back from PostgreSQL, must agree.
                log("  restarting the silo on the same database and checking again from what PostgreSQL holds");
                await host.RestartAsync();
                var stored = new[] { Catalog.HotSku }.Concat(sellOutTags.SelectMany(catalog.SellOutSkus));
                result.AddRange(await host.CheckAsync($"{name} after restart", acks, stored, sellOutAcks, exact, onlySlotsWithAcks: true));
            }

            return result;
        }
    }
}
