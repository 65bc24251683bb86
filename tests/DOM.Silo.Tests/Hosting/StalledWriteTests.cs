using System.Net;
using System.Net.Http.Json;
using Dom.Grains.Journal;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dom.Silo.Tests.Hosting;

/// <summary>
/// A reservation whose write does not finish (a stalled journal) is answered within <c>Silo:ResponseTimeoutSeconds</c>
/// as a 503, like any grain call that takes too long: nothing is acknowledged, and the client's retry with the same id
/// gets the answer that stands once the write finishes.
/// </summary>
public class StalledWriteTests
{
    [Fact]
    public async Task A_reservation_whose_write_stalls_is_a_503_in_the_response_timeout_and_its_retry_gets_the_answer_that_stands()
    {
        var journal = new Stalls(new MemoryJournal(), "reservation/");
        await using var host = await SiloHost.StartAsync(
            "Development",
            new Dictionary<string, string> { ["Silo:ResponseTimeoutSeconds"] = "1" },
            configure: builder => builder.Services.Replace(ServiceDescriptor.Singleton<IGrainJournal>(journal)));
        var catalog = new Catalog(host);
        var (sku, location, id) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1), catalog.Id("r"));
        await catalog.StockAsync(sku, location, 10);
        var channel = host.Client("dev-channel-webshop-key");
        journal.Arm();

        using var stalled = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stalled.StatusCode);
        Assert.Equal("application/problem+json", stalled.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(stalled.Headers.RetryAfter);

        await journal.ReleaseAsync();
        using var retry = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        var slot = await host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);

        // The stalled attempt's record landed once released; the retry is answered from it and holds nothing more.
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((3, 7), (slot!.Held, slot.Available));
    }

    /// <summary>Holds the next entry of a matching stream back until released, then stores it.</summary>
    private sealed class Stalls(IGrainJournal inner, string streamPrefix) : IGrainJournal
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public void Arm() => Interlocked.Exchange(ref _armed, 1);

        /// <summary>Lets the held entry through and waits until it is stored.</summary>
        public Task ReleaseAsync()
        {
            _release.SetResult();
            return _stored.Task;
        }

        public async Task AppendAsync(JournalEntry entry)
        {
            if (entry.Stream.StartsWith(streamPrefix, StringComparison.Ordinal) && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                await _release.Task;
                await inner.AppendAsync(entry);
                _stored.SetResult();
                return;
            }

            await inner.AppendAsync(entry);
        }

        public void Reopen(string stream) => inner.Reopen(stream);

        public Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default) => inner.LoadAsync(stream, cancellationToken);

        public Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default) =>
            inner.SaveSnapshotAsync(stream, sequence, snapshot, cancellationToken);
    }
}
