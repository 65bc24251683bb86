using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Grains.Sourcing;
using Dom.Reservations;
using Dom.Sourcing;
using Orleans.Serialization;

namespace Dom.Grains.Reservations;

/// <summary>
/// Creates reservations on the silo that received them: sourcing takes the holds, then the answer is appended as the
/// first event of the reservation's journal stream, and given only once that is durable. No grain is activated for a
/// new reservation, as checkout traffic creates thousands per second and most are never read again; the
/// <see cref="ReservationGrain"/> loads the stream when one is.
/// Every attempt holds under its own id (the reservation id plus a random suffix, recorded in the view), so two
/// attempts with one reservation id (a retry racing the original) never share holds, and neither can give back what
/// the other recorded. The stream's first event is written only here and only with sequence 1, so the journal's key
/// decides the race: the loser's write fails with a conflict, and the reservation grain answers it from the record and
/// gives back all the loser took. A failed write is settled the same way: if the record landed after all it stands, if
/// nothing is there the holds go back; if even that cannot be read, the holds lapse at their expiry.
/// </summary>
[StatelessWorker, Reentrant]
internal sealed class ReservationDeskGrain(Sourcer sourcer, IGrainJournal journal, Serializer serializer, DomClock clock, ILogger<ReservationDeskGrain> logger)
    : Grain, IReservationDeskGrain
{
    public async Task<CreateReservationResult> CreateAsync(CreateReservationRequest request)
    {
        var fingerprint = ReservationJournal.Fingerprint(request);
        var expiresAt = clock.UtcNow.AddSeconds(request.TtlSeconds);
        var holdId = $"{request.ReservationId}~{Random.Shared.Next():x8}";
        // Slots and locations on this silo answer as soon as they decide; the record then rests on their writes, so it
        // goes into the same flush as the holds (or a later one) and is durable only if they are.
        var (result, holdWrites) = await sourcer.ReserveAnsweredEarlyAsync(new SourcingRequest(
            holdId, request.Channel, request.ShipTo, request.Lines, expiresAt, null, request.Priority, request.CustomerTier, request.PickupLocationId, request.PromisedBy));
        var view = result.Succeeded
            ? new ReservationView(request.ReservationId, ReservationStatus.Held, expiresAt, result.Lines, [], result.ProfileVersion, result.Cost, holdId)
            : new ReservationView(
                request.ReservationId,
                ReservationStatus.Refused,
                expiresAt,
                request.Lines.Select(line => new ReservationLine(line.Sku, line.Quantity, [])).ToList(),
                result.Shortages,
                result.ProfileVersion,
                HoldId: holdId);

        var stream = ReservationJournal.StreamOf(request.ReservationId);

        // A failed earlier attempt leaves the stream refused until reopened; the first event depends on nothing before it.
        journal.Reopen(stream);
        try
        {
            await journal.AppendAsync(new JournalEntry(stream, 1, serializer.SerializeToArray<ReservationEvent>(new ReservationRecorded(fingerprint, request.Channel, view))), holdWrites);
        }
        catch (Exception exception) when (exception is JournalConflictException or StorageUnavailableException)
        {
            // Recorded before (a retry or a concurrent duplicate), or not stored (or stored but reported failed, or a
            // hold it rests on failed): the reservation grain answers from what is recorded and gives back this
            // attempt's holds unless they are it. If that fails too, the holds lapse at their expiry.
            return await GrainFactory.Get<IReservationGrain>(request.ReservationId).SettleAsync(request, holdId, result.Lines);
        }

        logger.LogDebug("{ReservationId} {Status} until {ExpiresAt}", request.ReservationId, view.Status, expiresAt);
        return new CreateReservationResult(result.Succeeded ? ReservationOutcome.Created : ReservationOutcome.Refused, view);
    }
}
