using Dom.Domain.Geo;

namespace Dom.Domain.Sourcing;

/// <summary>A line to source.</summary>
public sealed record PlanLine(string Sku, int Quantity);

/// <summary>A location that may ship, with where it is.</summary>
public sealed record PlanLocation(string LocationId, GeoPoint Position);

/// <summary>Units of one SKU available at one location, as far as the planner knows.</summary>
public sealed record PlanStock(string Sku, string LocationId, int Available);

/// <summary>Everything the planner decides from. Pure data: no I/O happens while planning.</summary>
public sealed record PlanInput(
    GeoPoint ShipTo,
    IReadOnlyList<PlanLine> Lines,
    IReadOnlyList<PlanLocation> Locations,
    IReadOnlyList<PlanStock> Stock);

/// <summary>Units of a line taken from one location.</summary>
public sealed record PlannedAllocation(string LocationId, int Quantity);

/// <summary>A line and where its units come from.</summary>
public sealed record PlannedLine(string Sku, int Quantity, IReadOnlyList<PlannedAllocation> Allocations);

/// <summary>A line the known stock cannot cover.</summary>
public sealed record PlanShortage(string Sku, int Requested, int Available);

/// <summary>The planner's answer: a complete plan, or the shortages that make one impossible.</summary>
public sealed record Plan(IReadOnlyList<PlannedLine> Lines, IReadOnlyList<PlanShortage> Shortages)
{
    public bool IsComplete => Shortages.Count == 0;

    /// <summary>The distinct locations the plan ships from.</summary>
    public IEnumerable<string> Locations => Lines.SelectMany(l => l.Allocations).Select(a => a.LocationId).Distinct();
}

/// <summary>
/// The first sourcing strategy: one shipment from the nearest location that has every line, else each line from
/// the nearest location that has all of it, else a line split over the nearest locations. Deterministic: ties
/// break by location id.
/// </summary>
public static class SourcingPlanner
{
    public static Plan Plan(PlanInput input)
    {
        var distance = input.Locations.ToDictionary(l => l.LocationId, l => l.Position.DistanceKmTo(input.ShipTo));
        var stock = input.Stock
            .Where(s => s.Available > 0 && distance.ContainsKey(s.LocationId))
            .GroupBy(s => s.Sku)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => distance[s.LocationId]).ThenBy(s => s.LocationId, StringComparer.Ordinal).ToList());

        var shortages = input.Lines
            .Select(line => new PlanShortage(line.Sku, line.Quantity, stock.GetValueOrDefault(line.Sku)?.Sum(s => s.Available) ?? 0))
            .Where(s => s.Available < s.Requested)
            .ToList();
        if (shortages.Count > 0)
        {
            return new Plan([], shortages);
        }

        var single = input.Locations
            .Where(location => input.Lines.All(line => AvailableAt(stock, line.Sku, location.LocationId) >= line.Quantity))
            .OrderBy(location => distance[location.LocationId])
            .ThenBy(location => location.LocationId, StringComparer.Ordinal)
            .FirstOrDefault();
        if (single is not null)
        {
            return new Plan(
                input.Lines.Select(line => new PlannedLine(line.Sku, line.Quantity, [new PlannedAllocation(single.LocationId, line.Quantity)])).ToList(),
                []);
        }

        return new Plan(input.Lines.Select(line => PlanLine(line, stock[line.Sku])).ToList(), []);
    }

    private static PlannedLine PlanLine(PlanLine line, List<PlanStock> nearestFirst)
    {
        var whole = nearestFirst.FirstOrDefault(s => s.Available >= line.Quantity);
        if (whole is not null)
        {
            return new PlannedLine(line.Sku, line.Quantity, [new PlannedAllocation(whole.LocationId, line.Quantity)]);
        }

        var allocations = new List<PlannedAllocation>();
        var missing = line.Quantity;
        foreach (var candidate in nearestFirst)
        {
            var take = Math.Min(missing, candidate.Available);
            allocations.Add(new PlannedAllocation(candidate.LocationId, take));
            missing -= take;
            if (missing == 0)
            {
                break;
            }
        }

        return new PlannedLine(line.Sku, line.Quantity, allocations);
    }

    private static int AvailableAt(Dictionary<string, List<PlanStock>> stock, string sku, string locationId) =>
        stock.TryGetValue(sku, out var candidates)
            ? candidates.FirstOrDefault(s => s.LocationId == locationId)?.Available ?? 0
            : 0;
}
