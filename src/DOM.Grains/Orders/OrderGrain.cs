using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dom.Articles;
using Dom.Customers;
using Dom.Domain.Money;
using Dom.Domain.Risk;
using Dom.Finance;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Grains.Notifications;
using Dom.Grains.Sourcing;
using Dom.Grains.Risk;
using Dom.Locations;
using Dom.Domain.Pricing;
using Dom.Grains.Promotions;
using Dom.Orders;
using Dom.Promotions;
using Dom.Reservations;
using Dom.Risk;
using Dom.Sourcing;
using Dom.Stock;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace Dom.Grains.Orders;

/// <summary>
/// An order through its life: intake (risk check, then routing: the named reservation's holds become allocations, or
/// sourcing holds and allocates afresh), fulfilment events from locations and partners, cancellation, review, and the
/// service processes (re-routing a rejected line, backorders, late delivery, replacements). Every change is journaled
/// before it is acknowledged; stock and capacity effects are idempotent by allocation and booking ids, so an
/// interrupted intake or a retried event never claims stock twice.
/// </summary>
internal sealed class OrderGrain(
    IGrainJournal journal,
    Serializer serializer,
    DomClock clock,
    IOptions<OrderOptions> options,
    IOptions<RiskPolicy> riskPolicy,
    IOptions<TaxRates> taxRates,
    Sourcer sourcer,
    WebhookSender webhooks,
    ILogger<OrderGrain> logger)
    : JournaledGrain<OrderState, OrderChanged>(journal, serializer, logger), IOrderGrain, IRemindable
{
    private const string IntakeReminder = "intake";
    private const string PromiseReminder = "promised";
    private const string BackorderReminder = "backorders";
    private const string OutboxReminder = "outbox";
    private const string LedgerReminder = "ledger";
    private const string PickupReminder = "pickup";

    /// <summary>The ledger entries this activation posted (after a reactivation the next post, by a change, the reminder
    /// or a relist, sends them all again: the ledger records each once).</summary>
    private readonly HashSet<string> _ledgered = new(StringComparer.Ordinal);
    private bool _ledgerArmed;

    /// <summary>True while this activation knows the outbox reminder is registered.</summary>
    private bool _outboxArmed;
    private static readonly TimeSpan RoutingHoldTtl = TimeSpan.FromMinutes(10);
    private const int MaxReplacementIdTries = 20;

    /// <summary>True once this activation did the stored <see cref="OrderState.Effects"/> (none counts as done).</summary>
    private bool _effectsDone;

    /// <summary>True once the order list took the order as this activation has it.</summary>
    private bool _listed;

    /// <summary>The SKUs whose backorder queues this activation put the order in.</summary>
    private HashSet<string> _queued = new(StringComparer.Ordinal);

    protected override string Stream => $"order/{this.GetPrimaryKeyString()}";

    protected override OrderState Initial => new();

    protected override int SnapshotEvery => 50;

    private string OrderId => this.GetPrimaryKeyString();

    private OrderView View => State.View!;

    private CreateOrderRequest Request => State.Request!;

    /// <summary><see cref="CustomerTier.Vip"/> as sourcing profiles name it (camelCase, as the API writes tiers).</summary>
    private const string VipTier = "vip";

    protected override OrderState Apply(OrderState state, OrderChanged @event) => @event.State;

    /// <summary>An order stored by a build before returns or invoices (its last event, or its snapshot, which is loaded
    /// without events) has none: empty lists, not null. One stored before payment events has what its invoices made due
    /// outstanding (that build worked out nothing of it).</summary>
    protected override void OnLoaded()
    {
        if (State.View is { } view && (view.Returns is null || view.Invoices is null || view.PaymentEvents is null))
        {
            var loaded = view with { Returns = view.Returns ?? [], Invoices = view.Invoices ?? [], PaymentEvents = view.PaymentEvents ?? [] };
            State = State with { View = view.PaymentEvents is null && State.Request is { } request ? Settled(loaded, request.Payments.Count) : loaded };
        }
    }

    public async Task<CreateOrderResult> CreateAsync(CreateOrderRequest request)
    {
        EnsureUsable();
        var fingerprint = Fingerprint(request);
        if (State.Request is not null)
        {
            if (fingerprint != State.Fingerprint && Fingerprint(request, asWritten: true) != State.Fingerprint)
            {
                return new CreateOrderResult(OrderOutcome.IdempotencyConflict, null, $"Order {OrderId} exists with another body.");
            }

            if (State.View is null)
            {
                // Accepted, and stopped before the order was written (a crash, a failed save): the retry takes it in.
                return await TakeInAsync(null);
            }

            // The retry of an intake that stopped half-way (a crash, a failed save) finishes it before answering.
            if (!State.Routed)
            {
                await CompleteIntakeAsync();
            }

            return new CreateOrderResult(OrderOutcome.Replayed, Current(View), null);
        }

        // A pickup store that is none would leave every line unroutable: refused before anything is stored or claimed.
        // Not a replacement: it goes where its original went, and is owed to the customer whatever became of the store.
        if (request.ReplacementFor is null && request.Delivery is { Method: DeliveryMethod.Pickup, PickupLocationId: { } pickupId }
            && LocationInfo.PickupProblem(pickupId, await GrainFactory.Get<ILocationGrain>(pickupId).GetAsync()) is { } pickupProblem)
        {
            return new CreateOrderResult(OrderOutcome.Unsupported, null, pickupProblem);
        }

        var articles = await Task.WhenAll(request.Lines.Select(l => GrainFactory.Get<IArticleGrain>(l.Sku).GetAsync()));
        if (request.Lines.Where((_, i) => articles[i] is null).Select(l => l.Sku).ToList() is { Count: > 0 } unknown)
        {
            // Not sold here at all: backordered, it would wait for stock that never comes and tell the customer so.
            return new CreateOrderResult(OrderOutcome.Unsupported, null, $"No article {string.Join(", ", unknown)}.");
        }

        // A bundle becomes a line per component, as the article lists them now. Refused before anything is stored or
        // claimed when a part could not be a line of its own (its id taken, its SKU on another line).
        var (parts, partProblem) = PartsOf(request, articles!);
        if (partProblem is not null)
        {
            return new CreateOrderResult(OrderOutcome.Unsupported, null, partProblem);
        }

        var (reservation, mismatch) = await CheckReservationAsync(request, parts);
        if (mismatch is not null)
        {
            return new CreateOrderResult(OrderOutcome.ReservationMismatch, null, mismatch);
        }

        // The time the order is placed: priced by the promotions valid then, and stored as accepted then.
        var placedAt = clock.UtcNow;
        var (priced, couponProblem) = await PriceAsync(request, placedAt);
        if (couponProblem is not null)
        {
            return new CreateOrderResult(OrderOutcome.CouponNotValid, null, couponProblem);
        }

        var discounts = PartDiscounts(request, parts, priced);

        // Written ahead of everything it changes elsewhere (the reservation's claim, the customer's history): a failed
        // save leaves nothing behind, and once it is stored the order is taken in, by the retry or by the reminder if
        // the client never comes back. The reminder first, so no stored intake is left without one (a reminder finding
        // no order unregisters itself).
        await this.RegisterOrUpdateReminder(IntakeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await Raise(new OrderChanged(new OrderState { Fingerprint = fingerprint, Request = request, AcceptedAt = placedAt, Discounts = discounts, Parts = parts }));
        return await TakeInAsync(reservation);
    }

    /// <summary>What the promotions valid for the order now (its channel, currency and coupons) take off its lines, or why
    /// a coupon it carries is refused: one that unlocks no promotion for it. A replacement is free and takes none.</summary>
    private async Task<(ImmutableList<PricedDiscount> Discounts, string? Problem)> PriceAsync(CreateOrderRequest request, DateTimeOffset at)
    {
        if (request.ReplacementFor is not null)
        {
            return ([], null);
        }

        var coupons = request.Coupons ?? [];
        var promotions = await GrainFactory.Get<IPromotionCatalogGrain>(0).ForOrderAsync(new PromotionQuery(request.Channel, request.Currency, at, coupons));
        var rules = promotions.Select(p => p.ToRule()).ToList();
        if (coupons.FirstOrDefault(c => !rules.Any(r => string.Equals(r.Code, c, StringComparison.OrdinalIgnoreCase))) is { } invalid)
        {
            return ([], $"The coupon {invalid} is not valid for this order (unknown, not valid now, or not for its channel or currency).");
        }

        var lines = request.Lines.Select(l => new PricedLine(l.LineId, l.Sku, l.Quantity, l.UnitPrice)).ToList();
        var applied = Dom.Domain.Pricing.Promotions.Apply(lines, rules, request.Currency);
        return ([.. applied.Select(d => new PricedDiscount(d.LineId, d.PromotionId, d.Name, d.Amount))], null);
    }

    /// <summary>The parts of the request's bundle lines, one line per component (in the order the article lists them), or
    /// why one cannot be a line of its own: its id (the bundle line's, '.', its number) is not a valid id or is another
    /// line's, or its SKU is on another line too (an order carries each SKU on one line).</summary>
    private static (ImmutableList<PlannedPart> Parts, string? Problem) PartsOf(CreateOrderRequest request, IReadOnlyList<ArticleInfo> articles)
    {
        var parts = ImmutableList.CreateBuilder<PlannedPart>();
        for (var i = 0; i < request.Lines.Count; i++)
        {
            var (line, article) = (request.Lines[i], articles[i]);
            if (article.Components is not { Count: > 0 } components)
            {
                continue;
            }

            var specs = components.Select(c => new BundlePartSpec(c.Sku, c.Quantity, c.PriceShare)).ToList();
            foreach (var part in Bundles.Explode(line.LineId, line.Quantity, line.UnitPrice, specs, request.Currency))
            {
                if (!Ids.IsValid(part.LineId) || request.Lines.Any(l => l.LineId == part.LineId))
                {
                    return ([], $"Line {line.LineId} is bundle {line.Sku}: its parts are lines {Bundles.PartLineId(line.LineId, 0)} to {Bundles.PartLineId(line.LineId, components.Count - 1)}, and {part.LineId} cannot be one (too long, or the id of another line).");
                }

                parts.Add(new PlannedPart(part.LineId, part.Sku, part.Quantity, new BundlePart(line.LineId, line.Sku, part.PerBundle, part.Price, article.AllowSplit)));
            }
        }

        var skus = Wanted(request, parts).GroupBy(w => w.Sku, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return skus is null ? (parts.ToImmutable(), null) : ([], $"{skus.Key} is on more than one line (as an article or a bundle's component): an order carries each SKU on one line.");
    }

    /// <summary>What the order asks for, line by line, SKU by SKU: a bundle line as its parts (each with its
    /// <c>Bundle</c>; null for a line of a single article).</summary>
    private static IEnumerable<(string LineId, string Sku, int Quantity, BundlePart? Bundle)> Wanted(CreateOrderRequest request, IReadOnlyList<PlannedPart> parts) =>
        request.Lines.SelectMany(l => parts.Where(p => p.Bundle.LineId == l.LineId).Select(p => (p.LineId, p.Sku, p.Quantity, (BundlePart?)p.Bundle)).ToList() is { Count: > 0 } mine
            ? mine
            : [(l.LineId, l.Sku, l.Quantity, null)]);

    /// <summary>The discounts the promotions took off the request's lines, those of a bundle line shared over its parts
    /// (<see cref="Bundles.Split"/>: in whole minor units, by what is left of each part's share of the price).</summary>
    private static ImmutableList<PricedDiscount> PartDiscounts(CreateOrderRequest request, IReadOnlyList<PlannedPart> parts, ImmutableList<PricedDiscount> discounts)
    {
        if (parts.Count == 0)
        {
            return discounts;
        }

        var result = ImmutableList.CreateBuilder<PricedDiscount>();
        foreach (var line in request.Lines)
        {
            var taken = discounts.Where(d => d.LineId == line.LineId).ToList();
            var mine = parts.Where(p => p.Bundle.LineId == line.LineId).ToList();
            if (mine.Count == 0 || taken.Count == 0)
            {
                result.AddRange(taken);
                continue;
            }

            var shared = Bundles.Split(mine.Select(p => p.Bundle.Price).ToList(), taken.Select(d => d.Amount).ToList(), request.Currency);
            for (var k = 0; k < mine.Count; k++)
            {
                result.AddRange(taken.Select((d, j) => new PricedDiscount(mine[k].LineId, d.PromotionId, d.Name, shared[k][j])).Where(d => d.Amount > 0));
            }
        }

        return result.ToImmutable();
    }

    /// <summary>Takes in the stored request: claims its reservation, records it with the customer, checks its risk and
    /// writes the order, then routes it. <paramref name="checkedReservation"/> is the reservation as checked just before
    /// (null: looked up again). Idempotent: the claim and the customer's record are, for this order id.</summary>
    private async Task<CreateOrderResult> TakeInAsync(ReservationView? checkedReservation)
    {
        var request = Request;
        var reservation = checkedReservation;
        if (request.ReservationId is { } reservationId)
        {
            // Checked, then claimed at once: of two orders naming one reservation, the second is refused rather than
            // taken in on fresh stock. Claiming is idempotent for this order, so a retried intake gets it again.
            var mismatch = reservation is null ? (await CheckReservationAsync(request, State.Parts)).Problem : null;
            if (mismatch is not null || await GrainFactory.Get<IReservationGrain>(reservationId).ConvertAsync(request.Channel, OrderId) is not { } claimed)
            {
                // Nothing was claimed or recorded for the order: the accepted request goes, and the id is free again.
                await Raise(new OrderChanged(new OrderState()));
                await UnregisterAsync(IntakeReminder);
                return new CreateOrderResult(OrderOutcome.ReservationMismatch, null, mismatch ?? $"Reservation {reservationId} was taken over by another order.");
            }

            reservation = claimed;
        }

        // The order was placed when it was accepted, however late it is taken in (earlier builds stored no such time).
        var now = State.AcceptedAt ?? clock.UtcNow;
        // Priced as the promotions stood when the request was accepted. A bundle line as its parts, each with its share of
        // the bundle's price per unit (rounded for show: its value is exact).
        OrderLine Line((string LineId, string Sku, int Quantity, BundlePart? Bundle) wanted)
        {
            var bundle = wanted.Bundle;
            var unitPrice = bundle is not null
                ? Currency.Round(bundle.Price / wanted.Quantity, request.Currency)
                : request.Lines.Single(l => l.LineId == wanted.LineId).UnitPrice;
            var discounts = State.Discounts.Where(d => d.LineId == wanted.LineId).Select(d => new LineDiscount(d.PromotionId, d.Name, d.Amount)).ToList();
            return new OrderLine(wanted.LineId, wanted.Sku, wanted.Quantity, unitPrice, LineStatus.Backordered, [],
                Discounts: discounts.Count > 0 ? discounts : null, Bundle: bundle);
        }

        var lines = Wanted(request, State.Parts).Select(Line).ToList();
        // A replacement is not an order the customer placed: it counts neither in their history nor in their velocity.
        var customer = request.ReplacementFor is not null
            ? new CustomerOrderFacts(CustomerTier.Standard, 0, 0)
            : await GrainFactory.Get<ICustomerGrain>(request.CustomerId)
                .RecordOrderAsync(new CustomerOrderPlaced(OrderId, now, request.Customer?.Email, request.Customer?.Name, request.Channel), riskPolicy.Value.VelocityWindow);
        var risk = request.ReplacementFor is { } original
            ? new RiskOutcome(RiskDecision.Accept, [$"replacement for order {original}"])
            : await CheckRiskAsync(request, customer, lines.Sum(l => l.Value), lines.Max(l => l.Quantity));

        var view = new OrderView(
            OrderId, request.Channel, request.CustomerId, OrderStatus.Released, false,
            request.Priority || customer.Tier == CustomerTier.Vip, now, request.PromisedBy ?? now.AddDays(options.Value.DefaultPromiseDays), risk, lines,
            request.Delivery, request.Currency, lines.Sum(l => l.Value) + request.DeliveryCharge, request.ReservationId, request.ReplacementFor, [], [], [], [], 0m, [], 0m, [],
            DeliveryCharge: request.DeliveryCharge);
        view = Note(view, "received", null, $"channel {request.Channel}");
        view = Note(view, $"risk {risk.Decision.ToString().ToLowerInvariant()}", null, string.Join("; ", risk.Reasons));

        if (risk.Decision == RiskDecision.Reject)
        {
            // Its lines are cancelled, as a review's rejection cancels them (nothing is allocated, so nothing else ends), and
            // for the same reason: the KPIs count the risk check's verdict as fraud whether it came at intake or at review.
            var (rejected, _) = CancelUnshipped(view, null);
            await SaveAsync(State with { View = Notify(Recorded(view, rejected, CancelReason.Fraud), "orderRejected", null), Routed = true, Rejected = true });
            if (reservation is not null)
            {
                // The reservation is this order's now: its holds go back with the rejected order, once that is stored
                // (a retry after a failed save checks the risk again, and may take the order in on them).
                await GiveBackHoldsAsync(reservation.HeldUnder, reservation.Lines);
            }

            await UnregisterAsync(IntakeReminder);
            return new CreateOrderResult(OrderOutcome.Created, Current(View), null);
        }

        // The order, before touching stock: if the silo dies while routing, the intake reminder (registered when the
        // request was accepted) resumes it.
        await SaveAsync(State with { View = view, ReviewPending = risk.Decision == RiskDecision.Review });
        await CompleteIntakeAsync();
        return new CreateOrderResult(OrderOutcome.Created, Current(View), null);
    }

    /// <summary>Before a command acts on the order: an accepted request not taken in yet is taken in (else a cancel
    /// answered "not found" would be undone by the intake reminder), and an intake that stopped before it was routed is
    /// finished (its reservation's holds may be allocated at the slots already, which only the finished intake records:
    /// a cancel before it would leave them allocated).</summary>
    private async Task FinishIntakeAsync()
    {
        if (State.Request is not null && State.View is null)
        {
            await TakeInAsync(null);
        }
        else if (State.View is not null && !State.Routed)
        {
            await CompleteIntakeAsync();
        }
    }

    public Task<OrderView?> GetAsync()
    {
        EnsureUsable();
        // An accepted order is an order: read before it was written (its intake stopped), it is taken in first, as its
        // retry or its reminder would, so that what the read shows (and a cancel after it) is the order.
        return State.Request is not null && State.View is null ? TakeInThenGetAsync() : Task.FromResult(State.View is { } view ? Current(view) : null);
    }

    private async Task<OrderView?> TakeInThenGetAsync()
    {
        await TakeInAsync(null);
        return State.View is { } view ? Current(view) : null;
    }

    public async Task<OrderCommandResult> ReportAsync(FulfilmentEvent fulfilment)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        await FinishPendingAsync();

        // A location with no part in the order learns nothing of it: not whether it exists, nor its state, nor its
        // event ids (checked after a pending routing is finished, which may give it its part).
        if (!View.Lines.Any(l => l.Allocations.Any(a => OrderRules.Concerns(a, View.Delivery, fulfilment.LocationId))))
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        var fingerprint = $"{fulfilment.LineId}|{fulfilment.LocationId}|{fulfilment.Type}|{fulfilment.Quantity}|{fulfilment.Carrier}|{fulfilment.TrackingNumber}";
        // Event ids are each location's own: two stores may both send "1". (Ids stored before were the event id alone;
        // such an entry counts for the location its body names.)
        var eventKey = $"{fulfilment.LocationId}/{fulfilment.EventId}";
        if (State.Events.TryGetValue(eventKey, out var seen)
            || (State.Events.TryGetValue(fulfilment.EventId, out seen) && seen.Split('|')[1] == fulfilment.LocationId))
        {
            if (seen != fingerprint)
            {
                return Result(OrderCommandStatus.IdempotencyConflict, $"Event {fulfilment.EventId} was reported with another body.");
            }

            if (fulfilment.Type == FulfilmentEventType.Rejected && !State.Rejected && View.Status != OrderStatus.HeldForReview && View.Lines.Any(OrderRules.WaitsForSupply))
            {
                // A rejection stored whose routing elsewhere did not finish (its save failed): the retry routes it, as
                // the backorder reminder would (without telling the customer again).
                await SaveAsync(await RouteOpenUnitsAsync(State, announce: false));
                await SettleBackorderRetryAsync();
            }

            return Result(OrderCommandStatus.AlreadyDone);
        }

        if (View.Status is OrderStatus.HeldForReview or OrderStatus.Rejected or OrderStatus.Cancelled)
        {
            return Result(OrderCommandStatus.NotAllowed, $"The order is {View.Status}.");
        }

        if (fulfilment.Quantity is not null && fulfilment.Type is not (FulfilmentEventType.Shipped or FulfilmentEventType.Delivered or FulfilmentEventType.Rejected))
        {
            // The other steps act on every unit the location has of the line: a part of them cannot be picked up alone.
            // Checked here, after the event ids: a retry of an event an earlier build took with a quantity answers as
            // the first did.
            return Result(OrderCommandStatus.NotAllowed, "Only shipped, delivered and rejected take a quantity; the other events are for all the location's units of the line.");
        }

        var line = View.Lines.FirstOrDefault(l => l.LineId == fulfilment.LineId);
        // A line re-routed to a location it was already at has several allocations there: the event goes to the first
        // one it can follow.
        var atLocation = line?.Allocations.ToList() ?? [];
        // The location's own units first, then (the pickup store) units sent to it.
        bool Fits(OrderAllocation a) => OrderRules.IsActive(a) && OrderRules.Allows(fulfilment.Type, a, View.Delivery, fulfilment.LocationId);
        var index = atLocation.FindIndex(a => a.LocationId == fulfilment.LocationId && Fits(a));
        index = index >= 0 ? index : atLocation.FindIndex(a => OrderRules.Concerns(a, View.Delivery, fulfilment.LocationId) && Fits(a));
        index = index >= 0 ? index : atLocation.FindIndex(a => OrderRules.Concerns(a, View.Delivery, fulfilment.LocationId) && OrderRules.IsActive(a));
        if (line is null || index < 0)
        {
            return Result(OrderCommandStatus.NotFound, $"Line {fulfilment.LineId} has no open allocation at {fulfilment.LocationId}.");
        }

        var allocation = line.Allocations[index];
        if (fulfilment.Type == FulfilmentEventType.PickedUp && allocation.Status == AllocationStatus.PickedUp)
        {
            // One "picked up" hands over the whole line: a store's system that reports the line's rows one by one (as
            // earlier builds took them) finds the later ones done with the first.
            return Result(OrderCommandStatus.Done);
        }

        if (!OrderRules.Allows(fulfilment.Type, allocation, View.Delivery, fulfilment.LocationId))
        {
            return Result(OrderCommandStatus.NotAllowed, $"{fulfilment.Type} from {fulfilment.LocationId} does not follow {allocation.Status} at {allocation.LocationId} for a {View.Delivery.Method} order.");
        }

        var allocationId = SlotAllocationId(line, allocation);
        AllocationEnding? ending = null;
        OrderAllocation? rejectedPart = null;
        var view = View;
        switch (fulfilment.Type)
        {
            case FulfilmentEventType.Shipped:
                var quantity = fulfilment.Quantity ?? allocation.Quantity - allocation.Shipped;
                if (quantity <= 0 || allocation.Shipped + quantity > allocation.Quantity)
                {
                    return Result(OrderCommandStatus.NotAllowed, $"Only {allocation.Quantity - allocation.Shipped} units are left to ship there.");
                }

                ending = new AllocationEnding(line.Sku, allocation.LocationId, allocationId, allocation.Quantity - allocation.Shipped - quantity, AllocationEnd.Shipped);
                allocation = allocation with
                {
                    Status = AllocationStatus.Shipped,
                    Shipped = allocation.Shipped + quantity,
                    Carrier = fulfilment.Carrier ?? allocation.Carrier,
                    TrackingNumber = fulfilment.TrackingNumber ?? allocation.TrackingNumber,
                };
                // A transfer to the pickup store is not the customer's parcel: they hear when it is ready there. A parcel
                // carrying several lines (one event per line, the same tracking number) is one message.
                if (View.Delivery.Method == DeliveryMethod.Ship
                    && (fulfilment.TrackingNumber is null || !View.History.Any(h => h.Event == "shipped" && h.Detail == Whence(fulfilment))))
                {
                    view = Notify(view, "shipped", line.LineId, new Parcel(allocation.LocationId, quantity, allocation.Carrier, allocation.TrackingNumber));
                }

                break;
            case FulfilmentEventType.Delivered:
                // Parcel by parcel: the units given (all shipped and not delivered yet by default) arrived.
                var onTheirWay = allocation.Shipped - allocation.Delivered;
                var arrived = fulfilment.Quantity ?? onTheirWay;
                if (arrived <= 0 || arrived > onTheirWay)
                {
                    return Result(OrderCommandStatus.NotAllowed, $"Only {onTheirWay} units shipped from there are on their way.");
                }

                allocation = OrderRules.Settled(allocation with { Delivered = allocation.Delivered + arrived });
                break;
            case FulfilmentEventType.PickedUp:
                ending = new AllocationEnding(line.Sku, allocation.LocationId, allocationId, 0, AllocationEnd.Shipped);
                allocation = allocation with { Status = AllocationStatus.PickedUp, Shipped = allocation.Quantity };
                break;
            case FulfilmentEventType.Rejected:
                // The units the location cannot find (all it has left of the allocation unless a quantity is given) are
                // written off there and routed again; the rest stays allocated. The rejected units are kept as an
                // allocation of their own, so the re-route leaves that location out.
                var left = allocation.Quantity - allocation.Shipped;
                var missing = fulfilment.Quantity ?? left;
                if (missing > left)
                {
                    return Result(OrderCommandStatus.NotAllowed, $"Only {left} units are left there.");
                }

                ending = new AllocationEnding(line.Sku, allocation.LocationId, allocationId, left - missing, AllocationEnd.WrittenOff);
                if (missing == allocation.Quantity)
                {
                    allocation = allocation with { Status = AllocationStatus.Rejected };
                }
                else
                {
                    rejectedPart = allocation with { Quantity = missing, Shipped = 0, Delivered = 0, Status = AllocationStatus.Rejected, Carrier = null, TrackingNumber = null };
                    allocation = OrderRules.Settled(allocation with { Quantity = allocation.Quantity - missing });
                }

                break;
            default:
                var reported = fulfilment.Type switch
                {
                    FulfilmentEventType.Accepted => AllocationStatus.Accepted,
                    FulfilmentEventType.Picked => AllocationStatus.Picked,
                    FulfilmentEventType.Packed => AllocationStatus.Packed,
                    FulfilmentEventType.ReadyForPickup => AllocationStatus.ReadyForPickup,
                    _ => throw new InvalidOperationException($"Unknown fulfilment event {fulfilment.Type}."),
                };
                // A step reported late (accepted after picked) is recorded, but does not move the allocation back.
                allocation = allocation with { Status = reported is AllocationStatus.Accepted or AllocationStatus.Picked && reported < allocation.Status ? allocation.Status : reported };
                break;
        }

        view = Note(Replace(view, line.LineId, l => l with { Allocations = [.. l.Allocations.Select((a, i) => i == index ? allocation : a), .. rejectedPart is null ? [] : new[] { rejectedPart }] }),
            fulfilment.Type.ToString().ToLowerInvariant(), line.LineId, Whence(fulfilment));
        // Units that left for the customer (shipped to the address, or handed over at the pickup store) are invoiced and
        // captured from the payments, with the event that stores them: a retried event invoices nothing twice.
        var handedOver = OrderRules.WithCustomer(allocation, View.Delivery) - OrderRules.WithCustomer(line.Allocations[index], View.Delivery);
        // The VAT is the delivery country's (the pickup store's for click & collect: the goods are handed over there, as
        // routing has it) and the article's tax class's as it is when the goods leave (an article of an earlier build:
        // standard).
        (string Country, string? TaxClass)? leaving = null;
        async Task<OrderView> InvoicedAsync(OrderView of, string locationId, int units)
        {
            leaving ??= ((await ShipToAsync(View.Delivery)).Country, (await GrainFactory.Get<IArticleGrain>(line.Sku).GetAsync())?.TaxClass);
            return WithInvoice(of, line, locationId, units, leaving.Value.Country, leaving.Value.TaxClass);
        }
        if (handedOver > 0)
        {
            view = await InvoicedAsync(view, allocation.LocationId, handedOver);
        }

        // The customer collects the line: its other units waiting on the store's shelf (its own, or sent to it from
        // elsewhere) are handed over with the same event, each invoiced as it leaves, so none is left to look uncollected.
        var endings = ending is null ? new List<AllocationEnding>() : [ending];
        if (fulfilment.Type == FulfilmentEventType.PickedUp)
        {
            var waiting = view.Lines.Single(l => l.LineId == line.LineId).Allocations;
            for (var other = 0; other < waiting.Count; other++)
            {
                if (other == index || waiting[other].Status != AllocationStatus.ReadyForPickup
                    || !OrderRules.Allows(FulfilmentEventType.PickedUp, waiting[other], View.Delivery, fulfilment.LocationId))
                {
                    continue;
                }

                var (at, collected) = (other, waiting[other] with { Status = AllocationStatus.PickedUp, Shipped = waiting[other].Quantity });
                endings.Add(new AllocationEnding(line.Sku, collected.LocationId, SlotAllocationId(line, collected), 0, AllocationEnd.Shipped));
                view = Replace(view, line.LineId, l => l with { Allocations = [.. l.Allocations.Select((a, i) => i == at ? collected : a)] });
                view = await InvoicedAsync(view, collected.LocationId, collected.Quantity);
            }
        }

        // Under the bare id as well while it is free, so a silo of the build before (a rolling update, a rollback)
        // still finds the event and answers its retry as the first.
        var events = State.Events.SetItem(eventKey, fingerprint);
        var state = State with { View = view, Events = events.ContainsKey(fulfilment.EventId) ? events : events.SetItem(fulfilment.EventId, fingerprint) };
        var effects = new OrderEffects(endings, fulfilment.Type == FulfilmentEventType.Rejected ? IdleBookings(view) : []);
        // A rejected line is routed again once its units are written off (if that has to wait, its SKU's backorder
        // queue routes it).
        if (fulfilment.Type == FulfilmentEventType.Rejected)
        {
            // Armed before the rejection is stored: if routing the units again fails after it, the retry of the event is
            // answered as done, and only the backorder queues route them (the reminder keeps the order in them).
            await ArmBackorderRetryAsync();
        }

        if (await SaveAsync(state, effects) && fulfilment.Type == FulfilmentEventType.Rejected)
        {
            await SaveAsync(await RouteOpenUnitsAsync(State, announce: true, onlyLine: line.LineId));
            await SettleBackorderRetryAsync();
        }

        return Result(OrderCommandStatus.Done);
    }

    public Task<OrderCommandResult> CancelAsync(string? lineId) => CancelForAsync(lineId, null);

    public async Task<OrderCommandResult> CancelForAsync(string? lineId, CancelReason? reason)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        // A bundle line's id names all of its parts.
        if (State.View is null || (lineId is not null && !View.Lines.Any(l => OrderRules.IsOrPartOf(l, lineId))))
        {
            return Result(OrderCommandStatus.NotFound, "Order or line not found.");
        }

        if (View.Status is OrderStatus.Rejected or OrderStatus.Cancelled
            || (lineId is not null && View.Lines.Where(l => OrderRules.IsOrPartOf(l, lineId)).All(l => l.Status == LineStatus.Cancelled)))
        {
            return Result(OrderCommandStatus.AlreadyDone);
        }

        await FinishPendingAsync();
        var (view, effects) = CancelUnshipped(View, lineId);
        if (view == View)
        {
            // A retry of a cancel that already released everything left answers as the first did.
            return View.History.Any(h => h.Event == "cancelled" && h.LineId == lineId)
                ? Result(OrderCommandStatus.AlreadyDone)
                : Result(OrderCommandStatus.NotAllowed, "Nothing is left to cancel: every unit is shipped or handed over.");
        }

        // Cancelling the whole order also ends a pending review (as StoreAsync does once no line is left live): there is
        // nothing left to release. The backorder reminder stops once the units are back (it is what gives them back).
        // The customer is told the order is cancelled once nothing of it is left; else which line (or bundle) is.
        var message = lineId is null || view.Lines.All(l => l.CancelledQuantity == l.Quantity) ? "cancelled" : "lineCancelled";
        view = Recorded(View, Notify(Note(view, "cancelled", lineId, ReasonText(reason)), message, lineId), reason);
        await SaveAsync(State with { View = WithWithdrawalRefund(view), ReviewPending = State.ReviewPending && lineId is not null }, effects);
        await SettleBackorderRetryAsync();

        return Result(OrderCommandStatus.Done);
    }

    public Task<OrderCommandResult> CancelUnitsAsync(string cancelId, string lineId, int quantity) => CancelUnitsForAsync(cancelId, lineId, quantity, null);

    public async Task<OrderCommandResult> CancelUnitsForAsync(string cancelId, string lineId, int quantity, CancelReason? reason)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        // A bundle line's id names all of its parts, and its quantity bundles.
        var lines = State.View is null ? [] : View.Lines.Where(l => OrderRules.IsOrPartOf(l, lineId)).ToList();
        if (lines.Count == 0)
        {
            return Result(OrderCommandStatus.NotFound, "Order or line not found.");
        }

        // Answered as the first when retried; under the cancellation's own key, apart from the fulfilment events' ids. The
        // reason is part of it: a retry for another reason is not the cancel recorded (answered as done, it would be
        // counted under the first reason). None said leaves it as earlier builds stored it, so their retries still match.
        var (key, fingerprint) = ($"cancel-units/{cancelId}", $"{lineId}*{quantity}{(reason is { } why ? $"*{why}" : "")}");
        if (Repeated(key, fingerprint, $"Cancellation {cancelId} was of other units or for another reason; a cancellation is made once.") is { } repeated)
        {
            return repeated;
        }

        await FinishPendingAsync();
        var view = View;
        var endings = new List<AllocationEnding>();
        foreach (var line in lines)
        {
            var units = line.LineId == lineId ? quantity : quantity * line.Bundle!.PerBundle;
            var cancellable = OrderRules.Cancellable(line);
            if (units > cancellable)
            {
                return Result(OrderCommandStatus.NotAllowed, $"{cancellable} units of line {line.LineId} are left to cancel (not shipped or handed over), not {units}.");
            }

            view = CancelUnits(view, line, units, endings);
        }

        // The customer is told of the units, or, when they were the last of the line or of the order, as a cancel of it.
        var (whole, lineGone) = (view.Lines.All(l => l.CancelledQuantity == l.Quantity), view.Lines.Where(l => OrderRules.IsOrPartOf(l, lineId)).All(l => l.CancelledQuantity == l.Quantity));
        view = Recorded(View, Note(view, "units cancelled", lineId, $"{quantity} ({cancelId}){(reason is null ? "" : $": {ReasonText(reason)}")}"), reason);
        view = WithWithdrawalRefund(whole ? Notify(view, "cancelled", null) : lineGone ? Notify(view, "lineCancelled", lineId) : Notify(view, "unitsCancelled", lineId, quantity: quantity));
        await SaveAsync(State with { View = view, Events = State.Events.SetItem(key, fingerprint), ReviewPending = State.ReviewPending && !whole }, new OrderEffects(endings, IdleBookings(view)));
        await SettleBackorderRetryAsync();
        return Result(OrderCommandStatus.Done);
    }

    /// <summary><paramref name="after"/> with the units its lines have cancelled more than in <paramref name="before"/>
    /// recorded, line by line, with <paramref name="reason"/> (the order's KPIs count them by reason).</summary>
    private OrderView Recorded(OrderView before, OrderView after, CancelReason? reason)
    {
        var records = after.Lines
            .Select(line => (line.LineId, Units: line.CancelledQuantity - (before.Lines.FirstOrDefault(l => l.LineId == line.LineId)?.CancelledQuantity ?? 0)))
            .Where(x => x.Units > 0)
            .Select(x => new Cancellation(clock.UtcNow, x.LineId, x.Units, reason))
            .ToList();
        return records.Count == 0 ? after : after with { Cancellations = [.. after.Cancellations ?? [], .. records] };
    }

    /// <summary>A reason as the history shows it (null: none said).</summary>
    private static string? ReasonText(CancelReason? reason) => reason is { } said ? Named(said) : null;

    /// <summary>An enum member as the API writes it (camelCase).</summary>
    private static string Named(Enum value) => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary><paramref name="view"/> with <paramref name="units"/> units of <paramref name="line"/> cancelled: those
    /// waiting for supply first, then allocated ones where the work is least far along (the route made last first among
    /// equals), each released at its slot (added to <paramref name="endings"/>).</summary>
    private OrderView CancelUnits(OrderView view, OrderLine line, int units, List<AllocationEnding> endings)
    {
        var left = Math.Max(0, units - line.OpenQuantity);
        var allocations = line.Allocations.ToList();
        foreach (var i in Enumerable.Range(0, allocations.Count).Where(i => OrderRules.Unshipped(allocations[i]) > 0)
            .OrderBy(i => allocations[i].Status).ThenByDescending(i => i).ToList())
        {
            if (left == 0)
            {
                break;
            }

            var allocation = allocations[i];
            var unshipped = OrderRules.Unshipped(allocation);
            var taken = Math.Min(left, unshipped);
            left -= taken;
            endings.Add(new AllocationEnding(line.Sku, allocation.LocationId, SlotAllocationId(line, allocation), unshipped - taken, AllocationEnd.Released));
            allocations[i] = OrderRules.WithoutUnits(allocation, taken);
        }

        return Replace(view, line.LineId, l => l with { Allocations = allocations, CancelledQuantity = l.CancelledQuantity + units });
    }

    public async Task<OrderCommandResult> ChangePickupStoreAsync(string changeId, string storeId)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        await FinishPendingAsync();
        var (key, fingerprint) = ($"pickup/{changeId}", storeId);
        if (Repeated(key, fingerprint, $"Pickup store change {changeId} was to another store; a change is made once.") is { } repeated)
        {
            return repeated;
        }

        if (View.Delivery is not { Method: DeliveryMethod.Pickup, PickupLocationId: { } old })
        {
            return Result(OrderCommandStatus.NotAllowed, "The order ships to an address; it has no pickup store to change (change its address instead).");
        }

        // What is not handed over yet: at a location, on its way to the store, or on its shelf.
        var live = View.Lines.SelectMany(l => l.Allocations.Where(a => OrderRules.IsActive(a) && a.Status != AllocationStatus.PickedUp).Select(a => (Line: l, Allocation: a))).ToList();
        if (View.Status is OrderStatus.Rejected or OrderStatus.Cancelled || (live.Count == 0 && !View.Lines.Any(OrderRules.WaitsForSupply)))
        {
            return Result(OrderCommandStatus.NotAllowed, $"Nothing of the order is left to collect (it is {View.Status}).");
        }

        // Units on the old store's pickup shelf, on their way to it, or packed for it elsewhere (a parcel labelled for the
        // old store, as for an address) stay where the customer was told to come.
        if (live.FirstOrDefault(x => x.Allocation.Status == AllocationStatus.ReadyForPickup
                || (x.Allocation.LocationId != old && (x.Allocation.Shipped > 0 || x.Allocation.Status == AllocationStatus.Packed))) is { Line: { } there, Allocation: { } at })
        {
            return Result(OrderCommandStatus.NotAllowed, at.Status switch
            {
                AllocationStatus.ReadyForPickup => $"Units of line {there.LineId} are ready for pickup at {old}.",
                AllocationStatus.Packed => $"Units of line {there.LineId} are packed for {old} at {at.LocationId}.",
                _ => $"Units of line {there.LineId} are on their way from {at.LocationId} to {old}.",
            });
        }

        if (storeId == old)
        {
            // Kept under its id all the same: retried after a change to another store, it is answered as the first was,
            // not made again (which would take the order back).
            await SaveAsync(State with { Events = State.Events.SetItem(key, fingerprint) });
            return Result(OrderCommandStatus.Done);
        }

        if (LocationInfo.PickupProblem(storeId, await GrainFactory.Get<ILocationGrain>(storeId).GetAsync()) is { } problem)
        {
            return Result(OrderCommandStatus.NotAllowed, problem);
        }

        // Allocations in reach of the new store stay: the old store's own units become units sent to the new one (the old
        // store ships them there), units from elsewhere go to the new store instead; those still waiting are routed to it
        // when supply comes. Units at a location out of the new store's reach are routed again first, as for an address.
        var view = View with { Delivery = View.Delivery with { PickupLocationId = storeId } };
        view = Notify(Note(view, "pickup store changed", null, $"{old} → {storeId} ({changeId})"), "pickupStoreChanged", null, store: storeId);
        return await MovedOutOfReachAsync(State with { View = view, Events = State.Events.SetItem(key, fingerprint) },
            [.. live.Where(x => OrderRules.Unshipped(x.Allocation) > 0)], "the new store", "the pickup store");
    }

    public async Task<OrderCommandResult> ChangeAddressAsync(string changeId, Address address, bool vouched)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        // Answered as the first when retried; under the change's own key, apart from the fulfilment events' ids. What a
        // stored change left undone is finished first: a change whose routing was interrupted after its plan was stored
        // is answered with the units where the plan put them, not with them released and allocated nowhere.
        await FinishPendingAsync();
        var (key, fingerprint) = ($"address/{changeId}", $"{address}");
        if (Repeated(key, fingerprint, $"Address change {changeId} was to another address; a change is made once.") is { } repeated)
        {
            return repeated;
        }

        if (View.Delivery.Method != DeliveryMethod.Ship)
        {
            return Result(OrderCommandStatus.NotAllowed, "The order is collected at its pickup store; it has no delivery address to change.");
        }

        var live = View.Lines.SelectMany(l => l.Allocations.Where(a => OrderRules.Unshipped(a) > 0).Select(a => (Line: l, Allocation: a))).ToList();
        if (View.Status is OrderStatus.Rejected or OrderStatus.Cancelled || (live.Count == 0 && !View.Lines.Any(OrderRules.WaitsForSupply)))
        {
            return Result(OrderCommandStatus.NotAllowed, $"Nothing of the order is left to deliver (it is {View.Status}).");
        }

        if (live.FirstOrDefault(x => OrderRules.PackedForAddress(x.Allocation)) is { Line: { } packedLine, Allocation: { } packed })
        {
            return Result(OrderCommandStatus.NotAllowed, $"Units of line {packedLine.LineId} are packed for the old address at {packed.LocationId}.");
        }

        if (await AddressRefusedAsync(address, vouched) is { } refused)
        {
            return Result(OrderCommandStatus.NotAllowed, refused);
        }

        var delivery = View.Delivery with { Address = address };
        // The customer's message goes with the first store of the change: after a crash between the routing's plan and
        // the save that records it, the plan is finished without this call, and a retry is answered as done.
        var view = Notify(Note(View with { Delivery = delivery }, "address changed", null, $"{RiskKeys.Of(address)} ({changeId})"), "addressChanged", null, address: address);
        var state = State with { View = view, Events = State.Events.SetItem(key, fingerprint) };
        return await MovedOutOfReachAsync(state, live, "the new address", "the address");
    }

    /// <summary>Stores <paramref name="state"/> (an order whose delivery just changed, to a new address or pickup store)
    /// after routing again, for where the order goes now, the <paramref name="live"/> units at a location that no longer
    /// reaches it (beyond the channel's profile's distance, no zone rate to its country); they are released where they were
    /// once the plan is stored. When no location in reach can take them, nothing is stored (a 422 naming
    /// <paramref name="where"/> and <paramref name="what"/> is unchanged). Units at locations still in reach stay.</summary>
    private async Task<OrderCommandResult> MovedOutOfReachAsync(OrderState state, List<(OrderLine Line, OrderAllocation Allocation)> live, string where, string what)
    {
        var view = state.View!;
        var delivery = view.Delivery;
        var shipTo = await ShipToAsync(delivery);
        var skus = live.Select(x => x.Line.Sku).Distinct(StringComparer.Ordinal).Select(sku => new LineRequest(sku, 1, [])).ToList();
        var pickup = delivery.Method == DeliveryMethod.Pickup ? delivery.PickupLocationId : null;
        // The optimiser measures reach from the pickup store when there is one (which is never out of its own reach).
        var outOfReach = skus.Count == 0 ? [] : (await sourcer.ExplainAsync(new SourcingRequest($"{OrderId}~reach", view.Channel, shipTo, skus, clock.UtcNow, PickupLocationId: pickup)))
            .Candidates.Where(c => c.OutOfReach).Select(c => c.LocationId).ToHashSet(StringComparer.Ordinal);
        var moving = live.Where(x => outOfReach.Contains(x.Allocation.LocationId)).ToList();
        if (moving.Count == 0)
        {
            await SaveAsync(state);
            return Result(OrderCommandStatus.Done);
        }

        var endings = new List<AllocationEnding>();
        foreach (var (line, allocation) in moving)
        {
            endings.Add(new AllocationEnding(line.Sku, allocation.LocationId, SlotAllocationId(line, allocation), 0, AllocationEnd.Released));
            view = Replace(view, line.LineId, l => l with { Allocations = [.. l.Allocations.Select(a => a == allocation ? OrderRules.WithoutUnits(a, OrderRules.Unshipped(a)) : a)] });
        }

        // Only the units moved are routed: units of the same lines that waited for supply before keep waiting (their
        // queues route them), and a shortage of them does not hold back the change.
        var units = moving.GroupBy(x => x.Line.LineId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(x => OrderRules.Unshipped(x.Allocation)), StringComparer.Ordinal);
        var open = view.Lines.Where(l => units.ContainsKey(l.LineId)).ToList();
        var attempt = State.Attempts + 1;
        // The capacity booked at a location left with no work for the order goes back with its units (as after a cancel
        // or a rejection). Only the locations units move from: the plan cannot book those (they are out of reach), while
        // another location idle now may be booked again by the plan, and releasing after it would undo that booking.
        var from = moving.Select(x => x.Allocation.LocationId).ToHashSet(StringComparer.Ordinal);
        var effects = new OrderEffects(endings, [.. IdleBookings(view).Where(from.Contains)]);
        var routed = await TryRouteAsync(state with { View = view, Attempts = attempt }, open, $"{OrderId}~o{attempt}.a", effects, units);
        if (routed is null)
        {
            var lines = string.Join(", ", open.Select(OrderRules.OrderedLineId).Distinct(StringComparer.Ordinal));
            return Result(OrderCommandStatus.NotAllowed, $"No location that reaches {where} can take over line {lines} now; {what} is unchanged.");
        }

        // Routed and stored with the releases at the old locations, which follow now (or, after a failure, with the
        // backorder reminder or the order's next call).
        await SaveAsync(routed);
        try
        {
            await ApplyEffectsAsync();
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "{OrderId} is routed to where it goes now but its units at the old locations are not released yet; the backorder reminder retries", OrderId);
            await ArmBackorderRetryAsync();
        }

        await SettleBackorderRetryAsync();
        return Result(OrderCommandStatus.Done);
    }

    /// <summary>Why the risk rules refuse <paramref name="address"/> for this order's delivery, or null: the black list names
    /// it, or it is in a country other than the billing address's where that sends orders to review (unless an operator
    /// <paramref name="vouched"/> for it; the country the order goes to already stays allowed, whether the mismatch came
    /// with it at intake or an operator vouched for it since, but another country needs an operator again).</summary>
    private async Task<string?> AddressRefusedAsync(Address address, bool vouched)
    {
        var candidates = BlackListEntries(RiskSubject.Address, RiskKeys.Keys(address)).Distinct().ToList();
        if (candidates.Count > 0 && (await MatchListsAsync(candidates)).Count > 0)
        {
            return $"The address {RiskKeys.Of(address)} is on the black list.";
        }

        var billing = Request.BillingAddress?.Country;
        return RiskRules.CountryMismatch(riskPolicy.Value, billing, address.Country) && address.Country != View.Delivery.Address.Country && !vouched
            ? $"The billing country {billing} differs from {address.Country}; an operator may make this change."
            : null;
    }

    /// <summary>The black-list entries <paramref name="keys"/> of <paramref name="subject"/> are looked up by; a key that
    /// normalizes to nothing (an instrument "-") names nothing, so it is not looked up.</summary>
    private static IEnumerable<RiskListEntry> BlackListEntries(RiskSubject subject, IEnumerable<string> keys) =>
        keys.Where(key => key.Length > 0).Select(key => new RiskListEntry(RiskList.Black, subject, key));

    public async Task<OrderCommandResult> ReviewAsync(ReviewDecision decision)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        if (!State.ReviewPending)
        {
            // The review is decided once: a retried decision answers as the first did, and the other decision is the
            // same request (the order's review) with another body.
            var released = View.History.Any(h => h.Event == "review released");
            if (!released && !View.History.Any(h => h.Event == "review rejected"))
            {
                return Result(OrderCommandStatus.NotAllowed, "The order is not held for review.");
            }

            return released == decision.Release
                ? Result(OrderCommandStatus.AlreadyDone)
                : Result(OrderCommandStatus.IdempotencyConflict, $"The order's review was {(released ? "released" : "rejected")}; a review is decided once.");
        }

        await FinishPendingAsync();

        if (decision.Release)
        {
            var released = View with { Risk = View.Risk with { Reviewed = RiskDecision.Accept } };
            await SaveAsync(State with { ReviewPending = false, View = Notify(Note(released, "review released", null, decision.Note), "orderConfirmed", null) });
        }
        else
        {
            var (view, effects) = CancelUnshipped(View with { Risk = View.Risk with { Reviewed = RiskDecision.Reject } }, null);
            // The units the rejection cancels count as cancelled for fraud (the risk review's verdict).
            view = Recorded(View, Notify(Note(view, "review rejected", null, decision.Note), "orderRejected", null), CancelReason.Fraud);
            await SaveAsync(State with { ReviewPending = false, Rejected = true, View = view }, effects);
            await SettleBackorderRetryAsync();
        }

        return Result(OrderCommandStatus.Done);
    }

    public async Task<OrderCommandResult> ReportWrongItemAsync(string lineId)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        var line = State.View?.Lines.FirstOrDefault(l => l.LineId == lineId);
        if (line is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order or line not found.");
        }

        await FinishPendingAsync();
        line = View.Lines.Single(l => l.LineId == lineId);
        var delivered = line.Allocations.Sum(OrderRules.DeliveredUnits);
        if (delivered == 0)
        {
            return Result(OrderCommandStatus.NotAllowed, "Nothing of this line was delivered yet.");
        }

        // A report replaces the delivered units not replaced yet, nor sent back and refunded (the refund remedied those):
        // a retried report (a lost answer) replaces nothing twice and answers as the first did.
        var replaced = State.Replaced.GetValueOrDefault(lineId);
        var kept = Math.Min(delivered, OrderRules.WithCustomer(line, View.Delivery) - OrderRules.RefundedUnits(View, lineId));
        if (kept <= replaced)
        {
            return replaced > 0
                ? Result(OrderCommandStatus.Done)
                : Result(OrderCommandStatus.NotAllowed, "The delivered units of this line were returned and refunded.");
        }

        if (await FreeReplacementAsync(View.Replacements.Count + 1) is not { } number)
        {
            return Result(OrderCommandStatus.NotAllowed, NoReplacementId);
        }

        // Stored first, so a report whose save fails is finished with the same replacement (the same id and units)
        // however many units were delivered meanwhile: by the retry, the next call, or the backorder reminder.
        await ArmBackorderRetryAsync();
        await StoreAsync(State with { Replacing = new PendingReplacement(lineId, number, kept - replaced) });
        return await FinishReplacementAsync();
    }

    private const string NoReplacementId = "Every replacement id this order may use is taken by another order.";

    /// <summary>Creates the stored replacement order (a repeat answers from what the replacement stored) and records
    /// it. An id taken meanwhile by an order of a channel moves the replacement to the next free one.</summary>
    private async Task<OrderCommandResult> FinishReplacementAsync()
    {
        var pending = State.Replacing!;
        var replacementId = ReplacementId(pending.Number);
        var line = View.Lines.Single(l => l.LineId == pending.LineId);
        var replacement = await GrainFactory.Get<IOrderGrain>(replacementId).CreateAsync(Request with
        {
            OrderId = replacementId,
            ReservationId = null,
            Lines = [new OrderLineRequest(line.LineId, line.Sku, pending.Quantity, 0m)],
            Payments = [],
            Priority = true,
            PromisedBy = null,
            ReplacementFor = OrderId,
            // Where the order goes now: an address change since intake is not in the request the order was placed with.
            Delivery = View.Delivery,
            BillingAddress = null,
            Coupons = null,
            DeliveryCharge = 0m,
        });
        if (replacement.Outcome == OrderOutcome.IdempotencyConflict && await FreeReplacementAsync(pending.Number + 1) is { } next)
        {
            await StoreAsync(State with { Replacing = pending with { Number = next } });
            return await FinishReplacementAsync();
        }

        if (replacement.Order is null)
        {
            await StoreAsync(State with { Replacing = null });
            await SettleBackorderRetryAsync();
            return Result(OrderCommandStatus.NotAllowed, replacement.Outcome == OrderOutcome.IdempotencyConflict ? NoReplacementId : replacement.Problem);
        }

        await SaveAsync(State with
        {
            View = Notify(Note(View, "wrong item", line.LineId, $"replacement {replacementId}"), "replacementCreated", line.LineId) with { Replacements = [.. View.Replacements, replacementId] },
            Replaced = State.Replaced.SetItem(line.LineId, State.Replaced.GetValueOrDefault(line.LineId) + pending.Quantity),
            Replacing = null,
        });
        await SettleBackorderRetryAsync();
        return Result(OrderCommandStatus.Done);
    }

    /// <summary>The first replacement number from <paramref name="from"/> on whose id no order has (a channel may have
    /// used one for an order of its own); null when the next <see cref="MaxReplacementIdTries"/> are all taken.</summary>
    private async Task<int?> FreeReplacementAsync(int from)
    {
        for (var n = from; n < from + MaxReplacementIdTries; n++)
        {
            if (await GrainFactory.Get<IOrderGrain>(ReplacementId(n)).GetAsync() is null)
            {
                return n;
            }
        }

        logger.LogWarning("{OrderId}: replacement ids {From} to {To} are all taken by other orders", OrderId, from, from + MaxReplacementIdTries - 1);
        return null;
    }

    public Task<OrderCommandResult> RetryBackordersAsync() => RetryBackordersAsync(null);

    public Task<OrderCommandResult> ServeBackorderAsync(string sku) => RetryBackordersAsync(sku);

    /// <summary>Routes the open units again: of every line, or of the lines of <paramref name="sku"/> (a queue's pass).</summary>
    private async Task<OrderCommandResult> RetryBackordersAsync(string? sku)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        await FinishPendingAsync();
        if (State.Rejected || View.Status == OrderStatus.Cancelled || View.Lines.All(l => l.OpenQuantity == 0))
        {
            // Nothing left to route (cancelled, rejected, or supplied since): the backorder reminder stops.
            await UnregisterAsync(BackorderReminder);
            return Result(OrderCommandStatus.AlreadyDone);
        }

        var before = State.View;
        // The units waiting are backorders: they may take what the article keeps for its queue.
        var routed = await RouteOpenUnitsAsync(State, announce: false, onlySku: sku, forBackorders: true);
        if (!ReferenceEquals(routed.View, before) || !ReferenceEquals(State.View, before))
        {
            await SaveAsync(routed);
        }

        // Otherwise nothing was routed or cancelled, and nothing is stored: an order waiting weeks for supply would
        // write its whole state every minute. The next retry uses the attempt's number again: a routing that fails holds
        // nothing (the sourcer gives back what it took), and a slot keeps no released hold's id.
        await SettleBackorderRetryAsync();
        return Result(OrderCommandStatus.Done);
    }

    public async Task<OrderCommandResult> AnnounceReturnAsync(ReturnRequest request)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, "Order not found.");
        }

        // Each return line names an order line, by its id or by its SKU (an order has a SKU on one line only); a bundle
        // named (by its line's id or its SKU) comes back as its parts, as many of each as the bundles hold.
        var lines = new List<ReturnLine>();
        foreach (var asked in request.Lines)
        {
            bool Names(string lineId, string sku) => asked.LineId is not null ? lineId == asked.LineId : sku == asked.Sku;
            List<(OrderLine Line, int Quantity)> named = View.Lines.FirstOrDefault(l => Names(l.LineId, l.Sku)) is { } one
                ? [(one, asked.Quantity)]
                : [.. View.Lines.Where(l => l.Bundle is { } bundle && Names(bundle.LineId, bundle.Sku)).Select(l => (l, asked.Quantity * l.Bundle!.PerBundle))];

            if (named.Count == 0)
            {
                return Result(OrderCommandStatus.NotFound, asked.LineId is not null ? $"The order has no line {asked.LineId}." : $"The order has no line of {asked.Sku}.");
            }

            foreach (var (line, quantity) in named)
            {
                if (lines.Any(l => l.LineId == line.LineId))
                {
                    return Result(OrderCommandStatus.NotAllowed, $"Line {line.LineId} is named twice; a return lists each line once.");
                }

                lines.Add(new ReturnLine(line.LineId, line.Sku, quantity, asked.Reason));
            }
        }

        if (View.Returns.FirstOrDefault(r => r.ReturnId == request.ReturnId) is { } known)
        {
            // A retry answers as the first did; the id with other units, another place or other reasons is another return.
            return known.LocationId == request.LocationId && known.Lines.Select(l => (l.LineId, l.Quantity, l.Reason)).SequenceEqual(lines.Select(l => (l.LineId, l.Quantity, l.Reason)))
                ? Result(OrderCommandStatus.AlreadyDone)
                : Result(OrderCommandStatus.IdempotencyConflict, $"Return {request.ReturnId} was registered with other lines or at another location.");
        }

        await FinishPendingAsync();
        foreach (var returned in lines)
        {
            var line = View.Lines.Single(l => l.LineId == returned.LineId);
            var returnable = OrderRules.Returnable(line, View);
            if (returned.Quantity > returnable)
            {
                return Result(OrderCommandStatus.NotAllowed,
                    $"Only {Math.Max(0, returnable)} units of line {line.LineId} can be returned: those shipped to the customer (picked up, for click & collect), less those returned or announced for return.");
            }
        }

        // The return window runs from when the line's units reached the customer. Past it, only an operator takes units
        // back, as goodwill.
        var days = options.Value.ReturnDaysFor(View.Channel);
        var goodwill = false;
        foreach (var returned in days > 0 ? lines : [])
        {
            if (OrderRules.ReachedCustomerAt(View, returned.LineId) is { } at && clock.UtcNow > at.AddDays(days))
            {
                if (!request.Goodwill)
                {
                    return Result(OrderCommandStatus.NotAllowed,
                        $"The {days}-day return window of line {returned.LineId} closed at {at.AddDays(days):u}; only an operator can take it back now, as a goodwill return.");
                }

                goodwill = true;
            }
        }

        // Goods come back to a store or warehouse, which puts them on its shelves (or writes them off). A location's
        // master data and an article's kind change rarely; checked here, so the receipt finds somewhere to restock.
        var location = await GrainFactory.Get<ILocationGrain>(request.LocationId).GetAsync();
        if (location is not { Type: LocationType.Store or LocationType.Warehouse })
        {
            return Result(location is null ? OrderCommandStatus.NotFound : OrderCommandStatus.NotAllowed,
                location is null ? $"No location {request.LocationId}." : $"{request.LocationId} is a {location.Type}: returns are taken at stores and warehouses.");
        }

        var articles = await Task.WhenAll(lines.Select(l => GrainFactory.Get<IArticleGrain>(l.Sku).GetAsync()));
        if (articles.FirstOrDefault(a => a is { Kind: not ArticleKind.Physical }) is { } intangible)
        {
            return Result(OrderCommandStatus.NotAllowed, $"{intangible.Sku} is a {intangible.Kind}: nothing of it can be sent back.");
        }

        var entry = new OrderReturn(request.ReturnId, request.LocationId, ReturnStatus.Announced, lines, clock.UtcNow);
        var view = Note(View with { Returns = [.. View.Returns, entry] }, "return announced", null,
            $"{request.ReturnId} at {request.LocationId}: {Units(lines)}{(goodwill ? " (goodwill, past the return window)" : "")}");
        await SaveAsync(State with { View = Notify(view, "returnAnnounced", null, returnId: request.ReturnId) });
        return Result(OrderCommandStatus.Done);
    }

    public async Task<OrderCommandResult> ReceiveReturnAsync(ReturnReceipt receipt)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        // A store or warehouse receives the returns sent to it; any other is not its business.
        if (State.View?.Returns.FirstOrDefault(r => r.ReturnId == receipt.ReturnId) is not { } known
            || (receipt.AtLocation is not null && receipt.AtLocation != known.LocationId))
        {
            return Result(OrderCommandStatus.NotFound, $"Return {receipt.ReturnId} not found.");
        }

        if (receipt.Lines.GroupBy(l => l.LineId, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            return Result(OrderCommandStatus.NotAllowed, "A receipt lists each line once.");
        }

        var received = receipt.Lines.ToDictionary(l => l.LineId, StringComparer.Ordinal);
        switch (known.Status)
        {
            case ReturnStatus.Received:
                // A retry answers as the first did; other units are another receipt, and a return is received once. A
                // receipt stored though its write was reported failed owes its restock still: the retry does it.
                await FinishPendingAsync();
                return known.Lines.All(l => received.TryGetValue(l.LineId, out var r) ? (r.Restock, r.WriteOff) == (l.Restocked, l.WrittenOff) : l.Restocked + l.WrittenOff == 0)
                    && received.Keys.All(id => known.Lines.Any(l => l.LineId == id))
                    ? Result(OrderCommandStatus.AlreadyDone)
                    : Result(OrderCommandStatus.IdempotencyConflict, $"Return {receipt.ReturnId} was received with other units; a return is received once.");
            case ReturnStatus.Cancelled:
                return Result(OrderCommandStatus.NotAllowed, $"Return {receipt.ReturnId} was cancelled.");
        }

        foreach (var line in receipt.Lines)
        {
            if (known.Lines.FirstOrDefault(l => l.LineId == line.LineId) is not { } announced)
            {
                return Result(OrderCommandStatus.NotAllowed, $"Return {receipt.ReturnId} has no units of line {line.LineId}.");
            }

            if (line.Restock + line.WriteOff > announced.Quantity)
            {
                return Result(OrderCommandStatus.NotAllowed, $"Return {receipt.ReturnId} announced {announced.Quantity} units of line {line.LineId}, not {line.Restock + line.WriteOff}.");
            }
        }

        await FinishPendingAsync();
        var view = View;
        var restocks = new List<Restock>();
        var lines = new List<ReturnLine>();
        // A discount taken off the payment (a coupon on the whole order) is pro-rated: a unit refunds what was paid for it.
        var share = PaidShare();
        // Lines rounded one by one at a paid share under 1 may come to a minor unit more than the payments: what was paid
        // is the most refunded (as it is the most captured).
        var refundable = Refundable(view);
        // The payments paid the delivery charge before the goods: what of it was captured and is not refunded yet is no
        // line's to refund (else a line rounded up at a paid share under 1 takes a minor unit of the charge's refund).
        var (deliveryLeft, deliveryVatRate) = DeliveryCharged(view);
        // Once credits gave money back, what is left to give is what the invoices charged less every refund, whatever of it
        // was the charge's: a receipt that leaves goods with the customer (who keeps the delivery) refunds its units from
        // all of it; only the one that completes the withdrawal keeps the charge's part for the charge.
        var reserved = view.Credits is { Count: > 0 } && !WithdrewFromWholeOrder(known.Lines.Aggregate(view, (v, a) => Replace(v, a.LineId,
            l => l with { ReturnedQuantity = l.ReturnedQuantity + (received.TryGetValue(a.LineId, out var units) ? units.Restock + units.WriteOff : 0) })))
            ? 0m
            : deliveryLeft;
        var vat = 0m;
        foreach (var announced in known.Lines)
        {
            var (restock, writeOff) = received.TryGetValue(announced.LineId, out var r) ? (r.Restock, r.WriteOff) : (0, 0);
            var line = view.Lines.Single(l => l.LineId == announced.LineId);
            // What the customer paid for the line's units that reached them; units replaced after a wrong item were
            // remedied by the replacement and are not refunded again. Refunds so far come off it.
            var paid = OrderRules.WithCustomer(line, view.Delivery) - State.Replaced.GetValueOrDefault(line.LineId);
            var refundedBefore = OrderRules.RefundedUnits(view, line.LineId);
            var refunded = Math.Clamp(paid - refundedBefore, 0, restock + writeOff);
            var amount = Math.Min(LineAmounts.ForUnits(line.NetUnitPrice * share, refundedBefore, refunded, view.Currency), Math.Max(0m, refundable - reserved));
            if ((view.Credits ?? []).Any(c => c.LineId == line.LineId))
            {
                // A credit gave back part of the line's price already: its units come back for what is left of it.
                amount = Math.Min(amount, Math.Max(0m, LineCreditable(view, line.LineId) - lines.Where(l => l.LineId == line.LineId).Sum(l => l.Refund)));
            }

            refundable -= amount;
            // The VAT in the refund, at the rate the line's goods were invoiced at (none before invoices were kept).
            vat += view.Invoices.SelectMany(i => i.Lines).LastOrDefault(l => l.LineId == line.LineId)?.VatRate is { } rate ? TaxRates.VatIn(amount, rate, view.Currency) : 0m;
            lines.Add(announced with
            {
                Restocked = restock,
                WrittenOff = writeOff,
                RefundedUnits = refunded,
                Refund = amount,
            });
            view = Replace(view, line.LineId, l => l with { ReturnedQuantity = l.ReturnedQuantity + restock + writeOff });
            if (restock > 0)
            {
                restocks.Add(new Restock(line.Sku, known.LocationId, $"{OrderId}/{known.ReturnId}/{line.LineId}", restock));
            }
        }

        // The receipt that brings the last unit back (the customer withdrew from the whole order) refunds the delivery
        // charge as well, at the VAT it was invoiced at; one that leaves goods with the customer keeps it (they were
        // delivered), and so does a wrong item sent back once it was replaced: the customer keeps the replacement.
        var deliveryRefund = deliveryLeft > 0 && WithdrewFromWholeOrder(view)
            ? Math.Min(deliveryLeft, Math.Max(0m, refundable))
            : 0m;
        vat += deliveryVatRate is { } deliveryRate ? TaxRates.VatIn(deliveryRefund, deliveryRate, view.Currency) : 0m;
        var refund = lines.Sum(l => l.Refund) + deliveryRefund;
        var (tenders, given) = RefundTenders(view, refund);
        if (given < refund)
        {
            view = Note(view, "refund reduced", null, $"{Currency.Format(refund - given, view.Currency)} {view.Currency} went back by a chargeback");
            vat = refund == 0 ? 0m : Currency.Round(vat * given / refund, view.Currency);
            refund = given;
            // The lines' refunds follow, first lines first, then the delivery's, so they still add up to the return's.
            var left = refund;
            for (var i = 0; i < lines.Count; i++)
            {
                lines[i] = lines[i] with { Refund = Math.Min(lines[i].Refund, left) };
                left -= lines[i].Refund;
            }

            deliveryRefund = Math.Min(deliveryRefund, left);
        }

        var done = known with { Status = ReturnStatus.Received, Lines = lines, ClosedAt = clock.UtcNow, Refund = refund, Tenders = tenders, Vat = vat, DeliveryRefund = deliveryRefund };
        view = view with { Returns = view.Returns.Select(x => x.ReturnId == known.ReturnId ? done : x).ToList(), Refunded = view.Refunded + done.Refund };
        view = Notify(Note(view, "return received", null,
            $"{known.ReturnId} at {known.LocationId}: {lines.Sum(l => l.Restocked)} restocked, {lines.Sum(l => l.WrittenOff)} written off, refund {Currency.Format(done.Refund, view.Currency)} {view.Currency}"),
            "returnReceived", null, returnId: known.ReturnId);
        if (done.Refund > 0)
        {
            view = Notify(view, "refunded", null, returnId: known.ReturnId);
        }

        if (restocks.Count > 0)
        {
            // Armed before the receipt is stored: a receipt stored though its write was reported failed owes its restock,
            // and if no retry comes, the reminder does it (and then stops, with nothing left to route).
            await ArmBackorderRetryAsync();
        }

        await SaveAsync(State with { View = view }, new OrderEffects([], [], restocks));
        return Result(OrderCommandStatus.Done);
    }

    public async Task<OrderCommandResult> CancelReturnAsync(string returnId, string? atLocation)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View?.Returns.FirstOrDefault(r => r.ReturnId == returnId) is not { } known
            || (atLocation is not null && atLocation != known.LocationId))
        {
            return Result(OrderCommandStatus.NotFound, $"Return {returnId} not found.");
        }

        switch (known.Status)
        {
            case ReturnStatus.Cancelled:
                return Result(OrderCommandStatus.AlreadyDone);
            case ReturnStatus.Received:
                return Result(OrderCommandStatus.NotAllowed, $"Return {returnId} was received; it cannot be cancelled.");
        }

        await FinishPendingAsync();
        var view = View with { Returns = View.Returns.Select(x => x.ReturnId == returnId ? x with { Status = ReturnStatus.Cancelled, ClosedAt = clock.UtcNow } : x).ToList() };
        await SaveAsync(State with { View = Notify(Note(view, "return cancelled", null, returnId), "returnCancelled", null, returnId: returnId) });
        return Result(OrderCommandStatus.Done);
    }

    public Task<IReadOnlyList<CustomerMessage>?> MessagesAsync()
    {
        EnsureUsable();
        return Task.FromResult<IReadOnlyList<CustomerMessage>?>(State.View is null ? null : View.Outbox
            .Select((notification, i) => (Message: webhooks.EventOf(View, Request.Customer, notification), Sent: i < State.Sent))
            .Select(m => new CustomerMessage(m.Message.Id, m.Message.Type, m.Message.At, m.Message.LineId, m.Message.Email, m.Message.Name, m.Message.Language, m.Message.Subject, m.Message.Text, m.Sent))
            .ToList());
    }

    public async Task<OrderCommandResult> RecordPaymentAsync(PaymentEvent payment)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, $"Order {OrderId} not found.");
        }

        var key = $"payment|{payment.EventId}";
        var fingerprint = string.Join('|', payment.Type, payment.Tender, ByValue(payment.Amount), payment.InvoiceId, payment.Reference);
        if (Repeated(key, fingerprint, $"Payment event {payment.EventId} was recorded with another body.") is { } repeated)
        {
            return repeated;
        }

        if (payment.Tender < 0 || payment.Tender >= Request.Payments.Count)
        {
            return Result(OrderCommandStatus.NotAllowed, $"The order has {Request.Payments.Count} payments; there is no payment {payment.Tender}.");
        }

        if (payment.InvoiceId is { } invoiceId && View.Invoices.All(i => i.InvoiceId != invoiceId))
        {
            return Result(OrderCommandStatus.NotAllowed, $"The order has no invoice {invoiceId}.");
        }

        // Money received for a named invoice pays what that invoice charged the payment, no more than is left of it.
        if (payment is { Type: PaymentEventType.Received, InvoiceId: { } paysInvoice })
        {
            var charged = View.Invoices.Single(i => i.InvoiceId == paysInvoice).Tenders.Where(t => t.Tender == payment.Tender).Sum(t => t.Amount);
            // Money a chargeback took back (a returned direct debit: of this invoice, or of no invoice named) and that
            // was not reversed is no longer paid: the invoice is due again for it.
            var records = (View.PaymentEvents ?? []).Where(p => p.Tender == payment.Tender).ToList();
            var received = records.Where(p => p.Type == PaymentEventType.Received && p.InvoiceId == paysInvoice).Sum(p => p.Amount);
            var takenBack = NetChargedBack(records.Where(p => p.InvoiceId is null || p.InvoiceId == paysInvoice));
            var paidBefore = Math.Max(0m, received - Math.Max(0m, takenBack));
            if (payment.Amount > charged - paidBefore)
            {
                return Result(OrderCommandStatus.NotAllowed, $"Invoice {paysInvoice} charged payment {payment.Tender} {charged}, of which {charged - paidBefore} is left to pay; {payment.Amount} is more.");
            }
        }

        var method = Request.Payments[payment.Tender].Method;
        var (due, kept, chargedBack) = Settlement(View, payment.Tender);
        var problem = payment.Type switch
        {
            // Money moves in the currency's minor units: a receipt of 99.999 EUR would leave 0.001 due for ever.
            _ when payment.Amount <= 0 => "An amount must be more than 0.",
            _ when payment.Amount != Currency.Round(payment.Amount, View.Currency) =>
                $"{payment.Amount} has more decimals than {View.Currency} has.",
            PaymentEventType.Received when !options.Value.PaysLater(method) =>
                $"Payment {payment.Tender} ({method}) was settled as the goods left; money is received only for payments settled later (an invoice, on account).",
            PaymentEventType.Received when payment.Amount > due => $"{payment.Amount} is more than the {due} due on payment {payment.Tender}.",
            PaymentEventType.Chargeback when !options.Value.ChargesBack(method) =>
                $"Payment {payment.Tender} ({method}) has no bank behind it to take money back (Orders:NoChargebackMethods).",
            // What the customer's bank can take back is what the payment paid and kept paying for.
            PaymentEventType.Chargeback when payment.Amount > kept => $"{payment.Amount} is more than the {kept} payment {payment.Tender} paid for goods the customer kept.",
            PaymentEventType.ChargebackReversed when payment.Amount > chargedBack => $"{payment.Amount} is more than the {chargedBack} charged back from payment {payment.Tender}.",
            _ => null,
        };
        if (problem is not null)
        {
            return Result(OrderCommandStatus.NotAllowed, problem);
        }

        await FinishPendingAsync();
        var record = new PaymentRecord(payment.EventId, payment.Type, payment.Tender, method, payment.Amount, payment.InvoiceId, payment.Reference, clock.UtcNow);
        var @event = payment.Type switch { PaymentEventType.Received => "payment received", PaymentEventType.Chargeback => "chargeback", _ => "chargeback reversed" };
        var view = Note(View, @event, null, $"{payment.Amount} {View.Currency} on payment {payment.Tender} ({method}){(payment.Reference is { } reference ? $", {reference}" : "")}");
        await SaveAsync(State with
        {
            View = view with { PaymentEvents = [.. view.PaymentEvents ?? [], record] },
            Events = State.Events.SetItem(key, fingerprint),
        });
        return Result(OrderCommandStatus.Done);
    }

    public async Task<OrderCommandResult> CreditAsync(CreditRequest request)
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            return Result(OrderCommandStatus.NotFound, $"Order {OrderId} not found.");
        }

        var key = $"credit|{request.CreditId}";
        var fingerprint = string.Join('|', request.LineId, ByValue(request.Amount), request.Reason, request.Note);
        if (Repeated(key, fingerprint, $"Credit {request.CreditId} was given with another body; a credit is given once.") is { } repeated)
        {
            return repeated;
        }

        await FinishPendingAsync();
        var view = View;
        if (request.LineId is { } lineId && view.Lines.All(l => l.LineId != lineId))
        {
            return Result(OrderCommandStatus.NotFound, $"Line {lineId} not found.");
        }

        // Money moves in the currency's minor units; a credit gives back what was charged (an invoice), no more than is left
        // of it after returns and earlier credits: of the order, and of the line's goods for a line's credit (a credit on
        // the order took from every line's).
        var orderLeft = Math.Min(view.Captured - view.Refunded, Math.Max(0m, Refundable(view)));
        var (creditable, of) = request.LineId is { } creditedLine && LineCreditable(view, creditedLine) is var lineLeft && lineLeft <= orderLeft
            ? (lineLeft, $"line {creditedLine}'s goods")
            : (orderLeft, "the order");
        var problem = request.Amount switch
        {
            <= 0 => "An amount must be more than 0.",
            var amount when amount != Currency.Round(amount, view.Currency) => $"{amount} has more decimals than {view.Currency} has.",
            _ when view.Invoices.Count == 0 => "Nothing of the order was charged yet (no invoice): a credit gives back money charged. Cancel units instead, or wait until they ship.",
            var amount when amount > creditable =>
                $"The invoices charged {Currency.Format(Math.Max(0m, creditable), view.Currency)} {view.Currency} for {of} that returns and credits did not give back yet; {amount} is more.",
            _ => null,
        };
        if (problem is not null)
        {
            return Result(OrderCommandStatus.NotAllowed, problem);
        }

        // A chargeback that took money back sent it to the customer through their bank: what a payment has left after it is
        // the most a credit gives it, and a credit is given in full or not at all.
        var (tenders, given) = RefundTenders(view, request.Amount);
        if (given < request.Amount)
        {
            return Result(OrderCommandStatus.NotAllowed,
                $"Chargebacks took money back from the payments: {Currency.Format(given, view.Currency)} {view.Currency} of them is left to credit; {request.Amount} is more.");
        }

        var credit = new CreditNote(request.CreditId, clock.UtcNow, request.Reason, request.LineId, request.Amount, CreditVat(view, request.LineId, request.Amount), tenders, request.Note);
        view = view with { Credits = [.. view.Credits ?? [], credit], Refunded = view.Refunded + credit.Amount };
        view = Notify(Note(view, "credited", request.LineId,
            $"{Currency.Format(credit.Amount, view.Currency)} {view.Currency}: {Named(request.Reason)} ({request.CreditId})"),
            "credited", request.LineId, creditId: request.CreditId);
        await SaveAsync(State with { View = view, Events = State.Events.SetItem(key, fingerprint) });
        return Result(OrderCommandStatus.Done);
    }

    /// <summary>What a credit against <paramref name="lineId"/> may still give back: what the invoices charged for its goods
    /// less what returns refunded of them and what credits gave against it.</summary>
    private static decimal LineCreditable(OrderView view, string lineId) =>
        view.Invoices.SelectMany(i => i.Lines).Where(l => l.LineId == lineId).Sum(l => l.Amount)
        - view.Returns.SelectMany(r => r.Lines).Where(l => l.LineId == lineId).Sum(l => l.Refund)
        - (view.Credits ?? []).Where(c => c.LineId == lineId).Sum(c => c.Amount);

    /// <summary>The VAT in a credit of <paramref name="amount"/>: at the rate the line's goods were last invoiced at, or, for
    /// the order, in the share the invoices' VAT had of what they charged (their rates in proportion).</summary>
    private static decimal CreditVat(OrderView view, string? lineId, decimal amount)
    {
        if (lineId is not null)
        {
            return view.Invoices.SelectMany(i => i.Lines).LastOrDefault(l => l.LineId == lineId)?.VatRate is { } rate ? TaxRates.VatIn(amount, rate, view.Currency) : 0m;
        }

        var charged = view.Invoices.Sum(i => i.Total);
        return charged == 0 ? 0m : Currency.Round(amount * view.Invoices.Sum(i => i.Vat) / charged, view.Currency);
    }

    /// <summary>Where payment <paramref name="tender"/> of <paramref name="view"/> stands. <c>Due</c>: for a payment
    /// settled later, what its captures charged less what returns refunded to it and the money received for it, plus
    /// what chargebacks took back of that money (0 for one settled as the goods left). <c>Kept</c>: what it paid and
    /// still pays for (captured less what chargebacks took back and were not reversed, <c>ChargedBack</c>; for one
    /// settled later, received less that, no more than what returns left of its captures).</summary>
    private (decimal Due, decimal Kept, decimal ChargedBack) Settlement(OrderView view, int tender)
    {
        var records = (view.PaymentEvents ?? []).Where(p => p.Tender == tender).ToList();
        var received = records.Where(p => p.Type == PaymentEventType.Received).Sum(p => p.Amount);
        var chargedBack = NetChargedBack(records);
        // An order whose goods left under a build before invoices was charged what each payment paid, with no invoice
        // (as its returns refund it).
        var charged = view.Invoices.Count == 0 && view.Lines.Any(l => OrderRules.WithCustomer(l, view.Delivery) > 0)
            ? Paid()
            : PerTender(view.Invoices.SelectMany(i => i.Tenders));
        var owed = charged[tender] - PerTender(RefundedTenders(view))[tender];
        if (!options.Value.PaysLater(Request.Payments[tender].Method))
        {
            return (0m, owed - chargedBack, chargedBack);
        }

        // What chargebacks took back comes off what was received before it is weighed against what is owed: money paid
        // again after a returned direct debit is paid and kept (and its bank can take it back too).
        return (Math.Max(0m, owed - received + chargedBack), Math.Min(received - chargedBack, owed), chargedBack);
    }

    /// <summary>What the chargebacks among <paramref name="records"/> took back, less what their reversals gave back.</summary>
    private static decimal NetChargedBack(IEnumerable<PaymentRecord> records) =>
        records.Sum(p => p.Type switch { PaymentEventType.Chargeback => p.Amount, PaymentEventType.ChargebackReversed => -p.Amount, _ => 0m });

    /// <summary><paramref name="view"/> with what its <paramref name="payments"/> payments have outstanding and charged back.</summary>
    private OrderView Settled(OrderView view, int payments)
    {
        var settlements = Enumerable.Range(0, payments).Select(tender => Settlement(view, tender)).ToList();
        return view with { Outstanding = settlements.Sum(t => t.Due), ChargedBack = settlements.Sum(t => t.ChargedBack) };
    }

    /// <summary>The share of the order's value its payments paid (1 with none reported): what a unit is captured and refunded at.</summary>
    private decimal PaidShare() => LineAmounts.PaidShare(View.Lines.Sum(l => l.Value), Paid(), Request.DeliveryCharge);

    /// <summary>What each of the order's payments paid, in their order.</summary>
    private List<decimal> Paid() => Request.Payments.Select(p => p.Amount).ToList();

    /// <summary><paramref name="view"/> with the invoice of <paramref name="units"/> units of <paramref name="line"/> that
    /// left <paramref name="locationId"/> for the customer: what they were paid at (rounded once per line over its
    /// invoices), captured from the payments in proportion to what each paid. Free units (a replacement) are not invoiced.
    /// The order's first invoice charges its delivery charge too.</summary>
    private OrderView WithInvoice(OrderView view, OrderLine line, string locationId, int units, string country, string? taxClass)
    {
        var invoiced = view.Invoices.SelectMany(i => i.Lines).Where(l => l.LineId == line.LineId).Sum(l => l.Quantity);
        var amount = LineAmounts.ForUnits(line.NetUnitPrice * PaidShare(), invoiced, units, view.Currency);
        // The delivery charge goes with the first goods that leave: the customer pays for delivery once they are on
        // their way, however many parcels follow.
        var charge = view.Invoices.Any(i => i.Delivery is not null) ? 0m : Request.DeliveryCharge;
        var payments = Request.Payments;
        if (payments.Count > 0)
        {
            // The payments cover the charge first (a coupon taken off the payment comes off the goods). Lines rounded one
            // by one at a paid share under 1 (a coupon over three lines of 1.00 paid 2.00: 0.67 each) may come to more
            // than the payments: the invoices capture what was paid, not a minor unit more.
            var uncaptured = Math.Max(0m, Paid().Sum() - view.Captured);
            charge = Math.Min(charge, uncaptured);
            amount = Math.Min(amount, uncaptured - charge);
        }

        // Nothing left to capture (the payments used up by the rounding of earlier lines) is no invoice either.
        if (amount + charge <= 0)
        {
            return view;
        }

        var tenders = ToTenders(amount + charge, Paid(), view.Invoices.SelectMany(x => x.Tenders), view.Currency);
        // VAT of the delivery country on the day the goods leave.
        var day = DateOnly.FromDateTime(clock.UtcNow.UtcDateTime);
        var rate = taxRates.Value.RateFor(country, taxClass, day);
        // Rounded once per line over its invoices at that rate, as their amounts are: the VAT in what the line came to so
        // far less what its earlier invoices stated, so the parcels' VAT adds up to that of the line.
        var earlier = view.Invoices.SelectMany(i => i.Lines).Where(l => l.LineId == line.LineId && l.VatRate == rate).ToList();
        var vat = rate is { } r ? TaxRates.VatIn(earlier.Sum(l => l.Amount) + amount, r, view.Currency) - earlier.Sum(l => l.Vat) : 0m;
        // The delivery's VAT is its own tax class's in the same country.
        var delivery = charge > 0 && taxRates.Value.RateFor(country, taxRates.Value.DeliveryClass, day) is var chargeRate
            ? new InvoiceCharge(charge, chargeRate, chargeRate is { } c ? TaxRates.VatIn(charge, c, view.Currency) : 0m)
            : null;
        InvoiceLine[] lines = amount > 0 ? [new InvoiceLine(line.LineId, line.Sku, units, amount, rate, vat)] : [];
        var invoice = new Invoice($"{OrderId}-i{view.Invoices.Count + 1}", clock.UtcNow, locationId, lines, amount + charge, tenders, (amount > 0 ? vat : 0m) + (delivery?.Vat ?? 0m), delivery);
        return view with { Invoices = [.. view.Invoices, invoice], Captured = view.Captured + amount + charge };
    }

    /// <summary>What <paramref name="amounts"/> (captures, refunds) came to per payment of the order, in its order.</summary>
    private List<decimal> PerTender(IEnumerable<TenderAmount> amounts)
    {
        var all = amounts.ToList();
        return Request.Payments.Select((_, i) => all.Where(t => t.Tender == i).Sum(t => t.Amount)).ToList();
    }

    /// <summary>How <paramref name="amount"/> falls to the order's payments: in proportion to <paramref name="weights"/>
    /// (what each paid, or was charged), never more than a payment has left after <paramref name="counted"/> (what the
    /// same kind of amount took from it before); none for a payment it takes nothing from.</summary>
    private List<TenderAmount> ToTenders(decimal amount, IReadOnlyList<decimal> weights, IEnumerable<TenderAmount> counted, string currency)
    {
        var payments = Request.Payments;
        return LineAmounts.ToTenders(amount, weights, PerTender(counted), currency)
            .Select((share, i) => new TenderAmount(i, payments[i].Method, payments[i].Instrument, share))
            .Where(t => t.Amount > 0)
            .ToList();
    }

    /// <summary>How <paramref name="refund"/> goes back to the order's payments: to what each was charged as the goods left
    /// (its captures, rounded parcel by parcel, may be a minor unit off its share of what it paid; an order shipped before
    /// invoices, by what each paid), less what earlier refunds gave it. What a chargeback took back (and was not
    /// reversed) went back to the customer through their bank: a payment is refunded no more than it has left after it,
    /// so <c>Given</c> may be less than the refund.</summary>
    private (List<TenderAmount> Tenders, decimal Given) RefundTenders(OrderView view, decimal refund)
    {
        var charged = view.Invoices.Count > 0 ? PerTender(view.Invoices.SelectMany(x => x.Tenders)) : Paid();
        var chargedBack = Enumerable.Range(0, Request.Payments.Count).Select(tender => Settlement(view, tender).ChargedBack).ToList();
        var tenders = ToTenders(refund, charged,
            RefundedTenders(view).Concat(chargedBack.Select((amount, i) => new TenderAmount(i, "", null, amount))), view.Currency);
        var given = tenders.Sum(t => t.Amount);
        return (tenders, chargedBack.Sum() > 0 ? given : refund);
    }

    /// <summary>What each payment was given back so far, by returns received and by credit notes.</summary>
    private static IEnumerable<TenderAmount> RefundedTenders(OrderView view) =>
        view.Returns.SelectMany(r => r.Tenders ?? []).Concat((view.Credits ?? []).SelectMany(c => c.Tenders));

    /// <summary>What the order's payments may still be refunded: what they paid less what went back already (no limit for
    /// an order that reported no payments). Once credits gave money back without goods, no more than the invoices charged
    /// is ever given back: the refund of goods returned after a credit is what is left of it.</summary>
    private decimal Refundable(OrderView view)
    {
        var left = Request.Payments.Count > 0 ? Paid().Sum() - view.Refunded : decimal.MaxValue;
        return view.Credits is { Count: > 0 } ? Math.Min(left, view.Captured - view.Refunded) : left;
    }

    /// <summary>What of the delivery charge the invoices captured is not refunded yet, and the VAT rate it was last
    /// invoiced at (the rate its refund states).</summary>
    private static (decimal Left, decimal? VatRate) DeliveryCharged(OrderView view)
    {
        var charged = view.Invoices.Select(i => i.Delivery).OfType<InvoiceCharge>().ToList();
        return (charged.Sum(c => c.Amount) - view.Returns.Sum(r => r.DeliveryRefund), charged.LastOrDefault()?.VatRate);
    }

    /// <summary>Whether the customer withdrew from the whole order, which refunds the delivery charge: every unit not
    /// cancelled came back, and none was replaced after a wrong item (the customer keeps the replacement).</summary>
    private bool WithdrewFromWholeOrder(OrderView view) =>
        State.Replaced.Values.All(units => units == 0) && view.Lines.All(l => OrderRules.StatusOf(l) is LineStatus.Returned or LineStatus.Cancelled);

    /// <summary>The id of the refund document a cancellation makes when it completes the customer's withdrawal (see
    /// <see cref="WithWithdrawalRefund"/>): with '~', which no client's return id has.</summary>
    private const string WithdrawalRefundId = "delivery~refund";

    /// <summary><paramref name="view"/> after a cancellation, with the delivery charge refunded when the cancellation
    /// completes the customer's withdrawal from the whole order: every unit not cancelled came back and was received, so
    /// the receipt that brought the last one back could not refund the charge (units were still to come). It is a
    /// received return without units at no location, refunding the charge captured and not refunded yet, with its VAT,
    /// to the payments as a receipt's refund would; a replaced unit keeps the charge, as it does for a receipt.</summary>
    private OrderView WithWithdrawalRefund(OrderView view)
    {
        var (deliveryLeft, deliveryVatRate) = DeliveryCharged(view);
        if (deliveryLeft <= 0 || view.Returns.Any(r => r.ReturnId == WithdrawalRefundId) || !WithdrewFromWholeOrder(view))
        {
            return view;
        }

        var (tenders, refund) = RefundTenders(view, Math.Min(deliveryLeft, Math.Max(0m, Refundable(view))));
        if (refund <= 0)
        {
            return view;
        }

        var vat = deliveryVatRate is { } rate ? TaxRates.VatIn(refund, rate, view.Currency) : 0m;
        var document = new OrderReturn(WithdrawalRefundId, "", ReturnStatus.Received, [], clock.UtcNow, clock.UtcNow, refund, tenders, vat, refund);
        view = view with { Returns = [.. view.Returns, document], Refunded = view.Refunded + refund };
        return Notify(Note(view, "delivery refunded", null, $"{Currency.Format(refund, view.Currency)} {view.Currency}: the customer withdrew from the whole order"),
            "refunded", null, returnId: WithdrawalRefundId);
    }

    /// <summary>When the pickup days of a click &amp; collect order waiting at its store end: the start of the day after the
    /// last day to collect it (its pickup days after the customer was told it is ready, in UTC days). Null for an order
    /// not waiting there (not click &amp; collect, not everything ready, nothing left to collect) or without pickup days.</summary>
    private DateTimeOffset? PickupEnds(OrderView? view)
    {
        if (view is null || !OrderRules.ReadyAtStore(view) || !view.Lines.Any(l => l.Allocations.Any(a => a.Status == AllocationStatus.ReadyForPickup)))
        {
            return null;
        }

        var days = options.Value.PickupDaysFor(view.Channel);
        if (days <= 0)
        {
            return null;
        }

        var ready = view.Outbox.LastOrDefault(n => n.Type == "readyForPickup")?.At ?? clock.UtcNow;
        return new DateTimeOffset(ready.UtcDateTime.Date, TimeSpan.Zero).AddDays(days + 1);
    }

    /// <summary>When the pickup reminder should come next for an order whose pickup days end at <paramref name="ends"/>:
    /// when the customer is to be reminded (unless they were), else when the days end.</summary>
    private DateTimeOffset NextPickupStep(OrderView view, DateTimeOffset ends) =>
        PickupRemindAt(view, ends) is { } remind && remind > clock.UtcNow ? remind : ends;

    /// <summary>When the customer of an order whose pickup days end at <paramref name="ends"/> is to be reminded; null
    /// without reminder days, or once they were.</summary>
    private DateTimeOffset? PickupRemindAt(OrderView view, DateTimeOffset ends) =>
        options.Value.PickupReminderDays is > 0 and var before && view.Outbox.All(n => n.Type != "pickupReminder") ? ends.AddDays(-before) : null;

    /// <summary>The pickup reminder: reminds the customer of an order waiting at its store as the pickup days near their
    /// end, and once they ended, cancels what was not collected (<see cref="NotCollectedAsync"/>); it stops once nothing waits.</summary>
    private async Task AwaitPickupAsync()
    {
        if (PickupEnds(View) is not { } ends)
        {
            await UnregisterAsync(PickupReminder);
            return;
        }

        if (clock.UtcNow >= ends)
        {
            await NotCollectedAsync(ends);
            await UnregisterAsync(PickupReminder);
            return;
        }

        if (PickupRemindAt(View, ends) is { } remind && clock.UtcNow >= remind)
        {
            var view = Notify(Note(View, "pickup reminder", null, $"collect by {ends.AddDays(-1):yyyy-MM-dd}"), "pickupReminder", null, until: ends.AddDays(-1));
            await SaveAsync(State with { View = view });
        }

        await this.RegisterOrUpdateReminder(PickupReminder, clock.Until(NextPickupStep(View, ends)), TimeSpan.FromHours(1));
    }

    /// <summary>Cancels what of a click &amp; collect order was not collected when its pickup days ended at
    /// <paramref name="ends"/>: the store's own units are released at its slot (back on its shelf), units sent to it from
    /// elsewhere (their origin's stock ended when they left) are booked into its stock. Nothing of it was charged (the
    /// goods are invoiced as they are handed over); the customer is told.</summary>
    private async Task NotCollectedAsync(DateTimeOffset ends)
    {
        var store = View.Delivery.PickupLocationId!;
        var endings = new List<AllocationEnding>();
        var restocks = new List<Restock>();
        var view = View;
        foreach (var line in View.Lines)
        {
            if (OrderRules.Cancellable(line) is > 0 and var own)
            {
                view = CancelUnits(view, line, own, endings);
            }

            var allocations = view.Lines.Single(l => l.LineId == line.LineId).Allocations.ToList();
            var sent = 0;
            for (var i = 0; i < allocations.Count; i++)
            {
                if (allocations[i] is { Status: AllocationStatus.ReadyForPickup } waiting && waiting.LocationId != store)
                {
                    restocks.Add(new Restock(line.Sku, store, $"{OrderId}/not-collected/{line.LineId}/{i}", waiting.Quantity));
                    allocations[i] = waiting with { Status = AllocationStatus.Cancelled };
                    sent += waiting.Quantity;
                }
            }

            view = Replace(view, line.LineId, l => l with { Allocations = allocations, CancelledQuantity = l.CancelledQuantity + sent });
        }

        view = Recorded(View, Notify(Note(view, "not collected", null, $"at {store} by {ends.AddDays(-1):yyyy-MM-dd}"), "notCollected", null, until: ends.AddDays(-1)), CancelReason.NotCollected);
        await SaveAsync(State with { View = WithWithdrawalRefund(view) }, new OrderEffects(endings, IdleBookings(view), restocks));
    }

    /// <summary>A return's units as the history shows them: "2 × sku-1, 1 × sku-2".</summary>
    private static string Units(IEnumerable<ReturnLine> lines) => string.Join(", ", lines.Select(l => $"{l.Quantity} × {l.Sku}"));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        EnsureUsable();
        if (State.Request is null)
        {
            await UnregisterAsync(reminderName);
            return;
        }

        if (State.View is null || !State.Routed)
        {
            logger.LogWarning("{OrderId} intake was interrupted; resuming", OrderId);
            await FinishIntakeAsync();
            if (State.View is null)
            {
                // Its reservation could not be claimed: the request was dropped, and the reminder with it.
                return;
            }
        }

        await FinishPendingAsync();
        switch (reminderName)
        {
            case PromiseReminder when OrderIndexGrain.OwesPromise(View.Status, OrderRules.ReadyAtStore(View)) && clock.UtcNow > View.PromisedBy:
                if (!View.Late)
                {
                    await SaveAsync(State with { View = Notify(Note(View with { Late = true }, "late", null, $"promised by {View.PromisedBy:u}"), "delayed", null) });
                }

                await UnregisterAsync(reminderName);
                break;
            case PromiseReminder when !OrderIndexGrain.OwesPromise(View.Status, OrderRules.ReadyAtStore(View)):
                await UnregisterAsync(reminderName);
                break;
            case BackorderReminder:
                await KeepWaitingAsync();
                break;
            case OutboxReminder:
                await SendOutboxAsync();
                break;
            case LedgerReminder:
                await PostLedgerAsync(fromReminder: true);
                break;
            case PickupReminder:
                await AwaitPickupAsync();
                break;
            case IntakeReminder:
                await UnregisterAsync(reminderName);
                break;
        }
    }

    /// <summary>Routes every line (converting the reservation when one is given and still held), records the
    /// outcome, and arms the late-delivery and backorder reminders. Idempotent: safe to resume.</summary>
    private async Task CompleteIntakeAsync()
    {
        await FinishPendingAsync();
        var state = State;
        if (Request.ReservationId is { } reservationId
            && await GrainFactory.Get<IReservationGrain>(reservationId).ConvertAsync(Request.Channel, OrderId) is { } held)
        {
            state = await ConvertAsync(state, held);
        }

        state = await RouteOpenUnitsAsync(state, announce: true);
        if (!state.ReviewPending && !state.Rejected)
        {
            state = state with { View = Notify(state.View!, "orderConfirmed", null) };
        }

        // The late-delivery reminder before the save that ends the intake: the intake reminder stops after it, and
        // nothing would register this one after a crash in between.
        await this.RegisterOrUpdateReminder(PromiseReminder, clock.Until(View.PromisedBy) + TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        await SaveAsync(state with { Routed = true });
        await SettleBackorderRetryAsync();
        await UnregisterAsync(IntakeReminder);
    }

    /// <summary>The reservation's holds become the order's allocations, at the same locations.</summary>
    private async Task<OrderState> ConvertAsync(OrderState state, ReservationView reservation)
    {
        var view = state.View!;
        foreach (var line in view.Lines.Where(l => l.OpenQuantity > 0))
        {
            // Per location, as the slot holds it: a SKU on two of the reservation's lines is one hold there.
            var held = reservation.Lines.Where(r => r.Sku == line.Sku).SelectMany(r => r.Allocations)
                .GroupBy(a => a.LocationId, StringComparer.Ordinal)
                .Select(g => (LocationId: g.Key, Quantity: g.Sum(a => a.Quantity)));
            var allocations = new List<OrderAllocation>();
            // A resumed intake converts again: parts already on the line (same slot allocation, same location) stay once.
            foreach (var part in held.Where(p => !line.Allocations.Any(a => a.LocationId == p.LocationId && SlotAllocationId(line, a) == AllocationId(line.LineId))))
            {
                if (await AllocateAtAsync(line.Sku, part.LocationId, new AllocateRequest(AllocationId(line.LineId), part.Quantity, reservation.HeldUnder)))
                {
                    allocations.Add(new OrderAllocation(part.LocationId, part.Quantity, AllocationStatus.Allocated, 0, null, null, AllocationId(line.LineId)));
                }
            }

            view = Replace(view, line.LineId, l => l with { Allocations = [.. l.Allocations, .. allocations] });
        }

        // The order keeps the reservation's capacity where it has units, and gives it back where none could be taken
        // over (no allocation there would ever release it).
        var allocatedAt = view.Lines.SelectMany(l => l.Allocations).Where(OrderRules.IsActive).Select(a => a.LocationId).ToHashSet(StringComparer.Ordinal);
        foreach (var locationId in reservation.Lines.SelectMany(l => l.Allocations).Select(a => a.LocationId).Distinct(StringComparer.Ordinal))
        {
            var location = GrainFactory.Get<ILocationGrain>(locationId);
            if (allocatedAt.Contains(locationId))
            {
                if ((await location.ConfirmBookingAsync(reservation.HeldUnder, OrderId, clock.Today)).Status == BookingStatus.Full)
                {
                    // The reservation's day passed and the location has no room on a working day within the horizon:
                    // the units stay allocated there (they are the customer's), without a day booked for them.
                    logger.LogWarning("{OrderId} allocated at {LocationId} without a capacity booking: no working day with room", OrderId, locationId);
                }
            }
            else
            {
                await location.ReleaseBookingAsync(reservation.HeldUnder);
            }
        }

        return state with { View = Note(view, "reservation converted", null, reservation.ReservationId) };
    }

    /// <summary>Allocates units at a slot. A non-physical article routed to the virtual location that fulfils it without
    /// a limit has no slot there (sourcing held nothing): its units need none, and count as allocated.</summary>
    private async Task<bool> AllocateAtAsync(string sku, string locationId, AllocateRequest request)
    {
        var result = await Slot(sku, locationId).AllocateAsync(request);
        return result.Succeeded
            || (result.Status == AllocateStatus.UnknownSlot
                && await GrainFactory.Get<IArticleGrain>(sku).GetAsync() is { Kind: not ArticleKind.Physical, FulfilledBy: { } by }
                && by == locationId);
    }

    /// <summary>Sources every unit not yet allocated (all lines at once first, then line by line, a bundle's parts as one),
    /// or of the lines of <paramref name="onlySku"/> alone when given (a backorder queue's pass), allocates them, and
    /// applies the channel's policy to what no location can supply (telling the customer when <paramref name="announce"/>,
    /// of <paramref name="onlyLine"/> alone when given: a rejection tells of the line it opened, not again of those
    /// backordered before; a backorder retry does not repeat the message).</summary>
    private async Task<OrderState> RouteOpenUnitsAsync(OrderState state, bool announce, string? onlyLine = null, string? onlySku = null, bool forBackorders = false)
    {
        var view = state.View!;
        var open = view.Lines.Where(l => l.OpenQuantity > 0).ToList();
        if (onlySku is not null)
        {
            // A queue's pass routes the lines of its SKU alone (a bundle's parts together): the units of the order's
            // other SKUs are for the orders that waited longer for them, served by their own queues.
            var served = open.Where(l => l.Sku == onlySku).Select(OrderRules.OrderedLineId).ToHashSet(StringComparer.Ordinal);
            open = open.Where(l => served.Contains(OrderRules.OrderedLineId(l))).ToList();
        }

        if (open.Count == 0)
        {
            return state;
        }

        var attempt = state.Attempts + 1;
        state = state with { Attempts = attempt };
        // Routing ids are the order's id, '~o' (ids have no '~'; a reservation's holds end in '~' and eight hex digits)
        // and the attempt: with '.' (which ids may contain), order "x" routing again was order "x.1"'s booking.
        var together = await TryRouteAsync(state, open, $"{OrderId}~o{attempt}", forBackorders: forBackorders);
        state = together ?? state;
        if (together is null)
        {
            // Line by line; a bundle's parts as one (kept together, see Requested).
            var apart = open.GroupBy(OrderRules.OrderedLineId, StringComparer.Ordinal).ToList();
            for (var i = 0; i < apart.Count; i++)
            {
                state = await TryRouteAsync(state, [.. apart[i]], $"{OrderId}~o{attempt}.{i}", forBackorders: forBackorders) ?? state;
            }
        }

        view = state.View!;
        var routed = view;

        var waiting = view.Lines.Where(OrderRules.WaitsForSupply).ToList();
        var waitingIds = waiting.Select(l => l.LineId).ToHashSet(StringComparer.Ordinal);
        var told = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in waiting)
        {
            // The customer is told of a bundle whose parts all wait once, as the bundle they ordered, not part by part.
            var about = line.Bundle is { } bundle && view.Lines.Where(l => l.Bundle?.LineId == bundle.LineId).All(l => waitingIds.Contains(l.LineId))
                ? bundle.LineId
                : line.LineId;
            // A replacement is owed to the customer: it waits for supply whatever the channel does with unavailable lines.
            if (options.Value.UnavailableFor(view.Channel) == UnavailableLinePolicy.Cancel && view.ReplacementFor is null)
            {
                view = Note(Replace(view, line.LineId, l => l with { CancelledQuantity = l.CancelledQuantity + l.OpenQuantity }), "line cancelled: unavailable", line.LineId, null);
                view = told.Add(about) ? Notify(view, "lineCancelled", about) : view;
            }
            else if (announce && (onlyLine is null || onlyLine == line.LineId))
            {
                view = Note(view, "backordered", line.LineId, $"{line.OpenQuantity} units");
                view = told.Add(about) ? Notify(view, "itemUnavailable", about) : view;
            }
        }

        if (view.Lines.Any(OrderRules.WaitsForSupply))
        {
            await ArmBackorderRetryAsync();
        }

        // The reminder stops only once this is stored (SettleBackorderRetryAsync): until then it finishes what was begun.
        // A line cancelled for want of stock is recorded as such, and may complete the customer's withdrawal.
        return state with { View = WithWithdrawalRefund(Recorded(routed, view, CancelReason.OutOfStock)) };
    }

    /// <summary>After a save: the backorder reminder stops when no line waits for supply and nothing stored is left to
    /// finish (a routing plan, the effects of the last change). Stopped before the save, a failed save would leave a
    /// stored plan with allocated units that nothing comes back to. The order's place in the backorder queues follows
    /// what it waits for now (<see cref="KeepQueuedAsync"/>: each of them joined again when <paramref name="rejoin"/>).
    /// </summary>
    private async Task SettleBackorderRetryAsync(bool rejoin = false)
    {
        if (State.Pending is null && State.Replacing is null && (State.Effects is null || _effectsDone) && !View.Lines.Any(OrderRules.WaitsForSupply))
        {
            await UnregisterAsync(BackorderReminder);
        }

        await KeepQueuedAsync(rejoin);
    }

    /// <summary>The backorder reminder: finishes what was begun (a stored plan, the effects of the last change, a
    /// replacement) and keeps the order in the queues of the SKUs its lines wait for. It routes nothing itself: the
    /// queues do, first come, first served (<see cref="IBackorderQueueGrain"/>); an operator's retry routes at once.</summary>
    private async Task KeepWaitingAsync()
    {
        EnsureUsable();
        await FinishIntakeAsync();
        if (State.View is null)
        {
            await UnregisterAsync(BackorderReminder);
            return;
        }

        await FinishPendingAsync();
        await CancelLongBackordersAsync();
        await SettleBackorderRetryAsync(rejoin: true);
    }

    /// <summary>When <paramref name="line"/> (waiting for supply) last began to wait, as far as the backorder days count: its
    /// last "backordered" entry, or the location's rejection that sent it back to wait (a re-route retried after a failed
    /// store notes none), and not before an operator released the order from review (time held is not time waited).</summary>
    private DateTimeOffset? WaitingSince(OrderLine line)
    {
        var since = View.History.LastOrDefault(h => h.LineId == line.LineId && h.Event is "backordered" or "rejected")?.At;
        return since is { } at && View.History.LastOrDefault(h => h.Event == "review released")?.At is { } released && released > at ? released : since;
    }

    /// <summary>Cancels, for want of stock, the units of lines that waited for supply longer than the channel's backorder
    /// days (<see cref="OrderOptions.BackorderDays"/>) since they last began to wait (<see cref="WaitingSince"/>):
    /// those still waiting only, allocated ones go on. Not a replacement's (owed to the customer), nor an order held for
    /// review (the operator decides) or rejected. The customer is told which line or units, or that the order is; lines
    /// that came to their warning days are warned (<see cref="WarnOfBackorderEndAsync"/>).</summary>
    private async Task CancelLongBackordersAsync()
    {
        var days = options.Value.BackorderDaysFor(View.Channel);
        if (days <= 0 || View.ReplacementFor is not null || State.ReviewPending || State.Rejected)
        {
            return;
        }

        var expired = View.Lines.Where(OrderRules.WaitsForSupply)
            .Where(l => WaitingSince(l) is { } since && clock.UtcNow >= since.AddDays(days))
            .ToList();
        if (expired.Count > 0)
        {
            await CancelExpiredAsync(expired, days);
        }

        // Lines still waiting that came to their warning days are told now (in the tick another expired, too).
        await WarnOfBackorderEndAsync(days);
    }

    /// <summary>Cancels the units still waiting of the <paramref name="expired"/> lines, for want of stock, and tells the
    /// customer which line, units or bundle (or that the order is) cancelled.</summary>
    private async Task CancelExpiredAsync(List<OrderLine> expired, int days)
    {
        var view = View;
        foreach (var line in expired)
        {
            view = Note(Replace(view, line.LineId, l => l with { CancelledQuantity = l.CancelledQuantity + l.OpenQuantity }), "backorder expired", line.LineId, $"{line.OpenQuantity} units waited {days} days");
        }

        if (view.Lines.All(l => l.CancelledQuantity == l.Quantity))
        {
            view = Notify(view, "cancelled", null);
        }
        else
        {
            // A bundle whose parts all expired is told of once, as the bundle ordered (as it was when it began to wait).
            var expiredIds = expired.Select(l => l.LineId).ToHashSet(StringComparer.Ordinal);
            var about = expired.GroupBy(
                l => l.Bundle is { } bundle && View.Lines.Where(p => p.Bundle?.LineId == bundle.LineId).All(p => expiredIds.Contains(p.LineId)) ? bundle.LineId : l.LineId,
                StringComparer.Ordinal);
            foreach (var told in about)
            {
                var line = told.First();
                view = view.Lines.Where(l => OrderRules.IsOrPartOf(l, told.Key)).All(l => l.CancelledQuantity == l.Quantity)
                    ? Notify(view, "lineCancelled", told.Key)
                    : Notify(view, "unitsCancelled", told.Key, quantity: line.Bundle is { } part && part.LineId == told.Key ? part.Bundles(line.OpenQuantity) : line.OpenQuantity);
            }
        }

        await SaveAsync(State with { View = WithWithdrawalRefund(Recorded(View, view, CancelReason.OutOfStock)) });
    }

    /// <summary>Tells the customer, once per time a line waits, that it will be cancelled unless supply comes by the day its
    /// backorder days (<paramref name="days"/>) end, when <see cref="OrderOptions.BackorderWarningDays"/> are left of them
    /// (<c>backorderExpiring</c>, naming the line and the day).</summary>
    private async Task WarnOfBackorderEndAsync(int days)
    {
        var warning = options.Value.BackorderWarningDays;
        if (warning <= 0 || warning >= days)
        {
            return;
        }

        var view = View;
        foreach (var line in View.Lines.Where(OrderRules.WaitsForSupply))
        {
            if (WaitingSince(line) is { } since && clock.UtcNow >= since.AddDays(days - warning)
                && !view.Outbox.Any(n => n.Type == "backorderExpiring" && n.LineId == line.LineId && n.At >= since))
            {
                view = Notify(Note(view, "backorder expiring", line.LineId, $"cancelled at {since.AddDays(days):u} unless supplied"),
                    "backorderExpiring", line.LineId, until: since.AddDays(days));
            }
        }

        if (view != View)
        {
            await SaveAsync(State with { View = view });
        }
    }

    /// <summary>Joins the backorder queue of each SKU a line waits for (all of them again when <paramref name="rejoin"/>,
    /// from the reminder: a join may have been lost, and a queue keeps an order once), and leaves those it no longer waits
    /// for, as this activation knows them (a queue drops an order it finds no longer waiting). After the change is stored,
    /// and best effort: the reminder joins again, and a queue's pass that finds the order supplied lets it go.</summary>
    private async Task KeepQueuedAsync(bool rejoin)
    {
        var waiting = State.View is { } view && State.Routed && !State.Rejected
            ? view.Lines.Where(OrderRules.WaitsForSupply).Select(l => l.Sku).ToHashSet(StringComparer.Ordinal)
            : [];
        try
        {
            await Task.WhenAll([
                .. waiting.Where(sku => rejoin || !_queued.Contains(sku))
                    .Select(sku => GrainFactory.Get<IBackorderQueueGrain>(sku).JoinAsync(new BackorderEntry(OrderId, View.CreatedAt, View.Priority))),
                .. _queued.Where(sku => !waiting.Contains(sku)).Select(sku => GrainFactory.Get<IBackorderQueueGrain>(sku).LeaveAsync(OrderId)),
            ]);
            _queued = waiting;
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "{OrderId} could not update its place in the backorder queues; its reminder tries again", OrderId);
        }
    }

    /// <summary>Holds the open units of <paramref name="lines"/> (or, by line id, the <paramref name="units"/> of them)
    /// through sourcing, stores where (written ahead, see <see cref="OrderState.Pending"/>) and turns the holds into
    /// allocations; null when sourcing cannot supply all of them. <paramref name="forBackorders"/>: the units waited for
    /// supply (they may take what an article keeps for its backorder queue).</summary>
    private async Task<OrderState?> TryRouteAsync(
        OrderState state, List<OrderLine> lines, string holdId, OrderEffects? effects = null, IReadOnlyDictionary<string, int>? units = null, bool forBackorders = false)
    {
        var view = state.View!;
        var shipTo = await ShipToAsync(view.Delivery);
        // A location that rejected units of a line is left out of its routings: its count was wrong once.
        var excluded = lines.SelectMany(l => l.Allocations).Where(a => a.Status == AllocationStatus.Rejected).Select(a => a.LocationId).Distinct().ToList();
        var result = await sourcer.ReserveAsync(new SourcingRequest(
            holdId,
            view.Channel,
            shipTo,
            Requested(view, lines, units),
            clock.UtcNow.Add(RoutingHoldTtl),
            excluded,
            // The order's priority is the channel's flag or a VIP customer: the flag counts as is, the tier as the
            // channel's sourcing profile says (its priority tiers).
            Request.Priority ? RequestPriority.High : RequestPriority.Normal,
            view.Priority && !Request.Priority ? VipTier : null,
            view.Delivery.Method == DeliveryMethod.Pickup ? view.Delivery.PickupLocationId : null,
            // No promised date as a constraint: an order is routed even when it will be late (it is then flagged late),
            // rather than backordered while stock sits on a shelf.
            null,
            forBackorders));
        if (!result.Succeeded)
        {
            return null;
        }

        var parts = new List<PlannedAllocation>();
        foreach (var routed in result.Lines)
        {
            var lineId = lines.Single(open => open.Sku == routed.Sku).LineId;
            var line = view.Lines.Single(l => l.LineId == lineId);
            parts.AddRange(routed.Allocations.Select(part => new PlannedAllocation(line.LineId, part.LocationId, part.Quantity, NextAllocationId(line, part.LocationId))));
        }

        var planned = state with { Pending = new RoutingPlan(holdId, parts) };
        if (planned.Routed)
        {
            // A re-route has no intake reminder behind it: the backorder reminder finishes the plan after a crash.
            await ArmBackorderRetryAsync();
        }

        try
        {
            await StoreAsync(planned, effects);
        }
        catch
        {
            await GiveBackHoldsAsync(holdId, result.Lines);
            throw;
        }

        // No order list update for the plan itself: the save that finishes it makes one.
        return await CompletePlanAsync(planned);
    }

    /// <summary>What routing <paramref name="lines"/> asks sourcing for: each line's open units, and a bundle's parts as
    /// the bundle (its components as the order took them, kept together unless it may be split) while all of its parts
    /// are open for the same number of bundles; once they are not (a part shipped, cancelled or rejected alone), each part
    /// goes on its own. With <paramref name="units"/>, a line's units asked for are those it names (none for a line it
    /// does not name), not all of its open ones.</summary>
    private static List<LineRequest> Requested(OrderView view, List<OrderLine> lines, IReadOnlyDictionary<string, int>? units = null)
    {
        int Open(OrderLine line) => units is null ? line.OpenQuantity : units.GetValueOrDefault(line.LineId);
        var requested = new List<LineRequest>();
        foreach (var group in lines.GroupBy(OrderRules.OrderedLineId, StringComparer.Ordinal))
        {
            var all = group.First().Bundle is null ? [] : view.Lines.Where(l => l.Bundle?.LineId == group.Key).ToList();
            var bundles = all.Select(l => Open(l) % l.Bundle!.PerBundle == 0 ? l.Bundle.Bundles(Open(l)) : -1).Distinct().ToList();
            if (all.Count > 0 && all.Count == group.Count() && bundles is [> 0 and var whole])
            {
                var bundle = all[0].Bundle!;
                requested.Add(new LineRequest(bundle.Sku, whole, [.. all.Select(l => new BundleComponent(l.Sku, l.Bundle!.PerBundle))], bundle.AllowSplit));
            }
            else
            {
                // No components: the article the order took, though it may have become a bundle since.
                requested.AddRange(group.Select(l => new LineRequest(l.Sku, Open(l), [])));
            }
        }

        return requested;
    }

    /// <summary>Holds nothing stored rests on (a plan whose save failed, a rejected order's reservation): given back now
    /// rather than at their expiry, so the stock is there for others at once. Best effort: they lapse anyway.</summary>
    private async Task GiveBackHoldsAsync(string holdId, IReadOnlyList<ReservationLine> lines)
    {
        try
        {
            await sourcer.ReleaseAsync(holdId, lines);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "{OrderId} could not give back the holds of {HoldId}; they lapse at their expiry", OrderId, holdId);
        }
    }

    /// <summary>Turns the holds of the stored plan into allocations (each slot answers a repeat from what it
    /// stored), confirms the capacity booked, and clears the plan. The caller stores the result.</summary>
    private async Task<OrderState> CompletePlanAsync(OrderState state)
    {
        var plan = state.Pending!;
        var view = state.View!;
        foreach (var parts in plan.Parts.GroupBy(p => p.LineId, StringComparer.Ordinal))
        {
            var line = view.Lines.Single(l => l.LineId == parts.Key);
            var allocations = new List<OrderAllocation>();
            foreach (var part in parts)
            {
                var slot = Slot(line.Sku, part.LocationId);
                if (await AllocateAtAsync(line.Sku, part.LocationId, new AllocateRequest(part.AllocationId, part.Quantity, plan.HoldId)))
                {
                    allocations.Add(new OrderAllocation(part.LocationId, part.Quantity, AllocationStatus.Allocated, 0, null, null, part.AllocationId));
                }
                else
                {
                    // The hold lapsed and the stock went meanwhile: the units stay open, and the hold goes at once.
                    await slot.ReleaseAsync(new ReleaseRequest(plan.HoldId));
                }
            }

            view = Note(Replace(view, line.LineId, l => l with { Allocations = [.. l.Allocations, .. allocations] }), "routed", line.LineId, string.Join(", ", allocations.Select(a => $"{a.Quantity}@{a.LocationId}")));
        }

        // Capacity is taken where units were allocated; the routing's booking elsewhere goes back.
        var allocatedAt = view.Lines.SelectMany(l => l.Allocations).Select(a => a.AllocationId).ToHashSet(StringComparer.Ordinal);
        foreach (var location in plan.Parts.GroupBy(p => p.LocationId, StringComparer.Ordinal))
        {
            var grain = GrainFactory.Get<ILocationGrain>(location.Key);
            var confirmed = location.Any(p => allocatedAt.Contains(p.AllocationId))
                ? await grain.ConfirmBookingAsync(plan.HoldId, OrderId, clock.Today)
                : null;
            if (confirmed is null || confirmed.Status == BookingStatus.AlreadyBooked)
            {
                await grain.ReleaseBookingAsync(plan.HoldId);
            }
        }

        return state with { View = view, Pending = null };
    }

    /// <summary>Finishes what a stored change left undone (a crash or a failure came between) before the order does
    /// anything else: the effects of the last change at slots and locations, and a routing written ahead but not
    /// recorded.</summary>
    private async Task FinishPendingAsync()
    {
        await ApplyEffectsAsync();
        if (!_listed && State.View is not null)
        {
            // Once per activation, and after a list update that failed: the list shows the order as stored.
            await IndexAsync(View);
        }

        if (State.Replacing is not null)
        {
            await FinishReplacementAsync();
        }

        if (State.Pending is null)
        {
            return;
        }

        logger.LogWarning("{OrderId} finishes routing {HoldId}, interrupted after it was planned", OrderId, State.Pending.HoldId);
        var finished = await CompletePlanAsync(State);
        await SaveAsync(finished);
        if (finished.Routed && finished.View!.Lines.Any(OrderRules.WaitsForSupply))
        {
            // Units the plan could no longer allocate (its holds lapsed and the stock went): routed again later.
            await ArmBackorderRetryAsync();
        }
    }

    /// <summary>The slot allocation id for more units of <paramref name="line"/> at <paramref name="locationId"/>: the
    /// line's id for the first there, numbered after it for a re-route to the same location (a slot keeps one
    /// quantity per allocation id).</summary>
    private string NextAllocationId(OrderLine line, string locationId)
    {
        var before = line.Allocations.Count(a => a.LocationId == locationId);
        return before == 0 ? AllocationId(line.LineId) : $"{AllocationId(line.LineId)}/{before}";
    }

    /// <summary>Cancels every unit not shipped yet (of one line, or all): the view after it, and the releases of those
    /// units to their slots and of the bookings left idle, which follow once it is stored.</summary>
    private (OrderView View, OrderEffects Effects) CancelUnshipped(OrderView view, string? lineId)
    {
        var endings = new List<AllocationEnding>();
        foreach (var line in view.Lines.Where(l => lineId is null || OrderRules.IsOrPartOf(l, lineId)).ToList())
        {
            // Every unit left to cancel; a line with none stays as it is (the view unchanged tells a retried cancel).
            if (OrderRules.Cancellable(line) is > 0 and var units)
            {
                view = CancelUnits(view, line, units, endings);
            }
        }

        return (view, new OrderEffects(endings, IdleBookings(view)));
    }

    /// <summary>The locations that will do no work for the order: nothing left to pick there and nothing shipped or
    /// handed over from there. Their capacity booked for it goes back; where units went out, the work was done and its
    /// capacity stays used.</summary>
    private static List<string> IdleBookings(OrderView view)
    {
        var working = view.Lines.SelectMany(l => l.Allocations).Where(a => OrderRules.Unshipped(a) > 0 || a.Shipped > 0).Select(a => a.LocationId).ToHashSet(StringComparer.Ordinal);
        return view.Lines.SelectMany(l => l.Allocations).Select(a => a.LocationId).Distinct(StringComparer.Ordinal).Where(id => !working.Contains(id)).ToList();
    }

    /// <summary>Does the effects of the change stored last at slots and locations, unless this activation did them.
    /// Each is idempotent (an allocation ends down to an absolute number, a booking goes once), and no other change
    /// was stored after them, so doing them again after a crash is safe.</summary>
    private async Task ApplyEffectsAsync()
    {
        if (State.Effects is not { } effects || _effectsDone)
        {
            return;
        }

        foreach (var ending in effects.Endings)
        {
            await Slot(ending.Sku, ending.LocationId).EndAllocationAsync(new EndAllocationRequest(ending.AllocationId, ending.LeaveOpen, ending.End));
        }

        foreach (var locationId in effects.ReleasedBookings)
        {
            await GrainFactory.Get<ILocationGrain>(locationId).ReleaseBookingAsync(OrderId);
        }

        foreach (var restock in effects.Restocks ?? [])
        {
            var result = await Slot(restock.Sku, restock.LocationId).RestockAsync(new RestockRequest(restock.RestockId, restock.Quantity));
            if (result.Status != SetStockStatus.Set)
            {
                // Checked when the return was announced (a store or warehouse, a physical article): only master data
                // changed since can bring this. Retrying would not help; the units stay out of stock until counted.
                logger.LogWarning("{OrderId}: {Quantity} returned units of {Sku} could not be restocked at {LocationId} ({Status})",
                    OrderId, restock.Quantity, restock.Sku, restock.LocationId, result.Status);
            }
        }

        _effectsDone = true;
    }

    /// <summary>Whether any of these orders stands: accepted (or released by an operator) and not cancelled or
    /// rejected as a whole. An order the customer has on record that was never stored (its intake failed) does not.</summary>
    private async Task<bool> AnyStoodAsync(IReadOnlyList<string> orderIds)
    {
        foreach (var orderId in orderIds)
        {
            if (await GrainFactory.Get<IOrderGrain>(orderId).GetAsync() is { Status: not (OrderStatus.HeldForReview or OrderStatus.Rejected or OrderStatus.Cancelled) })
            {
                return true;
            }
        }

        return false;
    }

    private async Task<RiskOutcome> CheckRiskAsync(CreateOrderRequest request, CustomerOrderFacts customer, decimal orderValue, int largestLine)
    {
        // The e-mails the customer ordered with before count too: leaving the e-mail out does not get past a black list.
        var email = request.Customer?.Email;
        var values = new List<(RiskSubject Subject, string? Value)> { (RiskSubject.Customer, request.CustomerId), (RiskSubject.Email, email) };
        values.AddRange(request.Payments.Select(p => (RiskSubject.Payment, p.Instrument)));
        // What the black list may name, as a reason shows it, with the keys it is looked up by: a value by its normalized
        // form, an address by several (RiskKeys.Keys).
        var named = new List<(string Shown, IReadOnlyList<string> Keys, RiskSubject Subject)>();
        foreach (var (subject, value) in values.Where(v => v.Value is not null))
        {
            named.Add(($"{subject.ToString().ToLowerInvariant()} {value}", [RiskKeys.Normalize(subject, value!)], subject));
        }

        // An e-mail the customer gave with an earlier order, perhaps through another channel, is not named: the reason
        // is shown to the channel of this order, which sees only its own orders' details.
        var ownEmail = email is null ? null : RiskKeys.Normalize(RiskSubject.Email, email);
        foreach (var earlier in (customer.EarlierEmails ?? []).Select(e => RiskKeys.Normalize(RiskSubject.Email, e)).Where(key => key != ownEmail).Distinct())
        {
            named.Add(("email given with an earlier order", [earlier], RiskSubject.Email));
        }

        foreach (var address in new[] { request.Delivery.Address, request.BillingAddress }.OfType<Address>())
        {
            named.Add(($"address {RiskKeys.Of(address)}", RiskKeys.Keys(address), RiskSubject.Address));
        }

        var whiteKey = RiskKeys.Normalize(new RiskListEntry(RiskList.White, RiskSubject.Customer, request.CustomerId));
        var candidates = named.SelectMany(n => BlackListEntries(n.Subject, n.Keys))
            .Append(whiteKey)
            .Distinct()
            .ToList();
        var matched = (await MatchListsAsync(candidates)).ToHashSet();

        var black = named.Where(n => n.Keys.Any(key => matched.Contains(new RiskListEntry(RiskList.Black, n.Subject, key)))).Select(n => n.Shown).Distinct().ToList();
        // Only a white-listed customer skips the rules: an e-mail (or address, or card) is whatever the buyer types, so a
        // white-list entry for one (which the API no longer takes) vouches for nobody.
        var white = matched.Contains(whiteKey);
        var facts = new RiskFacts(
            orderValue,
            // The order's lines: a bundle line as its parts (30 kits of two cards are a line of 60 cards).
            largestLine,
            customer.OrdersInWindow,
            customer.PreviousOrders == 0,
            request.BillingAddress?.Country,
            request.Delivery.Address.Country,
            black,
            white,
            request.Currency);
        var (verdict, reasons) = RiskRules.Evaluate(facts, riskPolicy.Value);
        // An earlier order makes this one no first order only if it stood: a small order cancelled or rejected is no
        // history to trust a large one on. The earlier orders are asked only when the rule would hold this one.
        if (!facts.FirstOrder && customer.EarlierOrderIds is { Count: > 0 } earlierOrders
            && RiskRules.Evaluate(facts with { FirstOrder = true }, riskPolicy.Value) is var asFirst && asFirst.Reasons.Count > reasons.Count
            && !await AnyStoodAsync(earlierOrders))
        {
            (verdict, reasons) = asFirst;
        }

        return new RiskOutcome(verdict switch { RiskVerdict.Accept => RiskDecision.Accept, RiskVerdict.Review => RiskDecision.Review, _ => RiskDecision.Reject }, reasons);
    }

    /// <summary>Those of <paramref name="candidates"/> that are listed. During a rolling update the list grain may be
    /// active on a silo of the build before, which has no MatchAsync: then the whole list is read and matched here.</summary>
    private async Task<IReadOnlyList<RiskListEntry>> MatchListsAsync(IReadOnlyList<RiskListEntry> candidates)
    {
        var lists = GrainFactory.Get<IRiskListGrain>(RiskListGrain.Key);
        try
        {
            return await lists.MatchAsync(candidates);
        }
        catch (Exception exception) when (exception is not (StorageUnavailableException or TimeoutException or JournalDamagedException))
        {
            logger.LogWarning(exception, "{OrderId}: the risk lists could not match (an older silo?); reading them whole", OrderId);
            var listed = (await lists.GetAsync()).SelectMany(RiskKeys.ListedUnder).ToHashSet();
            return candidates.Where(listed.Contains).ToList();
        }
    }

    private async Task<ShipTo> ShipToAsync(Delivery delivery)
    {
        // Click & collect ships to the store: route as if the customer lived there.
        if (delivery is { Method: DeliveryMethod.Pickup, PickupLocationId: { } storeId }
            && await GrainFactory.Get<ILocationGrain>(storeId).GetAsync() is { } store)
        {
            return new ShipTo(store.Country.Length == 2 ? store.Country : delivery.Address.Country, store.Latitude, store.Longitude);
        }

        return new ShipTo(delivery.Address.Country, delivery.Address.Latitude, delivery.Address.Longitude);
    }

    private async Task SaveAsync(OrderState state)
    {
        var completed = Completed(state, null);
        await ArmOutboxAsync(completed);
        await StoreCompletedAsync(completed);
        await IndexAsync(View);
        SendSoon();
    }

    /// <summary>Saves <paramref name="state"/> with <paramref name="effects"/>, then does them at slots and locations.
    /// The change is acknowledged once stored: if an effect fails, the backorder reminder does it again (as does the
    /// next call), so stock and capacity follow the order a little late, never ahead of it. True when they are done.</summary>
    private async Task<bool> SaveAsync(OrderState state, OrderEffects effects)
    {
        var completed = Completed(state, effects.IsEmpty ? null : effects);
        await ArmOutboxAsync(completed);
        await StoreCompletedAsync(completed);
        await IndexAsync(View);
        SendSoon();
        try
        {
            await ApplyEffectsAsync();
        }
        catch (Exception exception)
        {
            // Any failure: the change is stored, so it is acknowledged; the reminder (or the next call) finishes it.
            logger.LogWarning(exception, "{OrderId} is stored but its stock and capacity changes are not done yet; the backorder reminder retries them", OrderId);
            await ArmBackorderRetryAsync();
        }

        return _effectsDone;
    }

    /// <summary>Stores <paramref name="state"/> with its statuses worked out; throws only when the journal did not take it.
    /// Effects come only from the change that has them (<paramref name="effects"/>): whatever a state handed in carries is
    /// ignored, and a store without effects keeps the last change's until they are done (entry points do them first).</summary>
    private Task StoreAsync(OrderState state, OrderEffects? effects = null) => StoreCompletedAsync(Completed(state, effects));

    /// <summary>Stores a state <see cref="Completed"/> made. A change that makes financial records (an invoice, a refund,
    /// a payment event) arms the ledger reminder before it is stored and posts them after: if the silo dies in between,
    /// the reminder posts them.</summary>
    private async Task StoreCompletedAsync(OrderState completed)
    {
        var newRecords = completed.View is { } view && LedgerDocuments(view) > (State.View is { } before ? LedgerDocuments(before) : 0);
        if (newRecords && !_ledgerArmed)
        {
            await this.RegisterOrUpdateReminder(LedgerReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _ledgerArmed = true;
        }

        // A click & collect order that comes to wait at its store is given its pickup days by a reminder armed before the
        // change is stored: nothing else would come back to it if the silo died right after.
        if (PickupEnds(completed.View) is { } ends && PickupEnds(State.View) is null)
        {
            await this.RegisterOrUpdateReminder(PickupReminder, clock.Until(NextPickupStep(completed.View!, ends)), TimeSpan.FromHours(1));
        }

        _effectsDone = completed.Effects is null;
        await Raise(new OrderChanged(completed));
        if (newRecords)
        {
            await PostLedgerAsync();
        }
    }

    /// <summary>How many documents of <paramref name="view"/> make ledger entries (see <see cref="OrderRules.LedgerEntries"/>):
    /// its invoices, its returns received with a refund, its payment events and its credit notes. They only ever grow, so a change made new
    /// entries exactly when it made this count grow.</summary>
    private static int LedgerDocuments(OrderView view) =>
        view.Invoices.Count + view.Returns.Count(r => r.Status == ReturnStatus.Received && r.Refund > 0) + (view.PaymentEvents?.Count ?? 0) + (view.Credits?.Count ?? 0);

    /// <summary>Posts the order's ledger entries not posted yet to the ledger (each to its day's grain), then stops the
    /// ledger reminder; a failure leaves it to the reminder.</summary>
    private async Task PostLedgerAsync(bool fromReminder = false)
    {
        var due = OrderRules.LedgerEntries(View).Where(e => !_ledgered.Contains(e.EntryId)).ToList();
        try
        {
            foreach (var day in due.GroupBy(e => LedgerKey.For(OrderId, e.At)))
            {
                await GrainFactory.Get<ILedgerGrain>(day.Key).AppendAsync(day.ToList());
                _ledgered.UnionWith(day.Select(e => e.EntryId));
            }
        }
        catch (Exception exception)
        {
            // The change is stored: the ledger follows from the reminder.
            logger.LogWarning(exception, "{OrderId} is stored but the ledger did not take its entries yet; the reminder posts them", OrderId);
            return;
        }

        if (_ledgerArmed || fromReminder)
        {
            try
            {
                await UnregisterAsync(LedgerReminder);
                _ledgerArmed = false;
            }
            catch (Exception exception)
            {
                // The change is stored and posted: a reminder left armed finds nothing to post and stops at its tick.
                logger.LogWarning(exception, "{OrderId}: the ledger reminder could not be stopped yet", OrderId);
            }
        }
    }

    /// <summary><paramref name="state"/> as <see cref="StoreAsync"/> stores it: with the effects it carries, its statuses
    /// worked out, and what the change itself tells the customer ("ready for pickup").</summary>
    private OrderState Completed(OrderState state, OrderEffects? effects)
    {
        if (effects is not null && State.Effects is not null && !_effectsDone)
        {
            throw new InvalidOperationException("A change with effects was stored before the effects of the one before it were done.");
        }

        state = state with { Effects = effects ?? (_effectsDone ? null : State.Effects) };
        var view = state.View!;
        if (state.ReviewPending && view.Lines.All(l => l.CancelledQuantity >= l.Quantity))
        {
            // Nothing left to release, however the lines came to be cancelled (the customer, unavailability).
            state = state with { ReviewPending = false };
        }

        if (OrderRules.ReadyAtStore(view) && !(State.View is { } before && OrderRules.ReadyAtStore(before)))
        {
            // Once, when the last line is ready at the store (or the last one not ready is cancelled): the customer
            // comes once, for everything.
            view = Notify(view, "readyForPickup", null);
        }

        var lines = view.Lines.Select(l => l with { Status = OrderRules.StatusOf(l) }).ToList();
        view = view with
        {
            Lines = lines,
            Status = OrderRules.StatusOf(lines, state.Rejected, state.ReviewPending),
            Total = OrderRules.TotalOf(lines, view.Currency, state.Request!.DeliveryCharge),
            DeliveryCharge = state.Request.DeliveryCharge,
        };
        // The last day to collect it, while it waits with its pickup days: given as it comes to wait (when StoreCompletedAsync
        // arms the reminder that ends them), not to an order that came to wait without (ready before this build, or while
        // its channel had none): that one waits until collected.
        view = view with
        {
            CollectBy = PickupEnds(view) is { } ends && (PickupEnds(State.View) is null || State.View!.CollectBy is not null)
                ? DateOnly.FromDateTime(ends.UtcDateTime).AddDays(-1)
                : null,
        };
        view = Settled(view, state.Request!.Payments.Count);
        if (!view.Late && State.View is { } was && OrderIndexGrain.OwesPromise(was.Status, OrderRules.ReadyAtStore(was))
            && !OrderIndexGrain.OwesPromise(view.Status, OrderRules.ReadyAtStore(view)) && clock.UtcNow > view.PromisedBy)
        {
            // Its promise kept too late, before the late reminder ran (it runs at the promised time, later when the silo
            // was down or busy): the order stays late, in the list and the KPIs, as if the reminder had come first.
            view = Note(view with { Late = true }, "late", null, $"promised by {view.PromisedBy:u}");
        }

        return state with { View = view, Notices = WithNotices(state, view) };
    }

    /// <summary>The notices to the locations with a webhook of their own that the change makes: units released to one (an
    /// order not held for review or rejected), and units of one cancelled (not those it rejected itself: it knows).</summary>
    private ImmutableList<LocationNotice> WithNotices(OrderState state, OrderView view)
    {
        var notices = State.Notices ?? [];
        if (webhooks.Options.Locations.Count == 0)
        {
            return notices;
        }

        // The allocations of an order not held or rejected that are not rejected or cancelled, at the locations
        // wanted, by notice key.
        Dictionary<string, (OrderLine Line, OrderAllocation Allocation)> Active(OrderView? of, bool held, Func<string, bool> at) =>
            of is null || held ? [] : of.Lines
                .SelectMany(l => l.Allocations.Where(a => a.Status is not (AllocationStatus.Rejected or AllocationStatus.Cancelled) && at(a.LocationId))
                    .Select(a => (Line: l, Allocation: a)))
                // Two active allocations under one key (of a line re-routed to the same location by a build that kept no
                // allocation ids) count as one, of their units together.
                .GroupBy(x => NoticeKey(x.Line, x.Allocation), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (g.First().Line, g.First().Allocation with { Quantity = g.Sum(x => x.Allocation.Quantity) }), StringComparer.Ordinal);

        // The active allocations before the change and after it, at the locations wanted.
        Dictionary<string, (OrderLine Line, OrderAllocation Allocation)> Was(Func<string, bool> at) => Active(State.View, State.ReviewPending || State.Rejected, at);
        Dictionary<string, (OrderLine Line, OrderAllocation Allocation)> Is(Func<string, bool> at) => Active(view, state.ReviewPending || state.Rejected, at);
        bool Hooked(string locationId) => webhooks.Options.EndpointForLocation(locationId) is not null;
        var before = Was(Hooked);
        var after = Is(Hooked);
        var added = new List<LocationNotice>();
        LocationNotice Notice(string type, string key, OrderLine line, string locationId, int quantity) =>
            new($"{OrderId}-l{notices.Count + added.Count + 1}", type, clock.UtcNow, locationId, line.LineId, line.Sku, quantity, key);

        foreach (var (key, (line, allocation)) in after.Where(a => !before.ContainsKey(a.Key)))
        {
            added.Add(Notice("allocated", key, line, allocation.LocationId, allocation.Quantity));
        }

        // Units the location rejected are kept as rejected allocations under the same key (all of them, or a part split
        // off): those are not cancelled to it.
        int RejectedUnits(OrderView? of, string key) =>
            of?.Lines.Sum(l => l.Allocations.Where(a => a.Status == AllocationStatus.Rejected && NoticeKey(l, a) == key).Sum(a => a.Quantity)) ?? 0;
        foreach (var (key, (line, allocation)) in before)
        {
            if (allocation.Status == AllocationStatus.ReadyForPickup && allocation.LocationId != view.Delivery.PickupLocationId)
            {
                // Units it sent to the pickup store are out of its hands: that they are not collected is the store's.
                continue;
            }

            var left = after.TryGetValue(key, out var still) ? still.Allocation.Quantity : 0;
            var cancelled = allocation.Quantity - left - (RejectedUnits(view, key) - RejectedUnits(State.View, key));
            if (cancelled > 0)
            {
                added.Add(Notice("cancelled", key, line, allocation.LocationId, cancelled));
            }
        }

        // A location that keeps units of an order whose delivery address (or pickup store) changed is told of the units it
        // still has to send (the order has where they go); one whose units all left has nothing to send there.
        if (State.View is { } earlier && earlier.Delivery != view.Delivery)
        {
            var type = view.Delivery.Method == DeliveryMethod.Pickup ? "pickupStoreChanged" : "addressChanged";
            foreach (var (key, (line, allocation)) in after.Where(a => before.ContainsKey(a.Key) && OrderRules.Unshipped(a.Value.Allocation) > 0))
            {
                added.Add(Notice(type, key, line, allocation.LocationId, OrderRules.Unshipped(allocation)));
            }
        }

        // A store that is no longer the order's pickup store hears that nothing comes to it any more (of what it did not
        // hand over already).
        if (State.View?.Delivery is { Method: DeliveryMethod.Pickup, PickupLocationId: { } former } && former != view.Delivery.PickupLocationId
            && webhooks.Options.EndpointForLocation(former) is not null)
        {
            foreach (var (key, (line, allocation)) in Was(locationId => locationId != former)
                .Where(a => a.Value.Allocation.Status != AllocationStatus.PickedUp))
            {
                added.Add(Notice("incomingCancelled", key, line, former, allocation.Quantity));
            }
        }

        // A click & collect order's pickup store with an endpoint of its own is told of the units coming to it from other
        // locations (incoming) and of those that no longer come (cancelled, or rejected where they were); a store that just
        // became the pickup store, of all of them.
        if (view.Delivery is { Method: DeliveryMethod.Pickup, PickupLocationId: { } store } && webhooks.Options.EndpointForLocation(store) is not null)
        {
            bool Elsewhere(string locationId) => locationId != store;
            var became = State.View?.Delivery.PickupLocationId != store;
            var was = became ? [] : Was(Elsewhere);
            // Units the customer collected at the store before it (a change after part of the order was picked up) come
            // to it no more.
            var now = Is(Elsewhere)
                .Where(a => !became || a.Value.Allocation.Status != AllocationStatus.PickedUp).ToDictionary(StringComparer.Ordinal);
            foreach (var key in was.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
            {
                var change = (now.TryGetValue(key, out var coming) ? coming.Allocation.Quantity : 0) - (was.TryGetValue(key, out var came) ? came.Allocation.Quantity : 0);
                var line = coming.Line ?? came.Line;
                if (change != 0)
                {
                    added.Add(Notice(change > 0 ? "incoming" : "incomingCancelled", key, line, store, Math.Abs(change)));
                }
            }
        }

        return added.Count == 0 ? notices : notices.AddRange(added);
    }

    /// <summary>An allocation as location notices name it: the slot's allocation id at its location.</summary>
    private string NoticeKey(OrderLine line, OrderAllocation allocation) => $"{SlotAllocationId(line, allocation)}@{allocation.LocationId}";

    /// <summary>Tells the order list; a failure there does not undo the (durable) order, and the order's next call
    /// (or next activation) tells it again.</summary>
    private async Task IndexAsync(OrderView view)
    {
        _listed = false;
        try
        {
            // Awaited so a list read after the answer sees the change.
            await GrainFactory.Get<IOrderIndexGrain>(OrderIndexGrain.BucketOf(OrderId)).UpsertAsync(new OrderSummary(
                OrderId, view.Channel, view.CustomerId, view.Status, view.CreatedAt, view.Late,
                ListedLocations(view),
                view.Total, view.PromisedBy, OrderRules.ReadyAtStore(view), OrderRules.DeliveredAt(view),
                view.Lines.Sum(l => l.Allocations.Where(a => a.Status != AllocationStatus.Cancelled).Sum(a => a.Quantity)),
                view.Lines.Sum(l => l.Allocations.Where(a => a.Status == AllocationStatus.Rejected).Sum(a => a.Quantity)),
                view.Returns.Where(r => r.Status == ReturnStatus.Announced).Select(r => r.LocationId).Distinct(StringComparer.Ordinal).ToList() is { Count: > 0 } awaited ? awaited : null,
                view.Lines.Sum(l => OrderRules.WithCustomer(l, view.Delivery)),
                view.Lines.Sum(l => l.ReturnedQuantity),
                view.Outstanding,
                view.ChargedBack,
                [.. view.Lines.Select(l => l.Sku).Concat(view.Lines.Select(l => l.Bundle?.Sku).OfType<string>()).Distinct(StringComparer.Ordinal)],
                OrderRules.CancelledByReason(view),
                OrderRules.CreditsByReason(view),
                OrderRules.ReturnedByReason(view)));
        }
        catch (Exception exception)
        {
            // Best effort, whatever the failure (storage, a silo gone): the order is stored, and the next call lists it.
            logger.LogWarning(exception, "{OrderId} is stored but the order list did not take its change", OrderId);
            return;
        }

        _listed = true;
    }

    /// <summary>A change that tells the customer something (with their channel's webhook configured) or a location with a
    /// webhook of its own arms the outbox reminder before it is stored (<paramref name="completed"/>: as it will be
    /// stored, with what the store itself adds, such as "ready for pickup"): if the silo dies before the message or the
    /// notice went out, the reminder sends it.</summary>
    private async Task ArmOutboxAsync(OrderState completed)
    {
        if (!_outboxArmed && completed.View is not null
            && (MessagesDue(completed.View, State.Sent) || completed.Notices.Count > State.NoticesSent))
        {
            await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _outboxArmed = true;
        }
    }

    /// <summary>Whether <paramref name="view"/>'s customer messages past the first <paramref name="sent"/> wait for its
    /// channel's webhook (configured: with none, they stay in the outbox).</summary>
    private bool MessagesDue(OrderView? view, int sent) => view is not null && webhooks.EnabledFor(view.Channel) && view.Outbox.Count > sent;

    /// <summary>After a stored change, messages and notices due go out in a call of their own (after this one: an answer
    /// does not wait for the webhook; the reminder was armed for them before the store).</summary>
    private void SendSoon()
    {
        if (MessagesDue(State.View, State.Sent) || State.Notices.Count > State.NoticesSent)
        {
            GrainFactory.GetGrain<IOrderGrain>(OrderId).SendOutboxAsync().Ignore();
        }
    }

    /// <summary>Stops the outbox reminder: nothing is due, or nothing goes anywhere.</summary>
    private async Task DisarmOutboxAsync()
    {
        await UnregisterAsync(OutboxReminder);
        _outboxArmed = false;
    }

    public async Task<bool> RelistAsync()
    {
        EnsureUsable();
        if (State.View is null)
        {
            return false;
        }

        await IndexAsync(View);
        if (LedgerDocuments(View) > 0)
        {
            // Its financial records too: an order invoiced by a build before the ledger is in it from now on (the
            // ledger records each entry once, so a relist repeated posts nothing twice).
            await PostLedgerAsync();
        }

        return _listed;
    }

    public async Task SendOutboxAsync()
    {
        EnsureUsable();
        // Customer messages while their channel's webhook is configured (turned off since the reminder was armed: they
        // stay in the outbox); notices to locations while any are due.
        var messagesDue = MessagesDue(State.View, State.Sent);
        var noticesDue = State.View is not null && State.Notices.Count > State.NoticesSent;
        if (!messagesDue && !noticesDue)
        {
            await DisarmOutboxAsync();
            return;
        }

        // Each backing off after its own failures (the reminder comes back): one endpoint down does not hold up the other.
        var sendMessages = messagesDue && !(State.SendAfter is { } after && clock.UtcNow < after);
        var sendNotices = noticesDue && !(State.NoticesAfter is { } noticesAfter && clock.UtcNow < noticesAfter);
        if (!sendMessages && !sendNotices)
        {
            return;
        }

        // In order, each until the endpoint took it: a receiver sees a customer's messages in the order they were made.
        var sent = State.Sent;
        var failed = false;
        foreach (var notification in sendMessages ? View.Outbox.Skip(State.Sent) : [])
        {
            if (clock.UtcNow - notification.At > webhooks.Options.MaxAge)
            {
                logger.LogWarning("{OrderId}: notification {NotificationId} ({Type}) is older than {MaxAge} and is not sent", OrderId, notification.NotificationId, notification.Type, webhooks.Options.MaxAge);
            }
            else if (!await webhooks.SendAsync(View, Request.Customer, notification))
            {
                failed = true;
                break;
            }

            sent++;
        }

        // The locations' notices, in order too, whatever became of the customer's messages (one endpoint down does not
        // hold up the other), and however old: units released to a partner are to be shipped. A notice to a location
        // whose endpoint was removed since is dropped.
        var noticesSent = State.NoticesSent;
        var noticeFailed = false;
        foreach (var notice in sendNotices ? State.Notices.Skip(State.NoticesSent) : [])
        {
            if (webhooks.Options.EndpointForLocation(notice.LocationId) is not null && !await webhooks.SendAsync(View, Request.Customer, notice))
            {
                noticeFailed = true;
                break;
            }

            noticesSent++;
        }

        var failures = failed ? State.SendFailures + 1 : sendMessages ? 0 : State.SendFailures;
        var noticeFailures = noticeFailed ? State.NoticeFailures + 1 : sendNotices ? 0 : State.NoticeFailures;
        await StoreAsync(State with
        {
            Sent = sent,
            SendFailures = failures,
            SendAfter = failed ? clock.UtcNow + Backoff(failures) : sendMessages ? null : State.SendAfter,
            NoticesSent = noticesSent,
            NoticeFailures = noticeFailures,
            NoticesAfter = noticeFailed ? clock.UtcNow + Backoff(noticeFailures) : sendNotices ? null : State.NoticesAfter,
        });
        if (!failed && !noticeFailed && sendMessages == messagesDue && sendNotices == noticesDue)
        {
            await DisarmOutboxAsync();
        }
    }

    /// <summary>How long to wait after <paramref name="failures"/> failed deliveries in a row: 1, 2, 4 … minutes, at most an
    /// hour (the reminder ticks every minute and sends once it is time).</summary>
    private static TimeSpan Backoff(int failures) => TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Min(failures - 1, 6))));

    private async Task UnregisterAsync(string reminderName)
    {
        if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>The locations the order list shows the order under: those with units of it, and the pickup store once
    /// units are on their way to it (then it has a part in the order, and sees it).</summary>
    private static List<string> ListedLocations(OrderView view)
    {
        var active = view.Lines.SelectMany(l => l.Allocations).Where(OrderRules.IsActive).Select(a => a.LocationId).ToList();
        return (active.Count > 0 && view.Delivery is { Method: DeliveryMethod.Pickup, PickupLocationId: { } store } ? active.Append(store) : active)
            .Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The view as of now: an open order past its promised time is late, whether or not the reminder ran (at the
    /// promised time itself it is not, as in the list).</summary>
    private OrderView Current(OrderView view) =>
        view.Late || !OrderIndexGrain.OwesPromise(view.Status, OrderRules.ReadyAtStore(view)) || clock.UtcNow <= view.PromisedBy ? view : view with { Late = true };

    private OrderView Note(OrderView view, string @event, string? lineId, string? detail) =>
        view with { History = [.. view.History, new OrderHistoryEntry(clock.UtcNow, @event, lineId, string.IsNullOrEmpty(detail) ? null : detail)] };

    private OrderView Notify(OrderView view, string type, string? lineId, Parcel? parcel = null, string? returnId = null, int? quantity = null, Address? address = null, string? creditId = null, DateTimeOffset? until = null, string? store = null) =>
        view with { Outbox = [.. view.Outbox, new Notification($"{OrderId}-n{view.Outbox.Count + 1}", type, clock.UtcNow, lineId, parcel, returnId, quantity, address, creditId, until, store)] };

    /// <summary>Where an event comes from as the history shows it: the location, and the parcel's carrier and tracking
    /// number when it has one.</summary>
    private static string Whence(FulfilmentEvent fulfilment) =>
        $"{fulfilment.LocationId}{(fulfilment.TrackingNumber is null ? "" : $" {fulfilment.Carrier} {fulfilment.TrackingNumber}")}";

    private static OrderView Replace(OrderView view, string lineId, Func<OrderLine, OrderLine> change) =>
        view with { Lines = view.Lines.Select(l => l.LineId == lineId ? change(l) : l).ToList() };

    /// <summary>The answer to a command recorded before under <paramref name="key"/>: as the first when its body
    /// (<paramref name="fingerprint"/>) is the same, a conflict saying <paramref name="conflict"/> when not; null for a
    /// command not seen yet.</summary>
    private OrderCommandResult? Repeated(string key, string fingerprint, string conflict) =>
        !State.Events.TryGetValue(key, out var seen) ? null
        : seen == fingerprint ? Result(OrderCommandStatus.AlreadyDone)
        : Result(OrderCommandStatus.IdempotencyConflict, conflict);

    private OrderCommandResult Result(OrderCommandStatus status, string? problem = null) =>
        new(status, State.View is { } view ? Current(view) : null, problem);

    private IStockSlotGrain Slot(string sku, string locationId) => GrainFactory.Get<IStockSlotGrain>(new StockSlotKey(sku, locationId).ToString());

    private string AllocationId(string lineId) => $"{OrderId}/{lineId}";

    /// <summary>The slot's allocation id of <paramref name="allocation"/> (those stored before ids were kept used the line's).</summary>
    private string SlotAllocationId(OrderLine line, OrderAllocation allocation) => allocation.AllocationId ?? AllocationId(line.LineId);

    /// <summary>Arms the backorder reminder: every minute, until no line waits and nothing is left to finish, it finishes
    /// what was begun (an interrupted routing, the effects of a change) and keeps the order in the backorder queues of the
    /// SKUs it waits for, which route it (<see cref="KeepWaitingAsync"/>).</summary>
    private Task ArmBackorderRetryAsync() => this.RegisterOrUpdateReminder(BackorderReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    private string ReplacementId(int n)
    {
        var id = $"{OrderId}-r{n}";
        return id.Length <= Ids.MaxLength ? id : $"r{n}-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(OrderId)))[..24]}";
    }

    /// <summary>The reservation the request names, and why the order cannot take it over (null: it can; so it is with
    /// no reservation named).</summary>
    private async Task<(ReservationView? Reservation, string? Problem)> CheckReservationAsync(CreateOrderRequest request, IReadOnlyList<PlannedPart> parts)
    {
        if (request.ReservationId is not { } reservationId)
        {
            return (null, null);
        }

        var reservation = await GrainFactory.Get<IReservationGrain>(reservationId).GetAsync(request.Channel);
        return (reservation, reservation switch
        {
            null => $"Reservation {reservationId} does not exist for channel {request.Channel}.",
            { Status: not (ReservationStatus.Held or ReservationStatus.Converted) } =>
                $"Reservation {reservationId} is {reservation.Status.ToString().ToLowerInvariant()}{(reservation.Status == ReservationStatus.Expired ? $" since {reservation.ExpiresAt:u}" : "")}: it holds nothing.",
            _ when !Matches(reservation, Wanted(request, parts).Select(w => (w.Sku, w.Quantity)).ToList()) =>
                $"Reservation {reservationId} holds {string.Join(", ", reservation.Lines.GroupBy(l => l.Sku).Select(g => $"{g.Sum(l => l.Quantity)} × {g.Key}"))}; the order's lines must ask for exactly these SKUs and quantities.",
            _ => null,
        });
    }

    /// <summary>Whether the order asks for what the reservation holds, SKU by SKU. A reservation may hold one SKU on
    /// two lines (a bundle and its component, or two bundles sharing one); an order carries it on one (a bundle's parts
    /// are lines of their own).</summary>
    private static bool Matches(ReservationView reservation, IReadOnlyList<(string Sku, int Quantity)> lines)
    {
        var held = reservation.Lines.GroupBy(r => r.Sku, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(r => r.Quantity), StringComparer.Ordinal);
        return held.Count == lines.Count && lines.All(l => held.GetValueOrDefault(l.Sku) == l.Quantity);
    }

    /// <summary>The customer data as fingerprints have always written it: a language, which came later, only when given,
    /// so a request stored before it keeps its fingerprint.</summary>
    private static string CustomerText(CustomerData? customer) => customer switch
    {
        null => "",
        { Language: null } => $"CustomerData {{ Email = {customer.Email}, Name = {customer.Name} }}",
        _ => customer.ToString(),
    };

    /// <summary><paramref name="value"/> with its trailing zeros dropped, so 20 and 20.00 fingerprint the same.</summary>
    private static decimal ByValue(decimal value) => value / 1.0000000000000000000000000000m;

    /// <summary>The hash of what the request asks for. Amounts count by value, so 20 and 20.00 are the same request;
    /// with <paramref name="asWritten"/> they count as written, as fingerprints stored before that did.</summary>
    private static string Fingerprint(CreateOrderRequest request, bool asWritten = false)
    {
        string Amount(decimal value) => (asWritten ? value : ByValue(value)).ToString(CultureInfo.InvariantCulture);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|',
        [
            request.Channel, request.CustomerId, request.ReservationId ?? "", request.Currency, request.Priority.ToString(), request.PromisedBy?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            request.Delivery.ToString(), CustomerText(request.Customer), request.BillingAddress?.ToString() ?? "", request.ReplacementFor ?? "",
            .. request.Lines.Select(l => $"{l.LineId}*{l.Sku}*{l.Quantity}*{Amount(l.UnitPrice)}"),
            .. request.Payments.Select(p => $"{p.Method}*{p.Instrument}*{Amount(p.Amount)}"),
            // Coupons and a delivery charge only when there are any, so requests stored before orders carried them keep
            // their fingerprint.
            // A set of codes in any case, marked apart from the payments (no payment method is '#coupons').
            .. (request.Coupons is { Count: > 0 } coupons ? [$"#coupons*{string.Join('*', coupons.Select(c => c.ToUpperInvariant()).Order(StringComparer.Ordinal))}"] : Array.Empty<string>()),
            .. (request.DeliveryCharge != 0 ? [$"#delivery*{Amount(request.DeliveryCharge)}"] : Array.Empty<string>()),
        ]))));
    }
}
