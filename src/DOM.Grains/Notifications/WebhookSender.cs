using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dom.Domain.Notifications;
using Dom.Grains.Orders;
using Dom.Orders;
using Microsoft.Extensions.Options;

namespace Dom.Grains.Notifications;

/// <summary>What a webhook delivers: one notification of an order's outbox. <paramref name="Id"/> is the same on every
/// attempt, so the receiver can drop a repeat (deliveries are at least once). The message to the customer
/// (<paramref name="Email"/>, <paramref name="Name"/>) is written in <paramref name="Language"/>: its
/// <paramref name="Subject"/> and <paramref name="Text"/> (null for a type without a template).</summary>
public sealed record WebhookEvent(
    string Id,
    string Type,
    DateTimeOffset At,
    string OrderId,
    string Channel,
    string CustomerId,
    string? LineId,
    string? Email = null,
    string? Name = null,
    string? Language = null,
    string? Subject = null,
    string? Text = null);

/// <summary>What a location's webhook receives: units of an order's line released to it (<c>allocated</c>: pick, pack
/// and ship them to <paramref name="Delivery"/> by <paramref name="PromisedBy"/>) or taken back (<c>cancelled</c>: do not
/// ship them). <paramref name="Id"/> is the same on every attempt.</summary>
public sealed record LocationWebhookEvent(
    string Id,
    string Type,
    DateTimeOffset At,
    string OrderId,
    string Channel,
    string LocationId,
    string LineId,
    string Sku,
    int Quantity,
    Delivery Delivery,
    string? Name,
    DateTimeOffset PromisedBy);

/// <summary>Delivers an order's customer messages to its channel's endpoint and its notices to the locations' own endpoints,
/// signed; true when the endpoint answered 2xx.</summary>
internal sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options, IOptions<NotificationOptions> messages, ILogger<WebhookSender> logger)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public WebhookOptions Options => options.Value;

    /// <summary>Whether <paramref name="channel"/>'s notifications go anywhere.</summary>
    public bool EnabledFor(string channel) => options.Value.EndpointFor(channel) is not null;

    /// <summary>The signature header's value for <paramref name="body"/> under <paramref name="secret"/>.</summary>
    public static string Signature(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>The notification as delivered: with the customer's message written in their language.</summary>
    public WebhookEvent EventOf(OrderView order, CustomerData? customer, Notification notification)
    {
        var chosen = MessageTemplates.Choose(notification.Type, customer?.Language, messages.Value.DefaultLanguage, messages.Value.Templates);
        var values = MessageValues.Of(order, customer, notification, chosen?.Language ?? MessageTemplates.Fallback);
        return new WebhookEvent(notification.NotificationId, notification.Type, notification.At, order.OrderId, order.Channel, order.CustomerId, notification.LineId,
            customer?.Email, customer?.Name, chosen?.Language,
            chosen is { } subject ? MessageTemplates.Render(subject.Template.Subject, values) : null,
            chosen is { } text ? MessageTemplates.Render(text.Template.Text, values) : null);
    }

    public Task<bool> SendAsync(OrderView order, CustomerData? customer, Notification notification) =>
        options.Value.EndpointFor(order.Channel) is { Url: not null } endpoint
            ? PostAsync(endpoint, notification.NotificationId, JsonSerializer.SerializeToUtf8Bytes(EventOf(order, customer, notification), Json))
            : Task.FromResult(false);

    /// <summary>Tells a location of units released to it or taken back; false when it has no endpoint or did not take it.</summary>
    public Task<bool> SendAsync(OrderView order, CustomerData? customer, LocationNotice notice) =>
        options.Value.EndpointForLocation(notice.LocationId) is { } endpoint
            ? PostAsync(endpoint, notice.NoticeId, JsonSerializer.SerializeToUtf8Bytes(new LocationWebhookEvent(
                notice.NoticeId, notice.Type, notice.At, order.OrderId, order.Channel, notice.LocationId, notice.LineId, notice.Sku, notice.Quantity,
                order.Delivery, customer?.Name, order.PromisedBy), Json))
            : Task.FromResult(false);

    private async Task<bool> PostAsync(WebhookEndpoint endpoint, string eventId, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Dom-Event-Id", eventId);
        request.Headers.Add("X-Dom-Signature", Signature(endpoint.Secret ?? "", body));
        using var timeout = new CancellationTokenSource(options.Value.Timeout);
        try
        {
            using var response = await clients.CreateClient(WebhookOptions.Client).SendAsync(request, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            logger.LogWarning("Webhook for {NotificationId} answered {Status}; retried later", eventId, (int)response.StatusCode);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            logger.LogWarning("Webhook for {NotificationId} failed ({Error}); retried later", eventId, exception.Message);
        }

        return false;
    }
}
