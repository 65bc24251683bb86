using System.Net;
using System.Net.Http.Json;
using Dom.Grains.Hosting;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Dom.Silo.Tests.Hosting;

/// <summary>
/// A write whose commit reached the database but whose answer was lost (a connection cut, a command timeout after the
/// commit) is ambiguous: the caller sees a failure although the state is stored. Invariant 3 needs the engine to stay
/// consistent either way.
/// </summary>
public class AmbiguousWriteTests
{
    [Fact(Skip = "Known bug, left for the persistence rewrite of ReservationGrain: when the reservation's own write fails, CreateAsync releases the holds (ReleaseQuietlyAsync) although the write may have landed; the client's retry then replays a held reservation whose units are back on the shelf (the retry answers 201, the slot holds 0). Un-skip with the fix.")]
    public async Task A_reservation_whose_write_landed_but_reported_failure_keeps_its_holds_for_the_retry()
    {
        LandsThenFails.Remaining = 1;
        await using var host = await SiloHost.StartAsync("Development", configure: builder =>
        {
            var memory = builder.Services.Last(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, DomStorage.Name));
            builder.Services.Remove(memory);
            builder.Services.AddKeyedSingleton<IGrainStorage>(DomStorage.Name, (services, key) => new LandsThenFails((IGrainStorage)memory.KeyedImplementationFactory!(services, key)));
        });
        var catalog = new Catalog(host);
        var (sku, location, id) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1), catalog.Id("r"));
        await catalog.StockAsync(sku, location, 10);
        var channel = host.Client("dev-channel-webshop-key");

        using var first = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        using var retry = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 3)), SiloHost.Json);
        var slot = await host.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(3, slot!.Held);
    }

    /// <summary>Stores the first reservation write, then reports it failed.</summary>
    private sealed class LandsThenFails(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        public static int Remaining;

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

        public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
            if (stateName == DomStorage.ReservationState && Interlocked.Decrement(ref Remaining) >= 0)
            {
                throw new TimeoutException("The commit landed; its answer was lost.");
            }
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

        public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
    }
}
