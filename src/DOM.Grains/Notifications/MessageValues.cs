using System.Globalization;
using Dom.Orders;

namespace Dom.Grains.Notifications;

/// <summary>What a customer message's placeholders stand for, from the order as it is when the message goes out.</summary>
internal static class MessageValues
{
    /// <summary>Languages that write a decimal comma (the silo runs without culture data, so amounts are written here).</summary>
    private static readonly HashSet<string> DecimalComma =
        new(["de", "fr", "es", "it", "nl", "pt", "da", "sv", "nb", "nn", "no", "fi", "pl", "cs", "sk", "hu", "ro", "ru", "tr", "el", "hr", "sl", "bg", "lt", "lv", "et"], StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyDictionary<string, string?> Of(OrderView order, CustomerData? customer, Notification notification, string language)
    {
        var comma = DecimalComma.Contains(language.Split('-')[0]);
        string Money(decimal amount)
        {
            var text = Dom.Domain.Money.Currency.Format(amount, order.Currency);
            return $"{(comma ? text.Replace('.', ',') : text)} {order.Currency}";
        }

        var line = notification.LineId is { } lineId ? order.Lines.FirstOrDefault(l => l.LineId == lineId) : null;
        // A message about a bundle line (its cancellation) names the bundle, and how many of it.
        List<OrderLine> parts = line is null && notification.LineId is { } bundleLineId ? [.. order.Lines.Where(l => l.Bundle?.LineId == bundleLineId)] : [];
        var part = parts.FirstOrDefault();
        // The parcel the message is about: the one it was made for (a message stored before they were kept: the line's,
        // the bundle's, or the order's, last one handed to a carrier).
        var parcel = notification.Parcel
            ?? ((line is not null ? [line] : parts.Count > 0 ? parts : order.Lines).SelectMany(l => l.Allocations).LastOrDefault(a => a.Shipped > 0) is { } last
                ? new Parcel(last.LocationId, last.Shipped, last.Carrier, last.TrackingNumber)
                : null);
        // A refund's message names the return it is about (messages stored before that was kept: the last receipt before it).
        var refund = notification.ReturnId is { } returnId
            ? order.Returns.FirstOrDefault(r => r.ReturnId == returnId)
            : order.Returns.Where(r => r.Status == ReturnStatus.Received && r.ClosedAt <= notification.At).MaxBy(r => r.ClosedAt);
        // A credit's message names the credit note it is about.
        var credit = notification.CreditId is { } creditId ? order.Credits?.FirstOrDefault(c => c.CreditId == creditId) : null;
        // A replacement's message names its own: each replacement made is recorded with its message, in order.
        // An address change's message names the address it made (the order may have another by now).
        var to = notification.Address ?? order.Delivery.Address;
        var replacement = order.Outbox.TakeWhile(n => n.NotificationId != notification.NotificationId).Count(n => n.Type == "replacementCreated");
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["orderId"] = order.OrderId,
            ["customerName"] = customer?.Name ?? "",
            ["lineId"] = notification.LineId ?? "",
            ["sku"] = line?.Sku ?? part?.Bundle!.Sku ?? string.Join(", ", order.Lines.Select(l => l.Sku)),
            ["quantity"] = (notification.Quantity ?? parcel?.Quantity ?? line?.Quantity ?? part?.Bundle!.Bundles(part.Quantity) ?? order.Lines.Sum(l => l.Quantity)).ToString(CultureInfo.InvariantCulture),
            ["carrier"] = parcel?.Carrier ?? "",
            ["trackingNumber"] = parcel?.TrackingNumber ?? "",
            ["pickupLocation"] = notification.Store ?? order.Delivery.PickupLocationId ?? "",
            ["address"] = string.Join(", ", new[] { to.Street, $"{to.PostalCode} {to.City}".Trim(), to.Country }.Where(part => !string.IsNullOrWhiteSpace(part))),
            ["total"] = Money(order.Total),
            ["refund"] = credit is not null ? Money(credit.Amount) : refund is null || notification.Type == "credited" ? "" : Money(refund.Refund),
            ["returnId"] = refund?.ReturnId ?? "",
            ["promisedBy"] = order.PromisedBy.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["collectBy"] = notification.Until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
            ["cancelBy"] = notification.Until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
            ["replacementId"] = order.Replacements.ElementAtOrDefault(replacement) ?? order.Replacements.LastOrDefault() ?? "",
        };
    }
}
