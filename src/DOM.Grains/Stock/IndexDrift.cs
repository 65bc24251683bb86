namespace Dom.Grains.Stock;

/// <summary>
/// When a slot tells the article's availability index that its number moved. The index is only for choosing
/// candidates (the slot decides every hold), so it need not hear of every unit: a slot publishes once its available
/// units are a twentieth or more away from what it last published, which keeps every number in the index within 5 %
/// of the slot's (exact below 20 units, where one unit is more than that). A well-stocked slot under checkout load then
/// publishes once per a twentieth of its stock instead of once per hold: one grain call fewer for nearly every
/// reservation. Operators' changes, pools and expected supply are always published (see the slot).
/// </summary>
internal static class IndexDrift
{
    /// <summary>The index may be off by less than 1/<see cref="Share"/> of what it says.</summary>
    public const int Share = 20;

    /// <summary>Whether <paramref name="available"/> should be published, <paramref name="published"/> being the number
    /// this activation last published (null: none yet).</summary>
    public static bool Matters(int? published, int available) =>
        published is not { } last || (available != last && (long)Math.Abs(available - last) * Share >= last);
}
