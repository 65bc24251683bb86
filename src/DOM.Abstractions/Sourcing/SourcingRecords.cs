using Dom.Articles;
using Dom.Locations;
using Dom.Reservations;

namespace Dom.Sourcing;

/// <summary>Asks sourcing to plan and hold a set of lines for one reservation.</summary>
/// <param name="HoldId">The id every hold and capacity booking carries (the reservation id).</param>
/// <param name="Channel">The sales channel.</param>
/// <param name="ShipTo">Delivery address.</param>
/// <param name="Lines">The lines.</param>
/// <param name="ExpiresAt">When the holds lapse.</param>
/// <param name="ExcludedLocations">Locations not to use (e.g. one that just rejected the line).</param>
/// <param name="Priority">An explicitly prioritised request may take the last units and capacity.</param>
/// <param name="CustomerTier">The customer's tier; the profile names the tiers with priority.</param>
/// <param name="PickupLocationId">Click &amp; collect at this store.</param>
/// <param name="PromisedBy">The latest delivery (or pickup) date promised.</param>
/// <param name="ForBackorders">Routes units of an order that waited for supply: it may take the units an article keeps
/// for its backorder queue (see <c>ArticlePlanningView.KeptForBackorders</c>), which other requests plan without.</param>
/// <remarks>Id 5 is left to main's <c>ExcludedLocations</c> (added there while this was built), so the two merge
/// without renumbering.</remarks>
[GenerateSerializer, Immutable, Alias("dom.sourcing.request")]
public sealed record SourcingRequest(
    [property: Id(0)] string HoldId,
    [property: Id(1)] string Channel,
    [property: Id(2)] ShipTo ShipTo,
    [property: Id(3)] IReadOnlyList<LineRequest> Lines,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] IReadOnlyList<string>? ExcludedLocations = null,
    [property: Id(6)] RequestPriority Priority = RequestPriority.Normal,
    [property: Id(7)] string? CustomerTier = null,
    [property: Id(8)] string? PickupLocationId = null,
    [property: Id(9)] DateOnly? PromisedBy = null,
    [property: Id(10)] bool ForBackorders = false);

/// <summary>What sourcing did: every line held (<see cref="Shortages"/> empty) or nothing held.</summary>
/// <param name="Lines">What is held where.</param>
/// <param name="Shortages">Why nothing is held.</param>
/// <param name="ProfileVersion">The version of the channel's sourcing profile that decided (0: built-in defaults).</param>
/// <param name="Cost">The held plan's cost under that profile.</param>
/// <param name="UnknownArticles">Requested SKUs (or a bundle's components) that are no article: nothing was planned.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.result")]
public sealed record SourcingResult(
    [property: Id(0)] IReadOnlyList<ReservationLine> Lines,
    [property: Id(1)] IReadOnlyList<Shortage> Shortages,
    [property: Id(2)] int ProfileVersion = 0,
    [property: Id(3)] decimal? Cost = null,
    [property: Id(4)] IReadOnlyList<string>? UnknownArticles = null)
{
    /// <summary>True when every line is held.</summary>
    public bool Succeeded => Shortages.Count == 0 && UnknownArticles is null;
}

/// <summary>A cost split into its factors.</summary>
/// <param name="Shipping">By distance (with the location type's rate) or by zone.</param>
/// <param name="Handling">The location's handling per shipment and per unit.</param>
/// <param name="CapacityPressure">Grows as the location's day fills up.</param>
/// <param name="Delivery">Days until delivery, at the profile's cost per day.</param>
/// <param name="SplitPenalty">The profile's penalty for each shipment beyond the first.</param>
/// <param name="Total">The sum.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.cost")]
public sealed record ExplainedCost(
    [property: Id(0)] decimal Shipping,
    [property: Id(1)] decimal Handling,
    [property: Id(2)] decimal CapacityPressure,
    [property: Id(3)] decimal Delivery,
    [property: Id(4)] decimal SplitPenalty,
    [property: Id(5)] decimal Total);

/// <summary>Units of an article a candidate could give this request.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.candidate-stock")]
public sealed record ExplainedStock(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Usable);

/// <summary>A location considered for the request.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Type">Its type.</param>
/// <param name="InTransitBy">Set when this candidate waits for in-transit supply arriving by then.</param>
/// <param name="DistanceKm">To the delivery address (or to the pickup store).</param>
/// <param name="DispatchDay">The day it would pick and dispatch (calendar and cut-off applied).</param>
/// <param name="DeliveryDate">The day the customer would get the goods.</param>
/// <param name="CapacityLimit">The dispatch day's capacity limit.</param>
/// <param name="CapacityBooked">Orders booked on that day.</param>
/// <param name="ShipmentCost">The cost of one shipment from here, before handling per unit.</param>
/// <param name="HandlingPerUnit">The location's handling cost per unit.</param>
/// <param name="Stock">Units usable for each line.</param>
/// <param name="Excluded">Why it cannot be used; null when it can.</param>
/// <param name="OutOfReach">The delivery address rules it out (beyond the profile's distance limit, or no zone rate to
/// the address's country), whatever its stock and capacity.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.candidate")]
public sealed record ExplainedCandidate(
    [property: Id(0)] string LocationId,
    [property: Id(1)] LocationType Type,
    [property: Id(2)] DateTimeOffset? InTransitBy,
    [property: Id(3)] double DistanceKm,
    [property: Id(4)] DateOnly? DispatchDay,
    [property: Id(5)] DateOnly? DeliveryDate,
    [property: Id(6)] int? CapacityLimit,
    [property: Id(7)] int? CapacityBooked,
    [property: Id(8)] ExplainedCost ShipmentCost,
    [property: Id(9)] decimal HandlingPerUnit,
    [property: Id(10)] IReadOnlyList<ExplainedStock> Stock,
    [property: Id(11)] string? Excluded,
    [property: Id(12)] bool OutOfReach = false);

/// <summary>One shipment of a plan (for click &amp; collect: the pick at the store, or a transfer to it).</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.shipment")]
public sealed record ExplainedShipment(
    [property: Id(0)] string LocationId,
    [property: Id(1)] DateOnly DispatchDay,
    [property: Id(2)] DateOnly DeliveryDate,
    [property: Id(3)] DateTimeOffset? InTransitBy,
    [property: Id(4)] int Units,
    [property: Id(5)] ExplainedCost Cost);

/// <summary>A complete plan and how it compares with the winner.</summary>
/// <param name="Rank">1 for the winner.</param>
/// <param name="Cost">The plan's cost.</param>
/// <param name="Shipments">Its shipments.</param>
/// <param name="Lines">Where each line's units would come from.</param>
/// <param name="Verdict">Why it won, or why it lost.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.plan")]
public sealed record ExplainedPlan(
    [property: Id(0)] int Rank,
    [property: Id(1)] ExplainedCost Cost,
    [property: Id(2)] IReadOnlyList<ExplainedShipment> Shipments,
    [property: Id(3)] IReadOnlyList<ReservationLine> Lines,
    [property: Id(4)] string Verdict);

/// <summary>What sourcing would do for a request, and why, with no side effects.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="ProfileVersion">The sourcing profile version applied (0: built-in defaults).</param>
/// <param name="Feasible">Whether a plan exists; a reservation would then hold <see cref="Winner"/>.</param>
/// <param name="Prioritised">Whether the request counts as priority (explicitly, or by its customer tier).</param>
/// <param name="Exact">Whether the winner is proven optimal (false when the search stopped at its budget).</param>
/// <param name="Reason">Why the winner won, or why there is no plan.</param>
/// <param name="Winner">The plan a reservation would hold.</param>
/// <param name="Plans">The plans considered, the winner first.</param>
/// <param name="Candidates">Every location considered, with its costs or why it was excluded.</param>
/// <param name="Shortages">What is missing when there is no plan.</param>
/// <param name="LowerBound">No plan costs less than this.</param>
/// <param name="SearchNodes">Partial plans the search examined.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.explanation")]
public sealed record SourcingExplanation(
    [property: Id(0)] string Channel,
    [property: Id(1)] int ProfileVersion,
    [property: Id(2)] bool Feasible,
    [property: Id(3)] bool Prioritised,
    [property: Id(4)] bool Exact,
    [property: Id(5)] string Reason,
    [property: Id(6)] ExplainedPlan? Winner,
    [property: Id(7)] IReadOnlyList<ExplainedPlan> Plans,
    [property: Id(8)] IReadOnlyList<ExplainedCandidate> Candidates,
    [property: Id(9)] IReadOnlyList<Shortage> Shortages,
    [property: Id(10)] decimal LowerBound,
    [property: Id(11)] int SearchNodes);

/// <summary>Turns a request into a plan (which location ships what) and executes it as a saga with compensation.
/// Holds no state.</summary>
[Alias("dom.sourcing.sourcing")]
public interface ISourcingGrain : IGrainWithIntegerKey
{
    /// <summary>Plans and holds every line, or holds nothing and reports the shortages.</summary>
    [Alias("reserve")]
    Task<SourcingResult> ReserveAsync(SourcingRequest request);

    /// <summary>The article's availability per location, read from the slots; null when the article does not exist.
    /// For <paramref name="channel"/>: what it may reserve (the shared units and its own pool's, its pool alone listed);
    /// without: every pool listed, the shared units alone available.</summary>
    [Alias("get-availability")]
    Task<ArticleAvailability?> GetAvailabilityAsync(string sku, string? channel = null);

    /// <summary>Releases every hold and capacity booking a reservation took; idempotent.</summary>
    [Alias("release")]
    Task ReleaseAsync(string holdId, IReadOnlyList<ReservationLine> lines);

    /// <summary>Plans as <see cref="ReserveAsync"/> would, from the same data, and explains the decision; holds nothing.</summary>
    [Alias("explain"), ReadOnly]
    Task<SourcingExplanation> ExplainAsync(SourcingRequest request);
}
