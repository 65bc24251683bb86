namespace Dom.Reservations;

/// <summary>
/// Where reservations are created, on the silo that received them: a service of every silo, called by the co-hosted
/// API without a grain call of its own. Clients outside the silo reach it through the <see cref="IReservationDeskGrain"/>.
/// </summary>
public interface IReservationDesk
{
    /// <summary>Holds every line or nothing, and records the answer durably before giving it. A retry of the same
    /// request returns the first answer; the same id with another body is an idempotency conflict.</summary>
    Task<CreateReservationResult> CreateAsync(CreateReservationRequest request);
}
