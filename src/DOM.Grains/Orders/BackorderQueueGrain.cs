using System.Collections.Immutable;
using Dom.Grains.Hosting;
using Dom.Orders;

namespace Dom.Grains.Orders;

[GenerateSerializer, Alias("dom.orders.backorder-queue-state")]
public sealed record BackorderQueueState
{
    /// <summary>By order id.</summary>
    [Id(0)] public ImmutableDictionary<string, BackorderEntry> Entries { get; init; } = ImmutableDictionary<string, BackorderEntry>.Empty;
}

/// <summary>The orders waiting for one SKU, served first come, first served (see <see cref="IBackorderQueueGrain"/>).
/// Its reminder runs a pass once a minute while any order waits: the one place that routes backorders again unasked (an
/// operator's retry of an order routes at once), so units that arrive go to the oldest order that can take them rather
/// than to whichever order's own retry came first.</summary>
internal sealed class BackorderQueueGrain(
    [PersistentState(DomStorage.BackorderQueueState, DomStorage.Name)] IPersistentState<BackorderQueueState> state,
    ILogger<BackorderQueueGrain> logger) : Grain, IBackorderQueueGrain, IRemindable
{
    private const string ServeReminder = "serve";

    private string Sku => this.GetPrimaryKeyString();

    private BackorderQueueState State => state.State;

    /// <summary>The steps that read and write the entries and the reminder, one after another: joins and leaves
    /// interleave with a pass.</summary>
    private Task _writing = Task.CompletedTask;

    public Task JoinAsync(BackorderEntry entry) => InTurnAsync(async () =>
    {
        if (State.Entries.GetValueOrDefault(entry.OrderId) == entry)
        {
            return;
        }

        // Armed before the entry is stored: no stored entry is left without a pass to serve it.
        await this.RegisterOrUpdateReminder(ServeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await StoreAsync(State.Entries.SetItem(entry.OrderId, entry));
    });

    public Task LeaveAsync(string orderId) => InTurnAsync(async () =>
    {
        if (State.Entries.ContainsKey(orderId))
        {
            await StoreAsync(State.Entries.Remove(orderId));
        }

        await DisarmWhenEmptyAsync();
    });

    public async Task<IReadOnlyList<BackorderEntry>> ServeAsync()
    {
        var done = new List<string>();
        foreach (var entry in Served(State.Entries.Values))
        {
            try
            {
                // Routed again (an order answers a retry once its change is stored, and its place in the queues with
                // it); it still waits while a line of this SKU waits for supply.
                var result = await GrainFactory.GetGrain<IOrderGrain>(entry.OrderId).ServeBackorderAsync(Sku);
                if (result.Order is not { } order || order.Status is OrderStatus.Cancelled or OrderStatus.Rejected
                    || !order.Lines.Any(l => l.Sku == Sku && OrderRules.WaitsForSupply(l)))
                {
                    done.Add(entry.OrderId);
                }
            }
            catch (Exception exception)
            {
                // One order that fails (its storage down) does not hold up those after it; it is served again next time.
                logger.LogWarning(exception, "Backorders of {Sku}: order {OrderId} could not be routed again", Sku, entry.OrderId);
            }
        }

        await InTurnAsync(async () =>
        {
            if (done.Count > 0)
            {
                await StoreAsync(State.Entries.RemoveRange(done));
            }

            await DisarmWhenEmptyAsync();
        });
        return Served(State.Entries.Values);
    }

    public Task<IReadOnlyList<BackorderEntry>> GetAsync() => Task.FromResult(Served(State.Entries.Values));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ServeReminder)
        {
            await ServeAsync();
        }
    }

    /// <summary>First come, first served: priority orders first, then by when they were placed (then by id, so the
    /// order is the same on every pass).</summary>
    private static IReadOnlyList<BackorderEntry> Served(IEnumerable<BackorderEntry> entries) =>
        entries.OrderByDescending(e => e.Priority).ThenBy(e => e.PlacedAt).ThenBy(e => e.OrderId, StringComparer.Ordinal).ToList();

    /// <summary>Runs <paramref name="step"/> once the steps before are done: the joins, leaves and the end of a pass
    /// interleave, and each reads the entries, stores them and arms or disarms the reminder as one (a leave that found the
    /// queue empty would otherwise disarm the reminder a join had just armed for an entry it was about to store). The
    /// grain's turns run one at a time, so a step applies to the state as those before left it.</summary>
    private Task InTurnAsync(Func<Task> step)
    {
        async Task After(Task before)
        {
            await before.ContinueWith(_ => { }, TaskScheduler.Current);
            await step();
        }

        return _writing = After(_writing);
    }

    /// <summary>Stores <paramref name="entries"/> (in a step, see <see cref="InTurnAsync"/>: made from the state as the
    /// steps before left it).</summary>
    private Task StoreAsync(ImmutableDictionary<string, BackorderEntry> entries) =>
        state.WriteAsync(State with { Entries = entries }, GrainContext, logger);

    private async Task DisarmWhenEmptyAsync()
    {
        if (State.Entries.IsEmpty && await this.GetReminder(ServeReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
