using System.Globalization;
using Dom.Domain.Geo;

namespace Dom.Domain.Sourcing;

/// <summary>
/// Finds the cheapest plan for an order under the profile's constraints, and says why.
/// <para>The cost of a plan is the sum over its shipments of a fixed part (shipping by distance or zone, the site's
/// handling per shipment, capacity pressure, days until delivery) plus handling per unit, plus a penalty per shipment
/// beyond the first. Given the set of shipping sites, the best assignment of units is exact and cheap (each line from
/// its cheapest sites in the set; each bundle that stays together from its cheapest site that has all of it), so the
/// search is over sets of sites: depth-first in order of fixed cost, with a lower bound that stops a branch once it
/// cannot beat the best plan, and two exact reductions (while lines are uncovered a site is only added when it covers
/// some of them; once everything is covered only a site whose unit savings could exceed its fixed cost is added).
/// Greedy plans, including the nearest-site-with-stock plan, seed the bound, so the answer is never worse than them.
/// The search is exact unless it runs out of its node budget; then it returns its best plan and a proven lower bound.</para>
/// <para>Among plans that cost at most the profile's tolerance more than the cheapest, the one with the fewest
/// shipments wins. Deterministic: ties go to the plan found first, and sites are ordered by cost, then id.</para>
/// </summary>
public static class SourcingOptimiser
{
    private const int MaxConsidered = 10;

    private static readonly int SiteKinds = Enum.GetValues<SiteKind>().Length;

    /// <summary>Plans the order. With <paramref name="explain"/> the decision lists every candidate and the plans
    /// considered; the winner is the same either way.</summary>
    public static SourcingDecision Decide(SourcingProblem problem, bool explain = false) => new Run(problem, explain).Decide();

    /// <summary>The conventional plan, costed by the same model: each line (or bundle) from the nearest usable site that
    /// has all of it, else split nearest first; null when the usable sites cannot cover the order. It ignores the
    /// profile's shipment limit. The optimiser is seeded with it, so its winner never costs more.</summary>
    public static PlanOption? NearestWithStock(SourcingProblem problem) => new Run(problem, false).Nearest();

    private static readonly long[] ThousandthsPer = [1000, 100, 10, 1];

    /// <summary>Money in thousandths, rounded half away from zero. Money with at most three decimals (prices, rates,
    /// penalties) is read from its digits, without decimal arithmetic: planning converts a site's handling costs on
    /// every reservation.</summary>
    internal static long Millis(decimal money)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(money, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var digits = ((long)bits[1] << 32) | (uint)bits[0];
        if (scale <= 3 && bits[2] == 0 && bits[1] >= 0 && digits <= long.MaxValue / 1000)
        {
            return (bits[3] < 0 ? -digits : digits) * ThousandthsPer[scale];
        }

        return (long)decimal.Round(money * 1000m, MidpointRounding.AwayFromZero);
    }

    internal static long Millis(double money) => (long)Math.Round(money * 1000d, MidpointRounding.AwayFromZero);

    /// <summary>Thousandths as money: the same decimal (digits and scale) as <c>millis / 1000m</c>, which keeps no
    /// trailing zeros, built from the digits instead of dividing.</summary>
    internal static decimal Money(long millis)
    {
        byte scale = 3;
        while (scale > 0 && millis % 10 == 0)
        {
            millis /= 10;
            scale--;
        }

        var magnitude = millis < 0 ? (ulong)-millis : (ulong)millis;
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, millis < 0, scale);
    }

    /// <summary>Whether <paramref name="stock"/> has every quantity of a group (a bundle kept together); the nearest
    /// seed and the search's coverage both ask it.</summary>
    private static bool Holds(ReadOnlySpan<int> stock, int[] skus, int[] quantities)
    {
        for (var c = 0; c < skus.Length; c++)
        {
            if (stock[skus[c]] < quantities[c])
            {
                return false;
            }
        }

        return true;
    }

    private static string Text(decimal money) => money.ToString("0.00#", CultureInfo.InvariantCulture);

    private static string Text(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A site at one readiness: on hand now, or waiting for supply arriving by <see cref="By"/>.</summary>
    private sealed class Variant
    {
        public required int Site { get; init; }

        public required Site Info { get; init; }

        public required DateTimeOffset? By { get; init; }

        public required double DistanceKm { get; init; }

        public required DateOnly Dispatch { get; init; }

        public required DateOnly Delivery { get; init; }

        public required long Shipping { get; init; }

        public required long Handling { get; init; }

        public required long Pressure { get; init; }

        public required long DeliveryCost { get; init; }

        public required long Unit { get; init; }

        public required int[] Stock { get; init; }

        public long Fixed => Shipping + Handling + Pressure + DeliveryCost;
    }

    private sealed class Run(SourcingProblem problem, bool explain)
    {
        private readonly SourcingOrder _order = problem.Order;
        private readonly SourcingPolicy _policy = problem.Policy;
        private readonly bool _prioritised = problem.Policy.IsPrioritised(problem.Order);
        private readonly DateOnly _today = DateOnly.FromDateTime(problem.Now.UtcDateTime);
        private readonly List<Candidate> _candidates = explain ? new(problem.Sites.Count) : [];
        private readonly List<Variant> _variants = new(problem.Sites.Count);
        private readonly Dictionary<string, int> _skuIndex = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Sku, string LocationId), Supply> _digitalSupply = [];
        private readonly bool[] _allowed = new bool[SiteKinds];
        private readonly (long PerShipment, double PerKm)?[] _rates = new (long, double)?[SiteKinds];
        private readonly long _deliveryDay = Millis(problem.Policy.DeliveryDayCost);
        private readonly long _pressure = Millis(problem.Policy.CapacityPressureCost);
        private int[] _capacityHead = null!;
        private int[] _capacityNext = null!;
        private List<DemandLine> _physical = null!;
        private List<DemandLine> _nonPhysical = null!;
        private Site? _pickup;
        private string? _pickupProblem;

        private int StockReserve => _prioritised ? 0 : _policy.StockReserve;

        public SourcingDecision Decide()
        {
            var sites = Prepare();
            var digital = PlanNonPhysical(sites);
            var physical = SearchPhysical();
            return Conclude(physical, digital);
        }

        public PlanOption? Nearest()
        {
            var sites = Prepare();
            var digital = PlanNonPhysical(sites);
            if (digital.Shortages.Count > 0)
            {
                return null;
            }

            SortVariants();
            var items = BuildItems();
            var allocations = NearestAllocations(items);
            if (allocations is null)
            {
                return null;
            }

            var set = VariantsOf(allocations);
            var perLine = allocations.Select(line => line.Select(a => (Array.IndexOf(set, a.Variant), a.Quantity)).ToList()).ToArray();
            return Option(set, perLine, 1, "nearest location with stock", digital);
        }

        private List<Site> Prepare()
        {
            _physical = [];
            _nonPhysical = [];
            foreach (var line in _order.Lines)
            {
                (line.Physical ? _physical : _nonPhysical).Add(line);
                if (line.Physical)
                {
                    _skuIndex.TryAdd(line.Sku, _skuIndex.Count);
                }
            }

            // Sites by position (the first of each id counts), so that a site's supply and capacity are found by its
            // index rather than by hashing its id again for every line and day.
            var sites = new List<Site>(problem.Sites.Count);
            var siteIndex = new Dictionary<string, int>(problem.Sites.Count, StringComparer.Ordinal);
            foreach (var site in problem.Sites)
            {
                if (siteIndex.TryAdd(site.LocationId, sites.Count))
                {
                    sites.Add(site);
                }
            }

            var supplyAt = new Supply?[sites.Count][];
            var digitalSkus = _nonPhysical.Count > 0 ? _nonPhysical.Select(l => l.Sku).ToHashSet(StringComparer.Ordinal) : null;
            foreach (var supply in problem.Supply)
            {
                if (_skuIndex.TryGetValue(supply.Sku, out var sku))
                {
                    if (siteIndex.TryGetValue(supply.LocationId, out var at))
                    {
                        (supplyAt[at] ??= new Supply?[_skuIndex.Count])[sku] = supply;
                    }
                }
                else if (digitalSkus?.Contains(supply.Sku) == true)
                {
                    _digitalSupply[(supply.Sku, supply.LocationId)] = supply;
                }
            }

            // Each site's known days, latest entry first (a later entry for the same day replaces an earlier one).
            _capacityHead = new int[sites.Count];
            Array.Fill(_capacityHead, -1);
            _capacityNext = new int[problem.Capacity.Count];
            for (var d = 0; d < problem.Capacity.Count; d++)
            {
                if (siteIndex.TryGetValue(problem.Capacity[d].LocationId, out var at))
                {
                    (_capacityNext[d], _capacityHead[at]) = (_capacityHead[at], d);
                }
            }

            foreach (var kind in _policy.AllowedKinds)
            {
                _allowed[(int)kind] = true;
            }

            foreach (var rate in _policy.Rates)
            {
                _rates[(int)rate.Kind] ??= (Millis(rate.PerShipment), (double)rate.PerKm * 1000d);
            }

            if (_order.PickupLocationId is { } pickupId)
            {
                _pickup = siteIndex.TryGetValue(pickupId, out var at) ? sites[at] : null;
                _pickupProblem = _pickup is null ? $"pickup location {pickupId} is unknown"
                    : !_pickup.ClickAndCollect ? $"pickup location {pickupId} offers no click & collect"
                    : null;
            }

            if (_physical.Count > 0)
            {
                for (var i = 0; i < sites.Count; i++)
                {
                    var site = sites[i];
                    if (site.Kind != SiteKind.Virtual && (supplyAt[i] is not null || site == _pickup))
                    {
                        AddVariants(i, site, supplyAt[i] ?? new Supply?[_skuIndex.Count]);
                    }
                }
            }

            if (explain)
            {
                _candidates.Sort((a, b) => string.CompareOrdinal(a.LocationId, b.LocationId) is var byId and not 0 ? byId : Nullable.Compare(a.InTransitBy, b.InTransitBy));
            }

            return sites;
        }

        private void AddVariants(int index, Site site, Supply?[] supplies)
        {
            var isPickup = _pickup is not null && site.LocationId == _pickup.LocationId;
            var destination = _pickup?.Position ?? _order.ShipTo;
            var destinationCountry = _pickup?.Country ?? _order.Country;
            var distance = isPickup ? 0 : site.Position.DistanceKmTo(destination);
            var onHand = StockAt(supplies, null);

            string? excluded = _pickupProblem;
            if (excluded is null && !isPickup && !_allowed[(int)site.Kind])
            {
                excluded = $"{site.Kind} locations are not allowed for channel {_order.Channel}";
            }

            if (excluded is null && _pickup is null && !site.ShipsToCustomers)
            {
                excluded = "does not ship to customers";
            }

            // Out of the address's reach: what no stock or capacity would change (an address change re-routes from there).
            var outOfReach = false;
            if (!isPickup && _policy.MaxDistanceKm is { } maxKm && distance > maxKm)
            {
                excluded ??= $"{distance:0} km away, beyond the profile's limit of {maxKm:0} km";
                outOfReach = true;
            }

            long shipping = 0;
            if (!isPickup && !outOfReach)
            {
                var rate = ShippingCost(site, distance, destinationCountry);
                if (rate is null)
                {
                    excluded ??= $"no zone rate from {site.Country} to {destinationCountry}";
                    outOfReach = true;
                }
                else if (excluded is null)
                {
                    shipping = rate.Value;
                }
            }

            var context = (Index: index, Site: site, IsPickup: isPickup, Distance: distance, Shipping: shipping, OutOfReach: outOfReach);
            AddVariant(context, null, onHand, excluded ?? (Array.TrueForAll(onHand, units => units == 0) ? "no stock of any line on hand" : null));
            if (excluded is not null || InTransitArrivals(supplies) is not { } arrivals)
            {
                return;
            }

            foreach (var eta in arrivals)
            {
                var stock = StockAt(supplies, eta);
                if (!MoreThan(stock, onHand))
                {
                    continue;
                }

                var reason = _order.PromisedBy is null ? "in-transit supply is promised only against a promised date"
                    : !_policy.UseInTransit ? "the profile does not use in-transit supply"
                    : null;
                AddVariant(context, eta, stock, reason);
            }
        }

        private void AddVariant((int Index, Site Site, bool IsPickup, double Distance, long Shipping, bool OutOfReach) context, DateTimeOffset? by, int[] stock, string? excluded)
        {
            var site = context.Site;
            var ready = by is { } eta && eta > problem.Now ? eta : problem.Now;
            var dispatch = excluded is null ? site.NextDispatchDay(ready) : null;
            if (excluded is null && dispatch is null)
            {
                excluded = $"does not dispatch in the next {SiteCalendar.HorizonDays} days (calendar)";
            }

            int? limit = null, booked = null;
            long pressure = 0;
            if (dispatch is { } day)
            {
                var capacity = KnownCapacity(context.Index, day) ?? new SiteDay(site.LocationId, day, site.CapacityPerDay, 0);
                (limit, booked) = (capacity.Limit, capacity.Booked);
                var reserve = _prioritised ? 0 : _policy.CapacityReserve;
                if (capacity.Limit - capacity.Booked < 1)
                {
                    excluded ??= $"capacity full on {Text(day)} ({capacity.Booked} of {capacity.Limit} booked)";
                }
                else if (capacity.Limit - capacity.Booked < 1 + reserve)
                {
                    excluded ??= $"the last {reserve} of {capacity.Limit} orders of capacity on {Text(day)} are kept for priority orders";
                }
                else
                {
                    pressure = (long)Math.Round((double)_pressure * (capacity.Booked + 1) / capacity.Limit, MidpointRounding.AwayFromZero);
                }
            }

            DateOnly? delivery = null;
            long deliveryCost = 0;
            if (dispatch is { } from)
            {
                var transit = context.IsPickup ? 0 : TransitDays(context.Distance) + (_pickup is not null ? _policy.TransferDays : 0);
                delivery = from.AddDays(transit);
                deliveryCost = _deliveryDay * (delivery.Value.DayNumber - _today.DayNumber);
                if (_order.PromisedBy is { } promised && delivery > promised)
                {
                    excluded ??= $"{(context.IsPickup ? "ready" : "delivers")} {Text(delivery.Value)}, after the promised {Text(promised)}";
                }
            }

            var handling = Millis(site.HandlingPerShipment);
            var unit = Millis(site.HandlingPerUnit);
            if (explain)
            {
                _candidates.Add(new Candidate(
                    site.LocationId,
                    site.Kind,
                    by,
                    Math.Round(context.Distance, 1),
                    dispatch,
                    delivery,
                    limit,
                    booked,
                    new CostBreakdown(Money(context.Shipping), Money(handling), Money(pressure), Money(deliveryCost), 0),
                    site.HandlingPerUnit,
                    CandidateStocks(stock),
                    excluded,
                    context.OutOfReach));
            }

            if (excluded is null)
            {
                _variants.Add(new Variant
                {
                    Site = context.Index,
                    Info = site,
                    By = by,
                    DistanceKm = context.Distance,
                    Dispatch = dispatch!.Value,
                    Delivery = delivery!.Value,
                    Shipping = context.Shipping,
                    Handling = handling,
                    Pressure = pressure,
                    DeliveryCost = deliveryCost,
                    Unit = unit,
                    Stock = stock,
                });
            }
        }

        /// <summary>Whether waiting adds units of some line to what is on hand.</summary>
        private static bool MoreThan(int[] stock, int[] onHand)
        {
            for (var s = 0; s < stock.Length; s++)
            {
                if (stock[s] > onHand[s])
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>An explanation's view of a candidate's stock, per line (kept out of <see cref="AddVariant"/>, whose
        /// every call would otherwise allocate the closure).</summary>
        private List<CandidateStock> CandidateStocks(int[] stock) =>
            _skuIndex.Select(sku => new CandidateStock(sku.Key, stock[sku.Value])).ToList();

        /// <summary>The capacity the problem gives for the site at <paramref name="index"/> on <paramref name="day"/>.</summary>
        private SiteDay? KnownCapacity(int index, DateOnly day)
        {
            for (var d = _capacityHead[index]; d >= 0; d = _capacityNext[d])
            {
                if (problem.Capacity[d].Date == day)
                {
                    return problem.Capacity[d];
                }
            }

            return null;
        }

        private int TransitDays(double km) => 1 + (int)Math.Floor(km / _policy.KmPerTransitDay);

        private long? ShippingCost(Site site, double distance, string destinationCountry)
        {
            if (_policy.Shipping == ShippingModel.Zones)
            {
                foreach (var zone in _policy.Zones)
                {
                    if (zone.FromCountry == site.Country && zone.ToCountry == destinationCountry)
                    {
                        return Millis(zone.PerShipment);
                    }
                }

                return null;
            }

            return _rates[(int)site.Kind] is { } rate ? rate.PerShipment + (long)Math.Round(rate.PerKm * distance, MidpointRounding.AwayFromZero) : 0;
        }

        private int[] StockAt(Supply?[] supplies, DateTimeOffset? by)
        {
            var stock = new int[supplies.Length];
            for (var s = 0; s < supplies.Length; s++)
            {
                if (supplies[s] is { } supply)
                {
                    stock[s] = Math.Max(0, supply.UsableBy(_order.Channel, by) - StockReserve);
                }
            }

            return stock;
        }

        private static List<DateTimeOffset>? InTransitArrivals(Supply?[] supplies)
        {
            List<DateTimeOffset>? arrivals = null;
            foreach (var supply in supplies)
            {
                if (supply?.InTransit is { Count: > 0 } points)
                {
                    arrivals ??= [];
                    arrivals.AddRange(points.Select(p => p.Eta));
                }
            }

            if (arrivals is null)
            {
                return null;
            }

            arrivals.Sort();
            return arrivals.Distinct().ToList();
        }

        private sealed record Digital(List<SourcedLine> Lines, long Handling, List<PlanShortage> Shortages);

        /// <summary>An order without non-physical lines (never changed: no line reads or adds to it).</summary>
        private static readonly Digital NoDigital = new([], 0, []);

        /// <summary>Non-physical lines go to virtual sites: the cheapest with enough (a counter, or no limit).</summary>
        private Digital PlanNonPhysical(List<Site> sites)
        {
            if (_nonPhysical.Count == 0)
            {
                return NoDigital;
            }

            var lines = new List<SourcedLine>();
            var shortages = new List<PlanShortage>();
            long handling = 0;
            var virtualSites = sites.Where(s => s.Kind == SiteKind.Virtual).OrderBy(s => s.HandlingPerUnit).ThenBy(s => s.LocationId, StringComparer.Ordinal).ToList();
            // A counter serves every line of its article once: what an earlier line took is not there for the next.
            var taken = new Dictionary<(string Sku, string LocationId), int>();
            foreach (var line in _nonPhysical)
            {
                var offers = new List<(Site Site, int Usable, bool Unlimited)>();
                foreach (var site in virtualSites)
                {
                    if (_digitalSupply.TryGetValue((line.Sku, site.LocationId), out var supply))
                    {
                        var usable = supply.Unlimited
                            ? int.MaxValue
                            : Math.Max(0, supply.UsableBy(_order.Channel, null) - StockReserve - taken.GetValueOrDefault((line.Sku, site.LocationId)));
                        offers.Add((site, usable, supply.Unlimited));
                        if (explain)
                        {
                            _candidates.Add(new Candidate(
                                site.LocationId, site.Kind, null, 0, null, null, null, null, CostBreakdown.Zero, site.HandlingPerUnit,
                                [new CandidateStock(line.Sku, usable)], usable > 0 ? null : "no units of this non-physical article left"));
                        }
                    }
                }

                var whole = offers.FirstOrDefault(o => o.Usable >= line.Quantity);
                var allocations = new List<SourcedAllocation>();
                if (whole.Site is not null)
                {
                    allocations.Add(new SourcedAllocation(whole.Site.LocationId, line.Quantity, null, whole.Unlimited));
                    handling += Millis(whole.Site.HandlingPerUnit) * line.Quantity;
                    taken[(line.Sku, whole.Site.LocationId)] = taken.GetValueOrDefault((line.Sku, whole.Site.LocationId)) + line.Quantity;
                }
                else if (offers.Sum(o => (long)o.Usable) >= line.Quantity)
                {
                    var missing = line.Quantity;
                    foreach (var offer in offers.Where(o => o.Usable > 0))
                    {
                        var take = Math.Min(missing, offer.Usable);
                        allocations.Add(new SourcedAllocation(offer.Site.LocationId, take, null, offer.Unlimited));
                        handling += Millis(offer.Site.HandlingPerUnit) * take;
                        taken[(line.Sku, offer.Site.LocationId)] = taken.GetValueOrDefault((line.Sku, offer.Site.LocationId)) + take;
                        missing -= take;
                        if (missing == 0)
                        {
                            break;
                        }
                    }
                }
                else
                {
                    shortages.Add(new PlanShortage(line.Sku, line.Quantity, (int)Math.Min(int.MaxValue, offers.Sum(o => (long)o.Usable))));
                }

                lines.Add(new SourcedLine(line.Sku, line.Quantity, false, line.Bundle, allocations));
            }

            return new Digital(lines, handling, shortages);
        }

        private Search? SearchPhysical()
        {
            if (_physical.Count == 0)
            {
                return null;
            }

            SortVariants();
            var items = BuildItems();
            var k = _variants.Count;
            var (fixedCosts, unitCosts, stock, site) = (new long[k], new long[k], new int[k][], new int[k]);
            for (var v = 0; v < k; v++)
            {
                (fixedCosts[v], unitCosts[v], stock[v], site[v]) = (_variants[v].Fixed, _variants[v].Unit, _variants[v].Stock, _variants[v].Site);
            }

            var search = new Search(
                fixedCosts,
                unitCosts,
                stock,
                site,
                problem.Sites.Count,
                items,
                Millis(_policy.SplitPenalty),
                Math.Max(1, _policy.MaxShipments),
                Millis(_policy.FewerShipmentsTolerance),
                _policy.NodeBudget);
            if (NearestAllocations(items) is { } nearest)
            {
                search.Seed(VariantsOf(nearest));
            }

            search.Run();
            if (explain)
            {
                // The bound prunes plans that cannot win; an explanation still shows how each location would do alone.
                for (var v = 0; v < _variants.Count; v++)
                {
                    search.Consider([v]);
                }
            }

            return search;
        }

        /// <summary>The variants an assignment uses, each once, in ascending order (a plan's set).</summary>
        private static int[] VariantsOf(List<(int Variant, int Quantity)>[] allocations)
        {
            var set = new List<int>(allocations.Length);
            foreach (var line in allocations)
            {
                foreach (var (variant, _) in line)
                {
                    if (!set.Contains(variant))
                    {
                        set.Add(variant);
                    }
                }
            }

            set.Sort();
            return [.. set];
        }

        private void SortVariants() =>
            _variants.Sort((a, b) =>
            {
                var byCost = a.Fixed.CompareTo(b.Fixed);
                if (byCost != 0)
                {
                    return byCost;
                }

                var byUnit = a.Unit.CompareTo(b.Unit);
                if (byUnit != 0)
                {
                    return byUnit;
                }

                var byId = string.CompareOrdinal(a.Info.LocationId, b.Info.LocationId);
                return byId != 0 ? byId : Nullable.Compare(a.By, b.By);
            });

        /// <summary>The most bundles of one line planned as bundles of their own (each whole at one site).</summary>
        private const int MaxBundlesApart = 24;

        private Items BuildItems()
        {
            var demand = new int[_skuIndex.Count];
            var groups = new List<(int[] Skus, int[] Quantities, int[] Lines)>();
            var singles = new List<(int Sku, int Quantity, int Line)>();
            for (var i = 0; i < _physical.Count; i++)
            {
                demand[_skuIndex[_physical[i].Sku]] += _physical[i].Quantity;
            }

            var grouped = new HashSet<int>();
            var together = _physical.Exists(line => line.KeepTogether && line.Bundle is not null)
                ? _physical.Select((line, i) => (line, i)).Where(x => x.line.KeepTogether && x.line.Bundle is not null).GroupBy(x => x.line.Bundle!, StringComparer.Ordinal)
                : [];
            foreach (var bundle in together)
            {
                // Also a bundle of one component (a six-pack): its units stay together too. Each bundle of the line is
                // whole at one site, the bundles of one line may come from different sites: one group per bundle (up to
                // MaxBundlesApart; a line of more, or one whose bundle count is not given, is one group).
                var members = bundle.ToList();
                var units = members[0].line.BundleUnits;
                var apart = units is > 1 and <= MaxBundlesApart && members.All(m => m.line.BundleUnits == units && m.line.Quantity % units == 0);
                // One set of arrays for the bundles of a line: the search knows them alike by it.
                var skus = members.Select(m => _skuIndex[m.line.Sku]).ToArray();
                var quantities = members.Select(m => apart ? m.line.Quantity / units : m.line.Quantity).ToArray();
                var lines = members.Select(m => m.i).ToArray();
                for (var u = 0; u < (apart ? units : 1); u++)
                {
                    groups.Add((skus, quantities, lines));
                }

                grouped.UnionWith(members.Select(m => m.i));
            }

            for (var i = 0; i < _physical.Count; i++)
            {
                if (!grouped.Contains(i))
                {
                    singles.Add((_skuIndex[_physical[i].Sku], _physical[i].Quantity, i));
                }
            }

            return new Items(demand, groups, singles);
        }

        /// <summary>The conventional plan: each line (or bundle) from the nearest site (on hand) that has all of it,
        /// else split nearest first. Per physical line: (variant, units); null when it cannot cover the order.</summary>
        private List<(int Variant, int Quantity)>[]? NearestAllocations(Items items)
        {
            var nearest = new List<int>(_variants.Count);
            for (var v = 0; v < _variants.Count; v++)
            {
                if (_variants[v].By is null)
                {
                    nearest.Add(v);
                }
            }

            nearest.Sort((x, y) => _variants[x].DistanceKm.CompareTo(_variants[y].DistanceKm) is var byDistance and not 0
                ? byDistance
                : string.CompareOrdinal(_variants[x].Info.LocationId, _variants[y].Info.LocationId));
            var remaining = new int[_variants.Count][];
            foreach (var v in nearest)
            {
                remaining[v] = _variants[v].Stock;
            }

            var result = new List<(int Variant, int Quantity)>[_physical.Count];
            foreach (var group in items.Groups)
            {
                var site = -1;
                foreach (var v in nearest)
                {
                    if (Holds(remaining[v], group.Skus, group.Quantities))
                    {
                        site = v;
                        break;
                    }
                }

                if (site < 0)
                {
                    return null;
                }

                for (var c = 0; c < group.Skus.Length; c++)
                {
                    Writable(remaining, site)[group.Skus[c]] -= group.Quantities[c];
                    AddUnits(result[group.Lines[c]] ??= [], site, group.Quantities[c]);
                }
            }

            foreach (var (sku, quantity, line) in items.Singles)
            {
                var whole = -1;
                foreach (var v in nearest)
                {
                    if (remaining[v][sku] >= quantity)
                    {
                        whole = v;
                        break;
                    }
                }

                if (whole >= 0)
                {
                    Writable(remaining, whole)[sku] -= quantity;
                    result[line] = [(whole, quantity)];
                    continue;
                }

                var missing = quantity;
                result[line] = [];
                foreach (var v in nearest)
                {
                    var take = Math.Min(missing, remaining[v][sku]);
                    if (take > 0)
                    {
                        Writable(remaining, v)[sku] -= take;
                        result[line].Add((v, take));
                        missing -= take;
                    }

                    if (missing == 0)
                    {
                        break;
                    }
                }

                if (missing > 0)
                {
                    return null;
                }
            }

            return result;
        }

        /// <summary>A variant's remaining stock, copied from its own on first change.</summary>
        private int[] Writable(int[][] remaining, int v) =>
            remaining[v] == _variants[v].Stock ? remaining[v] = (int[])_variants[v].Stock.Clone() : remaining[v];

        private SourcingDecision Conclude(Search? search, Digital digital)
        {
            var shortages = new List<PlanShortage>(digital.Shortages);
            int[]? winner = null;
            string reason;
            var tolerance = _policy.FewerShipmentsTolerance;
            if (search is null)
            {
                winner = [];
                reason = "no physical lines: nothing to ship";
            }
            else if (search.Best == long.MaxValue)
            {
                var available = new int[_skuIndex.Count];
                foreach (var bySite in _variants.GroupBy(v => v.Site))
                {
                    for (var s = 0; s < available.Length; s++)
                    {
                        available[s] += bySite.Max(v => v.Stock[s]);
                    }
                }

                var physicalShortages = _physical
                    .Where(line => available[_skuIndex[line.Sku]] < search.Demand[_skuIndex[line.Sku]])
                    .Select(line => new PlanShortage(line.Sku, line.Quantity, available[_skuIndex[line.Sku]]))
                    .ToList();
                reason = _pickupProblem
                    ?? (physicalShortages.Count == 0 && search.Aborted
                        ? $"no plan found within the search budget of {_policy.NodeBudget} nodes"
                        : null)
                    ?? (physicalShortages.Count > 0
                        ? $"not enough stock at usable locations for {string.Join(", ", physicalShortages.Select(s => s.Sku))}"
                        : $"no plan within {search.MaxShipments} shipment(s) covers every line{(search.HasGroups ? " with each bundle from one location" : "")}");
                shortages.AddRange(physicalShortages.Count > 0
                    ? physicalShortages
                    : _physical.Select(line => new PlanShortage(line.Sku, line.Quantity, available[_skuIndex[line.Sku]])));
            }
            else
            {
                (winner, reason) = ChooseWinner(search, tolerance);
            }

            if (digital.Shortages.Count > 0)
            {
                reason = $"not enough units of {string.Join(", ", digital.Shortages.Select(s => s.Sku))} at virtual locations";
            }

            var feasible = winner is not null && shortages.Count == 0;
            var options = new List<PlanOption>();
            PlanOption? chosen = null;
            if (winner is not null)
            {
                chosen = Option(search, winner, 1, reason, digital);
                options.Add(chosen);
            }

            if (search is not null && explain && chosen is not null)
            {
                foreach (var (cost, set) in search.Considered.Where(c => !c.Set.SequenceEqual(winner!)).Take(MaxConsidered - 1))
                {
                    var option = Option(search, set, options.Count + 1, "", digital);
                    options.Add(option with { Verdict = Verdict(option, chosen, tolerance) });
                }
            }

            var exact = search?.Aborted != true;
            var lowerBound = search is null || search.Best == long.MaxValue
                ? 0m
                : Money(Math.Min(search.Best, exact ? search.Best : search.OpenBound) + digital.Handling);
            return new SourcingDecision(
                feasible,
                feasible ? chosen : null,
                reason,
                options,
                _candidates,
                shortages,
                _prioritised,
                exact,
                lowerBound,
                search?.Nodes ?? 0,
                problem.ProfileVersion);
        }

        private (int[] Set, string Reason) ChooseWinner(Search search, decimal tolerance)
        {
            if (_pickup is not null)
            {
                var own = _variants.FindIndex(v => v.By is null && v.Info.LocationId == _pickup.LocationId);
                if (own >= 0 && search.Evaluate([own]) >= 0)
                {
                    return ([own], "the pickup store has every line in stock");
                }
            }

            var cheapest = search.Best;
            var exactly = search.Aborted ? $" (best found within the search budget; no plan costs less than {Text(Money(search.OpenBound))})" : " (proven optimal)";
            for (var size = 1; size <= search.MaxShipments; size++)
            {
                if (search.BestBySize[size] <= cheapest + search.Tolerance)
                {
                    var set = search.BestSetBySize[size]!;
                    var reason = search.BestBySize[size] == cheapest
                        ? $"the cheapest plan{exactly}"
                        : $"{size} shipment(s) for {Text(Money(search.BestBySize[size] - cheapest))} more than the cheapest plan, within the profile's tolerance of {Text(tolerance)} for fewer shipments";
                    return (set, reason);
                }
            }

            throw new InvalidOperationException("A best plan exists but no size holds it.");
        }

        private string Verdict(PlanOption option, PlanOption winner, decimal tolerance)
        {
            var delta = option.Cost.Total - winner.Cost.Total;
            var (shipments, winnerShipments) = (option.Shipments.Count, winner.Shipments.Count);
            if (delta > 0)
            {
                return $"costs {Text(delta)} more" + (shipments < winnerShipments ? $", beyond the tolerance of {Text(tolerance)} for fewer shipments" : "");
            }

            if (delta < 0)
            {
                return _pickup is not null && winner.Shipments.Count == 1 && winner.Shipments[0].LocationId == _pickup.LocationId
                    ? $"cheaper by {Text(-delta)}, but the pickup store's own stock comes first"
                    : $"cheaper by {Text(-delta)}, but needs {shipments} shipments; the profile prefers {winnerShipments} when it costs at most {Text(tolerance)} more";
            }

            return shipments > winnerShipments
                ? $"same cost with {shipments} shipments instead of {winnerShipments}"
                : "same cost; the tie goes to the plan found first (cheaper sites first, then by id)";
        }

        private PlanOption Option(Search? search, int[] set, int rank, string verdict, Digital digital) =>
            Option(set, search is not null && set.Length > 0 ? search.Assign(set)! : new List<(int, int)>[_physical.Count], rank, verdict, digital);

        private PlanOption Option(int[] set, List<(int Position, int Quantity)>[] assignment, int rank, string verdict, Digital digital)
        {
            var lines = new SourcedLine[_physical.Count];
            var units = new int[set.Length];
            for (var i = 0; i < _physical.Count; i++)
            {
                var allocations = new List<SourcedAllocation>();
                foreach (var (position, quantity) in assignment[i] ?? [])
                {
                    var variant = _variants[set[position]];
                    allocations.Add(new SourcedAllocation(variant.Info.LocationId, quantity, variant.By));
                    units[position] += quantity;
                }

                lines[i] = new SourcedLine(_physical[i].Sku, _physical[i].Quantity, true, _physical[i].Bundle, allocations);
            }

            var shipments = new List<Shipment>();
            var total = CostBreakdown.Zero;
            for (var p = 0; p < set.Length; p++)
            {
                if (units[p] == 0)
                {
                    continue;
                }

                var v = _variants[set[p]];
                var cost = new CostBreakdown(Money(v.Shipping), Money(v.Handling + (v.Unit * units[p])), Money(v.Pressure), Money(v.DeliveryCost), 0);
                shipments.Add(new Shipment(v.Info.LocationId, v.Dispatch, v.Delivery, v.By, units[p], cost));
                total = total.Plus(cost);
            }

            var split = Money(Millis(_policy.SplitPenalty) * Math.Max(0, shipments.Count - 1));
            total = total.Plus(new CostBreakdown(0, Money(digital.Handling), 0, 0, split));
            var allLines = new List<SourcedLine>(_order.Lines.Count);
            int physicalAt = 0, digitalAt = 0;
            foreach (var line in _order.Lines)
            {
                allLines.Add(line.Physical ? lines[physicalAt++] : digital.Lines[digitalAt++]);
            }

            return new PlanOption(rank, shipments, allLines, total, verdict);
        }
    }

    /// <summary>Adds units at a position to a line's allocations, to its entry there if it has one (the bundles of one
    /// line placed apart can meet at one site).</summary>
    private static void AddUnits(List<(int Position, int Quantity)> line, int position, int quantity)
    {
        var at = line.FindIndex(entry => entry.Position == position);
        if (at < 0)
        {
            line.Add((position, quantity));
        }
        else
        {
            line[at] = (position, line[at].Quantity + quantity);
        }
    }

    private sealed record Items(int[] Demand, List<(int[] Skus, int[] Quantities, int[] Lines)> Groups, List<(int Sku, int Quantity, int Line)> Singles);

    /// <summary>The branch and bound over sets of variants. Allocation-free in its inner loop.</summary>
    private sealed class Search
    {
        private readonly long[] _fixed;
        private readonly long[] _unit;
        private readonly int[][] _stock;
        private readonly int[] _site;
        private readonly Items _items;
        private readonly long _split;
        private readonly int _budget;
        private readonly int _skus;
        /// <summary>Per group, the whole bundles the chosen sites must hold together to cover it: 1, or for the k-th
        /// of a line's alike bundles k (so the line is covered when the sites hold all of its bundles).</summary>
        private readonly int[] _groupNeed;

        /// <summary>Per site and group, the whole bundles the site holds (at most the group's need).</summary>
        private readonly int[][] _holds;
        private readonly bool[] _improver;
        private readonly long _unitBound;
        private readonly int _requirements;
        private readonly long[] _shareFrom;
        private readonly int[] _mostCovered;
        private readonly ulong[] _contributes;
        private readonly bool _masks;
        private ulong _uncoveredMask;
        private readonly List<(long Cost, int[] Set)> _considered = [];

        private readonly int[] _chosen;
        private readonly bool[] _siteUsed;
        private readonly int[] _sumStock;
        private readonly int[] _groupCover;
        private readonly int[] _remaining;
        private readonly int[] _order;
        private int _depth;
        private long _sumFixed;
        private int _uncoveredSkus;
        private int _uncoveredGroups;

        public Search(long[] @fixed, long[] unit, int[][] stock, int[] site, int sites, Items items, long split, int maxShipments, long tolerance, int budget)
        {
            (_fixed, _unit, _stock, _site, _items, _split, _budget) = (@fixed, unit, stock, site, items, split, budget);
            MaxShipments = maxShipments;
            Tolerance = Math.Max(0, tolerance);
            _skus = items.Demand.Length;
            BestBySize = Enumerable.Repeat(long.MaxValue, maxShipments + 1).ToArray();
            BestSetBySize = new int[]?[maxShipments + 1];
            _chosen = new int[maxShipments];
            _siteUsed = new bool[sites];
            _sumStock = new int[_skus];
            _groupCover = new int[items.Groups.Count];
            _remaining = new int[maxShipments * Math.Max(1, _skus)];
            _order = new int[maxShipments];
            _uncoveredSkus = items.Demand.Count(d => d > 0);
            _uncoveredGroups = items.Groups.Count;

            var k = @fixed.Length;
            _groupNeed = items.Groups.Count == 0 ? [] : new int[items.Groups.Count];
            for (var g = 0; g < items.Groups.Count; g++)
            {
                _groupNeed[g] = g > 0 && ReferenceEquals(items.Groups[g].Quantities, items.Groups[g - 1].Quantities) ? _groupNeed[g - 1] + 1 : 1;
            }

            _holds = new int[k][];
            _placementsMatter = items.Groups.Count > 1 && items.Groups.Select(g => g.Quantities).Distinct(ReferenceEqualityComparer.Instance).Count() > 1;
            _improver = new bool[k];
            var minUnit = k == 0 ? 0 : unit.Min();
            var maxUnit = k == 0 ? 0 : unit.Max();
            _unitBound = minUnit * items.Demand.Sum(d => (long)d);
            for (var v = 0; v < k; v++)
            {
                _holds[v] = items.Groups.Count == 0 ? [] : new int[items.Groups.Count];
                for (var g = 0; g < items.Groups.Count; g++)
                {
                    var whole = int.MaxValue;
                    for (var c = 0; c < items.Groups[g].Skus.Length; c++)
                    {
                        whole = Math.Min(whole, stock[v][items.Groups[g].Skus[c]] / items.Groups[g].Quantities[c]);
                    }

                    _holds[v][g] = Math.Min(whole, _groupNeed[g]);
                }
                long saving = 0;
                for (var s = 0; s < _skus; s++)
                {
                    saving += Math.Min(items.Demand[s], stock[v][s]) * (maxUnit - unit[v]);
                }

                _improver[v] = saving > @fixed[v] + split;
            }

            // Every requirement (a SKU's quantity, a bundle kept together) still uncovered needs some further site, and
            // a site's fixed cost plus split penalty can be shared among at most the requirements it contributes to. So
            // the sum over uncovered requirements of the cheapest such share among the sites still to come bounds the
            // cost of completing a partial plan from below. Suffix minima make it O(requirements) per step.
            _requirements = _skus + items.Groups.Count;
            var counts = new int[k];
            _shareFrom = new long[(k + 1) * _requirements];
            Array.Fill(_shareFrom, long.MaxValue, k * _requirements, _requirements);
            for (var v = k - 1; v >= 0; v--)
            {
                var count = 0;
                for (var r = 0; r < _requirements; r++)
                {
                    count += Contributes(v, r) ? 1 : 0;
                }

                counts[v] = count;
                for (var r = 0; r < _requirements; r++)
                {
                    var next = _shareFrom[((v + 1) * _requirements) + r];
                    _shareFrom[(v * _requirements) + r] = Contributes(v, r) ? Math.Min(next, (@fixed[v] + split) / count) : next;
                }
            }

            // With at most 64 requirements, "does this site help an open requirement" is one AND.
            _masks = _requirements <= 64;
            _contributes = new ulong[k];
            if (_masks)
            {
                for (var v = 0; v < k; v++)
                {
                    for (var r = 0; r < _requirements; r++)
                    {
                        _contributes[v] |= Contributes(v, r) ? 1UL << r : 0;
                    }
                }

                for (var r = 0; r < _requirements; r++)
                {
                    _uncoveredMask |= r >= _skus || items.Demand[r] > 0 ? 1UL << r : 0;
                }
            }

            // _mostCovered[n]: the most requirements any n sites can contribute to (the n largest counts), so a partial
            // plan with more open requirements than its free shipments can reach is dead.
            Array.Sort(counts, (a, b) => b.CompareTo(a));
            _mostCovered = new int[maxShipments + 1];
            for (var n = 1; n <= maxShipments; n++)
            {
                _mostCovered[n] = _mostCovered[n - 1] + (n <= k ? counts[n - 1] : 0);
            }
        }

        private bool Contributes(int v, int requirement) =>
            requirement < _skus ? _items.Demand[requirement] > 0 && _stock[v][requirement] > 0 : _holds[v][requirement - _skus] > 0;

        public int MaxShipments { get; }

        public long Tolerance { get; }

        public long Best { get; private set; } = long.MaxValue;

        public long[] BestBySize { get; }

        public int[]?[] BestSetBySize { get; }

        public int Nodes { get; private set; }

        public bool Aborted { get; private set; }

        public long OpenBound { get; private set; } = long.MaxValue;

        public int[] Demand => _items.Demand;

        public bool HasGroups => _items.Groups.Count > 0;

        public IEnumerable<(long Cost, int[] Set)> Considered => _considered;

        private long Limit => Best == long.MaxValue ? long.MaxValue : Best + Tolerance;

        /// <summary>Evaluates a plan found by a heuristic so it bounds the search.</summary>
        public void Seed(int[] set)
        {
            if (set.Length == 0 || set.Length > MaxShipments)
            {
                return;
            }

            var cost = Evaluate(set);
            if (cost >= 0)
            {
                Record(cost, set);
            }
        }

        public void Run()
        {
            SeedGreedy();
            Dfs(0);
        }

        /// <summary>The cost of the best assignment to exactly these variants, or -1 when they cannot cover the order.</summary>
        public long Evaluate(ReadOnlySpan<int> set) => Assign(set, null);

        /// <summary>The best assignment: per physical line, (position in set, units).</summary>
        public List<(int Position, int Quantity)>[]? Assign(int[] set)
        {
            var lines = _items.Groups.Sum(g => g.Lines.Length) + _items.Singles.Count;
            var result = new List<(int, int)>[lines];
            for (var i = 0; i < lines; i++)
            {
                result[i] = [];
            }

            // A set chosen before may have needed the placement search: it gets a budget of its own here, so it finds
            // that placement again (the search runs the same way) even when the decision's budget is spent.
            var left = _placementSteps;
            _placementSteps = PlacementBudget;
            var cost = Assign(set, result);
            _placementSteps = left;
            return cost >= 0 ? result : null;
        }

        private long Assign(ReadOnlySpan<int> set, List<(int Position, int Quantity)>[]? record)
        {
            var n = set.Length;
            long cost = _split * (n - 1);
            for (var a = 0; a < n; a++)
            {
                cost += _fixed[set[a]];

                // Insertion sort by unit cost; equal costs keep set order (cheaper fixed cost first).
                var at = a;
                while (at > 0 && _unit[set[_order[at - 1]]] > _unit[set[a]])
                {
                    _order[at] = _order[at - 1];
                    at--;
                }

                _order[at] = a;
            }

            // Each bundle at the cheapest location that fits it, in turn, then each line cheapest first.
            Restock(set);
            var units = PlaceGroups(set, null, record);
            units = units < 0 ? -1 : PlaceSingles(set, units, record);
            if (units >= 0 || !_placementsMatter)
            {
                return units < 0 ? -1 : cost + units;
            }

            // A bundle placed first can take what a later bundle, or a line of its own, needed at that location while
            // another location had it: before saying no, try the placements of the bundles (within the search's budget
            // for them), and keep the cheapest that fits.
            var search = new Placements(_items.Groups.Count, n * _skus);
            Restock(set);
            TryPlacements(set, 0, 0, search);
            if (search.Cut)
            {
                // Not every placement was tried: this set may have a plan, costing at least its fixed costs and the
                // cheapest handling of every unit. The search is no longer exact, with that as its bound.
                Aborted = true;
                OpenBound = Math.Min(OpenBound, cost + _unitBound);
            }

            if (search.BestUnits < 0)
            {
                return -1;
            }

            foreach (var line in record ?? [])
            {
                line.Clear();
            }

            Restock(set);
            units = PlaceSingles(set, PlaceGroups(set, search.Best, record), record);
            return cost + units;
        }

        /// <summary>Steps one decision may spend on placements of bundles, over every set it evaluates.</summary>
        private const int PlacementBudget = 20_000;

        private int _placementSteps = PlacementBudget;

        /// <summary>Whether placing bundles another way than cheapest-first can make a set work: only when bundles of
        /// different lines compete. Lines of their own never decide it (they take what is left wherever it is, and what
        /// is left in sum does not depend on where the bundles went), and bundles of one line are alike: cheapest-first
        /// fits them whenever the sites hold enough.</summary>
        private readonly bool _placementsMatter;

        private void Restock(ReadOnlySpan<int> set)
        {
            for (var a = 0; a < set.Length; a++)
            {
                Array.Copy(_stock[set[a]], 0, _remaining, a * _skus, _skus);
            }
        }

        private bool Fits((int[] Skus, int[] Quantities, int[] Lines) group, int a) =>
            Holds(_remaining.AsSpan(a * _skus, _skus), group.Skus, group.Quantities);

        private void Take((int[] Skus, int[] Quantities, int[] Lines) group, int a, int sign)
        {
            for (var c = 0; c < group.Skus.Length; c++)
            {
                _remaining[(a * _skus) + group.Skus[c]] -= sign * group.Quantities[c];
            }
        }

        /// <summary>Places every bundle: at <paramref name="at"/>'s location for it, or (null) at the cheapest that fits.
        /// The bundles' unit cost, or -1 when one does not fit.</summary>
        private long PlaceGroups(ReadOnlySpan<int> set, int[]? at, List<(int Position, int Quantity)>[]? record)
        {
            long units = 0;
            for (var g = 0; g < _items.Groups.Count; g++)
            {
                var group = _items.Groups[g];
                var a = -1;
                if (at is not null)
                {
                    a = at[g];
                }
                else
                {
                    for (var o = 0; o < set.Length && a < 0; o++)
                    {
                        a = Fits(group, _order[o]) ? _order[o] : -1;
                    }
                }

                if (a < 0)
                {
                    return -1;
                }

                Take(group, a, 1);
                for (var c = 0; c < group.Skus.Length; c++)
                {
                    units += _unit[set[a]] * group.Quantities[c];
                    if (record is not null)
                    {
                        AddUnits(record[group.Lines[c]], a, group.Quantities[c]);
                    }
                }
            }

            return units;
        }

        /// <summary>Places every line of its own, cheapest location first, on top of <paramref name="units"/>; -1 when
        /// one cannot be covered.</summary>
        private long PlaceSingles(ReadOnlySpan<int> set, long units, List<(int Position, int Quantity)>[]? record)
        {
            foreach (var (sku, quantity, line) in _items.Singles)
            {
                var missing = quantity;
                for (var o = 0; o < set.Length && missing > 0; o++)
                {
                    var a = _order[o];
                    var take = Math.Min(missing, _remaining[(a * _skus) + sku]);
                    if (take <= 0)
                    {
                        continue;
                    }

                    _remaining[(a * _skus) + sku] -= take;
                    missing -= take;
                    units += _unit[set[a]] * take;
                    record?[line].Add((a, take));
                }

                if (missing > 0)
                {
                    return -1;
                }
            }

            return units;
        }

        /// <summary>Every placement of bundles <paramref name="g"/> onward on what is left, cheapest first and pruned by
        /// the cheapest found so far; the cheapest that leaves the lines of their own coverable goes to
        /// <see cref="Placements.Best"/>. Every step counts against the search's budget for placements.</summary>
        private void TryPlacements(ReadOnlySpan<int> set, int g, long units, Placements search)
        {
            if (--_placementSteps < 0)
            {
                search.Cut = true;
                return;
            }

            if (search.BestUnits >= 0 && units >= search.BestUnits)
            {
                return; // Lines of their own only add to it.
            }

            if (g == _items.Groups.Count)
            {
                _remaining.AsSpan(0, set.Length * _skus).CopyTo(search.Scratch);
                var total = PlaceSingles(set, units, null);
                search.Scratch.AsSpan(0, set.Length * _skus).CopyTo(_remaining);
                if (total >= 0 && (search.BestUnits < 0 || total < search.BestUnits))
                {
                    search.BestUnits = total;
                    search.Placement.CopyTo(search.Best, 0);
                }

                return;
            }

            // Bundles of one line are alike: placed in the order of the sites, so no placement is tried twice.
            var group = _items.Groups[g];
            var alike = g > 0 && ReferenceEquals(group.Quantities, _items.Groups[g - 1].Quantities);
            for (var o = alike ? search.At[g - 1] : 0; o < set.Length && !search.Cut; o++)
            {
                var a = _order[o];
                if (!Fits(group, a))
                {
                    continue;
                }

                Take(group, a, 1);
                (search.Placement[g], search.At[g]) = (a, o);
                var added = 0L;
                for (var c = 0; c < group.Skus.Length; c++)
                {
                    added += _unit[set[a]] * group.Quantities[c];
                }

                TryPlacements(set, g + 1, units + added, search);
                Take(group, a, -1);
            }
        }

        /// <summary>The state of one search for placements of the bundles.</summary>
        private sealed class Placements(int groups, int cells)
        {
            public int[] Placement { get; } = new int[groups];

            public int[] At { get; } = new int[groups];

            public int[] Best { get; } = new int[groups];

            public int[] Scratch { get; } = new int[cells];

            public long BestUnits { get; set; } = -1;

            public bool Cut { get; set; }
        }

        private void Dfs(int start)
        {
            if (++Nodes > _budget)
            {
                Aborted = true;
                OpenBound = Math.Min(OpenBound, _sumFixed + (_split * Math.Max(0, _depth - 1)) + _unitBound);
                return;
            }

            var covered = _uncoveredSkus == 0 && _uncoveredGroups == 0;
            var anyHelps = false;
            if (covered && _depth > 0)
            {
                var cost = Evaluate(_chosen.AsSpan(0, _depth));
                if (cost >= 0)
                {
                    Record(cost, _chosen.AsSpan(0, _depth).ToArray());
                }
                else
                {
                    // Covered in sum but not assignable (bundles sharing a SKU with other lines): any site may help.
                    anyHelps = true;
                }
            }

            if (_depth == MaxShipments)
            {
                return;
            }

            for (var j = start; j < _fixed.Length; j++)
            {
                var bound = _sumFixed + _fixed[j] + (_split * _depth) + _unitBound;
                if (bound > Limit)
                {
                    break;
                }

                if (_siteUsed[_site[j]])
                {
                    continue;
                }

                if (!_improver[j] && !anyHelps && (covered || !Helps(j)))
                {
                    continue;
                }

                if (!anyHelps && CompletionBound(j) is var completion && (completion == long.MaxValue || bound + completion > Limit))
                {
                    continue;
                }

                Push(j);
                Dfs(j + 1);
                Pop(j);
                if (Aborted)
                {
                    if (j + 1 < _fixed.Length)
                    {
                        OpenBound = Math.Min(OpenBound, _sumFixed + _fixed[j + 1] + (_split * _depth) + _unitBound);
                    }

                    return;
                }
            }
        }

        /// <summary>A lower bound on what completing the plan costs after adding <paramref name="j"/>, from the sites
        /// after it; long.MaxValue when they cannot complete it within the shipment limit.</summary>
        private long CompletionBound(int j)
        {
            var stock = _stock[j];
            var shares = _shareFrom.AsSpan((j + 1) * _requirements, _requirements);
            long bound = 0;
            var open = 0;
            for (var s = 0; s < _skus; s++)
            {
                if (_sumStock[s] + stock[s] < _items.Demand[s])
                {
                    if (shares[s] == long.MaxValue)
                    {
                        return long.MaxValue;
                    }

                    bound += shares[s];
                    open++;
                }
            }

            var holds = _holds[j];
            for (var g = 0; g < holds.Length; g++)
            {
                if (_groupCover[g] + holds[g] < _groupNeed[g])
                {
                    if (shares[_skus + g] == long.MaxValue)
                    {
                        return long.MaxValue;
                    }

                    bound += shares[_skus + g];
                    open++;
                }
            }

            var slots = MaxShipments - _depth - 1;
            return open > _mostCovered[slots] ? long.MaxValue : bound;
        }

        private bool Helps(int j)
        {
            if (_masks)
            {
                return (_contributes[j] & _uncoveredMask) != 0;
            }

            var stock = _stock[j];
            for (var s = 0; s < _skus; s++)
            {
                if (stock[s] > 0 && _sumStock[s] < _items.Demand[s])
                {
                    return true;
                }
            }

            var holds = _holds[j];
            for (var g = 0; g < holds.Length; g++)
            {
                if (holds[g] > 0 && _groupCover[g] < _groupNeed[g])
                {
                    return true;
                }
            }

            return false;
        }

        private void Push(int j)
        {
            _chosen[_depth++] = j;
            _sumFixed += _fixed[j];
            _siteUsed[_site[j]] = true;
            var stock = _stock[j];
            for (var s = 0; s < _skus; s++)
            {
                var before = _sumStock[s];
                _sumStock[s] = before + stock[s];
                if (before < _items.Demand[s] && _sumStock[s] >= _items.Demand[s])
                {
                    _uncoveredSkus--;
                    _uncoveredMask &= ~(1UL << s);
                }
            }

            var holds = _holds[j];
            for (var g = 0; g < holds.Length; g++)
            {
                var before = _groupCover[g];
                _groupCover[g] = before + holds[g];
                if (before < _groupNeed[g] && _groupCover[g] >= _groupNeed[g])
                {
                    _uncoveredGroups--;
                    _uncoveredMask &= ~(1UL << (_skus + g));
                }
            }
        }

        private void Pop(int j)
        {
            _depth--;
            _sumFixed -= _fixed[j];
            _siteUsed[_site[j]] = false;
            var stock = _stock[j];
            for (var s = 0; s < _skus; s++)
            {
                var before = _sumStock[s];
                _sumStock[s] = before - stock[s];
                if (before >= _items.Demand[s] && _sumStock[s] < _items.Demand[s])
                {
                    _uncoveredSkus++;
                    _uncoveredMask |= _masks && s < 64 ? 1UL << s : 0;
                }
            }

            var holds = _holds[j];
            for (var g = 0; g < holds.Length; g++)
            {
                var before = _groupCover[g];
                _groupCover[g] = before - holds[g];
                if (before >= _groupNeed[g] && _groupCover[g] < _groupNeed[g])
                {
                    _uncoveredGroups++;
                    _uncoveredMask |= _masks && _skus + g < 64 ? 1UL << (_skus + g) : 0;
                }
            }
        }

        /// <summary>Adds, until covered, the variant with the lowest cost per unit of missing demand it covers.</summary>
        private void SeedGreedy()
        {
            var picked = new List<int>();
            while ((_uncoveredSkus > 0 || _uncoveredGroups > 0) && picked.Count < MaxShipments)
            {
                var (best, bestScore) = (-1, double.MaxValue);
                for (var j = 0; j < _fixed.Length; j++)
                {
                    if (_siteUsed[_site[j]])
                    {
                        continue;
                    }

                    long gain = 0;
                    for (var s = 0; s < _skus; s++)
                    {
                        gain += Math.Min(_stock[j][s], Math.Max(0, _items.Demand[s] - _sumStock[s]));
                    }

                    for (var g = 0; g < _holds[j].Length; g++)
                    {
                        if (_holds[j][g] > 0 && _groupCover[g] < _groupNeed[g])
                        {
                            gain += _items.Groups[g].Quantities.Sum();
                        }
                    }

                    if (gain == 0)
                    {
                        continue;
                    }

                    var score = (double)(_fixed[j] + (_unit[j] * gain) + (picked.Count > 0 ? _split : 0)) / gain;
                    if (score < bestScore)
                    {
                        (best, bestScore) = (j, score);
                    }
                }

                if (best < 0)
                {
                    break;
                }

                Push(best);
                picked.Add(best);
            }

            if (_uncoveredSkus == 0 && _uncoveredGroups == 0)
            {
                var set = picked.Order().ToArray();
                var cost = Evaluate(set);
                if (cost >= 0)
                {
                    Record(cost, set);
                }
            }

            for (var i = picked.Count - 1; i >= 0; i--)
            {
                Pop(picked[i]);
            }
        }

        /// <summary>Lists a plan among those considered without letting it take part in the choice.</summary>
        public void Consider(int[] set)
        {
            var cost = Evaluate(set);
            if (cost >= 0)
            {
                List(cost, set);
            }
        }

        private void Record(long cost, int[] set)
        {
            if (cost < BestBySize[set.Length])
            {
                BestBySize[set.Length] = cost;
                BestSetBySize[set.Length] = set;
            }

            Best = Math.Min(Best, cost);
            List(cost, set);
        }

        private void List(long cost, int[] set)
        {
            foreach (var (_, known) in _considered)
            {
                if (known.AsSpan().SequenceEqual(set))
                {
                    return;
                }
            }

            var at = -1;
            for (var i = 0; i < _considered.Count && at < 0; i++)
            {
                var (known, knownSet) = _considered[i];
                at = known > cost || (known == cost && knownSet.Length > set.Length) ? i : -1;
            }

            if (at < 0 && _considered.Count >= MaxConsidered + MaxShipments)
            {
                return;
            }

            _considered.Insert(at < 0 ? _considered.Count : at, (cost, set));
            if (_considered.Count > MaxConsidered + MaxShipments)
            {
                _considered.RemoveAt(_considered.Count - 1);
            }
        }
    }
}
