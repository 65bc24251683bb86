using System.Net;
using System.Net.Http.Json;
using Dom.Reservations;
using Dom.Silo.Hosting;
using Dom.Silo.Tests.Hosting;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Dom.Silo.Tests.Postgres;

/// <summary>The silo on the Orleans ADO.NET providers against a real PostgreSQL, with the project's own schema.</summary>
[Collection(PostgresCollection.Name)]
public class PostgresSiloTests(PostgresFixture database)
{
    private static readonly string[] QueryKeys =
    [
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "ClearStorageKey", "DeleteMembershipTableEntriesKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey", "DeleteStorageKey", "GatewaysQueryKey", "InsertMembershipKey",
        "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "ReadFromStorageKey",
        "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey", "ReadReminderRowsKey", "UpdateIAmAlivetimeKey",
        "UpdateMembershipKey", "UpsertReminderRowKey", "WriteToStorageKey",
    ];

    [Fact]
    public async Task The_schema_registers_every_provider_query_and_applying_it_again_changes_nothing()
    {
        var keys = await database.ScalarAsync<string[]>("SELECT array_agg(querykey ORDER BY querykey) FROM orleansquery");
        var versions = await database.ScalarAsync<long>("SELECT count(*) FROM dom_schema_version");

        var again = await DatabaseSchema.ApplyAsync(database.ConnectionString);

        Assert.Equal(QueryKeys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(DatabaseSchema.Scripts.Count, versions);
        Assert.Empty(again);
    }

    [Fact]
    public async Task A_silo_joins_the_cluster_through_the_membership_table()
    {
        var clusterId = $"pg-{Guid.NewGuid():N}";
        await using var silo = await database.StartSiloAsync(clusterId: clusterId);

        var active = await database.ScalarAsync<long>("SELECT count(*) FROM orleans_membership WHERE deployment_id = @cluster AND status = 3", ("cluster", clusterId));
        using var ready = await silo.Client().GetAsync("/health/ready");

        Assert.Equal(1, active);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task The_silos_statement_and_cancellation_timeouts_together_stay_below_its_response_timeout()
    {
        await using var silo = await database.StartSiloAsync();

        var connections = new NpgsqlConnectionStringBuilder(silo.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
        var response = silo.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Orleans.Configuration.SiloMessagingOptions>>().Value.ResponseTimeout;

        Assert.True(
            TimeSpan.FromSeconds(connections.CommandTimeout) + TimeSpan.FromMilliseconds(connections.CancellationTimeout) < response,
            $"statement {connections.CommandTimeout} s + cancellation {connections.CancellationTimeout} ms, response {response}");
    }

    [Fact]
    public async Task The_silos_pool_takes_connections_back_without_a_reset_unless_its_connection_string_asks_for_one()
    {
        bool Resets(SiloHost silo) => !new NpgsqlConnectionStringBuilder(silo.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString).NoResetOnClose;

        await using (var silo = await database.StartSiloAsync())
        {
            Assert.False(Resets(silo));
        }

        await using var resetting = await database.StartSiloAsync(connectionString: database.ConnectionString + ";no reset on close=false");
        Assert.True(Resets(resetting));
    }

    [Fact]
    public async Task The_silos_statements_are_prepared_after_a_few_uses_unless_its_connection_string_says_otherwise()
    {
        int Prepares(SiloHost silo) => new NpgsqlConnectionStringBuilder(silo.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString).MaxAutoPrepare;

        await using (var silo = await database.StartSiloAsync())
        {
            Assert.Equal(PostgresSetup.AutoPreparedStatements, Prepares(silo));
        }

        await using var unprepared = await database.StartSiloAsync(connectionString: database.ConnectionString + ";max auto prepare=0");
        Assert.Equal(0, Prepares(unprepared));
    }

    [Fact]
    public async Task A_reminder_fires_and_is_removed()
    {
        await using var silo = await database.StartSiloAsync();
        var key = Guid.NewGuid().ToString("N");
        var fired = ReminderProbeGrain.Fired.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        await silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IReminderProbeGrain>(key).ArmAsync();
        var stored = await database.ScalarAsync<long>("SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE @key", ("key", $"%{key}%"));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, stored);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE @key", ("key", $"%{key}%")));
    }

    [Fact]
    public async Task Acknowledged_stock_and_holds_survive_a_silo_restart()
    {
        string sku, location, id;
        await using (var first = await database.StartSiloAsync())
        {
            var catalog = new Catalog(first);
            (sku, location, id) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1), catalog.Id("r"));
            await catalog.StockAsync(sku, location, 10, safetyStock: 1);
            using var created = await (await first.ClientForAsync("channel", "web")).PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 4)), SiloHost.Json);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await using var second = await database.StartSiloAsync();
        var slot = await second.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);
        var reservation = await (await second.ClientForAsync("channel", "other")).GetAsync($"/api/v1/reservations/{id}");
        var channel = await second.ClientForAsync("channel", "web");
        var view = await channel.GetFromJsonAsync<ReservationView>($"/api/v1/reservations/{id}", SiloHost.Json);
        using var tooMuch = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(Guid.NewGuid().ToString("N"), (sku, 6)), SiloHost.Json);

        Assert.Equal((10, 1, 4, 5), (slot!.OnHand, slot.SafetyStock, slot.Held, slot.Available));
        Assert.Equal(HttpStatusCode.NotFound, reservation.StatusCode);
        Assert.Equal(ReservationStatus.Held, view!.Status);
        Assert.Equal([new Allocation(location, 4)], view.Lines.Single().Allocations);
        Assert.Equal(HttpStatusCode.Conflict, tooMuch.StatusCode);
    }

    [Fact]
    public async Task A_hold_that_expires_while_the_silo_is_down_is_released_after_the_restart_exactly_once()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string sku, location, id;
        await using (var first = await database.StartSiloAsync(time))
        {
            var catalog = new Catalog(first);
            (sku, location, id) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1), catalog.Id("r"));
            await catalog.StockAsync(sku, location, 10);
            using var created = await (await first.ClientForAsync("channel", "web")).PostAsJsonAsync(
                "/api/v1/reservations",
                new { reservationId = id, ttlSeconds = 60, shipTo = new { country = "DE", latitude = 52.5, longitude = 13.4 }, lines = new[] { new { sku, quantity = 4 } } },
                SiloHost.Json);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(61));
        await using var second = await database.StartSiloAsync(time);
        var channel = await second.ClientForAsync("channel", "web");
        var slot = await second.Operator().GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);
        var view = await channel.GetFromJsonAsync<ReservationView>($"/api/v1/reservations/{id}", SiloHost.Json);
        using var release = await channel.DeleteAsync($"/api/v1/reservations/{id}");
        using var eleven = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(Guid.NewGuid().ToString("N"), (sku, 11)), SiloHost.Json);
        using var ten = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(Guid.NewGuid().ToString("N"), (sku, 10)), SiloHost.Json);

        Assert.Equal((0, 10), (slot!.Held, slot.Available));
        Assert.Equal(ReservationStatus.Expired, view!.Status);
        Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, eleven.StatusCode);
        Assert.Equal(HttpStatusCode.Created, ten.StatusCode);
    }

    [Fact]
    public async Task A_slot_whose_journal_lost_a_row_answers_a_clear_error_after_the_restart_is_planned_without_and_stores_nothing()
    {
        string sku, location;
        await using (var first = await database.StartSiloAsync())
        {
            var catalog = new Catalog(first);
            (sku, location) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1));
            await catalog.StockAsync(sku, location, 10);
            var channel = await first.ClientForAsync("channel", "web");
            foreach (var id in new[] { catalog.Id("r1"), catalog.Id("r2") })
            {
                using var created = await channel.PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(id, (sku, 2)), SiloHost.Json);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
        }

        // A bad restore or a hand edit: the first hold's row is gone, the second's is still there.
        var stream = $"slot/{new StockSlotKey(sku, location)}";
        var deleted = await database.ScalarAsync<long>("WITH d AS (DELETE FROM dom_journal WHERE stream = @s AND seq = 2 RETURNING 1) SELECT count(*) FROM d", ("s", stream));
        var rows = await database.ScalarAsync<long>("SELECT count(*) FROM dom_journal WHERE stream = @s", ("s", stream));

        await using var second = await database.StartSiloAsync();
        using var read = await second.Operator().GetAsync($"/api/v1/stock/{location}/{sku}");
        var problem = await read.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>(SiloHost.Json);
        using var reservation = await (await second.ClientForAsync("channel", "web")).PostAsJsonAsync("/api/v1/reservations", Catalog.Reservation(Guid.NewGuid().ToString("N"), (sku, 1)), SiloHost.Json);

        Assert.Equal((1L, 2L), (deleted, rows));
        Assert.Equal(HttpStatusCode.InternalServerError, read.StatusCode);
        Assert.Equal("application/problem+json", read.Content.Headers.ContentType?.MediaType);
        Assert.Equal("The stored state of an item this request needs is damaged.", problem!.Title);
        Assert.DoesNotContain(stream, await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, reservation.StatusCode);
        Assert.Equal(rows, await database.ScalarAsync<long>("SELECT count(*) FROM dom_journal WHERE stream = @s", ("s", stream)));
    }
}

/// <summary>An order's life across a silo restart on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public class PostgresOrderTests(PostgresFixture database)
{
    [Fact]
    public async Task A_silo_restart_in_the_middle_of_an_order_loses_nothing()
    {
        string sku, location, id = $"o-{Guid.NewGuid():N}";
        await using (var first = await database.StartSiloAsync())
        {
            (sku, location) = await PlaceAsync(first, id);
            using var shipped = await first.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s1", locationId = location, type = "shipped", quantity = 1 }, SiloHost.Json);
            Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);
        }

        await using var second = await database.StartSiloAsync();
        var op = second.Operator();
        var before = await op.GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{id}", SiloHost.Json);
        using var rest = await op.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s2", locationId = location, type = "shipped" }, SiloHost.Json);
        using var repeated = await op.PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s1", locationId = location, type = "shipped", quantity = 1 }, SiloHost.Json);
        var after = await op.GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{id}", SiloHost.Json);
        var slot = await op.GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);

        Assert.Equal((Dom.Orders.OrderStatus.PartiallyShipped, 1), (before!.Status, before.Lines.Single().Allocations.Single().Shipped));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (rest.StatusCode, repeated.StatusCode));
        Assert.Equal(Dom.Orders.OrderStatus.Shipped, after!.Status);
        Assert.Equal((7, 0, 7), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task A_return_received_before_a_silo_restart_stays_received_and_restocked_once_after_it()
    {
        string sku, location, id = $"o-{Guid.NewGuid():N}";
        var receipt = new { lines = new[] { new { lineId = "l1", restock = 2 } } };
        await using (var first = await database.StartSiloAsync())
        {
            (sku, location) = await PlaceAsync(first, id);
            var channel = await first.ClientForAsync("channel", "web");
            using var shipped = await first.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s1", locationId = location, type = "shipped" }, SiloHost.Json);
            using var announced = await channel.PostAsJsonAsync($"/api/v1/orders/{id}/returns",
                new { returnId = "r1", locationId = location, lines = new[] { new { lineId = "l1", quantity = 2, reason = "tooBig" } } }, SiloHost.Json);
            using var received = await first.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", receipt, SiloHost.Json);
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (shipped.StatusCode, announced.StatusCode, received.StatusCode));
        }

        await using var second = await database.StartSiloAsync();
        var op = second.Operator();
        var order = await op.GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{id}", SiloHost.Json);
        using var retried = await op.PostAsJsonAsync($"/api/v1/orders/{id}/returns/r1/receive", receipt, SiloHost.Json);
        var slot = await op.GetFromJsonAsync<SlotSnapshot>($"/api/v1/stock/{location}/{sku}", SiloHost.Json);

        Assert.Equal((Dom.Orders.ReturnStatus.Received, 20m, 2), (order!.Returns.Single().Status, order.Refunded, order.Lines.Single().ReturnedQuantity));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal((9, 0, 9), (slot!.OnHand, slot.Allocated, slot.Available));
    }

    [Fact]
    public async Task Promotions_an_order_s_discounts_payments_and_its_ledger_entries_survive_a_silo_restart()
    {
        string sku, id = $"o-{Guid.NewGuid():N}", promotion = $"p-{Guid.NewGuid():N}";
        DateOnly day;
        await using (var first = await database.StartSiloAsync())
        {
            var catalog = new Catalog(first);
            sku = await catalog.ArticleAsync("a");
            var location = await catalog.LocationAsync("l", 52.4, 13.1);
            await catalog.StockAsync(sku, location, 10);
            using var saved = await first.Operator().PutAsJsonAsync($"/api/v1/promotions/{promotion}", new { name = "20 % off", kind = "percentage", percent = 20, skus = new[] { sku } }, SiloHost.Json);
            using var created = await (await first.ClientForAsync("channel", "web")).PostAsJsonAsync("/api/v1/orders", new
            {
                orderId = id,
                customerId = "c1",
                lines = new[] { new { lineId = "l1", sku, quantity = 2, unitPrice = 50m } },
                delivery = new { method = "ship", address = new { country = "DE", latitude = 52.5, longitude = 13.4 } },
                payments = new[] { new { method = "invoice", amount = 80m } },
            }, SiloHost.Json);
            using var shipped = await first.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/lines/l1/events", new { eventId = "s1", locationId = location, type = "shipped" }, SiloHost.Json);
            using var paid = await first.Operator().PostAsJsonAsync($"/api/v1/orders/{id}/payment-events", new { eventId = "bank-1", type = "received", amount = 30 }, SiloHost.Json);
            Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK), (saved.StatusCode, created.StatusCode, shipped.StatusCode, paid.StatusCode));
            day = DateOnly.FromDateTime((await shipped.Content.ReadFromJsonAsync<Dom.Orders.OrderView>(SiloHost.Json))!.Invoices[0].At.UtcDateTime);
        }

        await using var second = await database.StartSiloAsync();
        var op = second.Operator();
        var stored = await op.GetFromJsonAsync<Dom.Promotions.Promotion>($"/api/v1/promotions/{promotion}", SiloHost.Json);
        var order = await op.GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{id}", SiloHost.Json);
        var ledger = await op.GetFromJsonAsync<Dom.Silo.Api.LedgerExport>($"/api/v1/ledger?from={day:yyyy-MM-dd}&to={day.AddDays(1):yyyy-MM-dd}", SiloHost.Json);

        Assert.Equal((20m, sku), (stored!.Percent, stored.Skus!.Single()));
        Assert.Equal((80m, 20m, 50m), (order!.Total, order.Lines.Single().Discount, order.Outstanding));
        Assert.Equal([(Dom.Finance.LedgerEntryKind.Invoice, 80m), (Dom.Finance.LedgerEntryKind.PaymentReceived, -30m)],
            ledger!.Entries.Where(e => e.OrderId == id).Select(e => (e.Kind, e.Amount)));
    }

    [Fact]
    public async Task A_bundle_order_s_parts_and_the_backorder_queue_survive_a_silo_restart()
    {
        string kit, waiting, location, bundled = $"o-{Guid.NewGuid():N}", backordered = $"o-{Guid.NewGuid():N}";
        await using (var first = await database.StartSiloAsync())
        {
            var catalog = new Catalog(first);
            var (a, b) = (await catalog.ArticleAsync("a"), await catalog.ArticleAsync("b"));
            waiting = await catalog.ArticleAsync("w");
            location = await catalog.LocationAsync("l", 52.4, 13.1);
            await catalog.StockAsync(a, location, 10);
            await catalog.StockAsync(b, location, 10);
            kit = $"kit-{Guid.NewGuid():N}";
            using var put = await first.Operator().PutAsJsonAsync($"/api/v1/articles/{kit}", new { name = "Kit", components = new[] { new { sku = a, quantity = 1, priceShare = 3m }, new { sku = b, quantity = 1, priceShare = 1m } } }, SiloHost.Json);
            var web = await first.ClientForAsync("channel", "web");
            object Body(string id, string sku) => new
            {
                orderId = id,
                customerId = "c1",
                lines = new[] { new { lineId = "l1", sku, quantity = 1, unitPrice = 40m } },
                delivery = new { method = "ship", address = new { country = "DE", latitude = 52.5, longitude = 13.4 } },
            };
            using var ordered = await web.PostAsJsonAsync("/api/v1/orders", Body(bundled, kit), SiloHost.Json);
            using var waits = await web.PostAsJsonAsync("/api/v1/orders", Body(backordered, waiting), SiloHost.Json);
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.Created), (put.StatusCode, ordered.StatusCode, waits.StatusCode));
        }

        await using var second = await database.StartSiloAsync();
        var op = second.Operator();
        var order = await op.GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{bundled}", SiloHost.Json);
        var queue = await op.GetFromJsonAsync<Dom.Silo.Api.BackorderQueueView>($"/api/v1/backorders/{waiting}", SiloHost.Json);
        await new Catalog(second).StockAsync(waiting, location, 1);
        using var served = await op.PostAsync($"/api/v1/backorders/{waiting}/serve", null);
        var supplied = await op.GetFromJsonAsync<Dom.Orders.OrderView>($"/api/v1/orders/{backordered}", SiloHost.Json);

        Assert.Equal([("l1.1", 30m, kit), ("l1.2", 10m, kit)], order!.Lines.Select(l => (l.LineId, l.Value, l.Bundle!.Sku)));
        Assert.Equal([backordered], queue!.Orders.Select(o => o.OrderId));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(Dom.Orders.OrderStatus.Released, supplied!.Status);
    }

    /// <summary>A fresh article with 10 units at a fresh location, and order <paramref name="id"/> of channel "web" for 3
    /// of them (line l1, 10 EUR each).</summary>
    private static async Task<(string Sku, string Location)> PlaceAsync(SiloHost silo, string id)
    {
        var catalog = new Catalog(silo);
        var (sku, location) = (await catalog.ArticleAsync("a"), await catalog.LocationAsync("l", 52.4, 13.1));
        await catalog.StockAsync(sku, location, 10);
        using var created = await (await silo.ClientForAsync("channel", "web")).PostAsJsonAsync("/api/v1/orders", new
        {
            orderId = id,
            customerId = "c1",
            lines = new[] { new { lineId = "l1", sku, quantity = 3, unitPrice = 10m } },
            delivery = new { method = "ship", address = new { country = "DE", latitude = 52.5, longitude = 13.4 } },
        }, SiloHost.Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (sku, location);
    }
}
