using Dom.Grains.Journal;
using Dom.Grains.Stock;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Dom.Grains.Tests;

[Collection(ClusterCollection.Name)]
public class StockSlotTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    private static DateTimeOffset InAnHour => ClusterFixture.Time.GetUtcNow().AddHours(1);

    [Fact]
    public async Task A_count_lists_a_slot_whose_first_listing_in_the_index_never_happened()
    {
        // The first count was stored, and then its call listing the slot in the article's index failed (the article's
        // write, a timeout, a crash between the two): the stream has the count, the index no slot.
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var serializer = fixture.Cluster.Client.ServiceProvider.GetRequiredService<Serializer>();
        await ClusterFixture.Journal.AppendAsync(new JournalEntry($"slot/{new StockSlotKey(sku, location)}", 1, serializer.SerializeToArray<SlotEvent>(new StockCounted(5, 0))));
        var before = (await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(sku).GetIndexAsync()).Value;

        await _world.Slot(sku, location).SetStockAsync(new SetStockRequest(7, 0));
        var after = (await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(sku).GetIndexAsync()).Value;

        Assert.Empty(before);
        Assert.Equal([(location, 7)], after.Select(e => (e.LocationId, e.Available)));
    }

    [Fact]
    public async Task Hold_is_refused_when_it_would_exceed_available_stock()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 5, safetyStock: 1);
        var slot = _world.Slot(sku, location);

        var refused = await slot.HoldAsync(new HoldRequest("h1", 5, "web", InAnHour));
        var held = await slot.HoldAsync(new HoldRequest("h2", 4, "web", InAnHour));

        Assert.Equal(new HoldResult(HoldStatus.Refused, 4), refused);
        Assert.Equal(new HoldResult(HoldStatus.Held, 0), held);
        Assert.Equal(HoldStatus.Refused, (await slot.HoldAsync(new HoldRequest("h3", 1, "web", InAnHour))).Status);
    }

    [Fact]
    public async Task Holding_again_with_the_same_id_changes_nothing_and_another_quantity_conflicts()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);

        await slot.HoldAsync(new HoldRequest("h", 3, "web", InAnHour));
        var again = await slot.HoldAsync(new HoldRequest("h", 3, "web", InAnHour));
        var other = await slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour));

        Assert.Equal(new HoldResult(HoldStatus.AlreadyHeld, 7), again);
        Assert.Equal(new HoldResult(HoldStatus.Conflict, 7), other);
        Assert.Equal(3, (await slot.GetAsync())!.Held);
    }

    [Fact]
    public async Task Release_returns_the_units_once()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.HoldAsync(new HoldRequest("h", 4, "web", InAnHour));

        var first = await slot.ReleaseAsync(new ReleaseRequest("h"));
        var second = await slot.ReleaseAsync(new ReleaseRequest("h"));

        Assert.Equal(new ReleaseResult(true, 10), first);
        Assert.Equal(new ReleaseResult(false, 10), second);
    }

    [Fact]
    public async Task A_hold_lapses_exactly_at_its_expiry_and_returns_its_units_once()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        var expiresAt = ClusterFixture.Time.GetUtcNow().AddSeconds(30);
        await slot.HoldAsync(new HoldRequest("h", 6, "web", expiresAt));

        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        var justBefore = await slot.GetAsync();
        ClusterFixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        var atExpiry = await slot.GetAsync();
        var lateRelease = await slot.ReleaseAsync(new ReleaseRequest("h"));

        Assert.Equal((6, 4), (justBefore!.Held, justBefore.Available));
        Assert.Equal((0, 10), (atExpiry!.Held, atExpiry.Available));
        Assert.Equal(new ReleaseResult(false, 10), lateRelease);
    }

    [Fact]
    public async Task A_hold_released_and_placed_again_under_its_id_lapses_at_its_new_expiry_not_the_old_one()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.HoldAsync(new HoldRequest("h", 6, "web", ClusterFixture.Time.GetUtcNow().AddSeconds(30)));
        await slot.ReleaseAsync(new ReleaseRequest("h"));
        var again = await slot.HoldAsync(new HoldRequest("h", 6, "web", InAnHour));

        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(30));
        var atTheOldExpiry = await slot.GetAsync();

        Assert.Equal(new HoldResult(HoldStatus.Held, 4), again);
        Assert.Equal((6, 4), (atTheOldExpiry!.Held, atTheOldExpiry.Available));
        Assert.Equal(HoldStatus.Refused, (await slot.HoldAsync(new HoldRequest("h2", 5, "web", InAnHour))).Status);
    }

    [Fact]
    public async Task A_hold_a_new_activation_loaded_lapses_at_its_expiry()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        var slot = _world.Slot(sku, location);
        await slot.HoldAsync(new HoldRequest("h", 4, "web", ClusterFixture.Time.GetUtcNow().AddSeconds(30)));

        await fixture.DeactivateAllAsync();
        var loaded = await slot.GetAsync();
        ClusterFixture.Time.Advance(TimeSpan.FromSeconds(30));
        var atExpiry = await slot.GetAsync();

        Assert.Equal((4, 6), (loaded!.Held, loaded.Available));
        Assert.Equal((0, 10), (atExpiry!.Held, atExpiry.Available));
    }

    [Fact]
    public async Task A_count_retried_after_a_later_count_pushed_the_slot_past_its_memory_of_counts_is_still_recognised()
    {
        // The slot remembers its last CountsKept counts: the one before the latest must be among them, whatever the
        // oldest it forgot.
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var slot = _world.Slot(sku, location);
        for (var i = 0; i <= StockSlotState.CountsKept; i++)
        {
            Assert.Equal(SetStockStatus.Set, (await slot.SetStockAsync(new SetStockRequest(i, 0, CountId: $"count-{i}"))).Status);
        }

        var retried = await slot.SetStockAsync(new SetStockRequest(StockSlotState.CountsKept - 1, 0, CountId: $"count-{StockSlotState.CountsKept - 1}"));

        Assert.Equal((SetStockStatus.Set, StockSlotState.CountsKept), (retried.Status, retried.Slot!.OnHand));
        Assert.Equal(StockSlotState.CountsKept, (await slot.GetAsync())!.OnHand);
    }

    [Fact]
    public async Task Safety_stock_is_never_promised()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var snapshot = await _world.StockAsync(sku, location, onHand: 3, safetyStock: 3);

        Assert.Equal(0, snapshot.Available);
        Assert.Equal(HoldStatus.Refused, (await _world.Slot(sku, location).HoldAsync(new HoldRequest("h", 1, "web", InAnHour))).Status);
    }

    [Fact]
    public async Task Stock_below_its_safety_stock_breaks_no_promise_but_stock_below_the_holds_does()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var below = await _world.StockAsync(sku, location, onHand: 3, safetyStock: 5);
        await _world.StockAsync(sku, location, onHand: 10, safetyStock: 2);
        await _world.Slot(sku, location).HoldAsync(new HoldRequest("h", 8, "web", InAnHour));

        var recount = await _world.StockAsync(sku, location, onHand: 6, safetyStock: 2);

        Assert.Equal((0, 0), (below.Available, below.Overcommitted));
        Assert.Equal((0, 2), (recount.Available, recount.Overcommitted));
    }

    [Fact]
    public async Task A_count_below_what_is_held_is_accepted_and_reported_as_overcommitted()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 10);
        await _world.Slot(sku, location).HoldAsync(new HoldRequest("h", 8, "web", InAnHour));

        var recount = await _world.StockAsync(sku, location, onHand: 5);

        Assert.Equal((5, 8, 0, 3), (recount.OnHand, recount.Held, recount.Available, recount.Overcommitted));
    }

    [Fact]
    public async Task Stock_for_an_unknown_article_or_location_is_refused_and_creates_nothing()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));

        var unknownArticle = await _world.Slot(_world.Id("nope"), location).SetStockAsync(new SetStockRequest(5, 0));
        var unknownLocation = await _world.Slot(sku, _world.Id("nowhere")).SetStockAsync(new SetStockRequest(5, 0));

        Assert.Equal(SetStockStatus.UnknownArticle, unknownArticle.Status);
        Assert.Equal(SetStockStatus.UnknownLocation, unknownLocation.Status);
        Assert.Null(await _world.Slot(sku, _world.Id("nowhere")).GetAsync());
    }

    [Fact]
    public async Task A_retried_count_brings_back_no_unit_shipped_since_and_its_id_with_other_numbers_is_refused()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        var slot = _world.Slot(sku, location);
        var counted = await slot.SetStockAsync(new SetStockRequest(10, 0, CountId: "count-1"));
        await slot.HoldAsync(new HoldRequest("r1", 2, "web", InAnHour));
        await slot.AllocateAsync(new AllocateRequest("o1/1", 2, "r1"));
        await slot.EndAllocationAsync(new EndAllocationRequest("o1/1", 0, AllocationEnd.Shipped));

        var retried = await slot.SetStockAsync(new SetStockRequest(10, 0, CountId: "count-1"));
        var reused = await slot.SetStockAsync(new SetStockRequest(12, 0, CountId: "count-1"));
        await fixture.DeactivateAllAsync();
        var retriedAfterReload = await slot.SetStockAsync(new SetStockRequest(10, 0, CountId: "count-1"));
        var next = await slot.SetStockAsync(new SetStockRequest(9, 0, CountId: "count-2"));

        Assert.Equal((SetStockStatus.Set, 10), (counted.Status, counted.Slot!.OnHand));
        Assert.Equal((SetStockStatus.Set, 8, 8), (retried.Status, retried.Slot!.OnHand, retried.Slot.Available));
        Assert.Equal((SetStockStatus.CountIdReused, 8), (reused.Status, reused.Slot!.OnHand));
        Assert.Equal((SetStockStatus.Set, 8), (retriedAfterReload.Status, retriedAfterReload.Slot!.OnHand));
        Assert.Equal((SetStockStatus.Set, 9), (next.Status, next.Slot!.OnHand));
    }

    [Fact]
    public async Task Stock_of_what_no_reservation_can_take_from_that_location_is_refused_and_creates_nothing()
    {
        var (shirt, warehouse) = (await _world.ArticleAsync("shirt"), await _world.LocationAsync("wh", 52, 13));
        var (kit, card, digital) = (_world.Id("kit"), _world.Id("card"), _world.Id("digital"));
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(kit).PutAsync(new Dom.Articles.ArticleInfo(kit, "kit", Dom.Articles.ArticleKind.Physical, null, [new Dom.Articles.BundleComponent(shirt, 2)]));
        await fixture.Grains.GetGrain<Dom.Articles.IArticleGrain>(card).PutAsync(new Dom.Articles.ArticleInfo(card, "card", Dom.Articles.ArticleKind.GiftCard, null));
        await fixture.Grains.GetGrain<Dom.Locations.ILocationGrain>(digital).PutAsync(new Dom.Locations.LocationInfo(digital, "digital", Dom.Locations.LocationType.Virtual, 52, 13, 0, "DE"));

        var bundle = await _world.Slot(kit, warehouse).SetStockAsync(new SetStockRequest(5, 0));
        var physicalAtVirtual = await _world.Slot(shirt, digital).SetStockAsync(new SetStockRequest(5, 0));
        var cardAtWarehouse = await _world.Slot(card, warehouse).SetStockAsync(new SetStockRequest(5, 0));
        var cardAtVirtual = await _world.Slot(card, digital).SetStockAsync(new SetStockRequest(5, 0));

        Assert.Equal((SetStockStatus.NotStockable, SetStockStatus.NotStockable, SetStockStatus.NotStockable), (bundle.Status, physicalAtVirtual.Status, cardAtWarehouse.Status));
        Assert.Equal(SetStockStatus.Set, cardAtVirtual.Status);
        Assert.Null(await _world.Slot(kit, warehouse).GetAsync());
        Assert.Null(await _world.Slot(shirt, digital).GetAsync());
    }

    [Fact]
    public async Task Oversell_storm_on_one_slot_grants_exactly_what_is_on_hand()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 200);
        var slot = _world.Slot(sku, location);

        var results = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => slot.HoldAsync(new HoldRequest($"h{i}", 1, "web", InAnHour))));

        var snapshot = await slot.GetAsync();
        Assert.Equal(200, results.Count(r => r.Status == HoldStatus.Held));
        Assert.Equal(400, results.Count(r => r.Status == HoldStatus.Refused));
        Assert.Equal((200, 0, 0), (snapshot!.Held, snapshot.Available, snapshot.Overcommitted));
    }

    [Fact]
    public async Task Oversell_storm_with_mixed_quantities_never_holds_more_than_available()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, onHand: 150, safetyStock: 7);
        var slot = _world.Slot(sku, location);
        var random = new Random(42);
        var quantities = Enumerable.Range(0, 300).Select(_ => random.Next(1, 6)).ToArray();

        var results = await Task.WhenAll(quantities.Select((q, i) => slot.HoldAsync(new HoldRequest($"h{i}", q, "web", InAnHour))));

        var granted = quantities.Where((_, i) => results[i].Status == HoldStatus.Held).Sum();
        var snapshot = await slot.GetAsync();
        Assert.InRange(granted, 143 - 4, 143);
        Assert.Equal(granted, snapshot!.Held);
        Assert.Equal(143 - granted, snapshot.Available);
    }
}
