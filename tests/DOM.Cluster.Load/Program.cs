using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Dom.Cluster.Tests.Infrastructure;

// A reservation load against running silos, e.g. a cluster from deploy/local-cluster.sh:
//   dotnet run -c Release --project tests/DOM.Cluster.Load -- --urls http://127.0.0.1:8081,http://127.0.0.1:8082 \
//     --operator-key "$(cat /tmp/dom-local-cluster/operator-key)" [--workers 8] [--warmup 5] [--seconds 20]
// It creates its own location and articles (one hot article in every reservation, a cold one in every third),
// runs the same workers as the cluster tests (retry with the same id on 503 or a refused connection) and prints
// acknowledged reservations per second and call latency over the measured window.
var options = Arguments(args);
var urls = options["urls"].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => new Uri(u)).ToList();
var workers = int.Parse(options.GetValueOrDefault("workers", "8"), CultureInfo.InvariantCulture);
var warmup = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("warmup", "5"), CultureInfo.InvariantCulture));
var measured = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("seconds", "20"), CultureInfo.InvariantCulture));

var prefix = Guid.NewGuid().ToString("N")[..8];
var (location, hot) = ($"wh-{prefix}", $"hot-{prefix}");
string[] cold = [$"cold1-{prefix}", $"cold2-{prefix}", $"cold3-{prefix}"];
using var admin = new HttpClient { BaseAddress = urls[0] };
admin.DefaultRequestHeaders.Add("X-Api-Key", options["operator-key"]);
await PutAsync($"/api/v1/locations/{location}", new { name = "Load", type = "warehouse", latitude = 51.31, longitude = 9.48, capacityPerDay = 100_000, country = "DE" });
foreach (var sku in cold.Prepend(hot))
{
    await PutAsync($"/api/v1/articles/{sku}", new { name = sku });
    await PutAsync($"/api/v1/stock/{location}/{sku}", new { onHand = 1_000_000, safetyStock = 0 });
}

using var issued = await admin.PostAsJsonAsync("/api/v1/api-keys", new { role = "channel", scope = $"load-{prefix}" });
issued.EnsureSuccessStatusCode();
var channelKey = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

Console.WriteLine($"{urls.Count} silo(s), {workers} workers, {warmup.TotalSeconds} s warm-up, {measured.TotalSeconds} s measured");
await using var load = new ReservationLoad(urls, channelKey, workers, n => n % 3 == 0 ? [(hot, 1), (cold[n / 3 % 3], 1)] : [(hot, 1)]);
await Task.Delay(warmup);
var from = load.Now;
await Task.Delay(measured);
var to = load.Now;
await load.StopAsync(TimeSpan.FromSeconds(60));

var window = load.Attempts.Where(a => a.StartedAt >= from && a.StartedAt < to).ToList();
var latencies = window.Select(a => a.Latency.TotalMilliseconds).Order().ToList();
var created = load.Reservations.Count(r => r.Final == AttemptKind.Created && r.Finished >= from && r.Finished < to);
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"{created / (to - from).TotalSeconds:F0} reservations/s; call latency p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms, max {latencies.DefaultIfEmpty().Max():F0} ms; attempts: {string.Join(", ", window.GroupBy(a => a.Kind).Select(g => $"{g.Key} {g.Count()}"))}"));
return 0;

double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];

async Task PutAsync(string path, object body)
{
    using var response = await admin.PutAsJsonAsync(path, body);
    response.EnsureSuccessStatusCode();
}

static Dictionary<string, string> Arguments(string[] args)
{
    var values = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        values[args[i].TrimStart('-')] = args[i + 1];
    }

    if (!values.ContainsKey("urls") || !values.ContainsKey("operator-key"))
    {
        Console.Error.WriteLine("usage: DOM.Cluster.Load --urls URL[,URL...] --operator-key KEY [--workers 8] [--warmup 5] [--seconds 20]");
        Environment.Exit(2);
    }

    return values;
}
