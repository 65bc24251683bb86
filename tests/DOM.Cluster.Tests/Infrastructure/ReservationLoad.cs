using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dom.Cluster.Tests.Infrastructure;

/// <summary>How one HTTP attempt ended.</summary>
public enum AttemptKind
{
    Created,
    Refused,
    Unavailable,
    Transport,
    Unexpected,
}

/// <summary>One HTTP attempt of a reservation.</summary>
public sealed record Attempt(string ReservationId, Uri Endpoint, TimeSpan StartedAt, TimeSpan Latency, AttemptKind Kind, int? Status);

/// <summary>One reservation, from its first attempt to its final answer (or none).</summary>
public sealed class ReservationRecord(string id, IReadOnlyList<(string Sku, int Quantity)> lines)
{
    public string Id { get; } = id;

    public IReadOnlyList<(string Sku, int Quantity)> Lines { get; } = lines;

    public AttemptKind? Final { get; set; }

    /// <summary>Where each line's units are held, from the 201: (sku, location, quantity).</summary>
    public List<(string Sku, string LocationId, int Quantity)> Allocations { get; } = [];

    public int Attempts { get; set; }

    public TimeSpan Started { get; set; }

    public TimeSpan Finished { get; set; }

    public string? UnexpectedBody { get; set; }
}

/// <summary>
/// A stream of reservations over HTTP from a fixed number of workers, the way a checkout behind a load balancer
/// behaves: each worker sends one reservation at a time to the next silo; a 503, a refused connection or a timeout is
/// retried with the same reservation id and body on another silo, until a final answer (201 or 409). Every attempt
/// is recorded with its latency, so tests can assert on the worst call and on what was acknowledged.
/// </summary>
public sealed class ReservationLoad : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly Func<int, (string Sku, int Quantity)[]> _lines;
    private readonly List<Uri> _endpoints;
    private readonly object _endpointsLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task[] _workers;
    private readonly string _prefix = Guid.NewGuid().ToString("N")[..8];
    private int _sequence;

    /// <param name="endpoints">The silos' HTTP addresses.</param>
    /// <param name="channelKey">A channel's API key.</param>
    /// <param name="workers">Concurrent reservations in flight (keep it small: the machine has 2 cores).</param>
    /// <param name="lines">The lines of the n-th reservation.</param>
    public ReservationLoad(IEnumerable<Uri> endpoints, string channelKey, int workers, Func<int, (string Sku, int Quantity)[]> lines)
    {
        _endpoints = [.. endpoints];
        _lines = lines;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        })
        {
            // Above the silos' response timeout (5 s), so the silo's own behaviour is what gets measured.
            Timeout = TimeSpan.FromSeconds(15),
        };
        _http.DefaultRequestHeaders.Add("X-Api-Key", channelKey);
        _workers = Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w))).ToArray();
    }

    public ConcurrentQueue<Attempt> Attempts { get; } = new();

    public ConcurrentQueue<ReservationRecord> Reservations { get; } = new();

    /// <summary>Time since the load started (the time base of every record).</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>A load balancer learning of a new silo.</summary>
    public void AddEndpoint(Uri endpoint)
    {
        lock (_endpointsLock)
        {
            _endpoints.Add(endpoint);
        }
    }

    /// <summary>A load balancer forgetting a silo (as Kubernetes does once a pod is terminating).</summary>
    public void RemoveEndpoint(Uri endpoint)
    {
        lock (_endpointsLock)
        {
            _endpoints.Remove(endpoint);
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> reservations were acknowledged after <paramref name="since"/>.</summary>
    public Task WaitForCreatedAsync(int count, TimeSpan since, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(Reservations.Count(r => r.Final == AttemptKind.Created && r.Finished >= since) >= count), timeout, $"{count} reservations acknowledged");

    /// <summary>Stops starting new reservations and waits until every started one has its final answer.</summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers).WaitAsync(drainTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_workers).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Left to finish on their own: the test failed already.
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private async Task WorkAsync(int worker)
    {
        var attempt = worker;
        while (!_stop.IsCancellationRequested)
        {
            var n = Interlocked.Increment(ref _sequence);
            var record = new ReservationRecord($"load-{_prefix}-{n}", _lines(n)) { Started = Now };
            Reservations.Enqueue(record);
            var body = new
            {
                reservationId = record.Id,
                ttlSeconds = 3600,
                shipTo = new { country = "DE", latitude = 52.52, longitude = 13.405 },
                lines = record.Lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }),
            };

            // Once started, a reservation is retried until it has a final answer, even while stopping: otherwise a
            // hold could exist that nobody knows about.
            while (record.Final is null)
            {
                record.Attempts++;
                var endpoint = Endpoint(attempt++);
                var started = Now;
                var (kind, status, content) = await SendAsync(endpoint, body);
                Attempts.Enqueue(new Attempt(record.Id, endpoint, started, Now - started, kind, status));
                switch (kind)
                {
                    case AttemptKind.Created:
                        record.Allocations.AddRange(Allocations(content!));
                        record.Final = kind;
                        break;
                    case AttemptKind.Refused:
                        record.Final = kind;
                        break;
                    case AttemptKind.Unexpected:
                        record.UnexpectedBody = $"{status}: {content}";
                        record.Final = kind;
                        break;
                    default:
                        // A client's back-off between retries, not a wait for an event.
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * record.Attempts, 500)));
                        break;
                }
            }

            record.Finished = Now;
        }
    }

    private Uri Endpoint(int n)
    {
        lock (_endpointsLock)
        {
            return _endpoints[n % _endpoints.Count];
        }
    }

    private async Task<(AttemptKind Kind, int? Status, string? Content)> SendAsync(Uri endpoint, object body)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync(new Uri(endpoint, "/api/v1/reservations"), body);
            var content = await response.Content.ReadAsStringAsync();
            var kind = response.StatusCode switch
            {
                HttpStatusCode.Created => AttemptKind.Created,
                HttpStatusCode.Conflict when content.Contains("\"shortages\"", StringComparison.Ordinal) => AttemptKind.Refused,
                HttpStatusCode.ServiceUnavailable => AttemptKind.Unavailable,
                _ => AttemptKind.Unexpected,
            };
            return (kind, (int)response.StatusCode, content);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
        {
            return (AttemptKind.Transport, null, exception.Message);
        }
    }

    private static IEnumerable<(string, string, int)> Allocations(string content)
    {
        using var json = JsonDocument.Parse(content);
        foreach (var line in json.RootElement.GetProperty("lines").EnumerateArray())
        {
            var sku = line.GetProperty("sku").GetString()!;
            foreach (var allocation in line.GetProperty("allocations").EnumerateArray())
            {
                yield return (sku, allocation.GetProperty("locationId").GetString()!, allocation.GetProperty("quantity").GetInt32());
            }
        }
    }
}
