namespace Dom.Customers;

/// <summary>A customer's tier; VIP raises routing priority.</summary>
public enum CustomerTier
{
    /// <summary>The default.</summary>
    Standard,

    /// <summary>Routed with priority: may take the last units and the last capacity.</summary>
    Vip,
}

/// <summary>A customer as kept by the engine.</summary>
[GenerateSerializer, Immutable, Alias("dom.customers.view")]
public sealed record CustomerView(
    [property: Id(0)] string CustomerId,
    [property: Id(1)] string? Email,
    [property: Id(2)] string? Name,
    [property: Id(3)] CustomerTier Tier,
    [property: Id(4)] IReadOnlyList<string> Orders);

/// <summary>An order the customer placed, as the risk check needs it, and the channel it came through (none from a
/// silo older than this member).</summary>
[GenerateSerializer, Immutable, Alias("dom.customers.order-placed")]
public sealed record CustomerOrderPlaced(
    [property: Id(0)] string OrderId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? Name,
    [property: Id(4)] string? Channel = null);

/// <summary>What the risk check and routing learn from the customer when an order is placed.</summary>
/// <param name="Tier">The customer's tier.</param>
/// <param name="PreviousOrders">Orders placed before this one.</param>
/// <param name="OrdersInWindow">Orders in the velocity window, this one included.</param>
/// <param name="EarlierEmails">The e-mails given with the orders before this one (kept per order since they were).</param>
/// <param name="EarlierOrderIds">The orders recorded before this one, the latest first, at most
/// <see cref="CustomerOrderFacts.EarlierOrdersShown"/> (none from a silo older than this member).</param>
[GenerateSerializer, Immutable, Alias("dom.customers.order-facts")]
public sealed record CustomerOrderFacts(
    [property: Id(0)] CustomerTier Tier,
    [property: Id(1)] int PreviousOrders,
    [property: Id(2)] int OrdersInWindow,
    [property: Id(3)] IReadOnlyList<string>? EarlierEmails = null,
    [property: Id(4)] IReadOnlyList<string>? EarlierOrderIds = null)
{
    /// <summary>How many earlier orders <see cref="EarlierOrderIds"/> names at most.</summary>
    public const int EarlierOrdersShown = 20;
}

/// <summary>A customer, keyed by the channel's customer id: profile, tier, order history and velocity.</summary>
[Alias("dom.customers.customer")]
public interface ICustomerGrain : IGrainWithStringKey
{
    /// <summary>Records an order (idempotent by order id) and returns the facts for its risk check.</summary>
    [Alias("record-order")]
    Task<CustomerOrderFacts> RecordOrderAsync(CustomerOrderPlaced order, TimeSpan velocityWindow);

    /// <summary>Sets the tier (operators).</summary>
    [Alias("set-tier")]
    Task<CustomerView> SetTierAsync(CustomerTier tier);

    /// <summary>The customer, or null when unknown.</summary>
    [Alias("get")]
    Task<CustomerView?> GetAsync();

    /// <summary>The customer as <paramref name="channel"/> knows it: its own orders, and the e-mail and name they gave
    /// (the risk check and routing still see every channel's); null when the customer never ordered through it.</summary>
    [Alias("get-for-channel")]
    Task<CustomerView?> GetForChannelAsync(string channel);
}
