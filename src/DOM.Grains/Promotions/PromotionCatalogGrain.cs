using System.Collections.Immutable;
using Dom.Domain.Pricing;
using Dom.Grains.Hosting;
using Dom.Promotions;

namespace Dom.Grains.Promotions;

[GenerateSerializer, Alias("dom.promotions.catalog-state")]
public sealed record PromotionCatalogState
{
    /// <summary>By promotion id.</summary>
    [Id(0)] public ImmutableDictionary<string, Promotion> Promotions { get; init; } = ImmutableDictionary<string, Promotion>.Empty;
}

/// <summary>Every promotion (see <see cref="IPromotionCatalogGrain"/>). Operators write it a few times a day and each
/// order's intake reads it once, in a read-only call that interleaves with the others, so one activation serves the
/// cluster; it answers only the promotions valid for the order, not the whole catalogue.</summary>
internal sealed class PromotionCatalogGrain(
    [PersistentState(DomStorage.PromotionCatalogState, DomStorage.Name)] IPersistentState<PromotionCatalogState> state,
    ILogger<PromotionCatalogGrain> logger) : Grain, IPromotionCatalogGrain
{
    private PromotionCatalogState State => state.State;

    public async Task<PromotionSaveResult> SaveAsync(Promotion promotion)
    {
        State.Promotions.TryGetValue(promotion.PromotionId, out var stored);
        if (stored is not null && Same(stored, promotion))
        {
            return new PromotionSaveResult(PromotionSaveStatus.Unchanged, stored);
        }

        // A coupon code unlocks one promotion: an order naming it must be able to tell which it asked for.
        if (promotion.Code is { } code
            && State.Promotions.Values.FirstOrDefault(p => p.PromotionId != promotion.PromotionId && string.Equals(p.Code, code, StringComparison.OrdinalIgnoreCase)) is { } other)
        {
            return new PromotionSaveResult(PromotionSaveStatus.CodeTaken, null, $"The code {code} is promotion {other.PromotionId}'s.");
        }

        await state.WriteAsync(State with { Promotions = State.Promotions.SetItem(promotion.PromotionId, promotion) }, GrainContext, logger);
        logger.LogInformation("Promotion {PromotionId} {Change}", promotion.PromotionId, stored is null ? "created" : "updated");
        return new PromotionSaveResult(stored is null ? PromotionSaveStatus.Created : PromotionSaveStatus.Updated, promotion);
    }

    public async Task<bool> RemoveAsync(string promotionId)
    {
        if (!State.Promotions.ContainsKey(promotionId))
        {
            return false;
        }

        await state.WriteAsync(State with { Promotions = State.Promotions.Remove(promotionId) }, GrainContext, logger);
        logger.LogInformation("Promotion {PromotionId} removed", promotionId);
        return true;
    }

    public Task<Promotion?> GetAsync(string promotionId) => Task.FromResult(State.Promotions.GetValueOrDefault(promotionId));

    public Task<IReadOnlyList<Promotion>> ListAsync() => Task.FromResult<IReadOnlyList<Promotion>>(State.Promotions.Values.OrderBy(p => p.PromotionId, StringComparer.Ordinal).ToList());

    public Task<IReadOnlyList<Promotion>> ForOrderAsync(PromotionQuery query) =>
        Task.FromResult<IReadOnlyList<Promotion>>(State.Promotions.Values.Where(p => p.ToRule().AppliesTo(query.Channel, query.Currency, query.At, query.Coupons)).ToList());

    private static bool Same(Promotion a, Promotion b) =>
        a with { Skus = null, Channels = null } == b with { Skus = null, Channels = null }
        && (a.Skus ?? []).SequenceEqual(b.Skus ?? []) && (a.Skus is null) == (b.Skus is null)
        && (a.Channels ?? []).SequenceEqual(b.Channels ?? []) && (a.Channels is null) == (b.Channels is null);
}

/// <summary>Promotions as the pure calculation sees them.</summary>
internal static class PromotionMapping
{
    public static PromotionRule ToRule(this Promotion promotion) => new(
        promotion.PromotionId, promotion.Name, (DiscountKind)promotion.Kind, promotion.Percent, promotion.Amount, promotion.Threshold,
        promotion.Buy, promotion.Get, promotion.Skus, promotion.Channels, promotion.Code, promotion.Currency,
        promotion.ValidFrom, promotion.ValidTo, promotion.Priority, promotion.Exclusive);
}
