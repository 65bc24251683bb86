using Dom.Domain.Notifications;

namespace Dom.Grains.Notifications;

/// <summary>How customer messages are written (configuration: <c>Notifications</c>).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>The language of a customer who named none (BCP 47: <c>en</c>, <c>de</c>).</summary>
    public string DefaultLanguage { get; set; } = MessageTemplates.Fallback;

    /// <summary>Templates over the built-in ones (English and German): notification type → language → subject and text,
    /// in any case (<c>Notifications:Templates:shipped:fr:Subject</c>).</summary>
    public Dictionary<string, Dictionary<string, MessageTemplate>> Templates { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
