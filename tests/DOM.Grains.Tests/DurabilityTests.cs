using Dom.Reservations;
using Dom.Stock;

namespace Dom.Grains.Tests;

/// <summary>What a failed write leaves behind: nothing acknowledged, memory not ahead of storage, retries idempotent.</summary>
[Collection(ClusterCollection.Name)]
public class DurabilityTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    private static DateTimeOffset InAnHour => ClusterFixture.Time.GetUtcNow().AddHours(1);

    [Fact]
    public async Task A_hold_whose_write_fails_is_not_acknowledged_and_is_not_held_afterwards()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        ClusterFixture.Journal.FailNext($"slot/{new StockSlotKey(sku, location)}");

        var loads = ClusterFixture.Journal.Loads($"slot/{new StockSlotKey(sku, location)}");
        await Assert.ThrowsAsync<StorageUnavailableException>(() => slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour)));
        var afterwards = await slot.GetAsync();
        var retry = await slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour));

        Assert.Equal((0, 10), (afterwards!.Held, afterwards.Available));
        Assert.Equal(loads + 1, ClusterFixture.Journal.Loads($"slot/{new StockSlotKey(sku, location)}"));
        Assert.Equal(new HoldResult(HoldStatus.Held, 6), retry);
    }

    [Fact]
    public async Task A_journal_that_throws_instead_of_failing_its_task_leaves_nothing_in_memory()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        ClusterFixture.Journal.ThrowNext($"slot/{new StockSlotKey(sku, location)}");

        await Assert.ThrowsAsync<StorageUnavailableException>(() => slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour)));
        var afterwards = await slot.GetAsync();
        var retry = await slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour));

        Assert.Equal((0, 10), (afterwards!.Held, afterwards.Available));
        Assert.Equal(new HoldResult(HoldStatus.Held, 6), retry);
    }

    [Fact]
    public async Task Holds_decided_on_top_of_a_failed_write_fail_with_it()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        ClusterFixture.Journal.FailNext($"slot/{new StockSlotKey(sku, location)}");

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
        {
            try
            {
                return (await slot.HoldAsync(new HoldRequest($"h{i}", 1, "web", InAnHour))).Status;
            }
            catch (StorageUnavailableException)
            {
                return (HoldStatus?)null;
            }
        }));

        var snapshot = await slot.GetAsync();
        Assert.Contains(null, results);
        Assert.Equal(results.Count(r => r == HoldStatus.Held), snapshot!.Held);
        Assert.Equal(10 - snapshot.Held, snapshot.Available);
    }

    [Fact]
    public async Task A_reservation_whose_record_fails_is_retried_with_the_same_id_without_holding_twice()
    {
        var sku = await _world.ArticleAsync("a");
        var location = await _world.LocationAsync("l", 52, 13);
        await _world.StockAsync(sku, location, onHand: 10);
        var id = _world.Id("r");
        var request = new CreateReservationRequest(id, "web", 600, new ShipTo("DE", 52, 13), [new LineRequest(sku, 3)]);
        ClusterFixture.Journal.FailNext($"reservation/{id}");

        await Assert.ThrowsAsync<StorageUnavailableException>(() => fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request));
        var retry = await fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request);

        Assert.Equal(ReservationOutcome.Created, retry.Outcome);
        Assert.Equal(7, await _world.AvailableAsync(sku, location));
    }

    [Theory]
    [InlineData("slot")]
    [InlineData("location")]
    public async Task A_reservation_whose_hold_or_booking_write_fails_after_the_grain_answered_is_neither_recorded_nor_acknowledged(string failing)
    {
        // The slot and the location answer the desk before their writes are durable (one silo): the record rests on
        // those writes, so it must fail with them, and the retry must start from nothing held.
        var sku = await _world.ArticleAsync("a");
        var location = await _world.LocationAsync("l", 52, 13, capacityPerDay: 5);
        await _world.StockAsync(sku, location, onHand: 10);
        var id = _world.Id("r");
        var request = new CreateReservationRequest(id, "web", 600, new ShipTo("DE", 52, 13), [new LineRequest(sku, 3)]);
        ClusterFixture.Journal.FailNext(failing == "slot" ? $"slot/{new StockSlotKey(sku, location)}" : $"location/{location}");

        await Assert.ThrowsAsync<StorageUnavailableException>(() => fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request));
        var recorded = await fixture.Grains.GetGrain<IReservationGrain>(id).GetAsync("web");
        var retry = await fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request);

        Assert.Null(recorded);
        Assert.Equal(ReservationOutcome.Created, retry.Outcome);
        Assert.Equal(7, await _world.AvailableAsync(sku, location));
        Assert.Equal(1, await BookedAsync(location));
    }

    [Fact]
    public async Task A_slot_deactivated_while_a_hold_it_answered_early_is_still_being_written_does_not_snapshot_it()
    {
        // Enough events for a snapshot at deactivation, then a hold answered before its write is durable (as the
        // desk's own sourcing asks), the grain deactivated while the write waits, and the write failing.
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 500);
        var slot = _world.Slot(sku, location);
        for (var i = 0; i < 120; i++)
        {
            await slot.HoldAsync(new HoldRequest($"h{i}", 1, "web", InAnHour));
        }

        var gate = ClusterFixture.Journal.Gate($"slot/{new StockSlotKey(sku, location)}");
        var early = await slot.HoldAsync(new HoldRequest("early", 5, "web", InAnHour, AnswerEarlyOn: fixture.Cluster.Primary!.SiloAddress));
        var deactivated = fixture.DeactivateAllAsync();
        gate.Fail();
        await deactivated;
        var reloaded = await slot.GetAsync();

        Assert.Equal(HoldStatus.Held, early.Status);
        Assert.NotNull(early.Ticket);
        Assert.Equal((120, 380), (reloaded!.Held, reloaded.Available));
    }

    /// <summary>Orders booked at the location over the coming week, whichever day it dispatches on now.</summary>
    private async Task<int> BookedAsync(string location)
    {
        var today = DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime);
        var grain = fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(location);
        var days = await Task.WhenAll(Enumerable.Range(0, 8).Select(d => grain.GetCapacityAsync(today.AddDays(d))));
        return days.Sum(day => day!.Booked);
    }

    [Fact]
    public async Task A_retry_reaching_a_new_activation_finds_the_recorded_reservation_and_holds_nothing_more()
    {
        var sku = await _world.ArticleAsync("a");
        var (near, far) = (await _world.LocationAsync("near", 52, 13), await _world.LocationAsync("far", 48, 11));
        await _world.StockAsync(sku, near, onHand: 3);
        await _world.StockAsync(sku, far, onHand: 10);
        var id = _world.Id("r");
        var request = new CreateReservationRequest(id, "web", 600, new ShipTo("DE", 52, 13), [new LineRequest(sku, 3)]);
        var first = await fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request);
        await fixture.DeactivateAllAsync();

        // The near slot is empty now (held by the first attempt), so this attempt's plan differs: it must give that back.
        var retry = await fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request);
        var other = await fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request with { Lines = [new LineRequest(sku, 2)] });

        Assert.Equal(ReservationOutcome.Replayed, retry.Outcome);
        Assert.Equal(first.Reservation.Lines, retry.Reservation.Lines, (a, b) => a.Allocations.SequenceEqual(b.Allocations));
        Assert.Equal(ReservationOutcome.IdempotencyConflict, other.Outcome);
        Assert.Equal((3, 0), (await _world.Slot(sku, near).GetAsync())!.Held is var held ? (held, await _world.AvailableAsync(sku, near)) : default);
        Assert.Equal(10, await _world.AvailableAsync(sku, far));
    }

    [Fact]
    public async Task A_record_reported_failed_cannot_land_after_its_holds_went_back_and_the_retry_holds_once()
    {
        var sku = await _world.ArticleAsync("a");
        var near = await _world.LocationAsync("near", 52, 13);
        await _world.StockAsync(sku, near, onHand: 5);
        var id = _world.Id("r");
        var request = new CreateReservationRequest(id, "web", 600, new ShipTo("DE", 52, 13), [new LineRequest(sku, 3)]);
        var desk = fixture.Grains.GetGrain<IReservationDeskGrain>(0);

        // The record's statement outlives its answer: reported failed, it would be stored later.
        var late = ClusterFixture.Journal.LandLate($"reservation/{id}");
        var first = await Record.ExceptionAsync(() => desk.CreateAsync(request));
        late.Open();
        await late.Reached;
        var retry = await desk.CreateAsync(request);
        var read = await fixture.Grains.GetGrain<IReservationGrain>(id).GetAsync("web");

        Assert.IsType<StorageUnavailableException>(first);
        Assert.Equal(ReservationOutcome.Created, retry.Outcome);
        Assert.Equal((ReservationStatus.Held, retry.Reservation.HoldId), (read!.Status, read.HoldId));
        Assert.Equal((3, 2), ((await _world.Slot(sku, near).GetAsync())!.Held, await _world.AvailableAsync(sku, near)));
    }

    [Fact]
    public async Task A_reactivated_slot_rebuilds_exactly_what_was_acknowledged()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 50, safetyStock: 5);
        var slot = _world.Slot(sku, location);
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => slot.HoldAsync(new HoldRequest($"h{i}", 1, "web", InAnHour))));
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => slot.ReleaseAsync(new ReleaseRequest($"h{i}"))));
        var before = await slot.GetAsync();
        var stream = $"slot/{new StockSlotKey(sku, location)}";
        var loads = ClusterFixture.Journal.Loads(stream);

        await fixture.DeactivateAllAsync();
        var after = await slot.GetAsync();

        Assert.Equal(loads + 1, ClusterFixture.Journal.Loads(stream));
        Assert.Equal((20, 25), (before!.Held, before.Available));
        Assert.Equal(before with { Version = after!.Version }, after);
        Assert.Equal(before.Version, after.Version);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("repeated")]
    public async Task A_slot_whose_stored_events_do_not_follow_one_another_refuses_to_load_and_decides_nothing(string damage)
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => slot.HoldAsync(new HoldRequest($"h{i}", 2, "web", InAnHour))));
        var before = await slot.GetAsync();
        var stream = $"slot/{new StockSlotKey(sku, location)}";
        ClusterFixture.Journal.Damage(stream, events => damage == "missing"
            ? [.. events.Where(e => e.Sequence != 2)]
            : [.. events.Take(2), events[1], .. events.Skip(2)]);

        await fixture.DeactivateAllAsync();
        var read = await Record.ExceptionAsync(() => slot.GetAsync());
        var hold = await Record.ExceptionAsync(() => slot.HoldAsync(new HoldRequest("h9", 1, "web", InAnHour)));
        ClusterFixture.Journal.Repair(stream);
        var repaired = await slot.GetAsync();

        Assert.Equal((6, 4), (before!.Held, before.Available));
        Assert.IsType<Dom.Grains.Journal.JournalDamagedException>(Innermost(read));
        Assert.IsType<Dom.Grains.Journal.JournalDamagedException>(Innermost(hold));
        Assert.Equal(before, repaired);
    }

    private static Exception? Innermost(Exception? exception)
    {
        while (exception?.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    // A retry that finds the first call's decision in memory while that call's write is held back, then the write
    // failing: the retry must not have been answered from memory ("already done") before the write was stored.

    [Fact]
    public async Task An_allocation_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"slot/{new StockSlotKey(sku, location)}", slot, nameof(IStockSlotGrain.AllocateAsync), () => slot.AllocateAsync(new AllocateRequest("o/1", 4, null)), slot.GetAsync);
        var afterwards = await slot.GetAsync();

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal((0, 10), (afterwards!.Allocated, afterwards.Available));
    }

    [Fact]
    public async Task A_hold_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"slot/{new StockSlotKey(sku, location)}", slot, nameof(IStockSlotGrain.HoldAsync), () => slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour)), slot.GetAsync);
        var afterwards = await slot.GetAsync();

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal((0, 10), (afterwards!.Held, afterwards.Available));
    }

    [Fact]
    public async Task A_booking_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var location = await _world.LocationAsync("l", 52, 13, capacityPerDay: 5);
        var grain = fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(location);
        var today = DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime);

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"location/{location}", grain, nameof(Dom.Locations.ILocationGrain.BookAsync), () => grain.BookAsync(new Dom.Locations.BookingRequest("b", today, InAnHour)), () => grain.GetCapacityAsync(today));
        var afterwards = await grain.GetCapacityAsync(today);

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal(0, afterwards!.Booked);
    }

    [Fact]
    public async Task A_release_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour));

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"slot/{new StockSlotKey(sku, location)}", slot, nameof(IStockSlotGrain.ReleaseAsync), () => slot.ReleaseAsync(new ReleaseRequest("h")), slot.GetAsync);
        var afterwards = await slot.GetAsync();

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal((4, 6), (afterwards!.Held, afterwards.Available));
    }

    [Fact]
    public async Task An_allocation_end_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.AllocateAsync(new AllocateRequest("o/1", 4, null));

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"slot/{new StockSlotKey(sku, location)}", slot, nameof(IStockSlotGrain.EndAllocationAsync), () => slot.EndAllocationAsync(new EndAllocationRequest("o/1", 0, AllocationEnd.Released)), slot.GetAsync);
        var afterwards = await slot.GetAsync();

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal((4, 6), (afterwards!.Allocated, afterwards.Available));
    }

    [Fact]
    public async Task A_booking_release_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var location = await _world.LocationAsync("l", 52, 13, capacityPerDay: 5);
        var grain = fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(location);
        var today = DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime);
        await grain.ConfirmBookingAsync("r", "o", today);

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"location/{location}", grain, nameof(Dom.Locations.ILocationGrain.ReleaseBookingAsync), () => grain.ReleaseBookingAsync("o"), () => grain.GetCapacityAsync(today));
        var afterwards = await grain.GetCapacityAsync(today);

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal(1, afterwards!.Booked);
    }

    [Fact]
    public async Task A_refusal_decided_while_a_hold_is_on_its_way_is_not_answered_before_that_hold_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        var gate = ClusterFixture.Journal.Gate($"slot/{new StockSlotKey(sku, location)}");
        var all = slot.HoldAsync(new HoldRequest("all", 10, "web", InAnHour));
        await gate.Reached;

        var refused = slot.HoldAsync(new HoldRequest("one", 1, "web", InAnHour));
        await slot.GetAsync();
        var answeredEarly = refused.IsCompleted;
        gate.Fail();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => all);
        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(await Record.ExceptionAsync(() => refused));
        Assert.Equal(10, (await slot.GetAsync())!.Available);
    }

    [Fact]
    public async Task An_allocation_refusal_decided_while_a_hold_is_on_its_way_is_not_answered_before_that_hold_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        var gate = ClusterFixture.Journal.Gate($"slot/{new StockSlotKey(sku, location)}");
        var all = slot.HoldAsync(new HoldRequest("all", 10, "web", InAnHour));
        await gate.Reached;

        var taken = GrainCalls.NextAsync(slot, nameof(IStockSlotGrain.AllocateAsync));
        var refused = slot.AllocateAsync(new AllocateRequest("o/1", 1, null));
        await Task.WhenAny(taken, refused).WaitAsync(TimeSpan.FromSeconds(30));
        await slot.GetAsync();
        var answeredEarly = refused.IsCompleted;
        gate.Fail();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => all);
        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(await Record.ExceptionAsync(() => refused));
        Assert.Equal((0, 10), ((await slot.GetAsync())!.Allocated, (await slot.GetAsync())!.Available));
    }

    [Fact]
    public async Task A_full_answer_decided_while_a_booking_is_on_its_way_is_not_answered_before_that_booking_is_stored()
    {
        var location = await _world.LocationAsync("l", 52, 13, capacityPerDay: 1);
        var grain = fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(location);
        var today = DateOnly.FromDateTime(ClusterFixture.Time.GetUtcNow().UtcDateTime);
        var gate = ClusterFixture.Journal.Gate($"location/{location}");
        var first = grain.BookAsync(new Dom.Locations.BookingRequest("b1", today, InAnHour));
        await gate.Reached;

        var taken = GrainCalls.NextAsync(grain, nameof(Dom.Locations.ILocationGrain.BookAsync));
        var full = grain.BookAsync(new Dom.Locations.BookingRequest("b2", today, InAnHour));
        await Task.WhenAny(taken, full).WaitAsync(TimeSpan.FromSeconds(30));
        await grain.GetCapacityAsync(today);
        var answeredEarly = full.IsCompleted;
        gate.Fail();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => first);
        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(await Record.ExceptionAsync(() => full));
        Assert.Equal(0, (await grain.GetCapacityAsync(today))!.Booked);
    }

    [Fact]
    public async Task A_count_retried_while_its_write_is_on_the_way_is_not_answered_before_it_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);

        var (answeredEarly, retried) = await RetryWhileHeldBackAsync(
            $"slot/{new StockSlotKey(sku, location)}", slot, nameof(IStockSlotGrain.SetStockAsync), () => slot.SetStockAsync(new SetStockRequest(7, 0, CountId: "count-1")), slot.GetAsync);
        var afterwards = await slot.GetAsync();

        Assert.False(answeredEarly);
        Assert.IsType<StorageUnavailableException>(retried);
        Assert.Equal((10, 10), (afterwards!.OnHand, afterwards.Available));
    }

    [Fact]
    public async Task A_settlement_whose_close_meets_a_conflict_nothing_stored_explains_gives_nothing_back()
    {
        // The record's statement outlives its answer; the settlement's close of the stream is answered as a conflict
        // though nothing is there yet. The record may still land, so the holds must stay (they lapse at their expiry).
        var sku = await _world.ArticleAsync("a");
        var near = await _world.LocationAsync("near", 52, 13);
        await _world.StockAsync(sku, near, onHand: 5);
        var id = _world.Id("r");
        var request = new CreateReservationRequest(id, "web", 600, new ShipTo("DE", 52, 13), [new LineRequest(sku, 3)]);
        var late = ClusterFixture.Journal.LandLate($"reservation/{id}");
        ClusterFixture.Journal.ConflictNext($"reservation/{id}");

        var first = await Record.ExceptionAsync(() => fixture.Grains.GetGrain<IReservationDeskGrain>(0).CreateAsync(request));
        var heldMeanwhile = (await _world.Slot(sku, near).GetAsync())!.Held;
        late.Open();
        await late.Reached;
        var read = await fixture.Grains.GetGrain<IReservationGrain>(id).GetAsync("web");

        Assert.IsType<StorageUnavailableException>(first);
        Assert.Equal(3, heldMeanwhile);
        Assert.Equal(ReservationStatus.Held, read!.Status);
        Assert.Equal((3, 2), ((await _world.Slot(sku, near).GetAsync())!.Held, await _world.AvailableAsync(sku, near)));
    }

    [Fact]
    public async Task An_attempt_after_an_abandoned_one_whose_hold_was_not_stored_is_not_recorded_and_the_next_holds_once()
    {
        var sku = await _world.ArticleAsync("a");
        var location = await _world.LocationAsync("l", 52, 13);
        await _world.StockAsync(sku, location, onHand: 10);
        var id = _world.Id("r");
        var request = new CreateReservationRequest(id, "web", 600, new ShipTo("DE", 52, 13), [new LineRequest(sku, 3)]);
        var desk = fixture.Grains.GetGrain<IReservationDeskGrain>(0);

        // The first attempt's record fails: the settlement closes the stream (abandoned) and gives its holds back.
        ClusterFixture.Journal.FailNext($"reservation/{id}");
        var abandoned = await Record.ExceptionAsync(() => desk.CreateAsync(request));

        // The second attempt's hold is answered early and then not stored: its record, resting on it, fails too.
        ClusterFixture.Journal.FailNext($"slot/{new StockSlotKey(sku, location)}");
        var unstored = await Record.ExceptionAsync(() => desk.CreateAsync(request));
        var recorded = await fixture.Grains.GetGrain<IReservationGrain>(id).GetAsync("web");
        var retry = await desk.CreateAsync(request);

        Assert.IsType<StorageUnavailableException>(abandoned);
        Assert.IsType<StorageUnavailableException>(unstored);
        Assert.Null(recorded);
        Assert.Equal(ReservationOutcome.Created, retry.Outcome);
        Assert.Equal((3, 7), ((await _world.Slot(sku, location).GetAsync())!.Held, await _world.AvailableAsync(sku, location)));
    }

    [Fact]
    public async Task A_slot_deactivated_while_a_hold_it_answered_early_is_still_being_written_is_loaded_again_only_once_it_is_stored()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        var gate = ClusterFixture.Journal.Gate($"slot/{new StockSlotKey(sku, location)}");
        var early = await slot.HoldAsync(new HoldRequest("early", 5, "web", InAnHour, AnswerEarlyOn: fixture.Cluster.Primary!.SiloAddress));

        var deactivated = fixture.DeactivateAllAsync();
        var read = slot.GetAsync();
        gate.Open();
        await deactivated;

        Assert.Equal(HoldStatus.Held, early.Status);
        Assert.Equal((5, 5), ((await read)!.Held, (await read)!.Available));
    }

    /// <summary>Calls <paramref name="call"/> (<paramref name="method"/> of <paramref name="grain"/>) with its write held
    /// back, calls it again, lets the grain take that retry (once the retry has started its turn there,
    /// <paramref name="barrier"/> is a read sent after it: the grain is reentrant, so the retry was decided first and
    /// any answer it gave at once went out first), then fails the write. Whether the retry had been answered by then,
    /// and how it ended.</summary>
    private static async Task<(bool AnsweredEarly, Exception? Retried)> RetryWhileHeldBackAsync(string stream, IAddressable grain, string method, Func<Task> call, Func<Task> barrier)
    {
        var gate = ClusterFixture.Journal.Gate(stream);
        var first = call();
        await gate.Reached;
        var taken = GrainCalls.NextAsync(grain, method);
        var retry = call();
        // A retry that ends without reaching the grain shows in its own outcome below, rather than hanging the run.
        await Task.WhenAny(taken, retry).WaitAsync(TimeSpan.FromSeconds(30));
        await barrier();
        var answeredEarly = retry.IsCompleted;
        gate.Fail();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => first);
        return (answeredEarly, await Record.ExceptionAsync(() => retry));
    }
}
