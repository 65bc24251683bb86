using Dom.Articles;
using Dom.Reservations;

namespace Dom.Sourcing;

/// <summary>Asks sourcing to plan and hold a set of lines for one reservation.</summary>
/// <param name="HoldId">The id every hold and capacity booking carries (the reservation id).</param>
/// <param name="Channel">The sales channel.</param>
/// <param name="ShipTo">Delivery address.</param>
/// <param name="Lines">The lines.</param>
/// <param name="ExpiresAt">When the holds lapse.</param>
/// <param name="ExcludedLocations">Locations not to use (e.g. one that just rejected the line).</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.request")]
public sealed record SourcingRequest(
    [property: Id(0)] string HoldId,
    [property: Id(1)] string Channel,
    [property: Id(2)] ShipTo ShipTo,
    [property: Id(3)] IReadOnlyList<LineRequest> Lines,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] IReadOnlyList<string>? ExcludedLocations = null);

/// <summary>What sourcing did: every line held (<see cref="Shortages"/> empty) or nothing held.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.result")]
public sealed record SourcingResult(
    [property: Id(0)] IReadOnlyList<ReservationLine> Lines,
    [property: Id(1)] IReadOnlyList<Shortage> Shortages)
{
    /// <summary>True when every line is held.</summary>
    public bool Succeeded => Shortages.Count == 0;
}

/// <summary>Turns a request into a plan (which location ships what) and executes it as a saga with compensation.
/// Holds no state.</summary>
[Alias("dom.sourcing.sourcing")]
public interface ISourcingGrain : IGrainWithIntegerKey
{
    /// <summary>Plans and holds every line, or holds nothing and reports the shortages.</summary>
    [Alias("reserve")]
    Task<SourcingResult> ReserveAsync(SourcingRequest request);

    /// <summary>The article's availability per location, read from the slots; null when the article does not exist.</summary>
    [Alias("get-availability")]
    Task<ArticleAvailability?> GetAvailabilityAsync(string sku);

    /// <summary>Releases every hold and capacity booking a reservation took; idempotent.</summary>
    [Alias("release")]
    Task ReleaseAsync(string holdId, IReadOnlyList<ReservationLine> lines);
}
