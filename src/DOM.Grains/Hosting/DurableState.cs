namespace Dom.Grains.Hosting;

/// <summary>The one way grains persist state: replace, write, and on failure put memory back and deactivate so the
/// next activation reloads what storage really holds (a timed-out write may still have landed).</summary>
internal static class DurableState
{
    public static async Task WriteAsync<T>(this IPersistentState<T> state, T next, IGrainContext grain, ILogger logger)
    {
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception exception)
        {
            state.State = previous;
            grain.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, "storage write failed"));
            logger.LogError(exception, "Writing {StateType} of {GrainId} failed; nothing acknowledged", typeof(T).Name, grain.GrainId);
            throw new StorageUnavailableException();
        }
    }
}
