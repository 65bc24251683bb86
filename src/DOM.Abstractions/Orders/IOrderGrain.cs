namespace Dom.Orders;

/// <summary>An order, keyed by its id: lines, allocations, risk outcome, state machine, history and outbox.</summary>
[Alias("dom.orders.order")]
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>Takes the order in: risk check, then routing (converting the reservation when one is named).</summary>
    [Alias("create")]
    Task<CreateOrderResult> CreateAsync(CreateOrderRequest request);

    /// <summary>The order, or null when it does not exist.</summary>
    [Alias("get")]
    Task<OrderView?> GetAsync();

    /// <summary>Records a location's or partner's event for a line; idempotent by event id.</summary>
    [Alias("report")]
    Task<OrderCommandResult> ReportAsync(FulfilmentEvent fulfilment);

    /// <summary>Cancels the whole order (null) or one line, for whatever is not shipped yet.</summary>
    [Alias("cancel")]
    Task<OrderCommandResult> CancelAsync(string? lineId);

    /// <summary>Cancels <paramref name="quantity"/> units of line <paramref name="lineId"/> (of a bundle line: that many
    /// bundles) that are not shipped yet: those still waiting for supply first, then those allocated where the work is
    /// least far along. <paramref name="cancelId"/> is the idempotency key.</summary>
    [Alias("cancel-units")]
    Task<OrderCommandResult> CancelUnitsAsync(string cancelId, string lineId, int quantity);

    /// <summary>Sends what is left to deliver of an order shipped to an address to <paramref name="address"/> instead,
    /// while none of it is packed for the old one. Units allocated at locations the new address puts out of reach are
    /// routed again first and released where they were after; when they cannot be, nothing changes. An address the
    /// risk lists name is refused, and so is one in a country other than the billing address's unless
    /// <paramref name="vouched"/> (an operator's change). <paramref name="changeId"/> is the idempotency key.</summary>
    [Alias("change-address")]
    Task<OrderCommandResult> ChangeAddressAsync(string changeId, Address address, bool vouched);

    /// <summary>Has a click &amp; collect order collected at store <paramref name="storeId"/> instead, while none of it is
    /// ready at the old one, on its way to it or packed for it elsewhere: units allocated at the old store are sent from there to the new one as units
    /// from any other location are, and units waiting for supply are routed to the new store. Units allocated at locations
    /// the new store puts out of reach are routed again first and released where they were after; when they cannot be,
    /// nothing changes. <paramref name="changeId"/> is the idempotency key.</summary>
    [Alias("change-pickup-store")]
    Task<OrderCommandResult> ChangePickupStoreAsync(string changeId, string storeId);

    /// <summary>Gives money back without goods coming back (an appeasement: a late delivery, a damaged item the customer
    /// keeps, a price adjusted afterwards), as a credit note refunded to the order's payments: against one line, up to
    /// what its goods were charged less what returns and credits gave back of it (and no more than the order has left),
    /// or against the order, up to what the invoices charged less every refund. <c>CreditId</c> is the idempotency key.</summary>
    [Alias("credit")]
    Task<OrderCommandResult> CreditAsync(CreditRequest request);

    /// <summary><see cref="CancelAsync"/> for <paramref name="reason"/> (recorded with the units it cancels).</summary>
    [Alias("cancel-for")]
    Task<OrderCommandResult> CancelForAsync(string? lineId, CancelReason? reason);

    /// <summary><see cref="CancelUnitsAsync"/> for <paramref name="reason"/> (recorded with the units it cancels).</summary>
    [Alias("cancel-units-for")]
    Task<OrderCommandResult> CancelUnitsForAsync(string cancelId, string lineId, int quantity, CancelReason? reason);

    /// <summary>Releases or rejects an order held for review.</summary>
    [Alias("review")]
    Task<OrderCommandResult> ReviewAsync(ReviewDecision decision);

    /// <summary>The customer got the wrong item for a line: creates a replacement order at no charge, linked to this one.</summary>
    [Alias("wrong-item")]
    Task<OrderCommandResult> ReportWrongItemAsync(string lineId);

    /// <summary>Tries again to source backordered lines (called when supply may have arrived).</summary>
    [Alias("retry-backorders")]
    Task<OrderCommandResult> RetryBackordersAsync();

    /// <summary>Tries again to source the backordered lines of <paramref name="sku"/> alone (a bundle's parts with them): a
    /// backorder queue's pass, which serves the units of its SKU first come, first served, and leaves those of the
    /// order's other SKUs to their own queues.</summary>
    [Alias("serve-backorder")]
    Task<OrderCommandResult> ServeBackorderAsync(string sku);

    /// <summary>Registers a return (RMA) of units shipped to the customer; idempotent by return id.</summary>
    [Alias("announce-return")]
    Task<OrderCommandResult> AnnounceReturnAsync(ReturnRequest request);

    /// <summary>Receives a return: restocks or writes off its units at the return location, records the refund and tells
    /// the customer; once per return.</summary>
    [Alias("receive-return")]
    Task<OrderCommandResult> ReceiveReturnAsync(ReturnReceipt receipt);

    /// <summary>Closes a return that will not arrive (or was registered by mistake); its units may be returned again.
    /// <paramref name="atLocation"/>: the caller's location, which may cancel only the returns sent to it (null: any).</summary>
    [Alias("cancel-return")]
    Task<OrderCommandResult> CancelReturnAsync(string returnId, string? atLocation);

    /// <summary>The outbox's notifications written out as the customer reads them (from the order as it is now), oldest
    /// first; null when the order does not exist. For a channel that sends its customers' messages itself.</summary>
    [Alias("messages"), ReadOnly]
    Task<IReadOnlyList<CustomerMessage>?> MessagesAsync();

    /// <summary>Records money received for a payment settled later, a chargeback or its reversal; idempotent by event id.</summary>
    [Alias("record-payment")]
    Task<OrderCommandResult> RecordPaymentAsync(PaymentEvent payment);

    /// <summary>Delivers the outbox's notifications not delivered yet to the channel's webhook, if one is configured, and
    /// the notices not delivered yet to the locations with a webhook of their own (the order calls it itself after a
    /// change that told the customer or a location something, and its reminder until it worked).</summary>
    [Alias("send-outbox"), OneWay]
    Task SendOutboxAsync();

    /// <summary>Gives the order list the order's summary again, as this build makes it (an order last changed by an
    /// earlier build is listed without what later builds added: units, returns), and the ledger its financial records
    /// (an order invoiced before the ledger); true when the list took it, false when the order does not exist or the
    /// list did not take it (the order's next call lists it again).</summary>
    [Alias("relist")]
    Task<bool> RelistAsync();
}

/// <summary>One bucket of the order list (a read model, eventually consistent with the orders).</summary>
[Alias("dom.orders.index")]
public interface IOrderIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Records an order's latest summary.</summary>
    [Alias("upsert")]
    Task UpsertAsync(OrderSummary summary);

    /// <summary>The summaries matching the query, newest first.</summary>
    [Alias("query"), ReadOnly]
    Task<IReadOnlyList<OrderSummary>> QueryAsync(OrderQuery query);

    /// <summary>The ids of this bucket's orders after <paramref name="after"/> (ordinal order; null: from the first), at
    /// most <paramref name="limit"/>.</summary>
    [Alias("order-ids"), ReadOnly]
    Task<IReadOnlyList<string>> OrderIdsAsync(string? after, int limit);

    /// <summary>The KPIs of this bucket's orders (of <paramref name="channel"/>'s only, unless null), now.</summary>
    [Alias("stats"), ReadOnly]
    Task<OrderStats> StatsAsync(string? channel);
}
