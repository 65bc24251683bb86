using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Reservations;
using Dom.Silo.Hosting;
using Dom.Stock;
using Dom.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Dom.Benchmarks.Engine;

/// <summary>
/// The real DOM.Silo host (its own builder: Orleans, grains, the co-hosted HTTP API) in this process on free loopback
/// ports: Development (memory storage) or PostgreSQL (the Orleans ADO.NET providers on a fresh database). The
/// benchmark talks to it only through the public grain interfaces and the HTTP API.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    public const string OperatorKey = "bench-operator-key-0001";
    public const string ChannelKey = "bench-channel-key-0001";
    private const int LoadParallelism = 64;
    private const int CheckParallelism = 64;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _environment;
    private readonly string? _connectionString;
    private readonly string _clusterId = $"bench-{Guid.NewGuid():N}";
    private readonly Catalog _catalog;
    private readonly ShipTo[] _shipTo;
    private WebApplication _app = null!;
    private HttpClient _channel = null!;
    private HttpClient _operator = null!;

    private EngineHost(bool postgres, string? connectionString, Catalog catalog)
    {
        _environment = postgres ? "PostgreSQL" : "Development";
        _connectionString = connectionString;
        _catalog = catalog;
        _shipTo = catalog.Geography.Customers.Select(c => new ShipTo(catalog.Geography.Country, c.Latitude, c.Longitude)).ToArray();
        IsPostgres = postgres;
    }

    public bool IsPostgres { get; }

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    /// <summary>After a check: the locations that took the most acknowledged units, with their share.</summary>
    public string RoutedShares { get; private set; } = "";

    public static async Task<EngineHost> StartAsync(bool postgres, string? connectionString, Catalog catalog)
    {
        var host = new EngineHost(postgres, connectionString, catalog);
        await host.StartAsync();
        return host;
    }

    /// <summary>Stops the silo and starts a new one on the same storage: what it then reads comes from PostgreSQL.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    /// <summary>What the silo's own connections commit with (<c>SHOW synchronous_commit</c> through its pool).</summary>
    public async Task<string> SynchronousCommitAsync()
    {
        await using var command = _app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().CreateCommand("SHOW synchronous_commit");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public ITarget InProcess(SystemInfo system) => new InProcessTarget(this, system);

    public ITarget OverHttp(SystemInfo system) => new HttpTarget(this, system);

    public ITarget Ceiling() => new CeilingTarget(this);

    /// <summary>Locations, articles and every slot's stock, through the grains, before timing.</summary>
    public async Task LoadAsync(IEnumerable<string> sellOutTags)
    {
        var grains = Grains;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = LoadParallelism };
        await Parallel.ForEachAsync(_catalog.Locations, parallel, async (site, _) => await Transient(() =>
            grains.Get<ILocationGrain>(site.Id).PutAsync(
                new LocationInfo(site.Id, site.Name, LocationType.Warehouse, site.Latitude, site.Longitude, Catalog.CapacityPerDay, _catalog.Geography.Country))));
        var articles = _catalog.Articles(sellOutTags).ToList();
        await Parallel.ForEachAsync(articles, parallel, async (article, _) => await Transient(() =>
            grains.Get<IArticleGrain>(article.Sku).PutAsync(new ArticleInfo(article.Sku, $"Benchmark article {article.Sku}", ArticleKind.Physical, null))));
        // Location by location, so the calls in flight go to different articles (each article indexes its slots one by one).
        var slots = _catalog.Locations.SelectMany(site => articles.Select(a => (Slot: new StockSlotKey(a.Sku, site.Id), a.OnHand)));
        await Parallel.ForEachAsync(slots, parallel, async (slot, _) =>
        {
            var result = await Transient(() => grains.Get<IStockSlotGrain>(slot.Slot.ToString()).SetStockAsync(new SetStockRequest(slot.OnHand, 0)));
            if (result.Status != SetStockStatus.Set)
            {
                throw new InvalidOperationException($"Loading {slot.Slot} answered {result.Status}.");
            }
        });
    }

    /// <summary>
    /// A loading call, tried again as the API tells every client to (503: storage unavailable, retry with the same key):
    /// every load is idempotent. On a busy machine a burst of new connections can outlast Npgsql's connect timeout while
    /// 64 loads activate their grains at once (seen once in a full run: one article's state read, and the run aborted).
    /// At most five attempts, a second apart, doubling; anything else fails the load at once.
    /// </summary>
    private static async Task<T> Transient<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (attempt < 5 && IsStorageUnavailable(exception))
            {
                await Task.Delay(TimeSpan.FromSeconds(1 << (attempt - 1)));
            }
        }
    }

    private static bool IsStorageUnavailable(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is StorageUnavailableException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The oversell and loss check, read from the grains: every acknowledged reservation is there, held, as
    /// acknowledged; every slot holds at most onHand − safetyStock and at least what was acknowledged on it, and, when
    /// <paramref name="exact"/> (no attempt failed, so none can have landed unacknowledged), exactly that; each sell-out
    /// set sold exactly what was on hand, and that is the units the load stocked it with.
    /// </summary>
    public async Task<IReadOnlyList<Check>> CheckAsync(
        string name,
        IReadOnlyList<Ack> acknowledged,
        IEnumerable<string> skus,
        IReadOnlyDictionary<string, IReadOnlyList<Ack>> sellOutAcks,
        bool exact,
        bool onlySlotsWithAcks = false)
    {
        var grains = Grains;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = CheckParallelism };
        var ackedUnits = new ConcurrentDictionary<StockSlotKey, int>();
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(acknowledged, parallel, async (ack, _) =>
        {
            var view = await grains.Get<IReservationGrain>(ack.ReservationId).GetAsync(Catalog.Channel);
            if (view is not { Status: ReservationStatus.Held, Lines: [var line] }
                || line.Sku != ack.Sku || line.Quantity != ack.Quantity || line.Allocations.Sum(a => a.Quantity) != ack.Quantity)
            {
                missing.Add($"{ack.ReservationId}: {(view is null ? "not found" : $"{view.Status}, {view.Lines.Count} lines")}");
                return;
            }

            foreach (var allocation in line.Allocations)
            {
                ackedUnits.AddOrUpdate(new StockSlotKey(line.Sku, allocation.LocationId), allocation.Quantity, (_, units) => units + allocation.Quantity);
            }
        });
        var checks = new List<Check>
        {
            new($"{name}: every acknowledged reservation is readable and held as acknowledged", missing.IsEmpty, $"{missing.Count} of {acknowledged.Count} missing or different{Sample(missing)}"),
        };

        var slots = onlySlotsWithAcks
            ? ackedUnits.Keys.Concat(skus.SelectMany(sku => _catalog.Locations.Select(site => new StockSlotKey(sku, site.Id)))).Distinct().ToList()
            : skus.SelectMany(sku => _catalog.Locations.Select(site => new StockSlotKey(sku, site.Id))).ToList();
        var snapshots = new ConcurrentDictionary<StockSlotKey, SlotSnapshot?>();
        await Parallel.ForEachAsync(slots, parallel, async (slot, _) => snapshots[slot] = await grains.Get<IStockSlotGrain>(slot.ToString()).GetAsync());
        var unknown = snapshots.Where(s => s.Value is null).Select(s => s.Key.ToString()).ToList();
        var oversold = snapshots.Values.OfType<SlotSnapshot>().Where(s => s.Held + s.Allocated > s.OnHand - s.SafetyStock).Select(s => $"{s.Sku}@{s.LocationId} {s.Held}+{s.Allocated}>{s.OnHand}-{s.SafetyStock}").ToList();
        var lost = snapshots.Values.OfType<SlotSnapshot>()
            .Where(s => s.Held < ackedUnits.GetValueOrDefault(new StockSlotKey(s.Sku, s.LocationId)))
            .Select(s => $"{s.Sku}@{s.LocationId} holds {s.Held} < acknowledged {ackedUnits[new StockSlotKey(s.Sku, s.LocationId)]}")
            .ToList();
        // Units held beyond what was acknowledged: only an attempt that failed (a timeout whose hold landed after the
        // caller gave up) can leave them, and they lapse at the TTL. With no failed attempt there must be none: a
        // stray hold could otherwise cover a lost acknowledged one in the per-slot sums.
        var stray = snapshots.Values.OfType<SlotSnapshot>()
            .Where(s => s.Held > ackedUnits.GetValueOrDefault(new StockSlotKey(s.Sku, s.LocationId)))
            .Select(s => $"{s.Sku}@{s.LocationId} holds {s.Held} > acknowledged {ackedUnits.GetValueOrDefault(new StockSlotKey(s.Sku, s.LocationId))}")
            .ToList();
        var unacknowledged = snapshots.Values.OfType<SlotSnapshot>().Sum(s => (long)Math.Max(0, s.Held - ackedUnits.GetValueOrDefault(new StockSlotKey(s.Sku, s.LocationId))));
        checks.Add(new($"{name}: no slot oversold (held + allocated ≤ onHand − safetyStock)", oversold.Count == 0 && unknown.Count == 0, $"{oversold.Count} of {slots.Count} slots oversold, {unknown.Count} unknown{Sample(oversold.Concat(unknown))}"));
        checks.Add(exact
            ? new($"{name}: every slot holds exactly the units acknowledged on it", lost.Count == 0 && stray.Count == 0, $"{lost.Count} slots hold less than acknowledged, {stray.Count} more ({unacknowledged} units without an acknowledgement){Sample(lost.Concat(stray))}")
            : new($"{name}: every acknowledged unit is held by its slot (attempts failed: units held without an acknowledgement allowed)", lost.Count == 0, $"{lost.Count} slots hold less than acknowledged; {unacknowledged} units held without an acknowledgement (lapse at TTL){Sample(lost)}"));

        // Where the engine routed the acknowledged units: a location grain books every reservation routed to it.
        var byLocation = ackedUnits.GroupBy(a => a.Key.LocationId).Select(g => (Location: g.Key, Units: g.Sum(a => (long)a.Value))).OrderByDescending(x => x.Units).ToList();
        var total = Math.Max(1, byLocation.Sum(x => x.Units));
        RoutedShares = string.Join(", ", byLocation.Take(5).Select(x => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{x.Location} {100.0 * x.Units / total:0}%")));

        foreach (var (tag, acks) in sellOutAcks)
        {
            var setSlots = _catalog.SellOutSkus(tag).SelectMany(sku => _catalog.Locations.Select(site => new StockSlotKey(sku, site.Id))).ToList();
            var set = await Task.WhenAll(setSlots.Select(slot => grains.Get<IStockSlotGrain>(slot.ToString()).GetAsync()));
            var onHand = set.Sum(s => (long)(s?.OnHand ?? 0));
            var held = set.Sum(s => (long)(s?.Held ?? 0));
            var granted = acks.Sum(a => (long)a.Quantity);
            var absent = set.Count(s => s is null);
            checks.Add(new(
                $"{name} {tag} sell-out: units granted = units held = units on hand = units stocked",
                granted == onHand && held == onHand && onHand == _catalog.SellOutUnits && absent == 0,
                $"granted {granted}, held {held}, on hand {onHand}, stocked {_catalog.SellOutUnits}{(absent > 0 ? $", {absent} slots unknown" : "")}"));
        }

        return checks;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartAsync()
    {
        var args = new List<string>
        {
            "--environment", _environment,
            "--urls", "http://127.0.0.1:0",
            $"--Silo:SiloPort={LoopbackPorts.Next()}",
            $"--Silo:GatewayPort={LoopbackPorts.Next()}",
            $"--Silo:ClusterId={_clusterId}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
            "--Logging:LogLevel:Orleans.Hosting.SiloHostedService=Warning",
            "--Demo:Seed=false",
            $"--Auth:OperatorKey={OperatorKey}",
            $"--Auth:Keys:9:Key={ChannelKey}",
            "--Auth:Keys:9:Role=Channel",
            $"--Auth:Keys:9:Scope={Catalog.Channel}",
            // What the engine can take, not the default per-key limit (the limiter still runs, with no limit).
            "--RateLimits:PerKey=0",
        };
        if (_connectionString is not null)
        {
            args.Add($"--ConnectionStrings:Dom={_connectionString}");
        }

        _app = DomHost.Build(DomHost.CreateBuilder([.. args]));
        await _app.StartAsync();
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _channel = Client(address, ChannelKey);
        _operator = Client(address, OperatorKey);
    }

    private async Task StopAsync()
    {
        _channel?.Dispose();
        _operator?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static HttpClient Client(Uri address, string key)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1024,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static string Sample(IEnumerable<string> items) =>
        items.Take(3).ToList() is { Count: > 0 } sample ? $" (e.g. {string.Join("; ", sample)})" : "";

    private sealed class InProcessTarget(EngineHost host, SystemInfo system) : ITarget
    {
        public SystemInfo System { get; } = system;

        public Task<ICaller> ConnectAsync(int caller) =>
            Task.FromResult<ICaller>(new InProcessCaller(host, host.Grains, host._app.Services.GetRequiredService<IReservationDesk>()));
    }

    /// <summary>A client calling the grains through the host's own IGrainFactory, and reserving through the host's own
    /// reservation desk (the entry the API uses).</summary>
    private sealed class InProcessCaller(EngineHost host, IGrainFactory grains, IReservationDesk desk) : ICaller
    {
        public async Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer)
        {
            var result = await desk.CreateAsync(
                new CreateReservationRequest(reservationId, Catalog.Channel, Catalog.TtlSeconds, host._shipTo[customer], new[] { new LineRequest(sku, 1) }));
            return result switch
            {
                { Outcome: ReservationOutcome.Created, Reservation.Status: ReservationStatus.Held } => ReserveStatus.Granted,
                { Outcome: ReservationOutcome.Refused, Reservation.Shortages: [var shortage] } => shortage.Available >= shortage.Requested ? ReserveStatus.Retry : ReserveStatus.SoldOut,
                _ => throw new InvalidOperationException($"Unexpected answer {result.Outcome}/{result.Reservation.Status}."),
            };
        }

        public async Task AddStockAsync(string sku, int location, int delta, int onHandAfter)
        {
            var slot = new StockSlotKey(sku, host._catalog.Locations[location].Id);
            var result = await grains.Get<IStockSlotGrain>(slot.ToString()).SetStockAsync(new SetStockRequest(onHandAfter, 0));
            if (result.Status != SetStockStatus.Set)
            {
                throw new InvalidOperationException($"Stock update of {slot} answered {result.Status}.");
            }
        }

        public async Task SetCapacityAsync(int location, DateOnly day, int limit)
        {
            if (await grains.Get<ILocationGrain>(host._catalog.Locations[location].Id).SetCapacityAsync(new SetCapacityRequest(day, limit)) is null)
            {
                throw new InvalidOperationException("Capacity update of an unknown location.");
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class HttpTarget(EngineHost host, SystemInfo system) : ITarget
    {
        public SystemInfo System { get; } = system;

        public Task<ICaller> ConnectAsync(int caller) => Task.FromResult<ICaller>(new HttpCaller(host));
    }

    /// <summary>A checkout over HTTP: POST /api/v1/reservations with a channel key; stores' updates with the operator key.</summary>
    private sealed class HttpCaller(EngineHost host) : ICaller
    {
        public async Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer)
        {
            var shipTo = host._shipTo[customer];
            var body = new
            {
                reservationId,
                ttlSeconds = Catalog.TtlSeconds,
                shipTo = new { country = shipTo.Country, latitude = shipTo.Latitude, longitude = shipTo.Longitude },
                lines = new[] { new { sku, quantity = 1 } },
            };
            using var response = await host._channel.PostAsJsonAsync("/api/v1/reservations", body, Json);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Created:
                    await response.Content.LoadIntoBufferAsync();
                    return ReserveStatus.Granted;
                case HttpStatusCode.Conflict:
                    var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
                    if (problem.TryGetProperty("shortages", out var shortages) && shortages.GetArrayLength() == 1)
                    {
                        var shortage = shortages[0];
                        return shortage.GetProperty("available").GetInt32() >= shortage.GetProperty("requested").GetInt32() ? ReserveStatus.Retry : ReserveStatus.SoldOut;
                    }

                    throw new HttpRequestException($"409 without shortages: {problem}");
                default:
                    throw new HttpRequestException($"POST /api/v1/reservations answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        public async Task AddStockAsync(string sku, int location, int delta, int onHandAfter)
        {
            using var response = await host._operator.PutAsJsonAsync($"/api/v1/stock/{host._catalog.Locations[location].Id}/{sku}", new { onHand = onHandAfter, safetyStock = 0 }, Json);
            await EnsureOkAsync(response);
        }

        public async Task SetCapacityAsync(int location, DateOnly day, int limit)
        {
            using var response = await host._operator.PutAsJsonAsync($"/api/v1/locations/{host._catalog.Locations[location].Id}/capacity", new { date = day, limit }, Json);
            await EnsureOkAsync(response);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static async Task EnsureOkAsync(HttpResponseMessage response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            await response.Content.LoadIntoBufferAsync();
        }
    }

    private sealed class CeilingTarget(EngineHost host) : ITarget
    {
        public SystemInfo System => SystemInfo.Ceiling;

        public Task<ICaller> ConnectAsync(int caller) => Task.FromResult<ICaller>(new CeilingCaller(host.Grains));
    }

    /// <summary>One grain call per "reservation", keyed by the article: as many keys as the scenario has articles.</summary>
    private sealed class CeilingCaller(IGrainFactory grains) : ICaller
    {
        public async Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer)
        {
            await grains.Get<ICeilingGrain>(sku).DecrementAsync();
            return ReserveStatus.Granted;
        }

        public Task AddStockAsync(string sku, int location, int delta, int onHandAfter) => throw new NotSupportedException();

        public Task SetCapacityAsync(int location, DateOnly day, int limit) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
