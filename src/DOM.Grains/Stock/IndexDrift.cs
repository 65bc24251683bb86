namespace Dom.Grains.Stock;

/// <summary>
/// When a slot tells the article's availability index that its number moved. The index is only for choosing
/// candidates (the slot decides every hold), so it need not hear of every unit it loses: a slot publishes a fall once
/// its available units are a twentieth or more below what it last published, and every rise at once. So the index
/// never says less than a slot has (a location is not passed over for stock it has), and says more by less than a
/// twentieth of its own number (exactly the slot's number while that is 20 or less), which costs at most a refused
/// hold and a re-plan. A well-stocked slot under checkout load then publishes once per a twentieth of its stock
/// instead of once per hold. Operators' changes, pools and expected supply are always published, lapses when they lift
/// the slot above what the index heard (see the slot). A lost publication (they are one-way) is repaired by the next
/// one, at the latest <see cref="RefreshEvery"/> after it when the slot keeps changing, or when the article's grain is
/// activated again (it asks every slot).
/// </summary>
internal static class IndexDrift
{
    /// <summary>A fall is published once it reaches 1/<see cref="Share"/> of the published number.</summary>
    public const int Share = 20;

    /// <summary>A slot that changes publishes at least this often, whatever moved: a lost publication is repaired
    /// within it. Rare enough to keep the saving (a slot under checkout load changes every few seconds).</summary>
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(5);

    /// <summary>Whether <paramref name="available"/> should be published, <paramref name="published"/> being the number
    /// this activation last published (null: none yet).</summary>
    public static bool Matters(int? published, int available) =>
        published is not { } last || available > last || (available < last && (long)(last - available) * Share >= last);
}
