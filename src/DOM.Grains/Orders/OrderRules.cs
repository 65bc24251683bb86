using Dom.Domain.Money;
using Dom.Finance;
using Dom.Orders;

namespace Dom.Grains.Orders;

/// <summary>The order state machine as pure functions: a line's status follows its allocations, the order's its
/// lines. No Orleans, no I/O.</summary>
public static class OrderRules
{
    /// <summary>Whether <paramref name="line"/> is line <paramref name="lineId"/> or a part of bundle line
    /// <paramref name="lineId"/>.</summary>
    public static bool IsOrPartOf(OrderLine line, string lineId) => line.LineId == lineId || line.Bundle?.LineId == lineId;

    /// <summary>The id of the line the customer ordered <paramref name="line"/> as: its bundle line's for a bundle's part,
    /// else its own.</summary>
    public static string OrderedLineId(OrderLine line) => line.Bundle?.LineId ?? line.LineId;

    /// <summary>Units of the line are neither allocated nor cancelled: it waits for supply.</summary>
    public static bool WaitsForSupply(OrderLine line) => line.OpenQuantity > 0 && line.CancelledQuantity < line.Quantity;

    private static readonly AllocationStatus[] NotStarted = [AllocationStatus.Allocated, AllocationStatus.Accepted, AllocationStatus.Picked, AllocationStatus.Packed];

    public static bool IsActive(OrderAllocation allocation) => allocation.Status is not (AllocationStatus.Rejected or AllocationStatus.Cancelled);

    /// <summary>Units of the allocation still at the location (allocated, not shipped or handed over).</summary>
    public static int Unshipped(OrderAllocation allocation) =>
        !IsActive(allocation) || allocation.Status is AllocationStatus.PickedUp or AllocationStatus.Delivered ? 0 : allocation.Quantity - allocation.Shipped;

    /// <summary>Whether the allocation's units left to ship are packed for the address as it was (a parcel, its label
    /// printed; units left of an allocation shipped in part count as packed).</summary>
    public static bool PackedForAddress(OrderAllocation allocation) =>
        Unshipped(allocation) > 0 && allocation.Status is AllocationStatus.Packed or AllocationStatus.ReadyForPickup or AllocationStatus.Shipped;

    /// <summary>The order's units cancelled, by reason (one count per <see cref="CancelReason"/>, then those cancelled
    /// without one said: by an earlier build, or with no reason given); null when none is.</summary>
    public static IReadOnlyList<int>? CancelledByReason(OrderView view)
    {
        var cancelled = view.Lines.Sum(l => l.CancelledQuantity);
        if (cancelled == 0)
        {
            return null;
        }

        var byReason = new int[OrderStats.ReasonBuckets];
        foreach (var record in view.Cancellations ?? [])
        {
            byReason[OrderStats.ReasonBucket(record.Reason)] += record.Quantity;
        }

        byReason[OrderStats.ReasonBucket(null)] += Math.Max(0, cancelled - byReason.Sum());
        return byReason;
    }

    /// <summary>The order's credit notes, one count per <see cref="CreditReason"/>; null when it has none.</summary>
    public static IReadOnlyList<int>? CreditsByReason(OrderView view)
    {
        if (view.Credits is not { Count: > 0 } credits)
        {
            return null;
        }

        var byReason = new int[Enum.GetValues<CreditReason>().Length];
        foreach (var credit in credits)
        {
            byReason[(int)credit.Reason]++;
        }

        return byReason;
    }

    /// <summary>The order's units received back in returns, by the reason the return gave for them; null when none came.</summary>
    public static IReadOnlyDictionary<string, int>? ReturnedByReason(OrderView view)
    {
        var byReason = view.Returns.Where(r => r.Status == ReturnStatus.Received).SelectMany(r => r.Lines)
            .Where(l => l.Restocked + l.WrittenOff > 0)
            .GroupBy(l => l.Reason, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(l => l.Restocked + l.WrittenOff), StringComparer.Ordinal);
        return byReason.Count == 0 ? null : byReason;
    }

    /// <summary>Units of the line that can still be cancelled: those waiting for supply and those allocated but not shipped
    /// or handed over.</summary>
    public static int Cancellable(OrderLine line) => line.OpenQuantity + line.Allocations.Sum(Unshipped);

    /// <summary>The allocation once <paramref name="units"/> of its units not shipped are cancelled (released at its slot):
    /// fewer units while some stay to be shipped; else what was shipped of it, or, when nothing was, a cancelled
    /// allocation.</summary>
    public static OrderAllocation WithoutUnits(OrderAllocation allocation, int units) =>
        units < Unshipped(allocation) ? allocation with { Quantity = allocation.Quantity - units }
        : allocation.Shipped > 0 ? Settled(allocation with { Quantity = allocation.Shipped, Status = AllocationStatus.Shipped })
        : allocation with { Status = AllocationStatus.Cancelled };

    /// <summary>Units of the allocation delivered or handed over (all of it once its status says so, which is how
    /// allocations stored before deliveries were counted read).</summary>
    public static int DeliveredUnits(OrderAllocation allocation) =>
        !IsActive(allocation) ? 0 : allocation.Status is AllocationStatus.PickedUp or AllocationStatus.Delivered ? allocation.Quantity : allocation.Delivered;

    /// <summary>The allocation with its status caught up with its counts: shipped units all delivered are a delivered
    /// allocation.</summary>
    public static OrderAllocation Settled(OrderAllocation allocation) =>
        allocation.Status == AllocationStatus.Shipped && allocation.Delivered >= allocation.Quantity
            ? allocation with { Status = AllocationStatus.Delivered }
            : allocation;

    /// <summary>Units of the allocation that reached the customer's hands or are on their way to them: shipped to the
    /// address (a parcel the customer refuses comes back as a return too), or, for click &amp; collect, picked up (units
    /// sent to the pickup store are not the customer's until then).</summary>
    public static int WithCustomer(OrderAllocation allocation, Delivery delivery) =>
        !IsActive(allocation) ? 0
        : delivery.Method == DeliveryMethod.Pickup ? (allocation.Status == AllocationStatus.PickedUp ? allocation.Quantity : 0)
        : Math.Max(allocation.Shipped, DeliveredUnits(allocation));

    /// <summary>Units of <paramref name="line"/> that reached the customer or are on their way to them (see the allocation's).</summary>
    public static int WithCustomer(OrderLine line, Delivery delivery) => line.Allocations.Sum(a => WithCustomer(a, delivery));

    /// <summary>Units of line <paramref name="lineId"/> refunded by the returns received.</summary>
    public static int RefundedUnits(OrderView view, string lineId) =>
        view.Returns.SelectMany(r => r.Lines).Where(l => l.LineId == lineId).Sum(l => l.RefundedUnits);

    /// <summary>When line <paramref name="lineId"/>'s units reached the customer, which a return window runs from: its last
    /// delivery or pickup, or its last shipment while units shipped to the address are not reported delivered (a parcel
    /// delivered before them is no measure of theirs); null when none did.</summary>
    public static DateTimeOffset? ReachedCustomerAt(OrderView view, string lineId)
    {
        var onTheirWay = view.Delivery.Method == DeliveryMethod.Ship
            && view.Lines.Single(l => l.LineId == lineId).Allocations.Any(a => IsActive(a) && a.Shipped > DeliveredUnits(a));
        return view.History.LastOrDefault(h => h.LineId == lineId && (h.Event is "delivered" or "pickedup" || (onTheirWay && h.Event == "shipped")))?.At;
    }

    /// <summary>Units of <paramref name="line"/> a new return may take: those with the customer, less those received back
    /// and those in returns still announced.</summary>
    public static int Returnable(OrderLine line, OrderView view) =>
        WithCustomer(line, view.Delivery) - line.ReturnedQuantity
        - view.Returns.Where(r => r.Status == ReturnStatus.Announced).SelectMany(r => r.Lines).Where(r => r.LineId == line.LineId).Sum(r => r.Quantity);

    public static LineStatus StatusOf(OrderLine line)
    {
        if (line.CancelledQuantity >= line.Quantity)
        {
            return LineStatus.Cancelled;
        }

        if (line.ReturnedQuantity > 0 && line.ReturnedQuantity >= line.Quantity - line.CancelledQuantity)
        {
            return LineStatus.Returned;
        }

        if (line.OpenQuantity > 0)
        {
            return LineStatus.Backordered;
        }

        var active = line.Allocations.Where(IsActive).ToList();
        if (active.All(a => a.Status is AllocationStatus.Delivered or AllocationStatus.PickedUp))
        {
            return LineStatus.Delivered;
        }

        return active.All(a => a.Status is AllocationStatus.Delivered or AllocationStatus.PickedUp or AllocationStatus.ReadyForPickup
            || (a.Status == AllocationStatus.Shipped && a.Shipped == a.Quantity))
            ? LineStatus.Shipped
            : LineStatus.Open;
    }

    public static OrderStatus StatusOf(IReadOnlyList<OrderLine> lines, bool rejected, bool reviewPending)
    {
        if (rejected)
        {
            return OrderStatus.Rejected;
        }

        var live = lines.Where(l => l.Status != LineStatus.Cancelled).ToList();
        if (live.Count == 0)
        {
            return OrderStatus.Cancelled;
        }

        if (reviewPending)
        {
            return OrderStatus.HeldForReview;
        }

        if (live.All(l => l.Status == LineStatus.Returned))
        {
            return OrderStatus.Returned;
        }

        // A line that came back was shipped and is done: a partly returned order is delivered (or shipped) as before.
        if (live.All(l => l.Status is LineStatus.Delivered or LineStatus.Returned))
        {
            return OrderStatus.Delivered;
        }

        if (live.All(l => l.Status is LineStatus.Shipped or LineStatus.Delivered or LineStatus.Returned))
        {
            return OrderStatus.Shipped;
        }

        if (live.SelectMany(l => l.Allocations).Any(a => a.Shipped > 0 || a.Status is AllocationStatus.PickedUp or AllocationStatus.Delivered))
        {
            return OrderStatus.PartiallyShipped;
        }

        return live.All(l => l.Status == LineStatus.Backordered && l.AllocatedQuantity == 0) ? OrderStatus.Backordered : OrderStatus.Released;
    }

    /// <summary>The order's value after its promotions: its units not cancelled (a rejected order's are all cancelled), each
    /// at what its line's promotions left of its price. A line cancelled in part keeps the discount of its other units; a
    /// bundle's part is worth its share of the bundle's price, not its unit price (rounded for show) times its units. The
    /// <paramref name="deliveryCharge"/> counts while any unit is not cancelled (an order cancelled whole delivers nothing).</summary>
    public static decimal TotalOf(IReadOnlyList<OrderLine> lines, string currency, decimal deliveryCharge = 0m) =>
        (lines.Any(l => l.CancelledQuantity < l.Quantity) ? deliveryCharge : 0m) + lines.Sum(l => (l.Discounts is null && l.Bundle is null) || l.CancelledQuantity == 0 ? l.Value - l.UnitPrice * l.CancelledQuantity : Currency.Round(l.NetUnitPrice * (l.Quantity - l.CancelledQuantity), currency));

    /// <summary>True when a click &amp; collect order has done what it promised: every unit not cancelled is at the store,
    /// ready for pickup or handed over. Past that, the customer's pickup is not the order's lateness.</summary>
    public static bool ReadyAtStore(OrderView view) =>
        view.Delivery.Method == DeliveryMethod.Pickup
        && view.Lines.Any(l => l.CancelledQuantity < l.Quantity)
        && view.Lines.Where(l => l.CancelledQuantity < l.Quantity).All(l =>
            l.OpenQuantity == 0 && l.Allocations.Where(IsActive).All(a => a.Status is AllocationStatus.ReadyForPickup or AllocationStatus.PickedUp));

    /// <summary>When a delivered (or since returned) order's last unit was delivered or picked up (the last such event in
    /// its history); null for an order not delivered (a returned one whose parcels came back unopened).</summary>
    public static DateTimeOffset? DeliveredAt(OrderView view) =>
        view.Status is OrderStatus.Delivered or OrderStatus.Returned
            ? view.History.LastOrDefault(h => h.Event is "delivered" or "pickedup")?.At
            : null;

    /// <summary>True when <paramref name="location"/> may report about <paramref name="allocation"/>: its own location,
    /// or, for click &amp; collect, the pickup store about units sent to it from elsewhere.</summary>
    public static bool Concerns(OrderAllocation allocation, Delivery delivery, string location) =>
        allocation.LocationId == location || (delivery.Method == DeliveryMethod.Pickup && delivery.PickupLocationId == location);

    /// <summary>Which allocation statuses a fulfilment event may follow, reported by <paramref name="location"/>. Click
    /// &amp; collect from elsewhere than the pickup store is a transfer: its location ships the units to the store, and
    /// the store reports them ready and picked up; the store's own units go from packed to ready.</summary>
    public static bool Allows(FulfilmentEventType type, OrderAllocation allocation, Delivery delivery, string location)
    {
        var own = allocation.LocationId == location;
        var pickup = delivery.Method == DeliveryMethod.Pickup;
        var byStore = pickup && delivery.PickupLocationId == location;
        var transfer = pickup && allocation.LocationId != delivery.PickupLocationId;
        var shippable = NotStarted.Contains(allocation.Status) || (allocation.Status == AllocationStatus.Shipped && allocation.Shipped < allocation.Quantity);
        return type switch
        {
            FulfilmentEventType.Accepted or FulfilmentEventType.Picked or FulfilmentEventType.Packed => own && NotStarted.Contains(allocation.Status),
            FulfilmentEventType.Rejected => own && shippable,
            FulfilmentEventType.Shipped => own && (!pickup || transfer) && shippable,
            FulfilmentEventType.ReadyForPickup => byStore
                && (transfer ? allocation.Status == AllocationStatus.Shipped && allocation.Shipped == allocation.Quantity : NotStarted.Contains(allocation.Status)),
            FulfilmentEventType.PickedUp => byStore && allocation.Status == AllocationStatus.ReadyForPickup,
            FulfilmentEventType.Delivered => own && !pickup && allocation.Status == AllocationStatus.Shipped && allocation.Delivered < allocation.Shipped,
            _ => false,
        };
    }

    /// <summary>The order's financial records for the ledger: each invoice (per payment it captured from, its VAT shared in
    /// proportion, in whole minor units), each refund of a return received and each credit note (per payment it goes back
    /// to), each payment event. An amount no payment took (an order that reported none) is one entry without a method.</summary>
    public static IReadOnlyList<LedgerEntry> LedgerEntries(OrderView view)
    {
        var entries = new List<LedgerEntry>();
        LedgerEntry Entry(string documentId, string part, DateTimeOffset at, LedgerEntryKind kind, string? method, decimal amount, decimal vat) =>
            new($"{view.OrderId}/{kind}/{documentId}/{part}", at, kind, view.OrderId, view.Channel, view.CustomerId, documentId, method, amount, view.Currency, vat);

        void PerTender(string documentId, DateTimeOffset at, LedgerEntryKind kind, decimal total, IReadOnlyList<TenderAmount> tenders, decimal vat, int sign)
        {
            if (tenders.Count == 0)
            {
                entries.Add(Entry(documentId, "-", at, kind, null, sign * total, sign * vat));
                return;
            }

            // In whole minor units to the largest remainders, as the amount itself was shared: each rounded on its own, the
            // shares could add up to more than the VAT, and the last one, made up to it, fall below zero.
            var shares = LineAmounts.ToTenders(vat, tenders.Select(t => t.Amount).ToList(), new decimal[tenders.Count], view.Currency);
            for (var i = 0; i < tenders.Count; i++)
            {
                entries.Add(Entry(documentId, tenders[i].Tender.ToString(System.Globalization.CultureInfo.InvariantCulture), at, kind, tenders[i].Method, sign * tenders[i].Amount, sign * shares[i]));
            }
        }

        foreach (var invoice in view.Invoices)
        {
            PerTender(invoice.InvoiceId, invoice.At, LedgerEntryKind.Invoice, invoice.Total, invoice.Tenders, invoice.Vat, 1);
        }

        foreach (var received in view.Returns.Where(r => r.Status == ReturnStatus.Received && r.Refund > 0))
        {
            PerTender(received.ReturnId, received.ClosedAt ?? received.CreatedAt, LedgerEntryKind.Refund, received.Refund, received.Tenders ?? [], received.Vat, -1);
        }

        foreach (var credit in view.Credits ?? [])
        {
            PerTender(credit.CreditId, credit.At, LedgerEntryKind.Credit, credit.Amount, credit.Tenders, credit.Vat, -1);
        }

        foreach (var payment in view.PaymentEvents ?? [])
        {
            var (kind, sign) = payment.Type switch
            {
                PaymentEventType.Received => (LedgerEntryKind.PaymentReceived, -1),
                PaymentEventType.Chargeback => (LedgerEntryKind.Chargeback, 1),
                _ => (LedgerEntryKind.ChargebackReversed, -1),
            };
            entries.Add(Entry(payment.EventId, payment.Tender.ToString(System.Globalization.CultureInfo.InvariantCulture), payment.At, kind, payment.Method, sign * payment.Amount, 0m));
        }

        return entries;
    }
}
