using Dom.Domain.Geo;

namespace Dom.Domain.Sourcing;

/// <summary>What kind of place a site is (mirrors the contract's location type; the domain has no Orleans types).</summary>
public enum SiteKind
{
    Warehouse,
    Store,
    DropShipper,
    Partner,
    LogisticsProvider,

    /// <summary>Fulfils non-physical articles (services, gift cards, licences): no shipment, no picking.</summary>
    Virtual,
}

/// <summary>One weekday's opening hours, in the engine's calendar (UTC).</summary>
public sealed record SiteHours(DayOfWeek Day, TimeOnly Opens, TimeOnly Closes);

/// <summary>
/// When a site dispatches: the weekdays it works (all, when <see cref="Hours"/> is empty), days it is closed, and the
/// cut-off after which an order no longer counts against the day (it goes to the next working day).
/// </summary>
public sealed record SiteCalendar(IReadOnlyList<SiteHours> Hours, IReadOnlyList<DateOnly> ClosedDates, TimeOnly? CutOff)
{
    /// <summary>How far ahead a dispatch day is looked for.</summary>
    public const int HorizonDays = 21;

    /// <summary>The first day, from <paramref name="from"/> on, on which an order placed at <paramref name="from"/>
    /// can be picked and dispatched; null when the site does not work in the next <see cref="HorizonDays"/> days.</summary>
    public DateOnly? NextDispatchDay(DateTimeOffset from)
    {
        var start = DateOnly.FromDateTime(from.UtcDateTime);
        var time = TimeOnly.FromDateTime(from.UtcDateTime);
        for (var i = 0; i < HorizonDays; i++)
        {
            var day = start.AddDays(i);
            if (ClosedDates.Contains(day))
            {
                continue;
            }

            var (works, closes) = WorkingHours(day.DayOfWeek);
            if (!works)
            {
                continue;
            }

            var lastOrder = CutOff is { } cutOff && cutOff < closes ? cutOff : closes;
            if (i == 0 && time >= lastOrder)
            {
                continue;
            }

            return day;
        }

        return null;
    }

    /// <summary>Dispatch from a site without a calendar: every day, all day.</summary>
    public static DateOnly? AlwaysOpen(DateTimeOffset from) => DateOnly.FromDateTime(from.UtcDateTime);

    private (bool Works, TimeOnly Closes) WorkingHours(DayOfWeek day)
    {
        if (Hours.Count == 0)
        {
            return (true, TimeOnly.MaxValue);
        }

        foreach (var hours in Hours)
        {
            if (hours.Day == day)
            {
                return (true, hours.Closes);
            }
        }

        return (false, default);
    }
}

/// <summary>A location that may fulfil lines, with what planning needs of its master data.</summary>
/// <remarks>
/// <para><c>HandlingPerShipment</c>: The site's cost to pick and pack one shipment.</para>
/// <para><c>HandlingPerUnit</c>: The site's cost per unit picked.</para>
/// <para><c>ShipsToCustomers</c>: False for a store that only serves click &amp; collect and transfers.</para>
/// <para><c>ClickAndCollect</c>: Customers may pick up orders here.</para>
/// </remarks>
public sealed record Site(
    string LocationId,
    SiteKind Kind,
    GeoPoint Position,
    string Country,
    int CapacityPerDay,
    SiteCalendar? Calendar = null,
    decimal HandlingPerShipment = 0,
    decimal HandlingPerUnit = 0,
    bool ShipsToCustomers = true,
    bool ClickAndCollect = false)
{
    /// <summary>The day an order placed at <paramref name="from"/> is dispatched on: by the calendar, when the site has
    /// one (null when it works no day within the horizon), else the same day.</summary>
    public DateOnly? NextDispatchDay(DateTimeOffset from) => Calendar is { } calendar ? calendar.NextDispatchDay(from) : SiteCalendar.AlwaysOpen(from);
}

/// <summary>A day's capacity at a site: orders it can pick, and orders booked.</summary>
public sealed record SiteDay(string LocationId, DateOnly Date, int Limit, int Booked);

/// <summary>In-transit supply: the shared units available to a need-by date at or after <paramref name="Eta"/>
/// (cumulative: on-hand plus everything arriving by then, less what is promised).</summary>
public sealed record InTransitPoint(DateTimeOffset Eta, int SharedAvailable);

/// <summary>What a slot (one article at one site) can promise, as the planner knows it.</summary>
/// <remarks>
/// <para><c>Shared</c>: On-hand units any channel may take (safety stock and pools already set aside).</para>
/// <para><c>Pools</c>: Units set aside per channel and still free; only that channel may take them.</para>
/// <para><c>InTransit</c>: Shared availability by arrival time, for need-by dates that allow waiting.</para>
/// <para><c>Unlimited</c>: A non-physical article without a counter: no limit.</para>
/// </remarks>
public sealed record Supply(
    string Sku,
    string LocationId,
    int Shared,
    IReadOnlyDictionary<string, int>? Pools = null,
    IReadOnlyList<InTransitPoint>? InTransit = null,
    bool Unlimited = false)
{
    /// <summary>Units <paramref name="channel"/> may take with goods arriving by <paramref name="arrivedBy"/> (null: on hand now).</summary>
    public int UsableBy(string channel, DateTimeOffset? arrivedBy)
    {
        var shared = Shared;
        if (arrivedBy is { } by && InTransit is not null)
        {
            foreach (var point in InTransit)
            {
                if (point.Eta <= by && point.SharedAvailable > shared)
                {
                    shared = point.SharedAvailable;
                }
            }
        }

        return Math.Max(0, shared) + Math.Max(0, Pools?.GetValueOrDefault(channel) ?? 0);
    }
}

/// <summary>A line to fulfil. Bundle components carry their bundle's SKU; components of a bundle that must stay
/// together (<paramref name="KeepTogether"/>) come from one site, each bundle whole: <paramref name="BundleUnits"/>
/// bundles (each a <c>Quantity / BundleUnits</c> share of this component) may come whole from different sites; 0 (not
/// given): all of them from one.</summary>
public sealed record DemandLine(string Sku, int Quantity, bool Physical = true, string? Bundle = null, bool KeepTogether = false, int BundleUnits = 0);

/// <summary>The order to source.</summary>
/// <remarks>
/// <para><c>Channel</c>: The sales channel: decides pools and the profile.</para>
/// <para><c>ShipTo</c>: The delivery address (ignored for click &amp; collect).</para>
/// <para><c>Country</c>: The delivery country (ISO 3166-1 alpha-2), for zone rates.</para>
/// <para><c>Priority</c>: Explicitly prioritised: may take the last units and capacity.</para>
/// <para><c>CustomerTier</c>: The customer's tier; tiers listed in the policy count as priority.</para>
/// <para><c>PickupLocationId</c>: Click &amp; collect at this store instead of shipping.</para>
/// <para><c>PromisedBy</c>: The latest delivery (or pickup) date promised; in-transit supply is used only against it.</para>
/// </remarks>
public sealed record SourcingOrder(
    string Channel,
    GeoPoint ShipTo,
    string Country,
    IReadOnlyList<DemandLine> Lines,
    bool Priority = false,
    string? CustomerTier = null,
    string? PickupLocationId = null,
    DateOnly? PromisedBy = null);

/// <summary>How shipping cost is computed.</summary>
public enum ShippingModel
{
    /// <summary>Per shipment plus per kilometre, with a rate per site kind.</summary>
    Distance,

    /// <summary>A fixed price per shipment from the zone table (origin country → destination country); a pair
    /// without an entry cannot ship.</summary>
    Zones,
}

public sealed record ShippingRate(SiteKind Kind, decimal PerShipment, decimal PerKm);

public sealed record ShippingZone(string FromCountry, string ToCountry, decimal PerShipment);

/// <summary>The sourcing profile's criteria, weights and limits, as the optimiser reads them.</summary>
public sealed record SourcingPolicy
{
    public static readonly SourcingPolicy Default = new();

    public IReadOnlyList<SiteKind> AllowedKinds { get; init; } =
        [SiteKind.Warehouse, SiteKind.Store, SiteKind.DropShipper, SiteKind.Partner, SiteKind.LogisticsProvider];

    public int MaxShipments { get; init; } = 3;

    public double? MaxDistanceKm { get; init; }

    public ShippingModel Shipping { get; init; } = ShippingModel.Distance;

    public IReadOnlyList<ShippingRate> Rates { get; init; } =
    [
        new(SiteKind.Warehouse, 4.00m, 0.010m),
        new(SiteKind.Store, 5.00m, 0.012m),
        new(SiteKind.DropShipper, 4.50m, 0.011m),
        new(SiteKind.Partner, 5.00m, 0.012m),
        new(SiteKind.LogisticsProvider, 3.50m, 0.009m),
    ];

    public IReadOnlyList<ShippingZone> Zones { get; init; } = [];

    /// <summary>Cost of each shipment beyond the first.</summary>
    public decimal SplitPenalty { get; init; } = 3.00m;

    /// <summary>A plan with fewer shipments wins when it costs at most this much more than the cheapest.</summary>
    public decimal FewerShipmentsTolerance { get; init; } = 1.00m;

    /// <summary>Cost per day from today until delivery.</summary>
    public decimal DeliveryDayCost { get; init; } = 1.00m;

    /// <summary>Cost of booking a site's last capacity; proportional to the day's utilisation after booking.</summary>
    public decimal CapacityPressureCost { get; init; } = 2.00m;

    /// <summary>Kilometres a parcel travels per day; transit days are 1 + distance / this.</summary>
    public double KmPerTransitDay { get; init; } = 500;

    /// <summary>Extra days a ship-to-store transfer takes before the customer can pick up.</summary>
    public int TransferDays { get; init; } = 1;

    /// <summary>Whether in-transit supply may be promised (only ever against a promised date).</summary>
    public bool UseInTransit { get; init; } = true;

    /// <summary>Customer tiers whose orders have priority.</summary>
    public IReadOnlyList<string> PriorityTiers { get; init; } = ["vip"];

    /// <summary>Units per slot that orders without priority leave for priority orders.</summary>
    public int StockReserve { get; init; }

    /// <summary>Orders per site and day that orders without priority leave for priority orders.</summary>
    public int CapacityReserve { get; init; }

    /// <summary>Search nodes before the optimiser stops with its best plan and a proven lower bound.</summary>
    public int NodeBudget { get; init; } = 10_000;

    public bool IsPrioritised(SourcingOrder order) =>
        order.Priority || (order.CustomerTier is { } tier && PriorityTiers.Any(t => string.Equals(t, tier, StringComparison.OrdinalIgnoreCase)));
}

/// <summary>Everything the optimiser decides from. Pure data: no I/O happens while planning.</summary>
/// <remarks>
/// <para><c>Now</c>: The business clock: dispatch days, cut-offs and delivery dates count from it.</para>
/// <para><c>Capacity</c>: Capacity of the days the sites would dispatch on; a missing day counts as the site's
/// normal capacity with nothing booked.</para>
/// </remarks>
public sealed record SourcingProblem(
    SourcingOrder Order,
    DateTimeOffset Now,
    IReadOnlyList<Site> Sites,
    IReadOnlyList<Supply> Supply,
    IReadOnlyList<SiteDay> Capacity,
    SourcingPolicy Policy,
    int ProfileVersion = 0);
