using System.Text;

namespace Dom.Domain.Notifications;

/// <summary>A customer message's subject and text, with placeholders in braces (<c>{orderId}</c>) filled in when it is
/// sent.</summary>
public sealed class MessageTemplate
{
    public string Subject { get; set; } = "";

    public string Text { get; set; } = "";
}

/// <summary>Customer messages per notification type and language: built-in English and German texts, which
/// configuration may override or add to (a type in another language, another wording).</summary>
public static class MessageTemplates
{
    /// <summary>The language used when neither the customer's nor the configured default has a template.</summary>
    public const string Fallback = "en";

    /// <summary>The built-in templates: notification type → language → template.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, MessageTemplate>> BuiltIn =
        new Dictionary<string, IReadOnlyDictionary<string, MessageTemplate>>(StringComparer.OrdinalIgnoreCase)
        {
            ["orderConfirmed"] = Texts(
                ("Your order {orderId}", "Thank you, {customerName}. We have your order {orderId} ({total}) and will deliver it by {promisedBy}."),
                ("Ihre Bestellung {orderId}", "Vielen Dank, {customerName}. Ihre Bestellung {orderId} ({total}) ist eingegangen und wird bis {promisedBy} geliefert.")),
            ["orderRejected"] = Texts(
                ("Your order {orderId} could not be accepted", "We are sorry: we cannot accept your order {orderId}. Nothing will be charged."),
                ("Ihre Bestellung {orderId} wurde nicht angenommen", "Leider können wir Ihre Bestellung {orderId} nicht annehmen. Es wird nichts berechnet.")),
            ["shipped"] = Texts(
                ("Your order {orderId} is on its way", "Part of your order {orderId} has left us: {quantity} × {sku} with {carrier}, tracking number {trackingNumber}."),
                ("Ihre Bestellung {orderId} ist unterwegs", "Ein Teil Ihrer Bestellung {orderId} ist verschickt: {quantity} × {sku} mit {carrier}, Sendungsnummer {trackingNumber}.")),
            ["readyForPickup"] = Texts(
                ("Your order {orderId} is ready for pickup", "Your order {orderId} is waiting for you at {pickupLocation}."),
                ("Ihre Bestellung {orderId} liegt zur Abholung bereit", "Ihre Bestellung {orderId} liegt in {pickupLocation} für Sie bereit.")),
            ["backorderExpiring"] = Texts(
                ("Part of your order {orderId} is still not available", "{sku} of your order {orderId} is still not available. Unless it arrives before {cancelBy}, we cancel it that day; nothing is charged for it."),
                ("Ein Teil Ihrer Bestellung {orderId} ist noch nicht lieferbar", "{sku} aus Ihrer Bestellung {orderId} ist noch nicht lieferbar. Trifft es nicht vor dem {cancelBy} ein, stornieren wir es an diesem Tag; es wird nichts dafür berechnet.")),
            ["pickupStoreChanged"] = Texts(
                ("Your order {orderId} is collected at another store", "Your order {orderId} will wait for you at {pickupLocation}; we tell you when it is ready there."),
                ("Ihre Bestellung {orderId} holen Sie in einer anderen Filiale ab", "Ihre Bestellung {orderId} wartet in {pickupLocation} auf Sie; wir sagen Ihnen Bescheid, sobald sie dort abholbereit ist.")),
            ["pickupReminder"] = Texts(
                ("Your order {orderId} is waiting for you", "Your order {orderId} is still waiting for you at {pickupLocation}. Please collect it by {collectBy}; after that day it goes back on the shelf."),
                ("Ihre Bestellung {orderId} wartet auf Sie", "Ihre Bestellung {orderId} liegt noch in {pickupLocation} für Sie bereit. Bitte holen Sie sie bis {collectBy} ab; danach geht sie zurück ins Regal.")),
            ["notCollected"] = Texts(
                ("Your order {orderId} was not collected", "Your order {orderId} waited for you at {pickupLocation} and was not collected, so we have cancelled it. Nothing is charged for what you did not collect."),
                ("Ihre Bestellung {orderId} wurde nicht abgeholt", "Ihre Bestellung {orderId} lag in {pickupLocation} für Sie bereit und wurde nicht abgeholt; wir haben sie storniert. Für nicht Abgeholtes wird nichts berechnet.")),
            ["delayed"] = Texts(
                ("Your order {orderId} is late", "Your order {orderId} was promised by {promisedBy} and is late. We are sorry and are on it."),
                ("Ihre Bestellung {orderId} verspätet sich", "Ihre Bestellung {orderId} sollte bis {promisedBy} bei Ihnen sein und verspätet sich. Das tut uns leid.")),
            ["backordered"] = Texts(
                ("Part of your order {orderId} is delayed", "{sku} of your order {orderId} is not in stock right now; we send it as soon as it arrives."),
                ("Ein Teil Ihrer Bestellung {orderId} verzögert sich", "{sku} aus Ihrer Bestellung {orderId} ist gerade nicht vorrätig; wir senden es, sobald es eintrifft.")),
            // Sent for a line that waits for supply (backordered); a line cancelled for want of stock is "lineCancelled".
            ["itemUnavailable"] = Texts(
                ("Part of your order {orderId} is not available yet", "{sku} of your order {orderId} is not available right now; we send it as soon as it arrives."),
                ("Ein Teil Ihrer Bestellung {orderId} ist noch nicht lieferbar", "{sku} aus Ihrer Bestellung {orderId} ist gerade nicht lieferbar; wir senden es, sobald es eintrifft.")),
            ["cancelled"] = Texts(
                ("Your order {orderId} is cancelled", "Your order {orderId} is cancelled. Nothing more will be charged."),
                ("Ihre Bestellung {orderId} ist storniert", "Ihre Bestellung {orderId} ist storniert. Es wird nichts weiter berechnet.")),
            ["lineCancelled"] = Texts(
                ("Part of your order {orderId} is cancelled", "{sku} of your order {orderId} is cancelled."),
                ("Ein Teil Ihrer Bestellung {orderId} ist storniert", "{sku} aus Ihrer Bestellung {orderId} ist storniert.")),
            ["unitsCancelled"] = Texts(
                ("Part of your order {orderId} is cancelled", "{quantity} × {sku} of your order {orderId} is cancelled; the rest comes as ordered."),
                ("Ein Teil Ihrer Bestellung {orderId} ist storniert", "{quantity} × {sku} aus Ihrer Bestellung {orderId} ist storniert; der Rest kommt wie bestellt.")),
            ["addressChanged"] = Texts(
                ("Your order {orderId} goes to a new address", "Your order {orderId} will be delivered to {address}."),
                ("Ihre Bestellung {orderId} geht an eine neue Adresse", "Ihre Bestellung {orderId} wird an {address} geliefert.")),
            ["replacementCreated"] = Texts(
                ("A replacement for your order {orderId}", "We are sorry you got the wrong item. A replacement for {sku} is on its way as order {replacementId}, at no charge."),
                ("Ersatz für Ihre Bestellung {orderId}", "Es tut uns leid, dass Sie den falschen Artikel erhalten haben. Ersatz für {sku} kommt kostenlos mit der Bestellung {replacementId}.")),
            ["returnAnnounced"] = Texts(
                ("Your return for order {orderId}", "We have registered your return for order {orderId}."),
                ("Ihre Rücksendung zur Bestellung {orderId}", "Wir haben Ihre Rücksendung zur Bestellung {orderId} registriert.")),
            ["returnReceived"] = Texts(
                ("We received your return for order {orderId}", "Your return for order {orderId} has arrived."),
                ("Ihre Rücksendung zur Bestellung {orderId} ist angekommen", "Ihre Rücksendung zur Bestellung {orderId} ist bei uns angekommen.")),
            ["returnCancelled"] = Texts(
                ("Your return for order {orderId} is closed", "The return registered for order {orderId} is closed."),
                ("Ihre Rücksendung zur Bestellung {orderId} ist geschlossen", "Die für die Bestellung {orderId} registrierte Rücksendung ist geschlossen.")),
            ["refunded"] = Texts(
                ("Your refund for order {orderId}", "We are refunding {refund} for your order {orderId}."),
                ("Ihre Erstattung zur Bestellung {orderId}", "Wir erstatten Ihnen {refund} für Ihre Bestellung {orderId}.")),
            ["credited"] = Texts(
                ("A credit for your order {orderId}", "We are crediting {refund} to your payment for your order {orderId}."),
                ("Eine Gutschrift zu Ihrer Bestellung {orderId}", "Wir schreiben Ihnen {refund} für Ihre Bestellung {orderId} gut.")),
        };

    /// <summary>The template of <paramref name="type"/> for a customer who speaks <paramref name="language"/> (BCP 47:
    /// <c>de-AT</c>, then <c>de</c>; <c>zh-Hant-TW</c>, then <c>zh-Hant</c>, then <c>zh</c>), else in <paramref name="defaultLanguage"/>, else English: from
    /// <paramref name="configured"/> (type → language → template, both in any case) before the built-in ones. Null for a
    /// type with no template in any of them.</summary>
    public static (string Language, MessageTemplate Template)? Choose(
        string type, string? language, string defaultLanguage, IReadOnlyDictionary<string, Dictionary<string, MessageTemplate>> configured)
    {
        var languages = new List<string>();
        foreach (var candidate in new[] { language, defaultLanguage, Fallback }.OfType<string>())
        {
            // zh-Hant-TW, then zh-Hant, then zh.
            for (var tag = candidate; tag.Length > 0; tag = tag.LastIndexOf('-') is > 0 and var dash ? tag[..dash] : "")
            {
                languages.Add(tag);
            }
        }

        foreach (var candidate in languages)
        {
            if (configured.TryGetValue(type, out var own) && Find(own, candidate) is { } ownTemplate)
            {
                return (candidate, ownTemplate);
            }

            if (BuiltIn.TryGetValue(type, out var builtIn) && builtIn.TryGetValue(candidate, out var template))
            {
                return (candidate, template);
            }
        }

        return null;
    }

    /// <summary><paramref name="template"/> with each <c>{name}</c> of <paramref name="values"/> replaced by its value (a
    /// name without a value is left as it is).</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string?> values)
    {
        var text = new StringBuilder(template.Length + 32);
        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf('{', at);
            var close = open < 0 ? -1 : template.IndexOf('}', open + 1);
            if (close < 0)
            {
                text.Append(template, at, template.Length - at);
                break;
            }

            text.Append(template, at, open - at);
            var name = template[(open + 1)..close];
            text.Append(values.TryGetValue(name, out var value) ? value : template[open..(close + 1)]);
            at = close + 1;
        }

        return text.ToString();
    }

    private static MessageTemplate? Find(Dictionary<string, MessageTemplate> byLanguage, string language) =>
        byLanguage.FirstOrDefault(entry => string.Equals(entry.Key, language, StringComparison.OrdinalIgnoreCase)).Value;

    private static Dictionary<string, MessageTemplate> Texts((string Subject, string Text) english, (string Subject, string Text) german) =>
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["en"] = new MessageTemplate { Subject = english.Subject, Text = english.Text },
            ["de"] = new MessageTemplate { Subject = german.Subject, Text = german.Text },
        };
}
