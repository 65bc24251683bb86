using System.Globalization;
using System.Text;
using Dom.Orders;
using Dom.Risk;

namespace Dom.Grains.Risk;

/// <summary>How list entries and order data are compared, so that what a checkout form lets through (case, spaces of
/// any kind, invisible characters, the grouping of a card number) does not get past a list.</summary>
public static class RiskKeys
{
    /// <summary>In a key, a part the entry gives and the order leaves out. A control character: no value the API takes
    /// has one, and normalizing keeps it.</summary>
    private const string Unstated = "\u0001";

    /// <summary>An address as one value: street, postal code, city and country, those given. How a reason names the
    /// address, and the key addresses were listed by before the listed form.</summary>
    public static string Of(Address address) =>
        string.Join(", ", new[] { address.Street, address.PostalCode, address.City, address.Country }.Where(p => !string.IsNullOrWhiteSpace(p)));

    /// <summary>The keys an order's address is looked up by. An address is listed as street, postal code, city and
    /// country (postal code or city may be empty) and matches an address with the same street and country that shares
    /// at least one of postal code and city with it, and differs in neither where both give it: an order that leaves
    /// out the postal code or the city is still matched, an address in another city or at another postal code is not.
    /// So: the address's own parts, with its postal code or its city left empty (entries that give only the other),
    /// with the part it leaves out unstated (entries that give both, see <see cref="ListedUnder"/>), and
    /// <see cref="Of"/> for entries in the free form earlier builds took.</summary>
    public static IReadOnlyList<string> Keys(Address address)
    {
        var keys = new List<string> { Normalize(RiskSubject.Address, Of(address)) };
        var (street, postalCode, city, country) = (Part(address.Street), Part(address.PostalCode), Part(address.City), Part(address.Country));
        if (street.Length > 0 && country.Length > 0)
        {
            if (postalCode.Length > 0 && city.Length > 0)
            {
                keys.AddRange([Key(street, postalCode, city, country), Key(street, postalCode, "", country), Key(street, "", city, country)]);
            }
            else if (postalCode.Length > 0)
            {
                keys.AddRange([Key(street, postalCode, "", country), Key(street, postalCode, Unstated, country)]);
            }
            else if (city.Length > 0)
            {
                keys.AddRange([Key(street, "", city, country), Key(street, Unstated, city, country)]);
            }
        }

        return keys.Distinct().ToList();
    }

    /// <summary>The keys a list entry is found by: its normalized value, and for an address that gives both postal code
    /// and city, that address with either unstated, which an order leaving that part out looks up.</summary>
    public static IEnumerable<RiskListEntry> ListedUnder(RiskListEntry entry)
    {
        entry = Normalize(entry);
        yield return entry;
        if (entry.Subject == RiskSubject.Address && PartsOf(entry.Value) is { PostalCode.Length: > 0, City.Length: > 0 } parts)
        {
            yield return entry with { Value = Key(parts.Street, Unstated, parts.City, parts.Country) };
            yield return entry with { Value = Key(parts.Street, parts.PostalCode, Unstated, parts.Country) };
        }
    }

    /// <summary>The parts of a normalized address value in the listed form (four parts), or null for another form.</summary>
    public static (string Street, string PostalCode, string City, string Country)? PartsOf(string normalized) =>
        normalized.Split(", ") is { Length: 4 } parts ? (parts[0], parts[1], parts[2], parts[3]) : null;

    /// <summary>The form in which <paramref name="value"/> is listed and looked up. Customer ids are ids (compared as
    /// given, trimmed). Everything else is compared in Unicode's compatibility form (a no-break or full-width space
    /// is a space), without format characters (zero-width spaces and joiners), case-insensitively, with runs of white
    /// space as one space; an address part by part, so "Main St 1 ,12345" is "main st 1, 12345" (four parts keep an
    /// empty one in its place, any other number drop it, as earlier builds did); an e-mail and a payment instrument with
    /// no spaces at all, and a payment instrument without dashes ("4111 1111-1111" is "411111111111").</summary>
    public static string Normalize(RiskSubject subject, string value)
    {
        if (subject == RiskSubject.Customer)
        {
            return value.Trim();
        }

        if (subject == RiskSubject.Address)
        {
            var parts = value.Normalize(NormalizationForm.FormKC).Split(',').Select(part => Compact(part, keepSpaces: true, dropDashes: false)).ToList();
            return string.Join(", ", parts.Count == 4 ? parts : parts.Where(part => part.Length > 0));
        }

        return Compact(value, keepSpaces: false, dropDashes: subject == RiskSubject.Payment);
    }

    /// <summary><paramref name="entry"/> with its value in the form the lists compare.</summary>
    public static RiskListEntry Normalize(RiskListEntry entry) => entry with { Value = Normalize(entry.Subject, entry.Value) };

    /// <summary>One part of an order's address as an entry's part compares: a comma in it (which an entry's part cannot
    /// hold) is a space.</summary>
    private static string Part(string? value) =>
        value is null ? "" : Compact(value.Normalize(NormalizationForm.FormKC).Replace(',', ' '), keepSpaces: true, dropDashes: false);

    private static string Key(string street, string postalCode, string city, string country) => $"{street}, {postalCode}, {city}, {country}";

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
