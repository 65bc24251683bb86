using System.Globalization;
using System.Text;
using Dom.Orders;
using Dom.Risk;

namespace Dom.Grains.Risk;

/// <summary>How list entries and order data are compared, so that what a checkout form lets through (case, spaces of
/// any kind, invisible characters, the grouping of a card number) does not get past a list.</summary>
public static class RiskKeys
{
    /// <summary>An address as one value: street, postal code, city and country.</summary>
    public static string Of(Address address) =>
        string.Join(", ", new[] { address.Street, address.PostalCode, address.City, address.Country }.Where(p => !string.IsNullOrWhiteSpace(p)));

    /// <summary>The form in which <paramref name="value"/> is listed and looked up. Customer ids are ids (compared as
    /// given, trimmed). Everything else is compared in Unicode's compatibility form (a no-break or full-width space
    /// is a space), without format characters (zero-width spaces and joiners), case-insensitively, with runs of white
    /// space as one space; an address part by part, so "Main St 1 ,12345" is "main st 1, 12345"; an e-mail and a
    /// payment instrument with no spaces at all, and a payment instrument without dashes ("4111 1111-1111" is
    /// "411111111111").</summary>
    public static string Normalize(RiskSubject subject, string value)
    {
        if (subject == RiskSubject.Customer)
        {
            return value.Trim();
        }

        if (subject == RiskSubject.Address)
        {
            return string.Join(", ", value.Split(',').Select(part => Compact(part, keepSpaces: true, dropDashes: false)).Where(part => part.Length > 0));
        }

        return Compact(value, keepSpaces: false, dropDashes: subject == RiskSubject.Payment);
    }

    /// <summary><paramref name="entry"/> with its value in the form the lists compare.</summary>
    public static RiskListEntry Normalize(RiskListEntry entry) => entry with { Value = Normalize(entry.Subject, entry.Value) };

    private static string Compact(string value, bool keepSpaces, bool dropDashes)
    {
        var text = value.Normalize(NormalizationForm.FormKC);
        var kept = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.GetUnicodeCategory(c) == UnicodeCategory.Format || (dropDashes && char.GetUnicodeCategory(c) == UnicodeCategory.DashPunctuation))
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                space = keepSpaces && kept.Length > 0;
                continue;
            }

            if (space)
            {
                kept.Append(' ');
                space = false;
            }

            kept.Append(char.ToLowerInvariant(c));
        }

        return kept.ToString();
    }
}
