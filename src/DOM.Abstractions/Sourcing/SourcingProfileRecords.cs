using Dom.Locations;

namespace Dom.Sourcing;

/// <summary>How shipping is priced.</summary>
public enum ShippingModel
{
    /// <summary>Per shipment plus per kilometre, with a rate per location type.</summary>
    Distance,

    /// <summary>A price per shipment from the zone table (origin country → destination country); a pair without an
    /// entry cannot ship.</summary>
    Zones,
}

/// <summary>A location type's shipping rate.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.shipping-rate")]
public sealed record ShippingRate(
    [property: Id(0)] LocationType Type,
    [property: Id(1)] decimal PerShipment,
    [property: Id(2)] decimal PerKm);

/// <summary>One entry of the zone table.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.shipping-zone")]
public sealed record ShippingZone(
    [property: Id(0)] string FromCountry,
    [property: Id(1)] string ToCountry,
    [property: Id(2)] decimal PerShipment);

/// <summary>A sourcing profile's criteria, weights and limits. Costs are in the channel's currency.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.profile-settings")]
public sealed record SourcingProfileSettings
{
    /// <summary>The built-in profile (version 0), used until an operator activates one.</summary>
    public static readonly SourcingProfileSettings Default = new();

    /// <summary>The location types the channel may ship from (virtual locations always serve non-physical articles).</summary>
    [Id(0)] public IReadOnlyList<LocationType> AllowedLocationTypes { get; init; } =
        [LocationType.Warehouse, LocationType.Store, LocationType.DropShipper, LocationType.Partner, LocationType.LogisticsProvider];

    /// <summary>The most shipments one order may be split into.</summary>
    [Id(1)] public int MaxShipments { get; init; } = 3;

    /// <summary>Locations farther from the delivery address are not used; null: no limit.</summary>
    [Id(2)] public double? MaxDistanceKm { get; init; }

    /// <summary>By distance or by zone.</summary>
    [Id(3)] public ShippingModel ShippingModel { get; init; } = ShippingModel.Distance;

    /// <summary>Shipping rates per location type (distance model).</summary>
    [Id(4)] public IReadOnlyList<ShippingRate> ShippingRates { get; init; } =
    [
        new(LocationType.Warehouse, 4.00m, 0.010m),
        new(LocationType.Store, 5.00m, 0.012m),
        new(LocationType.DropShipper, 4.50m, 0.011m),
        new(LocationType.Partner, 5.00m, 0.012m),
        new(LocationType.LogisticsProvider, 3.50m, 0.009m),
    ];

    /// <summary>The zone table (zone model).</summary>
    [Id(5)] public IReadOnlyList<ShippingZone> ShippingZones { get; init; } = [];

    /// <summary>Cost of each shipment beyond the first.</summary>
    [Id(6)] public decimal SplitPenalty { get; init; } = 3.00m;

    /// <summary>A plan with fewer shipments wins when it costs at most this much more than the cheapest.</summary>
    [Id(7)] public decimal FewerShipmentsTolerance { get; init; } = 1.00m;

    /// <summary>Cost per day until delivery.</summary>
    [Id(8)] public decimal DeliveryDayCost { get; init; } = 1.00m;

    /// <summary>Cost of booking a location's last capacity of a day, proportional to its utilisation.</summary>
    [Id(9)] public decimal CapacityPressureCost { get; init; } = 2.00m;

    /// <summary>Kilometres a parcel travels per day: transit days are 1 + distance / this.</summary>
    [Id(10)] public double KmPerTransitDay { get; init; } = 500;

    /// <summary>Extra days a ship-to-store transfer takes before pickup.</summary>
    [Id(11)] public int TransferDays { get; init; } = 1;

    /// <summary>Whether in-transit supply may be promised (only against a promised date).</summary>
    [Id(12)] public bool UseInTransit { get; init; } = true;

    /// <summary>Customer tiers whose requests have priority (VIP).</summary>
    [Id(13)] public IReadOnlyList<string> PriorityTiers { get; init; } = ["vip"];

    /// <summary>Units per slot that requests without priority leave for priority ones.</summary>
    [Id(14)] public int StockReserve { get; init; }

    /// <summary>Orders per location and day that requests without priority leave for priority ones.</summary>
    [Id(15)] public int CapacityReserve { get; init; }
}

/// <summary>A new draft: the settings that differ from the active version; every member left null is copied from it.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.profile-draft")]
public sealed record SourcingProfileDraft
{
    /// <summary>What the operator says the draft is for.</summary>
    [Id(0)] public string? Note { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.AllowedLocationTypes"/>
    [Id(1)] public IReadOnlyList<LocationType>? AllowedLocationTypes { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.MaxShipments"/>
    [Id(2)] public int? MaxShipments { get; init; }

    /// <summary>Locations farther away are not used; 0 removes the limit.</summary>
    [Id(3)] public double? MaxDistanceKm { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.ShippingModel"/>
    [Id(4)] public ShippingModel? ShippingModel { get; init; }

    /// <summary>Shipping rates of the types that change (distance model); the other types keep theirs.</summary>
    [Id(5)] public IReadOnlyList<ShippingRate>? ShippingRates { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.ShippingZones"/>
    [Id(6)] public IReadOnlyList<ShippingZone>? ShippingZones { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.SplitPenalty"/>
    [Id(7)] public decimal? SplitPenalty { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.FewerShipmentsTolerance"/>
    [Id(8)] public decimal? FewerShipmentsTolerance { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.DeliveryDayCost"/>
    [Id(9)] public decimal? DeliveryDayCost { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.CapacityPressureCost"/>
    [Id(10)] public decimal? CapacityPressureCost { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.KmPerTransitDay"/>
    [Id(11)] public double? KmPerTransitDay { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.TransferDays"/>
    [Id(12)] public int? TransferDays { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.UseInTransit"/>
    [Id(13)] public bool? UseInTransit { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.PriorityTiers"/>
    [Id(14)] public IReadOnlyList<string>? PriorityTiers { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.StockReserve"/>
    [Id(15)] public int? StockReserve { get; init; }

    /// <inheritdoc cref="SourcingProfileSettings.CapacityReserve"/>
    [Id(16)] public int? CapacityReserve { get; init; }
}

/// <summary>Where a profile version is in its life.</summary>
public enum ProfileStatus
{
    /// <summary>Created, never active.</summary>
    Draft,

    /// <summary>The version sourcing uses now.</summary>
    Active,

    /// <summary>Was active before; can be activated again.</summary>
    Retired,
}

/// <summary>One version of a channel's sourcing profile. Versions never change once created.</summary>
/// <param name="Version">1, 2, …; 0 is the built-in default.</param>
/// <param name="Status">Draft, active or retired.</param>
/// <param name="CreatedAt">When the draft was created.</param>
/// <param name="Note">The operator's note.</param>
/// <param name="Settings">The criteria, weights and limits.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.profile-version")]
public sealed record SourcingProfileVersion(
    [property: Id(0)] int Version,
    [property: Id(1)] ProfileStatus Status,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] string? Note,
    [property: Id(4)] SourcingProfileSettings Settings);

/// <summary>A channel's profile versions and which one is active.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="ActiveVersion">The version sourcing uses (0: built-in defaults).</param>
/// <param name="Versions">Every version, oldest first.</param>
/// <param name="History">The versions activated so far, most recent last; rolling back returns to the one before.</param>
/// <param name="Revision">How many activations and rollbacks the book has seen (counted since the build that added it): a
/// rollback that names it is done once, however often it is sent.</param>
[GenerateSerializer, Immutable, Alias("dom.sourcing.profile-book")]
public sealed record SourcingProfileBook(
    [property: Id(0)] string Channel,
    [property: Id(1)] int ActiveVersion,
    [property: Id(2)] IReadOnlyList<SourcingProfileVersion> Versions,
    [property: Id(3)] IReadOnlyList<int> History,
    [property: Id(4)] int Revision = 0);

/// <summary>The settings sourcing applies for a channel now, with their version.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.active-profile")]
public sealed record ActiveSourcingProfile(
    [property: Id(0)] int Version,
    [property: Id(1)] SourcingProfileSettings Settings);

/// <summary>Rolls back to the version active before: with <paramref name="From"/>, only while that version is active; with
/// <paramref name="Revision"/> (the book's, as the caller read it), only at that revision.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.roll-back-request")]
public sealed record RollBackRequest(
    [property: Id(0)] int? From,
    [property: Id(1)] int? Revision);

/// <summary>Activates a version.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.activate-profile-request")]
public sealed record ActivateProfileRequest([property: Id(0)] int Version);

/// <summary>How an activation or rollback ended.</summary>
public enum ProfileChangeStatus
{
    /// <summary>The version is active now.</summary>
    Activated,

    /// <summary>It was active already; nothing changed.</summary>
    AlreadyActive,

    /// <summary>No such version; nothing changed.</summary>
    UnknownVersion,

    /// <summary>No earlier version to roll back to; nothing changed.</summary>
    NothingToRollBack,

    /// <summary>A rollback from a version that is not the active one (nor the one last rolled back from); nothing changed.</summary>
    NotActive,

    /// <summary>The version would leave the channel unable to source (stored by a build that took it); nothing changed.</summary>
    Unusable,

    /// <summary>A rollback at a revision the book has passed, and the change after it was no rollback; nothing changed.</summary>
    Changed,
}

/// <summary>The answer to an activation or rollback; <paramref name="Problem"/> says why a version is unusable.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.profile-change-result")]
public sealed record ProfileChangeResult(
    [property: Id(0)] ProfileChangeStatus Status,
    [property: Id(1)] SourcingProfileBook Book,
    [property: Id(2)] string? Problem = null);

/// <summary>How a draft ended.</summary>
public enum DraftStatus
{
    /// <summary>A new version was created.</summary>
    Created,

    /// <summary>The settings the draft would give leave the channel unable to source; nothing was created.</summary>
    Refused,

    /// <summary>The newest version was never active and has the draft's note and settings (a retry): it is the answer,
    /// and nothing was created.</summary>
    Exists,
}

/// <summary>The answer to a draft: the version, or the member of the draft and the problem that refused it.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.draft-result")]
public sealed record DraftResult(
    [property: Id(0)] DraftStatus Status,
    [property: Id(1)] SourcingProfileVersion? Version,
    [property: Id(2)] string? Field = null,
    [property: Id(3)] string? Problem = null);

/// <summary>A channel's sourcing profile, keyed by the channel name: versioned settings, one version active.</summary>
[Alias("dom.sourcing.profile")]
public interface ISourcingProfileGrain : IGrainWithStringKey
{
    /// <summary>Creates a new version as a draft: the active settings with the draft's changes, unless those would leave
    /// the channel unable to source (the zone model without a zone table), which is refused. A draft whose note and
    /// settings are those of the newest version, never active, answers that version (<see cref="DraftStatus.Exists"/>).</summary>
    [Alias("draft")]
    Task<DraftResult> DraftAsync(SourcingProfileDraft draft);

    /// <summary>The call of the build before <see cref="DraftAsync"/>, kept for its API during a rolling update: creates
    /// the version whatever it is (activating an unusable one is refused).</summary>
    [Alias("create-draft")]
    Task<SourcingProfileVersion> CreateDraftAsync(SourcingProfileDraft draft);

    /// <summary>Makes a version the active one; every later sourcing decision of the channel uses it. A version that
    /// would leave the channel unable to source is <see cref="ProfileChangeStatus.Unusable"/>.</summary>
    [Alias("activate")]
    Task<ProfileChangeResult> ActivateAsync(ActivateProfileRequest request);

    /// <summary>Reactivates the version that was active before the current one (the built-in defaults before the first).
    /// With <paramref name="from"/>, only if that version is the active one, so a retry cannot roll back twice: a retry of
    /// the rollback from it answers the book as it is; while another version is active, <see cref="ProfileChangeStatus.NotActive"/>.
    /// A rollback to a version that would leave the channel unable to source is <see cref="ProfileChangeStatus.Unusable"/>.</summary>
    [Alias("roll-back")]
    Task<ProfileChangeResult> RollBackAsync(int? from = null);

    /// <summary>As <see cref="RollBackAsync(int?)"/>; with a revision, only at that revision of the book, so a retry is
    /// safe even once the version it rolled back from is active again: at a later revision it answers the book as it is if
    /// the change after the named revision was a rollback, else <see cref="ProfileChangeStatus.Changed"/>.</summary>
    [Alias("roll-back-at")]
    Task<ProfileChangeResult> RollBackAsync(RollBackRequest request);

    /// <summary>Every version and the active one.</summary>
    [Alias("get"), ReadOnly]
    Task<SourcingProfileBook> GetAsync();

    /// <summary>The active settings and their version.</summary>
    [Alias("get-active"), ReadOnly]
    Task<ActiveSourcingProfile> GetActiveAsync();
}
