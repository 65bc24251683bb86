using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Grains.Sourcing;
using Dom.Reservations;
using Dom.Sourcing;
using Orleans.Serialization;

namespace Dom.Grains.Reservations;

/// <summary>
/// Creates reservations on the silo that received them: sourcing takes the holds (each carrying the reservation's id
/// and expiry), then the answer is appended as the first event of the reservation's journal stream, and given only
/// once that is durable. No grain is activated for a new reservation, as checkout traffic creates thousands per second
/// and most are never read again; the <see cref="ReservationGrain"/> loads the stream when one is.
/// The stream's first event is written only here and only with sequence 1, so the journal's key decides a race: an id
/// recorded before (a retry, or a concurrent duplicate) fails with a conflict, and the reservation grain answers it
/// from the record and gives back what this attempt took beyond it. If the write fails, the holds stay and lapse at
/// their expiry: the write may have landed after all, and then the recorded answer must stay true.
/// </summary>
[StatelessWorker, Reentrant]
internal sealed class ReservationDeskGrain(Sourcer sourcer, IGrainJournal journal, Serializer serializer, DomClock clock, ILogger<ReservationDeskGrain> logger)
    : Grain, IReservationDeskGrain
{
    public async Task<CreateReservationResult> CreateAsync(CreateReservationRequest request)
    {
        var fingerprint = ReservationJournal.Fingerprint(request);
        var expiresAt = clock.UtcNow.AddSeconds(request.TtlSeconds);
        var result = await sourcer.ReserveAsync(new SourcingRequest(
            request.ReservationId, request.Channel, request.ShipTo, request.Lines, expiresAt, null, request.Priority, request.CustomerTier, request.PickupLocationId, request.PromisedBy));
        var view = result.Succeeded
            ? new ReservationView(request.ReservationId, ReservationStatus.Held, expiresAt, result.Lines, [], result.ProfileVersion, result.Cost)
            : new ReservationView(
                request.ReservationId,
                ReservationStatus.Refused,
                expiresAt,
                request.Lines.Select(line => new ReservationLine(line.Sku, line.Quantity, [])).ToList(),
                result.Shortages,
                result.ProfileVersion);

        var stream = ReservationJournal.StreamOf(request.ReservationId);

        // A failed earlier attempt leaves the stream refused until reopened; the first event depends on nothing before it.
        journal.Reopen(stream);
        try
        {
            await journal.AppendAsync(new JournalEntry(stream, 1, serializer.SerializeToArray<ReservationEvent>(new ReservationRecorded(fingerprint, request.Channel, view))));
        }
        catch (JournalConflictException)
        {
            return await GrainFactory.Get<IReservationGrain>(request.ReservationId).SettleAsync(request, result.Lines);
        }

        logger.LogDebug("{ReservationId} {Status} until {ExpiresAt}", request.ReservationId, view.Status, expiresAt);
        return new CreateReservationResult(result.Succeeded ? ReservationOutcome.Created : ReservationOutcome.Refused, view);
    }
}
