namespace Dom.Grains.Orders;

/// <summary>What to do with a line no location can supply.</summary>
public enum UnavailableLinePolicy
{
    /// <summary>Keep the line and wait for supply (retried every minute and on demand).</summary>
    Backorder,

    /// <summary>Cancel the line.</summary>
    Cancel,
}

/// <summary>Order handling settings (configuration: <c>Orders</c>).</summary>
public sealed class OrderOptions
{
    public const string Section = "Orders";

    /// <summary>Days from intake to the promised delivery date when the channel sends none.</summary>
    public int DefaultPromiseDays { get; set; } = 3;

    /// <summary>The policy for channels not listed in <see cref="Channels"/>.</summary>
    public UnavailableLinePolicy Unavailable { get; set; } = UnavailableLinePolicy.Backorder;

    /// <summary>Days after a line's units reached the customer (delivered or picked up; shipped, when no delivery was
    /// reported) within which a channel or a store may register their return; 0: no limit. An operator may register one
    /// later (a goodwill return).</summary>
    public int ReturnDays { get; set; } = 30;

    /// <summary>Days a line waits for supply (backordered, from when it last began to wait) before its units still waiting
    /// are cancelled for want of stock (the customer told, nothing charged for them); 0: it waits until supplied. A
    /// replacement's line, owed to the customer, always waits.</summary>
    public int BackorderDays { get; set; }

    /// <summary>Days before the end of a line's <see cref="BackorderDays"/> at which the customer is told it will be
    /// cancelled unless supply comes (<c>backorderExpiring</c>); 0, or not less than the backorder days: no warning.</summary>
    public int BackorderWarningDays { get; set; } = 3;

    /// <summary>Days a click &amp; collect order waits at its pickup store, from the customer's "ready for pickup" message,
    /// before what is not collected is cancelled (the store's own units back on its shelf, units sent to it from elsewhere
    /// booked into its stock); 0: it waits until collected.</summary>
    public int PickupDays { get; set; } = 7;

    /// <summary>Days before the end of <see cref="PickupDays"/> at which the customer is reminded (<c>pickupReminder</c>);
    /// 0: no reminder.</summary>
    public int PickupReminderDays { get; set; } = 2;

    /// <summary>Per-channel settings, by channel name in any case (configuration keys are case-insensitive:
    /// <c>Orders:Channels:Marketplace</c> is the marketplace channel's).</summary>
    public Dictionary<string, ChannelOrderOptions> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Payment methods settled after the goods left (the customer pays an invoice): their captures are due until
    /// money for them is reported received. Null: <c>invoice</c> and <c>onAccount</c>. In any case.</summary>
    public string[]? PayLaterMethods { get; set; }

    /// <summary>Whether a payment by <paramref name="method"/> is settled after the goods left.</summary>
    public bool PaysLater(string method) => (PayLaterMethods ?? ["invoice", "onAccount"]).Contains(method, StringComparer.OrdinalIgnoreCase);

    /// <summary>Payment methods no bank stands behind (in any case), which a chargeback cannot take money back from. Null:
    /// <c>giftCard</c>, <c>bonusPoints</c>, <c>voucher</c> and <c>storeCredit</c>.</summary>
    public string[]? NoChargebackMethods { get; set; }

    /// <summary>Whether a payment by <paramref name="method"/> can be charged back.</summary>
    public bool ChargesBack(string method) =>
        !(NoChargebackMethods ?? ["giftCard", "bonusPoints", "voucher", "storeCredit"]).Contains(method, StringComparer.OrdinalIgnoreCase);

    public UnavailableLinePolicy UnavailableFor(string channel) =>
        Channels.TryGetValue(channel, out var options) && options.Unavailable is { } policy ? policy : Unavailable;

    public int ReturnDaysFor(string channel) =>
        Channels.TryGetValue(channel, out var options) && options.ReturnDays is { } days ? days : ReturnDays;

    public int BackorderDaysFor(string channel) =>
        Channels.TryGetValue(channel, out var options) && options.BackorderDays is { } days ? days : BackorderDays;

    public int PickupDaysFor(string channel) =>
        Channels.TryGetValue(channel, out var options) && options.PickupDays is { } days ? days : PickupDays;
}

public sealed class ChannelOrderOptions
{
    public UnavailableLinePolicy? Unavailable { get; set; }

    public int? ReturnDays { get; set; }

    public int? PickupDays { get; set; }

    public int? BackorderDays { get; set; }
}
