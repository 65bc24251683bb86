namespace Dom.Stock;

/// <summary>
/// One article at one location, keyed by <see cref="StockSlotKey"/>: the only writer of that slot's numbers.
/// Invariant: held + allocated ≤ onHand − safetyStock + in-transit arriving by each hold's need-by date, with each
/// channel pool used by its own channel only.
/// </summary>
[Alias("dom.stock.slot")]
public interface IStockSlotGrain : IGrainWithStringKey
{
    /// <summary>Sets on-hand and safety stock (a count from the location). Lowering it below what is promised is
    /// accepted, since it is a physical fact, and reported as <see cref="SlotSnapshot.Overcommitted"/>. The first count
    /// of a slot checks that its article and location exist and adds the location to the article's index.</summary>
    [Alias("set-stock")]
    Task<SetStockResult> SetStockAsync(SetStockRequest request);

    /// <summary>Holds units for a reservation, all or nothing.</summary>
    [Alias("hold")]
    Task<HoldResult> HoldAsync(HoldRequest request);

    /// <summary>Releases a hold; idempotent.</summary>
    [Alias("release")]
    Task<ReleaseResult> ReleaseAsync(ReleaseRequest request);

    /// <summary>Allocates units to an order line (converting a hold when named); idempotent by allocation id.</summary>
    [Alias("allocate")]
    Task<AllocateResult> AllocateAsync(AllocateRequest request);

    /// <summary>Releases, writes off or ships an allocation's open units; returns the units it ended (0 when none were open).</summary>
    [Alias("end-allocation")]
    Task<int> EndAllocationAsync(EndAllocationRequest request);

    /// <summary>Publishes the slot's available quantity to the article's index again (after the index restarted).</summary>
    [Alias("republish"), OneWay]
    Task RepublishAsync();

    /// <summary>The silo's schedule calls this when the slot's next hold is due to lapse: the slot drops what lapsed and
    /// tells the article's index if that moved its number (a hold that became an order or was released moves nothing).</summary>
    [Alias("catch-up"), OneWay]
    Task CatchUpAsync();

    /// <summary>The slot's numbers now, or null when the slot was never stocked.</summary>
    [Alias("get"), ReadOnly]
    Task<SlotSnapshot?> GetAsync();

    /// <summary>Resizes a channel pool; null when the slot was never stocked.</summary>
    [Alias("set-pool")]
    Task<SlotSnapshot?> SetPoolAsync(SetPoolRequest request);

    /// <summary>Records an expected delivery; null when the slot was never stocked (kept for silos of earlier builds: a
    /// delivery received already is left as it is and the slot returned).</summary>
    [Alias("set-inbound")]
    Task<SlotSnapshot?> SetInboundAsync(SetInboundRequest request);

    /// <summary>Records an expected delivery, unless it was received already (see <see cref="InboundOutcome"/>).</summary>
    [Alias("expect-inbound")]
    Task<InboundResult> ExpectInboundAsync(SetInboundRequest request);

    /// <summary>Books an expected delivery into on-hand stock, once: a delivery received already answers with the slot
    /// as it is. Null when the slot or the batch is unknown.</summary>
    [Alias("receive-inbound")]
    Task<SlotSnapshot?> ReceiveInboundAsync(ReceiveInboundRequest request);

    /// <summary>Books units that came back from a customer into on-hand stock, once per restock id (a retry books nothing
    /// again). A slot never stocked is created, as by a first count (checking that its article and location exist and
    /// that the article can be stocked there).</summary>
    [Alias("restock")]
    Task<SetStockResult> RestockAsync(RestockRequest request);

    /// <summary>What the slot can promise now, per channel pool and by arrival time, as the index lists it; null when
    /// the slot was never stocked.</summary>
    [Alias("get-supply"), ReadOnly]
    Task<Articles.IndexedAvailability?> GetSupplyAsync();
}
