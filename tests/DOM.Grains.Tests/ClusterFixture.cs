using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Locations;
using Dom.Orders;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Dom.Grains.Tests;

/// <summary>One in-process test cluster for the project, with memory storage and a fake business clock.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>Business time. Shared by the whole (serial) collection; tests only move it forward.</summary>
    public static FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));

    /// <summary>The journal every journaled grain of the cluster writes to.</summary>
    public static TestJournal Journal { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Deactivates every grain of the cluster, so the next call to any of them loads it from the journal.</summary>
    public Task DeactivateAllAsync() => Cluster.Client.GetGrain<Orleans.Runtime.IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            TestSilo.Configure(silo, Time, Journal);
            silo.AddIncomingGrainCallFilter(async context =>
            {
                GrainCalls.Entered(context.TargetId, context.MethodName);
                await GrainCalls.HeldAsync(context.TargetId, context.MethodName);
                if (!GrainCalls.Lost(context.TargetId, context.MethodName))
                {
                    await context.Invoke();
                }
            });
            silo.AddOutgoingGrainCallFilter(context =>
            {
                GrainCalls.Sending(context.SourceId, context.TargetId, context.MethodName);
                return context.Invoke();
            });
            silo.Services.Configure<Orders.OrderOptions>(orders =>
            {
                orders.Channels["marketplace"] = new Orders.ChannelOrderOptions { Unavailable = Orders.UnavailableLinePolicy.Cancel };
                // An outlet cancels what waited two weeks for supply.
                orders.Channels["outlet"] = new Orders.ChannelOrderOptions { BackorderDays = 14 };
            });
            // German VAT, and an Austrian rate that ended long ago (Austria has none here).
            silo.Services.Configure<Dom.Domain.Money.TaxRates>(tax => tax.Rates =
            [
                new() { Country = "DE", Rate = 0.19m },
                new() { Country = "DE", Class = "reduced", Rate = 0.07m },
                new() { Country = "AT", Rate = 0.20m, Until = new DateOnly(2020, 1, 1) },
            ]);
        }
    }
}

/// <summary>What every test silo has: memory storage and reminders, the business clock and the journal it is given, and
/// the grains' services.</summary>
public static class TestSilo
{
    public static void Configure(ISiloBuilder silo, TimeProvider time, IGrainJournal journal)
    {
        silo.AddMemoryGrainStorage(DomStorage.Name);
        silo.Services.UseOrleansStorageSerializer<Orleans.Configuration.MemoryGrainStorageOptions>(DomStorage.Name);
        silo.UseInMemoryReminderService();
        silo.Services.AddSingleton(new DomClock(time));
        silo.Services.AddSingleton(journal);
        silo.Services.AddDomGrains();
    }
}

/// <summary>Tells a test when a call has reached a grain: a call sent after that is taken after it (Orleans does not
/// promise that two calls sent one after the other arrive in that order).</summary>
public static class GrainCalls
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(GrainId Grain, string Method), TaskCompletionSource> Awaited = new();

    /// <summary>Completes when the next call of <paramref name="method"/> on <paramref name="grain"/> starts its turn
    /// there. Ask before sending the call.</summary>
    public static Task NextAsync(IAddressable grain, string method) =>
        Awaited.GetOrAdd((grain.GetGrainId(), method), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    internal static void Entered(GrainId grain, string method)
    {
        if (!Awaited.IsEmpty && Awaited.TryRemove((grain, method), out var entered))
        {
            entered.TrySetResult();
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(GrainId Grain, string Method), CallGate> Holding = new();

    /// <summary>The next call of <paramref name="method"/> on <paramref name="grain"/> waits at the start of its turn
    /// there (the grain busy with it) until the returned gate is opened.</summary>
    public static CallGate Hold(IAddressable grain, string method) => Holding[(grain.GetGrainId(), method)] = new CallGate();

    internal static Task HeldAsync(GrainId grain, string method) =>
        !Holding.IsEmpty && Holding.TryRemove((grain, method), out var gate) ? gate.WaitAsync() : Task.CompletedTask;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(GrainId Grain, string Method), byte> Losing = new();

    /// <summary>Until the returned handle is disposed, calls of the one-way <paramref name="method"/> reach
    /// <paramref name="grain"/> and are dropped there unrun, as a one-way message lost on its way (or still on its way)
    /// would be.</summary>
    public static IDisposable Lose(IAddressable grain, string method)
    {
        var key = (grain.GetGrainId(), method);
        Losing[key] = 0;
        return new Undo(() => Losing.TryRemove(key, out _));
    }

    internal static bool Lost(GrainId grain, string method) => !Losing.IsEmpty && Losing.ContainsKey((grain, method));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(GrainId Sender, GrainId Target, string Method), SentCalls> Watched = new();

    /// <summary>Counts the calls of <paramref name="method"/> that <paramref name="sender"/> sends to
    /// <paramref name="target"/> from now on, until disposed. A call is counted as it is sent, inside the sender's turn,
    /// so once the sender has finished the turn that would send a one-way call, the count says whether it did, however
    /// late the call would arrive.</summary>
    public static SentCalls Watch(IAddressable sender, IAddressable target, string method)
    {
        var key = (sender.GetGrainId(), target.GetGrainId(), method);
        var sent = new SentCalls(() => Watched.TryRemove(key, out _));
        Watched[key] = sent;
        return sent;
    }

    internal static void Sending(GrainId? sender, GrainId target, string method)
    {
        if (!Watched.IsEmpty && sender is { } from && Watched.TryGetValue((from, target, method), out var sent))
        {
            sent.Add();
        }
    }

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}

/// <summary>Holds back one grain call (<see cref="GrainCalls.Hold"/>): <see cref="Reached"/> completes once the call
/// waits at it, in its turn at the grain.</summary>
public sealed class CallGate
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Reached => _arrived.Task;

    /// <summary>Lets the call run.</summary>
    public void Open() => _opened.TrySetResult();

    internal Task WaitAsync()
    {
        _arrived.TrySetResult();
        return _opened.Task;
    }
}

/// <summary>How many calls a watched grain sent (<see cref="GrainCalls.Watch"/>); disposing it stops the count.</summary>
public sealed class SentCalls(Action stop) : IDisposable
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    internal void Add() => Interlocked.Increment(ref _count);

    public void Dispose() => stop();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>Builds fresh master data for one test, so tests never share keys.</summary>
public sealed class World(IGrainFactory grains)
{
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..10];

    public string Id(string name) => $"{name}-{_prefix}";

    /// <summary>A store that offers click &amp; collect (in Berlin unless placed elsewhere).</summary>
    public async Task<string> StoreAsync(string name = "store", double latitude = 52.5, double longitude = 13.4)
    {
        var id = Id(name);
        await grains.GetGrain<ILocationGrain>(id).PutAsync(new LocationInfo(id, name, LocationType.Store, latitude, longitude, 1_000, "DE"));
        return id;
    }

    /// <summary>An order of the web channel: <paramref name="quantity"/> units of <paramref name="sku"/> on line l1 at
    /// <paramref name="unitPrice"/>, shipped to Berlin, in euros, with no payments reported.</summary>
    public static CreateOrderRequest ShippedOrder(string id, string sku, int quantity, decimal unitPrice) => new(
        id, "web", "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, unitPrice)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null, null, [], "EUR", false, null, null);

    /// <summary>A click &amp; collect order of the web channel at <paramref name="store"/>: <paramref name="quantity"/> units
    /// of <paramref name="sku"/> on line l1 at 10 each, in euros, paid by card.</summary>
    public static CreateOrderRequest PickupOrder(string id, string sku, int quantity, string store) => new(
        id, "web", "c-" + id, null,
        [new OrderLineRequest("l1", sku, quantity, 10m)],
        new Delivery(DeliveryMethod.Pickup, new Address("DE", 52.5, 13.4, null, null, null), store),
        null, null, [new Payment("card", "tok", 10m * quantity)], "EUR", false, null, null);

    /// <summary>Places <see cref="PickupOrder"/> under the id of <paramref name="name"/> and returns that id.</summary>
    public async Task<string> PickupOrderAsync(string sku, string store, int quantity, string name = "o")
    {
        var id = Id(name);
        Assert.Equal(OrderOutcome.Created, (await grains.GetGrain<IOrderGrain>(id).CreateAsync(PickupOrder(id, sku, quantity, store))).Outcome);
        return id;
    }

    public async Task<string> LocationAsync(string name, double latitude, double longitude, int capacityPerDay = 1_000)
    {
        var id = Id(name);
        await grains.GetGrain<ILocationGrain>(id).PutAsync(new LocationInfo(id, name, LocationType.Warehouse, latitude, longitude, capacityPerDay, "DE"));
        return id;
    }

    public async Task<string> ArticleAsync(string name)
    {
        var sku = Id(name);
        await grains.GetGrain<IArticleGrain>(sku).PutAsync(new ArticleInfo(sku, name, ArticleKind.Physical, null));
        return sku;
    }

    public IStockSlotGrain Slot(string sku, string locationId) => grains.GetGrain<IStockSlotGrain>(new StockSlotKey(sku, locationId).ToString());

    public async Task<SlotSnapshot> StockAsync(string sku, string locationId, int onHand, int safetyStock = 0)
    {
        var result = await Slot(sku, locationId).SetStockAsync(new SetStockRequest(onHand, safetyStock));
        Assert.Equal(SetStockStatus.Set, result.Status);
        return result.Slot!;
    }

    public async Task<int> AvailableAsync(string sku, string locationId) => (await Slot(sku, locationId).GetAsync())!.Available;
}
