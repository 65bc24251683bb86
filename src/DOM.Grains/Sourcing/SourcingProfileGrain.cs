using System.Collections.Immutable;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Sourcing;

namespace Dom.Grains.Sourcing;

/// <summary>A stored profile version.</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.stored-profile-version")]
public sealed record StoredProfileVersion(
    [property: Id(0)] int Version,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] string? Note,
    [property: Id(3)] SourcingProfileSettings Settings);

/// <summary>A channel's profile versions and the versions activated so far (the last one is active).</summary>
[GenerateSerializer, Immutable, Alias("dom.sourcing.profile-state")]
public sealed record SourcingProfileState
{
    [Id(0)] public ImmutableList<StoredProfileVersion> Versions { get; init; } = [];

    [Id(1)] public ImmutableList<int> History { get; init; } = [];

    /// <summary>Every version that has been active at some time.</summary>
    [Id(2)] public ImmutableSortedSet<int> EverActive { get; init; } = [];

    /// <summary>The version the last rollback left, until the next activation: a retried rollback from it is done.</summary>
    [Id(3)] public int? RolledBackFrom { get; init; }

    /// <summary>Activations and rollbacks so far (since the build that added the count).</summary>
    [Id(4)] public int Revision { get; init; }

    /// <summary>The revisions that rollbacks made: a rollback named at the revision before one of them is done.</summary>
    [Id(5)] public ImmutableSortedSet<int> RolledBackAt { get; init; } = [];

    public int Active => History.IsEmpty ? 0 : History[^1];

    public SourcingProfileSettings ActiveSettings => SettingsOf(Active);

    /// <summary>The version a rollback returns to (0: the built-in defaults).</summary>
    public int Previous => History.Count > 1 ? History[^2] : 0;

    /// <summary>The settings of a version (0: the built-in defaults).</summary>
    public SourcingProfileSettings SettingsOf(int version) => version == 0 ? SourcingProfileSettings.Default : Versions[version - 1].Settings;
}

/// <summary>A channel's sourcing profile: versions never change once created; one is active; activations form a
/// history so a rollback returns to the version before. Rarely written, so plain grain storage.</summary>
internal sealed class SourcingProfileGrain(
    [PersistentState(DomStorage.SourcingProfileState, DomStorage.Name)] IPersistentState<SourcingProfileState> state,
    ProfileDirectory directory,
    DomClock clock,
    ILogger<SourcingProfileGrain> logger) : Grain, ISourcingProfileGrain
{
    private static readonly IReadOnlyList<LocationType> NoTypes = [];
    private static readonly IReadOnlyList<ShippingRate> NoRates = [];
    private static readonly IReadOnlyList<ShippingZone> NoZones = [];
    private static readonly IReadOnlyList<string> NoTiers = [];

    private SourcingProfileState State => state.State;

    private string Channel => this.GetPrimaryKeyString();

    public async Task<DraftResult> DraftAsync(SourcingProfileDraft draft)
    {
        // Checked on the merged settings: a draft naming only the zone model takes the active version's zone table.
        var settings = Merge(State.ActiveSettings, draft);
        if (Unusable(settings) is { } refusal)
        {
            return new DraftResult(DraftStatus.Refused, null, refusal.Field, refusal.Problem);
        }

        // A retry answers the version it made. Only the newest and only while never active: once activated, the same
        // draft is a new version to activate later (the operator may have rolled it back on purpose).
        if (State.Versions.LastOrDefault() is { } newest && !State.EverActive.Contains(newest.Version)
            && newest.Note == draft.Note && Same(newest.Settings, settings))
        {
            return new DraftResult(DraftStatus.Exists, View(newest));
        }

        return new DraftResult(DraftStatus.Created, await CreateAsync(draft.Note, settings));
    }

    public Task<SourcingProfileVersion> CreateDraftAsync(SourcingProfileDraft draft) => CreateAsync(draft.Note, Merge(State.ActiveSettings, draft));

    public async Task<ProfileChangeResult> ActivateAsync(ActivateProfileRequest request)
    {
        if (request.Version < 0 || request.Version > State.Versions.Count)
        {
            return new ProfileChangeResult(ProfileChangeStatus.UnknownVersion, Book());
        }

        if (request.Version == State.Active)
        {
            return new ProfileChangeResult(ProfileChangeStatus.AlreadyActive, Book());
        }

        if (Unusable(State.SettingsOf(request.Version)) is { } refusal)
        {
            return new ProfileChangeResult(ProfileChangeStatus.Unusable, Book(), refusal.Problem);
        }

        await state.WriteAsync(State with { History = State.History.Add(request.Version), EverActive = State.EverActive.Add(request.Version), RolledBackFrom = null, Revision = State.Revision + 1 }, GrainContext, logger);
        directory.Forget(Channel);
        logger.LogInformation("{Channel} sourcing profile {Version} activated", Channel, request.Version);
        return new ProfileChangeResult(ProfileChangeStatus.Activated, Book());
    }

    public Task<ProfileChangeResult> RollBackAsync(int? from = null) => RollBackAsync(new RollBackRequest(from, null));

    public async Task<ProfileChangeResult> RollBackAsync(RollBackRequest request)
    {
        if (request.Revision is { } seen && seen != State.Revision)
        {
            // Any rollback from the book at that revision is the one asked for: done, whatever came after it.
            return new ProfileChangeResult(State.RolledBackAt.Contains(seen + 1) ? ProfileChangeStatus.Activated : ProfileChangeStatus.Changed, Book());
        }

        if (request.From is { } expected && expected != State.Active)
        {
            // Without a revision, the version last rolled back from is all there is to tell a retry by.
            return new ProfileChangeResult(request.Revision is null && State.RolledBackFrom == expected ? ProfileChangeStatus.Activated : ProfileChangeStatus.NotActive, Book());
        }

        if (State.History.IsEmpty)
        {
            return new ProfileChangeResult(ProfileChangeStatus.NothingToRollBack, Book());
        }

        if (Unusable(State.SettingsOf(State.Previous)) is { } refusal)
        {
            return new ProfileChangeResult(ProfileChangeStatus.Unusable, Book(), refusal.Problem);
        }

        var from = State.Active;
        var revision = State.Revision + 1;
        await state.WriteAsync(State with { History = State.History.RemoveAt(State.History.Count - 1), RolledBackFrom = from, Revision = revision, RolledBackAt = State.RolledBackAt.Add(revision) }, GrainContext, logger);
        directory.Forget(Channel);
        logger.LogInformation("{Channel} sourcing profile rolled back from {From} to {Version}", Channel, from, State.Active);
        return new ProfileChangeResult(ProfileChangeStatus.Activated, Book());
    }

    public Task<SourcingProfileBook> GetAsync() => Task.FromResult(Book());

    public Task<ActiveSourcingProfile> GetActiveAsync() => Task.FromResult(new ActiveSourcingProfile(State.Active, State.ActiveSettings));

    /// <summary>Why sourcing could use no location of the channel under <paramref name="settings"/>, if so. Versions that
    /// an earlier build stored without this check are refused when they would become active.</summary>
    private static (string Field, string Problem)? Unusable(SourcingProfileSettings settings) =>
        settings is { ShippingModel: ShippingModel.Zones, ShippingZones.Count: 0 }
            ? ("shippingZones", "Shipping is priced by zone and the zone table is empty: no location could ship, so every reservation of the channel would be refused.")
            : null;

    /// <summary>Equal settings: the lists by their items (record equality compares them by reference).</summary>
    private static bool Same(SourcingProfileSettings a, SourcingProfileSettings b) =>
        a.AllowedLocationTypes.SequenceEqual(b.AllowedLocationTypes) && a.ShippingRates.SequenceEqual(b.ShippingRates)
        && a.ShippingZones.SequenceEqual(b.ShippingZones) && a.PriorityTiers.SequenceEqual(b.PriorityTiers, StringComparer.Ordinal)
        && WithoutLists(a) == WithoutLists(b);

    private static SourcingProfileSettings WithoutLists(SourcingProfileSettings settings) => settings with
    {
        AllowedLocationTypes = NoTypes,
        ShippingRates = NoRates,
        ShippingZones = NoZones,
        PriorityTiers = NoTiers,
    };

    private async Task<SourcingProfileVersion> CreateAsync(string? note, SourcingProfileSettings settings)
    {
        var stored = new StoredProfileVersion(State.Versions.Count + 1, clock.UtcNow, note, settings);
        await state.WriteAsync(State with { Versions = State.Versions.Add(stored) }, GrainContext, logger);
        logger.LogInformation("{Channel} sourcing profile draft {Version} created", Channel, stored.Version);
        return View(stored);
    }

    private SourcingProfileBook Book() => new(Channel, State.Active, State.Versions.Select(View).ToList(), State.History, State.Revision);

    private SourcingProfileVersion View(StoredProfileVersion stored) => new(
        stored.Version,
        stored.Version == State.Active ? ProfileStatus.Active : State.EverActive.Contains(stored.Version) ? ProfileStatus.Retired : ProfileStatus.Draft,
        stored.CreatedAt,
        stored.Note,
        stored.Settings);

    private static SourcingProfileSettings Merge(SourcingProfileSettings active, SourcingProfileDraft draft) => active with
    {
        AllowedLocationTypes = draft.AllowedLocationTypes?.Distinct().ToList() ?? active.AllowedLocationTypes,
        MaxShipments = draft.MaxShipments ?? active.MaxShipments,
        MaxDistanceKm = draft.MaxDistanceKm is { } km ? (km > 0 ? km : null) : active.MaxDistanceKm,
        ShippingModel = draft.ShippingModel ?? active.ShippingModel,
        // Rates by type: a draft that changes one type's rate keeps the others (a type without a rate ships for free).
        ShippingRates = draft.ShippingRates is { } rates
            ? [.. active.ShippingRates.Where(a => rates.All(r => r.Type != a.Type)), .. rates]
            : active.ShippingRates,
        ShippingZones = draft.ShippingZones ?? active.ShippingZones,
        SplitPenalty = draft.SplitPenalty ?? active.SplitPenalty,
        FewerShipmentsTolerance = draft.FewerShipmentsTolerance ?? active.FewerShipmentsTolerance,
        DeliveryDayCost = draft.DeliveryDayCost ?? active.DeliveryDayCost,
        CapacityPressureCost = draft.CapacityPressureCost ?? active.CapacityPressureCost,
        KmPerTransitDay = draft.KmPerTransitDay ?? active.KmPerTransitDay,
        TransferDays = draft.TransferDays ?? active.TransferDays,
        UseInTransit = draft.UseInTransit ?? active.UseInTransit,
        PriorityTiers = draft.PriorityTiers ?? active.PriorityTiers,
        StockReserve = draft.StockReserve ?? active.StockReserve,
        CapacityReserve = draft.CapacityReserve ?? active.CapacityReserve,
    };
}
