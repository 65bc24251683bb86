namespace Dom.Stock;

/// <summary>The key of a stock slot: one article at one location, written <c>{sku}@{locationId}</c>.</summary>
public readonly record struct StockSlotKey(string Sku, string LocationId)
{
    /// <summary>The grain key.</summary>
    public override string ToString() => $"{Sku}@{LocationId}";

    /// <summary>Parses a grain key written by <see cref="ToString"/>.</summary>
    public static StockSlotKey Parse(string key)
    {
        var at = key.LastIndexOf('@');
        if (at <= 0 || at == key.Length - 1)
        {
            throw new FormatException($"'{key}' is not a stock slot key of the form sku@locationId.");
        }

        return new StockSlotKey(key[..at], key[(at + 1)..]);
    }
}
