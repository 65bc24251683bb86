using System.Net;
using System.Net.Http.Json;
using Dom.Grains.Journal;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dom.Silo.Tests.Hosting;

/// <summary>
/// A write whose commit reached the database but whose answer was lost (a connection cut, a command timeout after the
/// commit) is ambiguous: the caller sees a failure although the event is stored. Invariant 3 needs the engine to stay
/// consistent either way.
/// </summary>
public class AmbiguousWriteTests
{
    [Fact]
    public async Task A_reservation_whose_write_landed_but_reported_failure_is_answered_from_its_record_and_held_once()
    {
        var journal = new LandsThenFails(new MemoryJournal(), "reservation/");
        await using var host = await SiloHost.StartAsync("Development", configure: builder =>
            builder.Services.Replace(ServiceDescriptor.Singleton<IGrainJournal>(journal)));
        var catalog = new Catalog(host);
        var (sku, location, id) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1), catalog.Id("r"));
        await catalog.StockAsync(sku, location, 10);
        var channel = host.Client("dev-channel-webshop-key");
        journal.Arm();

        using var first = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        using var retry = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        var slot = await host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);

        // The desk reads the stream back: the record is its own, so the answer stands and nothing is given back.
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal((3, 7), (slot!.Held, slot.Available));
    }

    /// <summary>Stores the next entry of a matching stream, then reports it failed.</summary>
    private sealed class LandsThenFails(IGrainJournal inner, string streamPrefix) : IGrainJournal
    {
        private int _armed;

        public void Arm() => Interlocked.Exchange(ref _armed, 1);

        public async Task AppendAsync(JournalEntry entry)
        {
            await inner.AppendAsync(entry);
            if (entry.Stream.StartsWith(streamPrefix, StringComparison.Ordinal) && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                throw new StorageUnavailableException();
            }
        }

        public void Reopen(string stream) => inner.Reopen(stream);

        public Task<JournalLoad> LoadAsync(string stream, CancellationToken cancellationToken = default) => inner.LoadAsync(stream, cancellationToken);

        public Task SaveSnapshotAsync(string stream, long sequence, byte[] snapshot, CancellationToken cancellationToken = default) =>
            inner.SaveSnapshotAsync(stream, sequence, snapshot, cancellationToken);
    }
}
