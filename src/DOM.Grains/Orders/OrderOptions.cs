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

    /// <summary>Per-channel settings, by channel name.</summary>
    public Dictionary<string, ChannelOrderOptions> Channels { get; set; } = [];

    public UnavailableLinePolicy UnavailableFor(string channel) =>
        Channels.TryGetValue(channel, out var options) && options.Unavailable is { } policy ? policy : Unavailable;
}

public sealed class ChannelOrderOptions
{
    public UnavailableLinePolicy? Unavailable { get; set; }
}
