using Dom.Domain.Notifications;

namespace Dom.Domain.Tests.Notifications;

public class MessageTemplatesTests
{
    private static readonly Dictionary<string, Dictionary<string, MessageTemplate>> None = new(StringComparer.OrdinalIgnoreCase);

    [Theory]
    [InlineData("de-AT", "en", "de")]
    [InlineData("DE", "en", "DE")]
    [InlineData("fr", "de", "de")]
    [InlineData(null, "de", "de")]
    [InlineData("fr", "it", "en")]
    public void A_message_is_in_the_customer_s_language_else_the_default_else_english(string? language, string defaultLanguage, string chosen) =>
        Assert.Equal(chosen, MessageTemplates.Choose("shipped", language, defaultLanguage, None)!.Value.Language);

    [Fact]
    public void A_configured_template_comes_before_the_built_in_one_and_may_add_a_language()
    {
        var configured = new Dictionary<string, Dictionary<string, MessageTemplate>>(StringComparer.OrdinalIgnoreCase)
        {
            ["SHIPPED"] = new(StringComparer.OrdinalIgnoreCase) { ["fr"] = new MessageTemplate { Subject = "Commande {orderId} expédiée" }, ["EN"] = new MessageTemplate { Subject = "Off it goes" } },
        };

        Assert.Equal("Commande {orderId} expédiée", MessageTemplates.Choose("shipped", "fr-CA", "en", configured)!.Value.Template.Subject);
        Assert.Equal("Off it goes", MessageTemplates.Choose("shipped", null, "en", configured)!.Value.Template.Subject);
        Assert.Equal("Ihre Bestellung {orderId} ist unterwegs", MessageTemplates.Choose("shipped", "de", "en", configured)!.Value.Template.Subject);
        Assert.Null(MessageTemplates.Choose("somethingNew", "de", "en", configured));
        var chinese = new Dictionary<string, Dictionary<string, MessageTemplate>>(StringComparer.OrdinalIgnoreCase)
        {
            ["shipped"] = new(StringComparer.OrdinalIgnoreCase) { ["zh-Hant"] = new MessageTemplate { Subject = "已出貨" }, ["zh"] = new MessageTemplate { Subject = "已发货" } },
        };
        Assert.Equal(("zh-Hant", "已出貨"), MessageTemplates.Choose("shipped", "zh-Hant-TW", "en", chinese) is { } c ? (c.Language, c.Template.Subject) : default);
    }

    [Fact]
    public void Every_notification_the_orders_send_has_english_and_german_texts() =>
        Assert.All(
            ["orderConfirmed", "orderRejected", "shipped", "readyForPickup", "delayed", "backordered", "itemUnavailable", "cancelled", "lineCancelled", "unitsCancelled", "replacementCreated", "returnAnnounced", "returnReceived", "returnCancelled", "refunded"],
            type => Assert.Equal(["de", "en"], MessageTemplates.BuiltIn[type].Keys.Order()));

    [Fact]
    public void Placeholders_are_filled_in_and_unknown_ones_left_as_they_are() =>
        Assert.Equal("Order o-1 for Ada: {nothing} and { open",
            MessageTemplates.Render("Order {orderId} for {customerName}: {nothing} and { open", new Dictionary<string, string?> { ["orderId"] = "o-1", ["customerName"] = "Ada" }));
}
