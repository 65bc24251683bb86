using Dom.Articles;
using Dom.Reservations;
using Dom.Sourcing;

namespace Dom.Grains.Sourcing;

/// <summary>Sourcing for callers outside the silo's grains (the API's explain and availability reads): the
/// <see cref="Sourcer"/> behind a stateless worker. Grains of this silo use the <see cref="Sourcer"/> directly.</summary>
[StatelessWorker, Reentrant]
internal sealed class SourcingGrain(Sourcer sourcer) : Grain, ISourcingGrain
{
    public Task<SourcingResult> ReserveAsync(SourcingRequest request) => sourcer.ReserveAsync(request);

    public Task<ArticleAvailability?> GetAvailabilityAsync(string sku, string? channel = null) => sourcer.GetAvailabilityAsync(sku, channel);

    public Task ReleaseAsync(string holdId, IReadOnlyList<ReservationLine> lines) => sourcer.ReleaseAsync(holdId, lines);

    public Task<SourcingExplanation> ExplainAsync(SourcingRequest request) => sourcer.ExplainAsync(request);
}
