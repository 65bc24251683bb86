using Dom.Grains.Reservations;
using Dom.Locations;
using Dom.Reservations;
using Dom.Sourcing;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Dom.Grains.Tests;

[Collection(ClusterCollection.Name)]
public class ReservationTests(ClusterFixture fixture)
{
    private static readonly ShipTo Berlin = new("DE", 52.52, 13.405);
    private readonly World _world = new(fixture.Grains);

    private IReservationGrain Reservation(string id) => fixture.Grains.GetGrain<IReservationGrain>(id);

    private IReservationDeskGrain Desk => fixture.Grains.GetGrain<IReservationDeskGrain>(0);

    private CreateReservationRequest Request(string id, params LineRequest[] lines) => new(id, "web", 600, Berlin, lines);

    [Fact]
    public async Task Every_line_is_held_at_the_nearest_location_that_has_it()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 5);
        await _world.StockAsync(a, munich, 5);
        await _world.StockAsync(b, munich, 5);

        var result = await Desk.CreateAsync(Request(_world.Id("r"), new(a, 2), new(b, 1)));

        Assert.Equal(ReservationOutcome.Created, result.Outcome);
        Assert.Equal(ReservationStatus.Held, result.Reservation.Status);
        Assert.Equal([new Allocation(munich, 2)], result.Reservation.Lines[0].Allocations);
        Assert.Equal(3, await _world.AvailableAsync(a, munich));
        Assert.Equal(5, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task A_slot_whose_history_is_damaged_is_planned_around_for_a_while_and_left_untouched()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 5);
        await _world.StockAsync(a, munich, 5);
        var damaged = $"slot/{new Dom.Stock.StockSlotKey(a, potsdam)}";
        ClusterFixture.Journal.Damage(damaged, events => [events[0], .. events]);
        await fixture.DeactivateAllAsync();

        var loads = ClusterFixture.Journal.Loads(damaged);
        var routed = await Desk.CreateAsync(Request(_world.Id("r1"), new LineRequest(a, 2)));
        var loadsAfterFirst = ClusterFixture.Journal.Loads(damaged);
        var tooMuch = await Desk.CreateAsync(Request(_world.Id("r2"), new LineRequest(a, 4)));
        var loadsAfterSecond = ClusterFixture.Journal.Loads(damaged);
        ClusterFixture.Journal.Repair(damaged);
        var stillLeftOut = await Desk.CreateAsync(Request(_world.Id("r3"), new LineRequest(a, 4)));
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(31));
        var repaired = await Desk.CreateAsync(Request(_world.Id("r4"), new LineRequest(a, 4)));

        Assert.Equal((ReservationOutcome.Created, ReservationStatus.Held), (routed.Outcome, routed.Reservation.Status));
        Assert.Equal([new Allocation(munich, 2)], routed.Reservation.Lines.Single().Allocations);
        Assert.True(loadsAfterFirst > loads);
        Assert.Equal((ReservationOutcome.Refused, loadsAfterFirst), (tooMuch.Outcome, loadsAfterSecond));
        Assert.Equal(ReservationOutcome.Refused, stillLeftOut.Outcome);
        Assert.Equal([new Allocation(potsdam, 4)], repaired.Reservation.Lines.Single().Allocations);
        Assert.Equal((3, 1), (await _world.AvailableAsync(a, munich), await _world.AvailableAsync(a, potsdam)));
    }

    [Fact]
    public async Task A_line_is_split_across_locations_when_none_has_enough()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 3);
        await _world.StockAsync(a, munich, 3);

        var result = await Desk.CreateAsync(Request(_world.Id("r"), new LineRequest(a, 5)));

        Assert.Equal([new Allocation(potsdam, 3), new Allocation(munich, 2)], result.Reservation.Lines.Single().Allocations);
    }

    [Fact]
    public async Task A_reservation_holds_every_line_or_nothing()
    {
        var (a, b) = (await _world.ArticleAsync("a"), await _world.ArticleAsync("b"));
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        await _world.StockAsync(b, potsdam, 1);

        var result = await Desk.CreateAsync(Request(_world.Id("r"), new(a, 2), new(b, 2)));

        Assert.Equal(ReservationOutcome.Refused, result.Outcome);
        Assert.Equal([new Shortage(b, 2, 1)], result.Reservation.Shortages);
        Assert.Equal(5, await _world.AvailableAsync(a, potsdam));
        Assert.Equal(1, await _world.AvailableAsync(b, potsdam));
    }

    [Fact]
    public async Task A_retry_returns_the_first_answer_and_another_body_with_the_same_id_conflicts()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        var id = _world.Id("r");

        var first = await Desk.CreateAsync(Request(id, new LineRequest(a, 2)));
        var retry = await Desk.CreateAsync(Request(id, new LineRequest(a, 2)));
        var other = await Desk.CreateAsync(Request(id, new LineRequest(a, 3)));

        Assert.Equal(ReservationOutcome.Replayed, retry.Outcome);
        Assert.Equal(first.Reservation.ExpiresAt, retry.Reservation.ExpiresAt);
        Assert.Equal(first.Reservation.Lines[0].Allocations, retry.Reservation.Lines[0].Allocations);
        Assert.Equal(ReservationOutcome.IdempotencyConflict, other.Outcome);
        Assert.Equal(3, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task Releasing_returns_the_stock_once_and_is_idempotent()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        var id = _world.Id("r");
        await Desk.CreateAsync(Request(id, new LineRequest(a, 4)));

        var released = await Reservation(id).ReleaseAsync("web");
        var again = await Reservation(id).ReleaseAsync("web");

        Assert.Equal(ReservationStatus.Released, released!.Status);
        Assert.Equal(ReservationStatus.Released, again!.Status);
        Assert.Equal(5, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task Another_channel_cannot_see_or_release_a_reservation()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        var id = _world.Id("r");
        await Desk.CreateAsync(Request(id, new LineRequest(a, 1)));

        Assert.Null(await Reservation(id).GetAsync("marketplace"));
        Assert.Null(await Reservation(id).ReleaseAsync("marketplace"));
        Assert.Equal(4, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task A_reservation_expires_at_its_expiry_and_its_stock_and_capacity_return_once()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06, capacityPerDay: 1);
        await _world.StockAsync(a, potsdam, 5);
        var id = _world.Id("r");
        var created = await Desk.CreateAsync(Request(id, new LineRequest(a, 5)) with { TtlSeconds = 60 });
        var location = fixture.Grains.GetGrain<ILocationGrain>(potsdam);
        var day = DateOnly.FromDateTime(created.Reservation.ExpiresAt.UtcDateTime);
        Assert.Equal(1, (await location.GetCapacityAsync(day))!.Booked);

        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(ReservationStatus.Expired, (await Reservation(id).GetAsync("web"))!.Status);
        Assert.Equal(5, await _world.AvailableAsync(a, potsdam));
        Assert.Equal(0, (await location.GetCapacityAsync(day))!.Booked);
        Assert.Equal(ReservationStatus.Expired, (await Reservation(id).ReleaseAsync("web"))!.Status);
        Assert.Equal(5, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task A_reservation_loaded_at_its_expiry_records_it_by_its_timer()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        var id = _world.Id("r");
        await Desk.CreateAsync(Request(id, new LineRequest(a, 1)) with { TtlSeconds = 60 });
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(60));
        var stored = ClusterFixture.Journal.NextStored(ReservationJournal.StreamOf(id));

        // A read computes the expiry; the load also arms the timer (due at once), which records it.
        Assert.Equal(ReservationStatus.Expired, (await Reservation(id).GetAsync("web"))!.Status);

        var recorded = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>().Deserialize<ReservationEvent>((await stored.WaitAsync(TimeSpan.FromSeconds(30))).Payload);
        Assert.Equal(new ReservationStatusChanged(ReservationStatus.Expired), recorded);
    }

    [Fact]
    public async Task A_full_location_is_skipped_and_the_next_nearest_is_used()
    {
        var a = await _world.ArticleAsync("a");
        var (potsdam, munich) = (await _world.LocationAsync("potsdam", 52.39, 13.06, capacityPerDay: 1), await _world.LocationAsync("munich", 48.14, 11.58));
        await _world.StockAsync(a, potsdam, 10);
        await _world.StockAsync(a, munich, 10);

        var first = await Desk.CreateAsync(Request(_world.Id("r1"), new LineRequest(a, 1)));
        var second = await Desk.CreateAsync(Request(_world.Id("r2"), new LineRequest(a, 1)));

        Assert.Equal(potsdam, first.Reservation.Lines[0].Allocations.Single().LocationId);
        Assert.Equal(munich, second.Reservation.Lines[0].Allocations.Single().LocationId);
        Assert.Equal(9, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task Lowering_capacity_below_what_is_booked_is_reported_and_books_nothing_new()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06, capacityPerDay: 5);
        await _world.StockAsync(a, potsdam, 10);
        await Desk.CreateAsync(Request(_world.Id("r1"), new LineRequest(a, 1)));
        await Desk.CreateAsync(Request(_world.Id("r2"), new LineRequest(a, 1)));
        var today = DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime);

        var lowered = await fixture.Grains.GetGrain<ILocationGrain>(potsdam).SetCapacityAsync(new SetCapacityRequest(today, 1));
        var refused = await Desk.CreateAsync(Request(_world.Id("r3"), new LineRequest(a, 1)));

        Assert.Equal(new CapacitySnapshot(today, 1, 2, Overbooked: true), lowered);
        Assert.Equal(ReservationOutcome.Refused, refused.Outcome);
        Assert.Equal(8, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task A_stale_availability_index_costs_a_retry_never_a_false_shortage()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 1);
        var article = fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(a);
        var slot = _world.Slot(a, potsdam);
        var heardOfHold = GrainCalls.NextAsync(article, nameof(Dom.Articles.IArticleGrain.PublishAsync));
        var held = await Desk.CreateAsync(Request(_world.Id("r1"), new LineRequest(a, 1)) with { TtlSeconds = 5 });
        Assert.Equal(ReservationOutcome.Created, held.Outcome);
        await heardOfHold;

        // The hold lapses by the clock alone. The clock's move also has the slot publish its number again, one-way; that
        // publication is lost here (as one may be, or still be on its way), so the index provably still says 0 when the
        // reservation plans, whichever comes first.
        using var lost = GrainCalls.Lose(article, nameof(Dom.Articles.IArticleGrain.PublishAsync));
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(5));
        var indexed = await IndexedAsync(a, potsdam);
        var liveRead = GrainCalls.NextAsync(slot, nameof(IStockSlotGrain.GetSupplyAsync));
        var next = await Desk.CreateAsync(Request(_world.Id("r2"), new LineRequest(a, 1)));

        // The plan on the index's 0 looked impossible, so the slot itself was asked, and its unit held.
        Assert.Equal(0, indexed);
        Assert.Equal(ReservationOutcome.Created, next.Outcome);
        Assert.Equal([new Allocation(potsdam, 1)], next.Reservation.Lines.Single().Allocations);
        Assert.True(liveRead.IsCompleted, "The reservation did not ask the slot for its live number.");
        Assert.Equal(0, await _world.AvailableAsync(a, potsdam));
    }

    [Fact]
    public async Task A_well_stocked_slot_tells_the_index_only_of_a_twentieth_and_a_plan_on_the_old_number_costs_a_retry()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        var munich = await _world.LocationAsync("munich", 48.14, 11.58);
        await _world.StockAsync(a, potsdam, 100);
        await _world.StockAsync(a, munich, 100);
        var indexed = await UsableByIndexAsync(a, potsdam);
        var slot = _world.Slot(a, potsdam);
        using var published = GrainCalls.Watch(slot, fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(a), nameof(Dom.Articles.IArticleGrain.PublishAsync));

        // Four units held at Potsdam, the nearer location: under a twentieth of the 100 the index heard, so it hears nothing.
        for (var i = 0; i < 4; i++)
        {
            var hold = await slot.HoldAsync(new HoldRequest(_world.Id($"h{i}"), 1, "web", ClusterFixture.Time.GetUtcNow().AddHours(1)));
            Assert.Equal(HoldStatus.Held, hold.Status);
        }

        // A hold answered by the slot has sent whatever it publishes (one-way, so it may arrive after the reads below):
        // the count is final now, whatever the index has received yet.
        var publishedByHolds = published.Count;
        var stale = await UsableByIndexAsync(a, potsdam);
        var planned = await ExplainAsync(new LineRequest(a, 97));

        // The plan takes the index's 100 at Potsdam for 97 units; the slot refuses, and the re-plan takes Munich.
        var result = await Desk.CreateAsync(Request(_world.Id("r"), new LineRequest(a, 97)));

        Assert.Equal((100, 0, 100), (indexed, publishedByHolds, stale));
        Assert.Equal([new Allocation(potsdam, 97)], planned.Winner!.Lines.Single().Allocations);
        Assert.Equal(ReservationOutcome.Created, result.Outcome);
        Assert.Equal([new Allocation(munich, 97)], result.Reservation.Lines.Single().Allocations);
        Assert.Equal((96, 3), (await _world.AvailableAsync(a, potsdam), await _world.AvailableAsync(a, munich)));
    }

    [Fact]
    public async Task The_expiry_of_a_hold_that_became_an_order_tells_the_index_nothing()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 100);
        var slot = _world.Slot(a, potsdam);
        var expiresAt = ClusterFixture.Time.GetUtcNow().AddSeconds(5);
        for (var i = 0; i < 4; i++)
        {
            var hold = _world.Id($"h{i}");
            Assert.Equal(HoldStatus.Held, (await slot.HoldAsync(new HoldRequest(hold, 1, "web", expiresAt))).Status);
            Assert.Equal(AllocateStatus.Allocated, (await slot.AllocateAsync(new AllocateRequest(_world.Id($"o{i}/1"), 1, hold))).Status);
        }

        // The holds' expiry comes: the silo's schedule calls the slot back, and so does this test. Both calls are one-way:
        // once the first has started its turn there, a call sent after it is taken after that turn, which publishes (or
        // not) without waiting for anything; so when the read answers, the slot has sent all that expiry would publish.
        using var published = GrainCalls.Watch(slot, fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(a), nameof(Dom.Articles.IArticleGrain.PublishAsync));
        var caughtUp = GrainCalls.NextAsync(slot, nameof(IStockSlotGrain.CatchUpAsync));
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(5));
        await slot.CatchUpAsync();
        await caughtUp;
        var numbers = await slot.GetAsync();

        // Nothing lapsed (the units are allocated), so nothing moved from the 100 the index heard, and nothing was sent to it.
        Assert.Equal((0, 4, 96), (numbers!.Held, numbers.Allocated, numbers.Available));
        Assert.Equal(0, published.Count);
        Assert.Equal(100, await UsableByIndexAsync(a, potsdam));
    }

    /// <summary>The units the article's index lists at <paramref name="locationId"/>, read from the index alone (the
    /// planner would ask the slot itself when it lists too few).</summary>
    private async Task<int> IndexedAsync(string sku, string locationId) =>
        (await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(sku).GetIndexAsync()).Value.Single(e => e.LocationId == locationId).Available;

    /// <summary>The units the article's index lists at <paramref name="locationId"/>, as the planner sees them.</summary>
    private async Task<int> UsableByIndexAsync(string sku, string locationId) =>
        (await ExplainAsync(new LineRequest(sku, 1))).Candidates.Single(c => c.LocationId == locationId && c.InTransitBy is null).Stock.Single().Usable;

    private Task<SourcingExplanation> ExplainAsync(params LineRequest[] lines) =>
        fixture.Grains.GetGrain<ISourcingGrain>(0).ExplainAsync(new SourcingRequest("x", "web", Berlin, lines, ClusterFixture.Time.GetUtcNow().AddMinutes(10)));

    [Fact]
    public async Task Oversell_storm_across_locations_holds_exactly_the_units_on_hand()
    {
        var a = await _world.ArticleAsync("a");
        var locations = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var location = await _world.LocationAsync($"l{i}", 48 + i, 8 + i);
            await _world.StockAsync(a, location, 40);
            locations.Add(location);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            Desk.CreateAsync(Request(_world.Id($"r{i}"), new LineRequest(a, 1)))));

        var held = results.Where(r => r.Outcome == ReservationOutcome.Created).ToList();
        Assert.Equal(200, held.Count);
        Assert.All(results.Where(r => r.Outcome != ReservationOutcome.Created), r => Assert.Equal(ReservationOutcome.Refused, r.Outcome));
        foreach (var location in locations)
        {
            var slot = await _world.Slot(a, location).GetAsync();
            Assert.Equal((40, 0), (slot!.Held, slot.Available));
            Assert.Equal(40, held.Count(r => r.Reservation.Lines[0].Allocations.Single().LocationId == location));
        }
    }

    [Fact]
    public async Task Concurrent_duplicates_of_one_request_hold_once_and_all_get_the_recorded_answer()
    {
        var a = await _world.ArticleAsync("a");
        var (near, far) = (await _world.LocationAsync("near", 52.39, 13.06), await _world.LocationAsync("far", 48.14, 11.58));
        await _world.StockAsync(a, near, 2);
        await _world.StockAsync(a, far, 100);
        var id = _world.Id("r");

        // Twenty copies at once race through the desk, each holding under its own attempt id; the journal key lets
        // exactly one record, and every other attempt gives back all it took (enough stock that none is refused).
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Desk.CreateAsync(Request(id, new LineRequest(a, 2)))));

        Assert.Single(results, r => r.Outcome == ReservationOutcome.Created);
        Assert.All(results, r => Assert.Equal(ReservationStatus.Held, r.Reservation.Status));
        var recorded = (await Reservation(id).GetAsync("web"))!;
        Assert.All(results, r => Assert.Equal(recorded.Lines[0].Allocations, r.Reservation.Lines[0].Allocations));
        var (nearSlot, farSlot) = ((await _world.Slot(a, near).GetAsync())!, (await _world.Slot(a, far).GetAsync())!);
        Assert.Equal(2, nearSlot.Held + farSlot.Held);
    }

    [Fact]
    public async Task A_reservation_read_before_it_existed_is_found_once_it_is_created()
    {
        var a = await _world.ArticleAsync("a");
        var potsdam = await _world.LocationAsync("potsdam", 52.39, 13.06);
        await _world.StockAsync(a, potsdam, 5);
        var id = _world.Id("r");

        Assert.Null(await Reservation(id).GetAsync("web"));
        var created = await Desk.CreateAsync(Request(id, new LineRequest(a, 1)));
        var read = await Reservation(id).GetAsync("web");

        Assert.Equal(ReservationOutcome.Created, created.Outcome);
        Assert.Equal((ReservationStatus.Held, created.Reservation.ExpiresAt), (read!.Status, read.ExpiresAt));
        Assert.Equal(created.Reservation.Lines[0].Allocations, read.Lines[0].Allocations);
        Assert.NotNull(await Reservation(id).ReleaseAsync("web"));
        Assert.Equal(5, await _world.AvailableAsync(a, potsdam));
    }
}
