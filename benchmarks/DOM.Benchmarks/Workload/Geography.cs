using System.Globalization;
using Dom.Domain.Geo;

namespace Dom.Benchmarks.Workload;

/// <summary>A location the benchmark stocks: an olist seller or a generated warehouse.</summary>
internal sealed record Site(string Id, string Name, double Latitude, double Longitude);

/// <summary>Where the locations are and where the customers live. From the olist data set (sellers and customers by
/// zip prefix, with the prefix's coordinates) when it is there, else generated around Germany from the seed.</summary>
internal sealed class Geography
{
    private const int CustomerCount = 4_096;

    private Geography(string source, string country, IReadOnlyList<Site> locations, IReadOnlyList<GeoPoint> customers)
    {
        Source = source;
        Country = country;
        Locations = locations;
        Customers = customers;

        // Both the baseline and the engine ship from the nearest location with stock: the baseline needs the order.
        NearestFirst = customers
            .Select(customer => locations
                .Select((site, index) => (Index: index, Km: new GeoPoint(site.Latitude, site.Longitude).DistanceKmTo(customer)))
                .OrderBy(x => x.Km).ThenBy(x => locations[x.Index].Id, StringComparer.Ordinal)
                .Select(x => x.Index)
                .ToArray())
            .ToArray();
        NearestFirstIds = NearestFirst.Select(order => order.Select(i => locations[i].Id).ToArray()).ToArray();
    }

    public string Source { get; }

    public string Country { get; }

    public IReadOnlyList<Site> Locations { get; }

    public IReadOnlyList<GeoPoint> Customers { get; }

    /// <summary>Per customer: location indexes, nearest first.</summary>
    public int[][] NearestFirst { get; }

    /// <summary>Per customer: location ids, nearest first.</summary>
    public string[][] NearestFirstIds { get; }

    public static Geography Load(string? olistDirectory, int locations, int seed) =>
        olistDirectory is not null && TryOlist(olistDirectory, locations) is { } olist ? olist : Generated(locations, seed);

    private static Geography? TryOlist(string directory, int locationCount)
    {
        var geo = Path.Combine(directory, "olist_geolocation_by_zip_prefix.csv");
        var sellers = Path.Combine(directory, "olist_sellers_dataset.csv");
        var customers = Path.Combine(directory, "olist_customers_dataset.csv");
        if (!File.Exists(geo) || !File.Exists(sellers) || !File.Exists(customers))
        {
            return null;
        }

        var byPrefix = new Dictionary<string, GeoPoint>(StringComparer.Ordinal);
        foreach (var row in Rows(geo))
        {
            if (row.Length >= 3 && TryDouble(row[1], out var lat) && TryDouble(row[2], out var lon) && GeoPoint.IsValid(lat, lon))
            {
                byPrefix[Prefix(row[0])] = new GeoPoint(lat, lon);
            }
        }

        // One seller per city, taken round-robin over the states (largest first), so the locations spread over the
        // country the way the marketplace's sellers do; the file order makes it deterministic.
        var candidates = Rows(sellers)
            .Where(row => row.Length >= 4 && byPrefix.ContainsKey(Prefix(row[1])))
            .Select(row => (City: row[2].Trim(), State: row[3].Trim(), Point: byPrefix[Prefix(row[1])]))
            .DistinctBy(s => (s.City, s.State))
            .GroupBy(s => s.State)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Queue<(string City, string State, GeoPoint Point)>(g))
            .ToList();
        var picked = new List<Site>();
        while (picked.Count < locationCount && candidates.Any(q => q.Count > 0))
        {
            foreach (var queue in candidates.Where(q => q.Count > 0))
            {
                if (picked.Count == locationCount)
                {
                    break;
                }

                var (city, state, point) = queue.Dequeue();
                picked.Add(new Site($"loc-{picked.Count + 1:D2}", $"{city}/{state}", point.Latitude, point.Longitude));
            }
        }

        var shipTo = Rows(customers)
            .Where(row => row.Length >= 2 && byPrefix.ContainsKey(Prefix(row[1])))
            .Take(CustomerCount)
            .Select(row => byPrefix[Prefix(row[1])])
            .ToList();
        return picked.Count == locationCount && shipTo.Count > 0
            ? new Geography($"olist (sellers and customers by zip prefix, {directory})", "BR", picked, shipTo)
            : null;
    }

    private static Geography Generated(int locationCount, int seed)
    {
        var random = new Random(seed);
        GeoPoint InGermany() => new(47.5 + (random.NextDouble() * 7), 6.5 + (random.NextDouble() * 8));
        var locations = Enumerable.Range(1, locationCount)
            .Select(i => InGermany() is var p ? new Site($"loc-{i:D2}", $"Generated {i}", p.Latitude, p.Longitude) : null!)
            .ToList();
        var customers = Enumerable.Range(0, CustomerCount).Select(_ => InGermany()).ToList();
        return new Geography("generated (no olist data found)", "DE", locations, customers);
    }

    private static IEnumerable<string[]> Rows(string path) =>
        File.ReadLines(path).Skip(1).Where(line => line.Length > 0).Select(line => line.Split(','));

    private static string Prefix(string zip) => zip.Trim().TrimStart('0');

    private static bool TryDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
