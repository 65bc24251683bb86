namespace Dom.Grains.Notifications;

/// <summary>Where the customer notifications in the orders' outboxes go (configuration: <c>Webhooks</c>). Without a
/// <see cref="Url"/> they are kept in the outbox only, as before.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>The name of the HTTP client the deliveries go through.</summary>
    public const string Client = "dom-webhooks";

    /// <summary>The endpoint each notification is POSTed to (the channel's messaging service, say); null: none.</summary>
    public Uri? Url { get; set; }

    /// <summary>The key of the HMAC-SHA256 signature of each delivery's body (<c>X-Dom-Signature: sha256={hex}</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>Notifications older than this when their turn comes are recorded as skipped, not sent: turning webhooks
    /// on does not send every order's past, and a customer is not told of a shipment days later.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long one delivery may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Endpoints of their own, by channel name: a marketplace's messaging service beside the web shop's. A channel
    /// not listed uses <see cref="Url"/> (none: its notifications stay in the outbox). Found in any case, as configuration
    /// keys are.</summary>
    public Dictionary<string, WebhookEndpoint> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Endpoints of locations' own systems (a drop-ship partner's, a warehouse's), by location id in any case:
    /// each is told of the units released to it and of those of its units cancelled.</summary>
    public Dictionary<string, WebhookEndpoint> Locations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every endpoint configured: the default one, the channels' and the locations' (for checking them at start).</summary>
    public IEnumerable<WebhookEndpoint> Endpoints() => Channels.Values.Concat(Locations.Values).Prepend(new WebhookEndpoint { Url = Url, Secret = Secret });

    /// <summary>Where <paramref name="locationId"/>'s notices go; null: nowhere (the location reads its lines itself).</summary>
    public WebhookEndpoint? EndpointForLocation(string locationId) =>
        Locations.TryGetValue(locationId, out var own) && own.Url is not null ? own : null;

    /// <summary>Where <paramref name="channel"/>'s notifications go, with the secret they are signed with; null: nowhere.</summary>
    public WebhookEndpoint? EndpointFor(string channel) =>
        Channels.TryGetValue(channel, out var own) && own.Url is not null ? own
        : Url is not null ? new WebhookEndpoint { Url = Url, Secret = Secret }
        : null;
}

/// <summary>A webhook endpoint and the key its deliveries are signed with.</summary>
public sealed class WebhookEndpoint
{
    public Uri? Url { get; set; }

    public string? Secret { get; set; }
}
