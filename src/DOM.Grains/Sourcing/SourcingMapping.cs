using Dom.Articles;
using Dom.Domain.Geo;
using Dom.Domain.Sourcing;
using Dom.Locations;
using Dom.Reservations;
using Dom.Sourcing;
using DomainShippingModel = Dom.Domain.Sourcing.ShippingModel;
using DomainShippingRate = Dom.Domain.Sourcing.ShippingRate;
using DomainShippingZone = Dom.Domain.Sourcing.ShippingZone;

namespace Dom.Grains.Sourcing;

/// <summary>Translates between the contract (wire records) and the pure optimiser's model.</summary>
internal static class SourcingMapping
{
    /// <summary>Whether sourcing takes an article from <paramref name="site"/>: a physical one from a location that is not
    /// virtual, a non-physical one from a virtual location only (as the optimiser plans them).</summary>
    public static bool Serves(Site? site, bool physical) => site is not null && (site.Kind == SiteKind.Virtual) != physical;

    /// <summary>As <see cref="Serves(Site?, bool)"/>, for a channel whose profile has <paramref name="policy"/>: a physical
    /// article only from the location types the profile allows (a virtual location needs no permission).</summary>
    public static bool Serves(Site? site, bool physical, SourcingPolicy policy) =>
        Serves(site, physical) && (!physical || policy.AllowedKinds.Contains(site!.Kind));

    public static SiteKind ToKind(LocationType type) => type switch
    {
        LocationType.Warehouse => SiteKind.Warehouse,
        LocationType.Store => SiteKind.Store,
        LocationType.DropShipper => SiteKind.DropShipper,
        LocationType.Partner => SiteKind.Partner,
        LocationType.LogisticsProvider => SiteKind.LogisticsProvider,
        LocationType.Virtual => SiteKind.Virtual,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static LocationType ToType(SiteKind kind) => kind switch
    {
        SiteKind.Warehouse => LocationType.Warehouse,
        SiteKind.Store => LocationType.Store,
        SiteKind.DropShipper => LocationType.DropShipper,
        SiteKind.Partner => LocationType.Partner,
        SiteKind.LogisticsProvider => LocationType.LogisticsProvider,
        SiteKind.Virtual => LocationType.Virtual,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static SourcingPolicy ToPolicy(SourcingProfileSettings settings) => SourcingPolicy.Default with
    {
        AllowedKinds = settings.AllowedLocationTypes.Select(ToKind).ToList(),
        MaxShipments = settings.MaxShipments,
        MaxDistanceKm = settings.MaxDistanceKm,
        Shipping = settings.ShippingModel == Dom.Sourcing.ShippingModel.Zones ? DomainShippingModel.Zones : DomainShippingModel.Distance,
        Rates = settings.ShippingRates.Select(r => new DomainShippingRate(ToKind(r.Type), r.PerShipment, r.PerKm)).ToList(),
        Zones = settings.ShippingZones.Select(z => new DomainShippingZone(z.FromCountry, z.ToCountry, z.PerShipment)).ToList(),
        SplitPenalty = settings.SplitPenalty,
        FewerShipmentsTolerance = settings.FewerShipmentsTolerance,
        DeliveryDayCost = settings.DeliveryDayCost,
        CapacityPressureCost = settings.CapacityPressureCost,
        KmPerTransitDay = settings.KmPerTransitDay,
        TransferDays = settings.TransferDays,
        UseInTransit = settings.UseInTransit,
        PriorityTiers = settings.PriorityTiers,
        StockReserve = settings.StockReserve,
        CapacityReserve = settings.CapacityReserve,
    };

    /// <summary>The location as the optimiser plans with it; null for a type no name stands for (stored before the API
    /// read enums strictly), which is planned as no location rather than failing every plan that could use it.</summary>
    public static Site? ToSite(LocationInfo info) => !Enum.IsDefined(info.Type) ? null : new(
        info.LocationId,
        ToKind(info.Type),
        new GeoPoint(info.Latitude, info.Longitude),
        info.Country,
        info.CapacityPerDay,
        info.Calendar is { } calendar
            ? new SiteCalendar(calendar.Hours.Select(h => new SiteHours(h.Day, h.Opens, h.Closes)).ToList(), calendar.ClosedDates, calendar.CutOff)
            : null,
        info.Costs?.HandlingPerShipment ?? 0,
        info.Costs?.HandlingPerUnit ?? 0,
        info.ShipsToCustomers ?? info.Type != LocationType.Virtual,
        info.OffersClickAndCollect());

    public static Supply ToSupply(string sku, IndexedAvailability availability) => new(
        sku,
        availability.LocationId,
        availability.Available,
        availability.Pools?.ToDictionary(p => p.Channel, p => p.Available, StringComparer.Ordinal),
        availability.InTransit?.Select(p => new InTransitPoint(p.Eta, p.Available)).ToList());

    public static ExplainedCost ToCost(CostBreakdown cost) =>
        new(cost.Shipping, cost.Handling, cost.CapacityPressure, cost.Delivery, cost.SplitPenalty, cost.Total);

    public static List<ReservationLine> ToLines(PlanOption plan) =>
        plan.Lines
            .Select(line => new ReservationLine(line.Sku, line.Quantity, line.Allocations.Select(a => new Allocation(a.LocationId, a.Quantity)).ToList(), line.Bundle))
            .ToList();

    public static ExplainedPlan ToPlan(PlanOption plan) => new(
        plan.Rank,
        ToCost(plan.Cost),
        plan.Shipments.Select(s => new ExplainedShipment(s.LocationId, s.DispatchDay, s.DeliveryDate, s.NeedBy, s.Units, ToCost(s.Cost))).ToList(),
        ToLines(plan),
        plan.Verdict);

    public static ExplainedCandidate ToCandidate(Candidate candidate) => new(
        candidate.LocationId,
        ToType(candidate.Kind),
        candidate.InTransitBy,
        candidate.DistanceKm,
        candidate.DispatchDay,
        candidate.DeliveryDate,
        candidate.CapacityLimit,
        candidate.CapacityBooked,
        ToCost(candidate.ShipmentCost),
        candidate.HandlingPerUnit,
        candidate.Stock.Select(s => new ExplainedStock(s.Sku, s.Usable)).ToList(),
        candidate.Excluded,
        candidate.OutOfReach);
}
