using System.Text.Json.Serialization;
using Dom.Articles;

namespace Dom.Reservations;

/// <summary>Where the goods go: decides which locations are nearest.</summary>
/// <param name="Country">ISO 3166-1 alpha-2, upper case.</param>
/// <param name="Latitude">WGS 84 degrees.</param>
/// <param name="Longitude">WGS 84 degrees.</param>
[GenerateSerializer, Immutable, Alias("dom.reservations.ship-to")]
public sealed record ShipTo(
    [property: Id(0)] string Country,
    [property: Id(1)] double Latitude,
    [property: Id(2)] double Longitude);

/// <summary>One requested line: an article and how many. <paramref name="Components"/>: a bundle's components as the
/// caller took them (an order, when it was placed), planned instead of those the article lists now, kept together unless
/// <paramref name="AllowSplit"/>; empty: the article itself, not as a bundle (an order's line of it, placed before it became
/// one); null: as the article says.</summary>
[GenerateSerializer, Immutable, Alias("dom.reservations.line-request")]
public sealed record LineRequest(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Quantity,
    [property: Id(2)] IReadOnlyList<BundleComponent>? Components = null,
    [property: Id(3)] bool AllowSplit = false);

/// <summary>A checkout hold across lines, all or nothing.</summary>
/// <param name="ReservationId">The idempotency key.</param>
/// <param name="Channel">The sales channel (from the caller's key, not the body).</param>
/// <param name="TtlSeconds">How long the hold lives unless converted or released.</param>
/// <param name="ShipTo">Delivery address.</param>
/// <param name="Lines">Distinct SKUs with positive quantities.</param>
/// <param name="Priority">An explicitly prioritised request may take the last units and capacity.</param>
/// <param name="CustomerTier">The customer's tier; the channel's sourcing profile names the tiers with priority (VIP).</param>
/// <param name="PickupLocationId">Click &amp; collect at this store instead of delivery to <paramref name="ShipTo"/>.</param>
/// <param name="PromisedBy">The latest delivery (or pickup) date promised to the customer; in-transit supply is used
/// only against it.</param>
[GenerateSerializer, Immutable, Alias("dom.reservations.create-request")]
public sealed record CreateReservationRequest(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] string Channel,
    [property: Id(2)] int TtlSeconds,
    [property: Id(3)] ShipTo ShipTo,
    [property: Id(4)] IReadOnlyList<LineRequest> Lines,
    [property: Id(5)] RequestPriority Priority = RequestPriority.Normal,
    [property: Id(6)] string? CustomerTier = null,
    [property: Id(7)] string? PickupLocationId = null,
    [property: Id(8)] DateOnly? PromisedBy = null);

/// <summary>How urgently a request is served when stock or capacity runs short.</summary>
public enum RequestPriority
{
    /// <summary>Leaves the profile's reserves for priority requests.</summary>
    Normal,

    /// <summary>May take the last units and the last capacity.</summary>
    High,
}

/// <summary>Units of a line taken from one location.</summary>
[GenerateSerializer, Immutable, Alias("dom.reservations.allocation")]
public sealed record Allocation(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Quantity);

/// <summary>A line with where its units are held.</summary>
/// <param name="Sku">The article held.</param>
/// <param name="Quantity">Units held.</param>
/// <param name="Allocations">Where they are held.</param>
/// <param name="Bundle">For a bundle's component: the bundle's SKU as requested.</param>
[GenerateSerializer, Immutable, Alias("dom.reservations.line")]
public sealed record ReservationLine(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Quantity,
    [property: Id(2)] IReadOnlyList<Allocation> Allocations,
    [property: Id(3)] string? Bundle = null);

/// <summary>A line that could not be held in full.</summary>
/// <param name="Sku">The article.</param>
/// <param name="Requested">Units asked for.</param>
/// <param name="Available">Units that were available to this channel across all locations.</param>
[GenerateSerializer, Immutable, Alias("dom.reservations.shortage")]
public sealed record Shortage(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Requested,
    [property: Id(2)] int Available);

/// <summary>Where a reservation is in its life.</summary>
public enum ReservationStatus
{
    /// <summary>Every line is held until <see cref="ReservationView.ExpiresAt"/>.</summary>
    Held,

    /// <summary>Released early by the channel.</summary>
    Released,

    /// <summary>Lapsed at its expiry time; its units returned.</summary>
    Expired,

    /// <summary>Refused for shortages; nothing was held.</summary>
    Refused,

    /// <summary>Converted into an order: its holds became the order's allocations.</summary>
    Converted,
}

/// <summary>A reservation as a client sees it.</summary>
/// <param name="ReservationId">The idempotency key.</param>
/// <param name="Status">Where it is in its life.</param>
/// <param name="ExpiresAt">When the holds lapse.</param>
/// <param name="Lines">What is held where (a bundle as its components).</param>
/// <param name="Shortages">Why it was refused.</param>
/// <param name="ProfileVersion">The version of the channel's sourcing profile that made the decision (0: built-in defaults).</param>
/// <param name="Cost">The plan's cost under that profile.</param>
/// <param name="HoldId">The id the slot holds and capacity bookings of this reservation carry: its own per creation
/// attempt, so concurrent attempts with one reservation id never share (and never give back) each other's holds. Null
/// in records made before attempts had their own: then the holds carry the reservation id. Internal: not in the API.</param>
[GenerateSerializer, Immutable, Alias("dom.reservations.view")]
public sealed record ReservationView(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] ReservationStatus Status,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] IReadOnlyList<ReservationLine> Lines,
    [property: Id(4)] IReadOnlyList<Shortage> Shortages,
    [property: Id(5)] int? ProfileVersion = null,
    [property: Id(6)] decimal? Cost = null,
    [property: Id(7), JsonIgnore] string? HoldId = null)
{
    /// <summary>The id the holds and bookings of this reservation carry.</summary>
    [JsonIgnore]
    public string HeldUnder => HoldId ?? ReservationId;
}

/// <summary>How a create request ended.</summary>
public enum ReservationOutcome
{
    /// <summary>Held now.</summary>
    Created,

    /// <summary>The same request was answered before; this is that first answer.</summary>
    Replayed,

    /// <summary>Refused for shortages; nothing is held.</summary>
    Refused,

    /// <summary>The id was used before with another body; nothing changed.</summary>
    IdempotencyConflict,

    /// <summary>A requested SKU is no article (<see cref="CreateReservationResult.UnknownArticles"/>); nothing is held
    /// or recorded, so the id stays free for the corrected request.</summary>
    UnknownArticles,
}

/// <summary>The answer to a <see cref="CreateReservationRequest"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.reservations.create-result")]
public sealed record CreateReservationResult(
    [property: Id(0)] ReservationOutcome Outcome,
    [property: Id(1)] ReservationView Reservation,
    [property: Id(2)] IReadOnlyList<string>? UnknownArticles = null);
