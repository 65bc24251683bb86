using System.Collections.Immutable;
using Dom.Grains.Articles;
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
/// A pass runs when the article's index sees units become available (it wakes the queue while orders wait), and once a
/// minute from its reminder while any order waits: the one place that routes backorders again unasked (an operator's
/// retry of an order routes at once), so units that arrive go to the oldest order that can take them rather than to
/// whichever order's own retry came first. One pass at a time: a pass asked for while one runs follows it, and so does
/// one woken, unless the wake brings no more supply than a pass that supplied nobody began with (see
/// <see cref="PassesAsync"/>).</summary>
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

    /// <summary>The passes under way (see <see cref="PassesAsync"/>).</summary>
    private Task _passes = Task.CompletedTask;

    /// <summary>Whether a pass was asked for (an operator, the reminder) since the one running began.</summary>
    private bool _asked;

    /// <summary>The most supply a wake reported since the pass running began (null: none woke the queue).</summary>
    private int? _wokenWith;

    /// <summary>The supply the article's index showed when the last pass began, if that pass supplied nobody (null: it
    /// supplied an order, or none ran). A wake reporting no more than that brings nothing new: the pass's own releases
    /// (what it held for an order it could not supply in the end) rise back to it.</summary>
    private int? _fruitlessAt;

    public Task JoinAsync(BackorderEntry entry) => InTurnAsync(async () =>
    {
        if (State.Entries.GetValueOrDefault(entry.OrderId) == entry)
        {
            return;
        }

        // Armed before the entry is stored: no stored entry is left without a pass to serve it.
        await this.RegisterOrUpdateReminder(ServeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await StoreAsync(State.Entries.SetItem(entry.OrderId, entry));
        // Before the join answers: units counted once the order is queued wake the queue.
        await TellArticleAsync(waiting: true);
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
        await PassesAsync(asked: true, supply: null);
        return Served(State.Entries.Values);
    }

    /// <summary>Woken with nobody waiting (the article was not told the queue emptied): it is told now, so it keeps no
    /// units for a pass that will not come.</summary>
    public Task WakeAsync(int supply) => State.Entries.IsEmpty ? TellArticleAsync(waiting: false) : PassesAsync(asked: false, supply);

    /// <summary>The pass starting now, or, while one runs, what follows it. Asked for (an operator, the reminder): a pass
    /// that begins after this call follows (however many ask meanwhile, one follows). Woken by the article with the SKU's
    /// <paramref name="supply"/> (while a pass runs, or after it): a pass follows unless the last pass supplied nobody and
    /// the supply is no more than when that pass began. So units that came after a pass routed the order they suit are
    /// served by the next, and a pass whose own releases wake the queue (they only bring the supply back) does not pass
    /// again for ever, however late those wakes arrive.</summary>
    private Task PassesAsync(bool asked, int? supply)
    {
        bool New(int reported) => _fruitlessAt is not { } before || reported > before;
        if (!_passes.IsCompleted)
        {
            _asked |= asked;
            if (supply is { } woken)
            {
                _wokenWith = Math.Max(_wokenWith ?? woken, woken);
            }

            return _passes;
        }

        if (!asked && supply is { } reported && !New(reported))
        {
            // No pass runs for the units that woke the queue: the article keeps them for nobody.
            return TellArticleAsync(article => article.BackorderPassEndedAsync(follows: false), "that no pass follows");
        }

        bool Again() => _asked || (_wokenWith is { } woken && New(woken));
        async Task Passes()
        {
            bool again;
            do
            {
                (_asked, _wokenWith) = (false, null);
                var before = await SupplyAsync();
                var supplied = await PassAsync();
                _fruitlessAt = supplied ? null : before;
                // Whether a pass follows is known only here: the units kept since this one began stay kept for it, or,
                // when none does (wakes from the pass's own releases bring nothing new), are everyone's again.
                again = Again();
                if (!State.Entries.IsEmpty)
                {
                    // An empty queue told the article so already.
                    await TellArticleAsync(article => article.BackorderPassEndedAsync(follows: again), "the end of a pass");
                }
            }
            while (again || Again());
        }

        return _passes = Passes();
    }

    /// <summary>The units the article's index shows for the SKU (see <see cref="ArticleGrain.SupplyOf"/>); null when it
    /// cannot be read (then every wake counts as new).</summary>
    private async Task<int?> SupplyAsync()
    {
        try
        {
            return ArticleGrain.SupplyOf((await GrainFactory.GetGrain<Dom.Articles.IArticleGrain>(Sku).GetIndexAsync()).Value);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Backorders of {Sku}: the article's index could not be read", Sku);
            return null;
        }
    }

    /// <summary>Routes each waiting order again, first come first; those no longer waiting for the SKU leave. True when
    /// one did.</summary>
    private async Task<bool> PassAsync()
    {
        // The article wakes the queue while it knows orders wait (it may have been restarted since it was told), and
        // learns that the units it kept until now are this pass's.
        if (State.Entries.IsEmpty)
        {
            await TellArticleAsync(waiting: false);
        }
        else
        {
            await TellArticleAsync(article => article.BackorderPassBeganAsync(), "that a pass begins");
        }

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
        return done.Count > 0;
    }

    public Task<IReadOnlyList<BackorderEntry>> GetAsync() => Task.FromResult(Served(State.Entries.Values));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ServeReminder)
        {
            await PassesAsync(asked: true, supply: null);
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
            await TellArticleAsync(waiting: false);
        }
    }

    /// <summary>Tells the article whether orders wait here, so that units becoming available wake the queue. A word that
    /// fails costs at most the minute until the next pass says it again, so it fails nothing here.</summary>
    private Task TellArticleAsync(bool waiting) => TellArticleAsync(article => article.BackordersWaitingAsync(waiting), "whether orders wait");

    /// <summary>Tells the article something about the queue; units it keeps for a pass are free again after
    /// <see cref="ArticleGrain.KeptForBackordersFor"/> at most, so a word that fails fails nothing here.</summary>
    private async Task TellArticleAsync(Func<Dom.Articles.IArticleGrain, Task> word, string what)
    {
        try
        {
            await word(GrainFactory.GetGrain<Dom.Articles.IArticleGrain>(Sku));
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Backorders of {Sku}: the article could not be told {What}", Sku, what);
        }
    }
}
