using System.Net;
using System.Net.Http.Json;
using Dom.Grains.Journal;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;

namespace Dom.Silo.Tests.Hosting;

/// <summary>
/// A write whose commit reached the database but whose answer was lost (a connection cut, a command timeout after the
/// commit) is ambiguous: the caller sees a failure although the event is stored. So is a write that stalls past the
/// response timeout and lands later. Invariant 3 needs the engine to stay consistent either way.
/// </summary>
public class AmbiguousWriteTests
{
    [Fact]
    public async Task A_reservation_whose_write_landed_but_reported_failure_is_answered_from_its_record_and_held_once()
    {
        var journal = new LandsThenFails(new MemoryJournal(), "reservation/");
        var (host, slot, id, channel) = await StartAsync(journal);
        await using var _ = host;
        journal.Arm();

        using var first = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (slot.Sku, 3)), SiloHost.Json);
        using var retry = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (slot.Sku, 3)), SiloHost.Json);
        var stock = await host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{slot.LocationId}/{slot.Sku}", SiloHost.Json);

        // The desk reads the stream back: the record is its own, so the answer stands and nothing is given back.
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((3, 7), (stock!.Held, stock.Available));
    }

    [Fact]
    public async Task A_reservation_whose_write_stalls_is_a_503_in_the_response_timeout_and_its_retry_gets_the_answer_that_stands()
    {
        // The silo's clock is fake, so the response timeout passes when the test says, not when a loaded machine
        // happens to be slow (with a real 1 s timeout, the silo's own start-up calls timed out under the suite's load).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var journal = new Stalls(new MemoryJournal(), "reservation/");
        var (host, slot, id, channel) = await StartAsync(journal, time);
        await using var _ = host;
        var timeout = host.Services.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ResponseTimeout;
        journal.Arm();

        var call = channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (slot.Sku, 3)), SiloHost.Json);
        await journal.Reached;
        Assert.False(call.IsCompleted);
        time.Advance(timeout);
        using var stalled = await call.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stalled.StatusCode);
        Assert.Equal("application/problem+json", stalled.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(stalled.Headers.RetryAfter);

        await journal.ReleaseAsync();
        using var retry = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (slot.Sku, 3)), SiloHost.Json);
        var stock = await host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{slot.LocationId}/{slot.Sku}", SiloHost.Json);

        // The stalled attempt's record landed once released; the retry is answered from it and holds nothing more.
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((3, 7), (stock!.Held, stock.Available));
    }

    /// <summary>A silo on <paramref name="journal"/> with one article stocked 10 at one location, a fresh reservation
    /// id and the demo channel's client.</summary>
    private static async Task<(SiloHost Host, StockSlotKey Slot, string ReservationId, HttpClient Channel)> StartAsync(
        IGrainJournal journal, TimeProvider? time = null)
    {
        var host = await SiloHost.StartAsync("Development", businessTime: time, configure: builder =>
            builder.Services.Replace(ServiceDescriptor.Singleton(journal)));
        var catalog = new Catalog(host);
        var (sku, location) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1));
        await catalog.StockAsync(sku, location, 10);
        return (host, new StockSlotKey(sku, location), catalog.Id("r"), host.Client("dev-channel-webshop-key"));
    }

    /// <summary>A journal that hands the next entry of a matching stream, once armed, to <see cref="AppendArmedAsync"/>
    /// and everything else to <paramref name="inner"/>.</summary>
    private abstract class ArmedJournal(IGrainJournal inner, string streamPrefix) : IGrainJournal
    {
        private int _armed;

        protected IGrainJournal Inner => inner;

        public void Arm() => Interlocked.Exchange(ref _armed, 1);

        public Task AppendAsync(JournalEntry entry) =>
            entry.Stream.StartsWith(streamPrefix, StringComparison.Ordinal) && Interlocked.Exchange(ref _armed, 0) == 1
                ? AppendArmedAsync(entry)
                : inner.AppendAsync(entry);

        protected abstract Task AppendArmedAsync(JournalEntry entry);

        public void Reopen(string stream) => inner.Reopen(stream);

        public Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default) => inner.LoadAsync(stream, cancellationToken);

        public Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default) =>
            inner.SaveSnapshotAsync(stream, sequence, snapshot, cancellationToken);
    }

    /// <summary>Stores the armed entry, then reports it failed.</summary>
    private sealed class LandsThenFails(IGrainJournal inner, string streamPrefix) : ArmedJournal(inner, streamPrefix)
    {
        protected override async Task AppendArmedAsync(JournalEntry entry)
        {
            await Inner.AppendAsync(entry);
            throw new StorageUnavailableException();
        }
    }

    /// <summary>Holds the armed entry back until released, then stores it.</summary>
    private sealed class Stalls(IGrainJournal inner, string streamPrefix) : ArmedJournal(inner, streamPrefix)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the armed entry has arrived and is being held back.</summary>
        public Task Reached => _reached.Task;

        /// <summary>Lets the held entry through and waits until it is stored.</summary>
        public Task ReleaseAsync()
        {
            _release.SetResult();
            return _stored.Task;
        }

        protected override async Task AppendArmedAsync(JournalEntry entry)
        {
            _reached.SetResult();
            await _release.Task;
            await Inner.AppendAsync(entry);
            _stored.SetResult();
        }
    }
}
