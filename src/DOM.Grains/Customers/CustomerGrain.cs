using System.Collections.Immutable;
using Dom.Customers;
using Dom.Grains.Journal;
using Orleans.Serialization;

namespace Dom.Grains.Customers;

/// <summary>An order of the customer: when, the e-mail it gave (none before e-mails were kept per order), the channel
/// it came through and the name it gave (none before those were kept).</summary>
[GenerateSerializer, Immutable, Alias("dom.customers.order-ref")]
public sealed record CustomerOrderRef(
    [property: Id(0)] string OrderId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string? Email = null,
    [property: Id(3)] string? Channel = null,
    [property: Id(4)] string? Name = null);

[GenerateSerializer, Immutable, Alias("dom.customers.state")]
public sealed record CustomerState
{
    [Id(0)] public bool Exists { get; init; }

    [Id(1)] public string? Email { get; init; }

    [Id(2)] public string? Name { get; init; }

    [Id(3)] public CustomerTier Tier { get; init; }

    [Id(4)] public ImmutableList<CustomerOrderRef> Orders { get; init; } = [];
}

[GenerateSerializer, Alias("dom.customers.event")]
public abstract record CustomerEvent;

[GenerateSerializer, Immutable, Alias("dom.customers.ordered")]
public sealed record CustomerOrdered([property: Id(0)] CustomerOrderPlaced Order) : CustomerEvent;

[GenerateSerializer, Immutable, Alias("dom.customers.tier-set")]
public sealed record CustomerTierSet([property: Id(0)] CustomerTier Tier) : CustomerEvent;

/// <summary>A customer: profile (kept up to date from the channels' order data), tier, order history, velocity.</summary>
internal sealed class CustomerGrain(IGrainJournal journal, Serializer serializer, ILogger<CustomerGrain> logger)
    : JournaledGrain<CustomerState, CustomerEvent>(journal, serializer, logger), ICustomerGrain
{
    protected override string Stream => $"customer/{this.GetPrimaryKeyString()}";

    protected override CustomerState Initial => new();

    protected override int SnapshotEvery => 100;

    protected override CustomerState Apply(CustomerState state, CustomerEvent @event) => @event switch
    {
        CustomerOrdered ordered => state with
        {
            Exists = true,
            Email = ordered.Order.Email ?? state.Email,
            Name = ordered.Order.Name ?? state.Name,
            Orders = state.Orders.Add(new CustomerOrderRef(ordered.Order.OrderId, ordered.Order.At, ordered.Order.Email, ordered.Order.Channel, ordered.Order.Name)),
        },
        CustomerTierSet set => state with { Exists = true, Tier = set.Tier },
        _ => throw new InvalidOperationException($"Unknown customer event {@event.GetType().Name}."),
    };

    public async Task<CustomerOrderFacts> RecordOrderAsync(CustomerOrderPlaced order, TimeSpan velocityWindow)
    {
        EnsureUsable();
        var placed = State.Orders.Find(o => o.OrderId == order.OrderId);
        // The profile's e-mail as it was before this order (the last one given): it also stands for the orders recorded
        // before e-mails were kept per order.
        var profileEmail = State.Email;
        if (placed is null)
        {
            await Raise(new CustomerOrdered(order));
            placed = new CustomerOrderRef(order.OrderId, order.At);
        }

        var earlier = State.Orders.Where(o => o.OrderId != order.OrderId && o.At <= placed.At).ToList();
        var inWindow = State.Orders.Count(o => o.At > placed.At - velocityWindow && o.At <= placed.At);
        var emails = earlier.Select(o => o.Email).Append(profileEmail).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        // Recorded before this one, in the order recorded (one call at a time): two orders never name each other, so
        // each can ask the ones it names how they stand without waiting on the other.
        var recordedBefore = State.Orders.Take(State.Orders.FindIndex(o => o.OrderId == order.OrderId))
            .Reverse().Take(CustomerOrderFacts.EarlierOrdersShown).Select(o => o.OrderId).ToList();
        return new CustomerOrderFacts(State.Tier, earlier.Count, inWindow, emails, recordedBefore);
    }

    public async Task<CustomerView> SetTierAsync(CustomerTier tier)
    {
        await Raise(new CustomerTierSet(tier));
        return View();
    }

    public Task<CustomerView?> GetAsync()
    {
        EnsureUsable();
        return Task.FromResult(State.Exists ? View() : null);
    }

    public Task<CustomerView?> GetForChannelAsync(string channel)
    {
        EnsureUsable();
        // Orders recorded before the channel was kept are shown to operators only.
        var own = State.Orders.Where(o => o.Channel == channel).ToList();
        return Task.FromResult(own.Count == 0
            ? null
            : new CustomerView(
                this.GetPrimaryKeyString(),
                own.LastOrDefault(o => o.Email is not null)?.Email,
                own.LastOrDefault(o => o.Name is not null)?.Name,
                State.Tier,
                own.Select(o => o.OrderId).ToList()));
    }

    private CustomerView View() =>
        new(this.GetPrimaryKeyString(), State.Email, State.Name, State.Tier, State.Orders.Select(o => o.OrderId).ToList());
}
