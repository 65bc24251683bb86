using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dom.Cluster.Tests.Infrastructure;

/// <summary>
/// Fresh master data for one test: one location, one hot article every reservation takes (a flash sale) and a few
/// cold ones some reservations add, all stocked through the API; and the checks that the cluster kept its promises.
/// </summary>
public sealed class StockWorld
{
    public const int HotOnHand = 100_000;
    public const int HotSafety = 5;
    public const int ColdOnHand = 5_000;
    public const int ColdSafety = 2;

    private readonly string _prefix = Guid.NewGuid().ToString("N")[..8];

    private StockWorld()
    {
        Location = $"wh-{_prefix}";
        Hot = $"hot-{_prefix}";
        Cold = [.. Enumerable.Range(1, 3).Select(i => $"cold{i}-{_prefix}")];
    }

    public string Location { get; }

    public string Hot { get; }

    public IReadOnlyList<string> Cold { get; }

    public string ChannelKey { get; private set; } = "";

    public IEnumerable<string> Skus => Cold.Prepend(Hot);

    public static async Task<StockWorld> CreateAsync(SiloCluster cluster)
    {
        var world = new StockWorld();
        using var client = cluster.Operator();
        await PutAsync(client, $"/api/v1/locations/{world.Location}", new { name = "Kassel", type = "warehouse", latitude = 51.31, longitude = 9.48, capacityPerDay = 100_000, country = "DE" });
        foreach (var sku in world.Skus)
        {
            await PutAsync(client, $"/api/v1/articles/{sku}", new { name = sku });
            var (onHand, safety) = sku == world.Hot ? (HotOnHand, HotSafety) : (ColdOnHand, ColdSafety);
            await PutAsync(client, $"/api/v1/stock/{world.Location}/{sku}", new { onHand, safetyStock = safety });
        }

        world.ChannelKey = await cluster.ChannelKeyAsync($"web-{world._prefix}");
        return world;
    }

    /// <summary>The lines of the n-th reservation: 1 or 2 of the hot article, and every third one a cold article too.</summary>
    public (string Sku, int Quantity)[] Lines(int n) =>
        n % 3 == 0 ? [(Hot, n % 2 + 1), (Cold[n / 3 % Cold.Count], 1)] : [(Hot, n % 2 + 1)];

    /// <summary>
    /// What must hold after any failure: every reservation got a final answer and none was answered with an error
    /// that is not a 503; per slot, held + available = onHand − safety; held ≥ the acknowledged units (no acknowledged
    /// hold lost), and anything held beyond them is at most what the failed attempts asked for: an attempt cut short by
    /// the crash or the outage may leave its holds, which lapse at their TTL (design §2, invariant 5). A retry holds
    /// under its own attempt id, so it neither adopts nor gives back another attempt's holds. Every acknowledged
    /// reservation reads back as held where it was held.
    /// </summary>
    public async Task AssertInvariantsAsync(SiloCluster cluster, ReservationLoad load)
    {
        var reservations = load.Reservations.ToList();
        var unexpected = reservations.Where(r => r.Final is AttemptKind.Unexpected).ToList();
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} reservations were answered with an error: {string.Join("; ", unexpected.Take(5).Select(r => $"{r.Id} {r.UnexpectedBody}"))}");
        Assert.All(reservations, r => Assert.NotNull(r.Final));
        var acknowledged = reservations.Where(r => r.Final == AttemptKind.Created).ToList();
        Assert.Equal(reservations.Count, acknowledged.Count);

        using var client = cluster.Operator();
        foreach (var sku in Skus)
        {
            var slot = await client.GetFromJsonAsync<JsonElement>($"/api/v1/stock/{Location}/{sku}");
            var (onHand, safety, held, available) = (Int(slot, "onHand"), Int(slot, "safetyStock"), Int(slot, "held"), Int(slot, "available"));
            var promised = acknowledged.SelectMany(r => r.Allocations).Where(a => a.Sku == sku && a.LocationId == Location).Sum(a => a.Quantity);
            Assert.True(held + Int(slot, "allocated") + available == onHand - safety, $"{sku}: held {held} + available {available} ≠ onHand {onHand} − safety {safety}");
            var failedAttempts = reservations.Sum(r => (r.Attempts - 1) * r.Lines.Where(l => l.Sku == sku).Sum(l => l.Quantity));
            Assert.True(held >= promised, $"{sku}: {held} units held but {promised} acknowledged (acknowledged holds lost)");
            Assert.True(held - promised <= failedAttempts, $"{sku}: {held - promised} units held beyond the {promised} acknowledged, more than the {failedAttempts} units the failed attempts asked for");
        }

        using var channel = cluster.Client(ChannelKey);
        using var gate = new SemaphoreSlim(8);
        var wrong = new List<string>();
        await Task.WhenAll(acknowledged.Select(async reservation =>
        {
            await gate.WaitAsync();
            try
            {
                var view = await channel.GetFromJsonAsync<JsonElement>($"/api/v1/reservations/{reservation.Id}");
                var status = view.GetProperty("status").GetString();
                var units = view.GetProperty("lines").EnumerateArray().Sum(l => l.GetProperty("allocations").EnumerateArray().Sum(a => Int(a, "quantity")));
                if (status != "held" || units != reservation.Allocations.Sum(a => a.Quantity))
                {
                    lock (wrong)
                    {
                        wrong.Add($"{reservation.Id}: {status}, {units} units");
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.True(wrong.Count == 0, $"acknowledged reservations that do not read back as held: {string.Join("; ", wrong.Take(5))}");
    }

    /// <summary>A one-paragraph account of a load run, for the test output.</summary>
    public static string Summary(ReservationLoad load, TimeSpan? from = null, TimeSpan? to = null)
    {
        var attempts = load.Attempts.ToList();
        var reservations = load.Reservations.Where(r => r.Final is not null).ToList();
        var latencies = attempts.Select(a => a.Latency.TotalMilliseconds).Order().ToList();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{reservations.Count} reservations, {attempts.Count} attempts ");
        text.Append('(').Append(string.Join(", ", attempts.GroupBy(a => a.Kind).Select(g => $"{g.Key} {g.Count()}"))).Append("); ");
        if (latencies.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"call latency p50 {Percentile(latencies, 0.5):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F0} ms; ");
        }

        if (reservations.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"worst reservation end to end {reservations.Max(r => (r.Finished - r.Started).TotalMilliseconds):F0} ms over {reservations.Max(r => r.Attempts)} attempts");
        }

        if (from is { } start && to is { } end && end > start)
        {
            var done = reservations.Count(r => r.Final == AttemptKind.Created && r.Finished >= start && r.Finished < end);
            text.Append(CultureInfo.InvariantCulture, $"; {done / (end - start).TotalSeconds:F0} reservations/s between {start.TotalSeconds:F1} s and {end.TotalSeconds:F1} s");
        }

        return text.ToString();
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static int Int(JsonElement element, string name) => element.GetProperty(name).GetInt32();

    private static async Task PutAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PutAsJsonAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
