namespace Dom.Reservations;

/// <summary>
/// The <see cref="IReservationDesk"/> for clients outside the silo: a stateless worker on every silo, so a checkout's
/// reservation is planned, held and recorded on the silo that received it, without activating a grain per
/// reservation. The <see cref="IReservationGrain"/> of the id serves everything after that (reads, conversion,
/// release). Code inside a silo (the API) calls the desk service directly and saves this grain call.
/// </summary>
[Alias("dom.reservations.desk")]
public interface IReservationDeskGrain : IGrainWithIntegerKey
{
    /// <summary>Holds every line or nothing, and records the answer durably before giving it. A retry of the same
    /// request returns the first answer; the same id with another body is an idempotency conflict.</summary>
    [Alias("create")]
    Task<CreateReservationResult> CreateAsync(CreateReservationRequest request);
}
