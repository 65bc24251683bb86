namespace Dom;

/// <summary>
/// The engine could not durably store a change, so it acknowledged nothing. Callers may retry with the same
/// idempotency key. Carries no driver details: those cannot cross the wire and must not reach a client.
/// </summary>
[GenerateSerializer, Alias("dom.storage-unavailable")]
public sealed class StorageUnavailableException : Exception
{
    /// <summary>With the standard message.</summary>
    public StorageUnavailableException()
        : this("Storage is unavailable; nothing was changed. Retry with the same idempotency key.")
    {
    }

    /// <summary>With a message safe to show a client.</summary>
    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>With a message safe to show a client and the cause, for logs only.</summary>
    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
