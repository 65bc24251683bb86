using System.Collections.Immutable;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Orders;
using Orleans.Serialization;

namespace Dom.Grains.Orders;

[GenerateSerializer, Immutable, Alias("dom.orders.index-state")]
public sealed record OrderIndexState
{
    [Id(0)] public ImmutableDictionary<string, OrderSummary> Orders { get; init; } = ImmutableDictionary<string, OrderSummary>.Empty;
}

[GenerateSerializer, Immutable, Alias("dom.orders.index-upserted")]
public sealed record OrderIndexed([property: Id(0)] OrderSummary Summary);

/// <summary>
/// One of <see cref="Buckets"/> buckets of the order list, a read model every order updates after each durable change
/// and before answering, so a list read after an answer sees it. A list query asks every bucket and merges.
/// </summary>
[Reentrant]
internal sealed class OrderIndexGrain(IGrainJournal journal, Serializer serializer, DomClock clock, ILogger<OrderIndexGrain> logger)
    : JournaledGrain<OrderIndexState, OrderIndexed>(journal, serializer, logger), IOrderIndexGrain
{
    public const int Buckets = 16;

    protected override string Stream => $"order-index/{this.GetPrimaryKeyLong()}";

    protected override OrderIndexState Initial => new();

    public static int BucketOf(string orderId) => (int)(Ids.StableHash(orderId) % Buckets);

    protected override OrderIndexState Apply(OrderIndexState state, OrderIndexed @event) =>
        state with { Orders = state.Orders.SetItem(@event.Summary.OrderId, @event.Summary) };

    public async Task UpsertAsync(OrderSummary summary)
    {
        EnsureUsable();
        if (State.Orders.TryGetValue(summary.OrderId, out var listed) && Same(listed, summary))
        {
            // As listed (a change the list does not show, or an order making sure after a failure): nothing to write,
            // once the write that listed it is stored.
            await EarlierWritesAsync();
            return;
        }

        await Raise(new OrderIndexed(summary));
    }

    private static bool Same(OrderSummary listed, OrderSummary summary) =>
        listed with
        {
            Locations = summary.Locations, ReturnsAt = summary.ReturnsAt, Skus = summary.Skus,
            CancelledByReason = summary.CancelledByReason, CreditsByReason = summary.CreditsByReason, ReturnedByReason = summary.ReturnedByReason,
        } == summary
        && SameCounts(listed.CancelledByReason, summary.CancelledByReason)
        && SameCounts(listed.CreditsByReason, summary.CreditsByReason)
        && SameCounts(listed.ReturnedByReason, summary.ReturnedByReason)
        && listed.Locations.SequenceEqual(summary.Locations, StringComparer.Ordinal)
        && (listed.ReturnsAt ?? []).SequenceEqual(summary.ReturnsAt ?? [], StringComparer.Ordinal)
        && listed.Skus is null == summary.Skus is null
        && (listed.Skus ?? []).SequenceEqual(summary.Skus ?? [], StringComparer.Ordinal);

    /// <summary>Whether two lists of counts (or both none) are the same, count by count.</summary>
    private static bool SameCounts(IReadOnlyList<int>? listed, IReadOnlyList<int>? summary) =>
        listed is null == summary is null && (listed ?? []).SequenceEqual(summary ?? []);

    /// <summary>Whether two counts by name (or both none) are the same, name by name.</summary>
    private static bool SameCounts(IReadOnlyDictionary<string, int>? listed, IReadOnlyDictionary<string, int>? summary) =>
        listed is null == summary is null
        && (listed ?? new Dictionary<string, int>()).OrderBy(r => r.Key, StringComparer.Ordinal)
            .SequenceEqual((summary ?? new Dictionary<string, int>()).OrderBy(r => r.Key, StringComparer.Ordinal));

    public Task<IReadOnlyList<OrderSummary>> QueryAsync(OrderQuery query)
    {
        var now = clock.UtcNow;
        return Task.FromResult<IReadOnlyList<OrderSummary>>(State.Orders.Values
            .Select(order => order with { Late = IsLate(order, now) })
            .Where(order => (query.Status is null || order.Status == query.Status)
                && (query.Channel is null || order.Channel == query.Channel)
                && (query.CustomerId is null || order.CustomerId == query.CustomerId)
                && (query.LocationId is null || order.Locations.Contains(query.LocationId))
                && (query.Late is null || order.Late == query.Late)
                && (query.Open is null || IsOpen(order.Status) == query.Open)
                && (query.ReturnsAt is null || (order.ReturnsAt?.Contains(query.ReturnsAt) ?? false))
                && (query.Outstanding is null || order.Outstanding > 0 == query.Outstanding)
                && (query.ChargedBack is null || order.ChargedBack > 0 == query.ChargedBack)
                && (query.Sku is null || (order.Skus?.Contains(query.Sku) ?? false))
                && query.Follows(order))
            .OrderByDescending(order => order.CreatedAt)
            .ThenBy(order => order.OrderId, StringComparer.Ordinal)
            .Take(query.Limit)
            .ToList());
    }

    public Task<IReadOnlyList<string>> OrderIdsAsync(string? after, int limit) =>
        Task.FromResult<IReadOnlyList<string>>(State.Orders.Keys
            .Where(id => after is null || string.CompareOrdinal(id, after) > 0)
            .Order(StringComparer.Ordinal)
            .Take(limit)
            .ToList());

    public Task<OrderStats> StatsAsync(string? channel)
    {
        var now = clock.UtcNow;
        var byStatus = new int[Enum.GetValues<OrderStatus>().Length];
        var byAge = new int[OrderStats.AgeBounds.Count + 1];
        var byCycleTime = new int[OrderStats.CycleTimeBounds.Count + 1];
        var cancelled = new int[OrderStats.ReasonBuckets];
        var credits = new int[Enum.GetValues<CreditReason>().Length];
        // Every reason of the bucket: only the sum of the buckets keeps the top ones (kept bucket by bucket, a reason past
        // the top of one bucket would lose its units there to ~other however many it has in all).
        var returnedByReason = new Dictionary<string, int>(StringComparer.Ordinal);
        int open = 0, late = 0, delivered = 0, onTime = 0, allocated = 0, rejected = 0, shipped = 0, returned = 0, outstanding = 0, chargedBack = 0;
        foreach (var order in State.Orders.Values)
        {
            if (channel is not null && order.Channel != channel)
            {
                continue;
            }

            byStatus[(int)order.Status]++;
            allocated += order.AllocatedUnits;
            rejected += order.RejectedUnits;
            shipped += order.ShippedUnits;
            returned += order.ReturnedUnits;
            outstanding += order.Outstanding > 0 ? 1 : 0;
            chargedBack += order.ChargedBack > 0 ? 1 : 0;
            for (var i = 0; i < (order.CancelledByReason?.Count ?? 0) && i < cancelled.Length; i++)
            {
                cancelled[i] += order.CancelledByReason![i];
            }

            for (var i = 0; i < (order.CreditsByReason?.Count ?? 0) && i < credits.Length; i++)
            {
                credits[i] += order.CreditsByReason![i];
            }

            foreach (var (reason, units) in order.ReturnedByReason ?? new Dictionary<string, int>())
            {
                returnedByReason[reason] = returnedByReason.GetValueOrDefault(reason) + units;
            }

            var isLate = IsLate(order, now);
            if (IsOpen(order.Status))
            {
                open++;
                late += isLate ? 1 : 0;
                byAge[OrderStats.Bucket(OrderStats.AgeBounds, now - order.CreatedAt)]++;
            }
            else if (order.Status == OrderStatus.Delivered || (order.Status == OrderStatus.Returned && order.DeliveredAt is not null))
            {
                // A delivered order that came back was delivered all the same: its delivery counts.
                delivered++;
                onTime += isLate ? 0 : 1;
                if (order.DeliveredAt is { } at)
                {
                    byCycleTime[OrderStats.Bucket(OrderStats.CycleTimeBounds, at - order.CreatedAt)]++;
                }
            }
        }

        return Task.FromResult(new OrderStats(now, byStatus, open, late, byAge, delivered, onTime, byCycleTime, allocated, rejected, shipped, returned, outstanding, chargedBack, cancelled, credits, returnedByReason));
    }

    /// <summary>True when <paramref name="order"/> is late at <paramref name="now"/>: recorded late, or still owing its
    /// promise past the promised time, whether or not its late reminder ran.</summary>
    private static bool IsLate(OrderSummary order, DateTimeOffset now) =>
        order.Late || (OwesPromise(order.Status, order.ReadyAtStore) && now > order.PromisedBy);

    /// <summary>True while an order can still be late: open, and (click &amp; collect) not yet ready at the store.</summary>
    public static bool OwesPromise(OrderStatus status, bool readyAtStore) => IsOpen(status) && !readyAtStore;

    public static bool IsOpen(OrderStatus status) =>
        status is not (OrderStatus.Delivered or OrderStatus.Cancelled or OrderStatus.Rejected or OrderStatus.Returned);
}
