namespace Dom.Domain.Sourcing;

/// <summary>A cost split into the factors that make it up. Money, rounded to 0.001 once per factor.</summary>
public sealed record CostBreakdown(decimal Shipping, decimal Handling, decimal CapacityPressure, decimal Delivery, decimal SplitPenalty)
{
    public static readonly CostBreakdown Zero = new(0, 0, 0, 0, 0);

    public decimal Total => Shipping + Handling + CapacityPressure + Delivery + SplitPenalty;

    public CostBreakdown Plus(CostBreakdown other) => new(
        Shipping + other.Shipping,
        Handling + other.Handling,
        CapacityPressure + other.CapacityPressure,
        Delivery + other.Delivery,
        SplitPenalty + other.SplitPenalty);
}

/// <summary>Units of one SKU a candidate can give this order.</summary>
public sealed record CandidateStock(string Sku, int Usable);

/// <summary>A site considered for this order, with the cost of one shipment from it broken down, or why it was excluded.
/// A site with in-transit supply appears once more per arrival it could wait for (<see cref="InTransitBy"/>).
/// <see cref="OutOfReach"/>: the delivery address itself rules it out (beyond the profile's distance limit, or no zone
/// rate to the address's country), whatever its stock and capacity.</summary>
public sealed record Candidate(
    string LocationId,
    SiteKind Kind,
    DateTimeOffset? InTransitBy,
    double DistanceKm,
    DateOnly? DispatchDay,
    DateOnly? DeliveryDate,
    int? CapacityLimit,
    int? CapacityBooked,
    CostBreakdown ShipmentCost,
    decimal HandlingPerUnit,
    IReadOnlyList<CandidateStock> Stock,
    string? Excluded,
    bool OutOfReach = false);

/// <summary>Units of a line from one site. <see cref="NeedBy"/> is set when the site may use in-transit supply arriving
/// by then; <see cref="Unlimited"/> when a non-physical article has no counter to hold.</summary>
public sealed record SourcedAllocation(string LocationId, int Quantity, DateTimeOffset? NeedBy = null, bool Unlimited = false);

/// <summary>A line and where its units come from.</summary>
public sealed record SourcedLine(string Sku, int Quantity, bool Physical, string? Bundle, IReadOnlyList<SourcedAllocation> Allocations);

/// <summary>One shipment (or, for click &amp; collect, one pick at the store or one transfer to it).</summary>
public sealed record Shipment(string LocationId, DateOnly DispatchDay, DateOnly DeliveryDate, DateTimeOffset? NeedBy, int Units, CostBreakdown Cost);

/// <summary>A complete plan with its cost, and the verdict against the winner.</summary>
public sealed record PlanOption(
    int Rank,
    IReadOnlyList<Shipment> Shipments,
    IReadOnlyList<SourcedLine> Lines,
    CostBreakdown Cost,
    string Verdict)
{
    public IEnumerable<string> Locations => Shipments.Select(s => s.LocationId);
}

/// <summary>The optimiser's answer: the winning plan (or why there is none), the plans it weighed, and every candidate
/// with its costs. The same answer drives a reservation and an explain call.</summary>
/// <remarks>
/// <para><c>Exact</c>: True when the search proved the winner optimal; false when it stopped at its node budget.</para>
/// <para><c>LowerBound</c>: No plan costs less than this (equals the winner's cost when exact).</para>
/// </remarks>
public sealed record SourcingDecision(
    bool Feasible,
    PlanOption? Winner,
    string Reason,
    IReadOnlyList<PlanOption> Considered,
    IReadOnlyList<Candidate> Candidates,
    IReadOnlyList<PlanShortage> Shortages,
    bool Prioritised,
    bool Exact,
    decimal LowerBound,
    int Nodes,
    int ProfileVersion);

/// <summary>A line the known supply cannot cover: how many units were asked for and how many were available.</summary>
public sealed record PlanShortage(string Sku, int Requested, int Available);
