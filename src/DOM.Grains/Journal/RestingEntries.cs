namespace Dom.Grains.Journal;

/// <summary>What every journal says and does about an entry that rests on other writes
/// (<see cref="IGrainJournal.AppendAsync(JournalEntry, IReadOnlyList{Task})"/>).</summary>
internal static class RestingEntries
{
    /// <summary>The failure of an entry because a write it rests on was not stored.</summary>
    public static StorageUnavailableException NotStored(Exception? cause = null) =>
        cause is null
            ? new StorageUnavailableException("An entry this one rests on was not stored; nothing of it is.")
            : new StorageUnavailableException("An entry this one rests on was not stored; nothing of it is.", cause);

    /// <summary>Completes when every write is stored; fails with <see cref="NotStored"/> when any is not.</summary>
    public static async Task StoredAsync(IEnumerable<Task> writes)
    {
        try
        {
            await Task.WhenAll(writes);
        }
        catch (Exception exception)
        {
            throw NotStored(exception);
        }
    }
}
