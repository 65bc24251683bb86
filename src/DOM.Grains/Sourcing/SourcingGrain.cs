using Dom.Articles;
using Dom.Domain.Geo;
using Dom.Domain.Sourcing;
using Dom.Grains.Hosting;
using Dom.Grains.Locations;
using Dom.Locations;
using Dom.Reservations;
using Dom.Sourcing;
using Dom.Stock;

namespace Dom.Grains.Sourcing;

/// <summary>
/// Plans from the articles' availability index, then executes the plan as a saga: every hold and capacity booking
/// in parallel; on any refusal, release what was taken, learn from the refusal and re-plan (bounded). The index may
/// be stale: a plan that looks impossible is checked against the slots themselves before a shortage is reported.
/// </summary>
[StatelessWorker, Reentrant]
internal sealed class SourcingGrain(LocationDirectory directory, DomClock clock, ILogger<SourcingGrain> logger) : Grain, ISourcingGrain
{
    private const int MaxAttempts = 4;

    public async Task<SourcingResult> ReserveAsync(SourcingRequest request)
    {
        var stock = await ReadIndexAsync(request.Lines);
        var full = new HashSet<string>(StringComparer.Ordinal);
        var live = false;
        Plan? plan = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            plan = await PlanAsync(request, stock, full);
            if (!plan.IsComplete && !live)
            {
                stock = await ReadSlotsAsync(stock.Keys);
                live = true;
                plan = await PlanAsync(request, stock, full);
            }

            if (!plan.IsComplete)
            {
                return Refused(plan.Shortages);
            }

            var failure = await ExecuteAsync(request, plan);
            if (failure is null)
            {
                return new SourcingResult(ToLines(plan), []);
            }

            logger.LogDebug("{HoldId} attempt {Attempt} refused at {Slots} and full at {Locations}; re-planning", request.HoldId, attempt, failure.RefusedSlots.Count, failure.FullLocations.Count);
            foreach (var (slot, available) in failure.RefusedSlots)
            {
                stock[slot] = available;
            }

            full.UnionWith(failure.FullLocations);
        }

        // Contention outran the retries: report what is known now rather than hold partially.
        return Refused(request.Lines
            .Select(line => new PlanShortage(line.Sku, line.Quantity, stock.Where(s => s.Key.Sku == line.Sku && !full.Contains(s.Key.LocationId)).Sum(s => s.Value)))
            .ToList());
    }

    public async Task<ArticleAvailability?> GetAvailabilityAsync(string sku)
    {
        var article = GrainFactory.GetGrain<IArticleGrain>(sku);
        var (info, index) = (await article.GetAsync(), await article.GetIndexAsync());
        if (info is null)
        {
            return null;
        }

        var live = await ReadSlotsAsync(index.Select(entry => new StockSlotKey(sku, entry.LocationId)));
        var locations = live.Select(slot => new IndexedAvailability(slot.Key.LocationId, slot.Value)).ToList();
        return new ArticleAvailability(sku, locations.Sum(l => l.Available), locations);
    }

    public Task ReleaseAsync(string holdId, IReadOnlyList<ReservationLine> lines) =>
        ReleaseAsync(
            holdId,
            lines.SelectMany(line => line.Allocations.Select(a => new StockSlotKey(line.Sku, a.LocationId))),
            lines.SelectMany(line => line.Allocations.Select(a => a.LocationId)));

    private async Task<Dictionary<StockSlotKey, int>> ReadIndexAsync(IReadOnlyList<LineRequest> lines)
    {
        var indexes = await Task.WhenAll(lines.Select(line => GrainFactory.GetGrain<IArticleGrain>(line.Sku).GetIndexAsync()));
        var stock = new Dictionary<StockSlotKey, int>();
        for (var i = 0; i < lines.Count; i++)
        {
            foreach (var entry in indexes[i])
            {
                stock[new StockSlotKey(lines[i].Sku, entry.LocationId)] = entry.Available;
            }
        }

        return stock;
    }

    private async Task<Dictionary<StockSlotKey, int>> ReadSlotsAsync(IEnumerable<StockSlotKey> slots)
    {
        var keys = slots.ToList();
        var snapshots = await Task.WhenAll(keys.Select(key => GrainFactory.GetGrain<IStockSlotGrain>(key.ToString()).GetAsync()));
        return keys.Zip(snapshots).ToDictionary(pair => pair.First, pair => pair.Second?.Available ?? 0);
    }

    private async Task<Plan> PlanAsync(SourcingRequest request, Dictionary<StockSlotKey, int> stock, HashSet<string> full)
    {
        var locations = await directory.GetAsync(stock.Keys.Select(key => key.LocationId));
        return SourcingPlanner.Plan(new PlanInput(
            new GeoPoint(request.ShipTo.Latitude, request.ShipTo.Longitude),
            request.Lines.Select(line => new PlanLine(line.Sku, line.Quantity)).ToList(),
            locations.Values
                .Where(location => !full.Contains(location.LocationId) && request.ExcludedLocations?.Contains(location.LocationId) != true)
                .Select(location => new PlanLocation(location.LocationId, new GeoPoint(location.Latitude, location.Longitude)))
                .ToList(),
            stock.Select(s => new PlanStock(s.Key.Sku, s.Key.LocationId, s.Value)).ToList()));
    }

    private sealed record Failure(List<(StockSlotKey Slot, int Available)> RefusedSlots, List<string> FullLocations);

    /// <summary>Holds and books everything in the plan at once. Returns null when all of it succeeded; otherwise
    /// releases what was taken and returns what was refused.</summary>
    private async Task<Failure?> ExecuteAsync(SourcingRequest request, Plan plan)
    {
        var today = clock.Today;
        var bookings = plan.Locations
            .Select(locationId => (LocationId: locationId, Call: GrainFactory.GetGrain<ILocationGrain>(locationId).BookAsync(new BookingRequest(request.HoldId, today, request.ExpiresAt))))
            .ToList();
        var holds = plan.Lines
            .SelectMany(line => line.Allocations.Select(a => new StockSlotKey(line.Sku, a.LocationId) is var slot
                ? (Slot: slot, Call: GrainFactory.GetGrain<IStockSlotGrain>(slot.ToString()).HoldAsync(new HoldRequest(request.HoldId, a.Quantity, request.Channel, request.ExpiresAt)))
                : default))
            .ToList();

        try
        {
            await Task.WhenAll(bookings.Select(b => (Task)b.Call).Concat(holds.Select(h => h.Call)));
        }
        catch (Exception exception)
        {
            // Something could not be stored: undo whatever did succeed and acknowledge nothing.
            logger.LogWarning(exception, "{HoldId} failed while holding; compensating", request.HoldId);
            try
            {
                await ReleaseAsync(
                    request.HoldId,
                    holds.Where(h => h.Call.IsCompletedSuccessfully && h.Call.Result.Status == HoldStatus.Held).Select(h => h.Slot),
                    bookings.Where(b => b.Call.IsCompletedSuccessfully && b.Call.Result.Status == BookingStatus.Booked).Select(b => b.LocationId));
            }
            catch (Exception releaseFailure)
            {
                logger.LogWarning(releaseFailure, "{HoldId} could not be compensated now; its holds lapse at {ExpiresAt}", request.HoldId, request.ExpiresAt);
            }

            throw new StorageUnavailableException();
        }

        var refused = holds.Where(h => !h.Call.Result.Succeeded).Select(h => (h.Slot, h.Call.Result.Available)).ToList();
        var fullLocations = bookings.Where(b => !b.Call.Result.Succeeded).Select(b => b.LocationId).ToList();
        if (refused.Count == 0 && fullLocations.Count == 0)
        {
            return null;
        }

        // Give back only what this attempt took. A hold or booking that already existed under the same id belongs to an
        // earlier attempt of the same reservation, which may have been recorded: it stays, and lapses at its expiry if not.
        await ReleaseAsync(
            request.HoldId,
            holds.Where(h => h.Call.Result.Status == HoldStatus.Held).Select(h => h.Slot),
            bookings.Where(b => b.Call.Result.Status == BookingStatus.Booked).Select(b => b.LocationId));
        return new Failure(refused, fullLocations);
    }

    private async Task ReleaseAsync(string holdId, IEnumerable<StockSlotKey> slots, IEnumerable<string> locationIds)
    {
        var release = new ReleaseRequest(holdId);
        await Task.WhenAll(
            slots.Distinct().Select(slot => (Task)GrainFactory.GetGrain<IStockSlotGrain>(slot.ToString()).ReleaseAsync(release))
                .Concat(locationIds.Distinct(StringComparer.Ordinal).Select(id => GrainFactory.GetGrain<ILocationGrain>(id).ReleaseBookingAsync(holdId))));
    }

    private static SourcingResult Refused(IReadOnlyList<PlanShortage> shortages) =>
        new([], shortages.Select(s => new Shortage(s.Sku, s.Requested, s.Available)).ToList());

    private static List<ReservationLine> ToLines(Plan plan) =>
        plan.Lines
            .Select(line => new ReservationLine(line.Sku, line.Quantity, line.Allocations.Select(a => new Allocation(a.LocationId, a.Quantity)).ToList()))
            .ToList();
}
