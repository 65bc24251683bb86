using System.Collections.Concurrent;

namespace Dom.Grains.Hosting;

/// <summary>
/// Calls in flight by key, shared by everyone who asks for the same key while one is in flight: a flash sale's
/// requests on one silo make one call to the article they all plan on, not one each. A caller that joins gets an
/// answer at most that call old; a call that has finished (answered or failed) is never handed out again, so nothing
/// is cached beyond it.
/// </summary>
internal sealed class SharedCalls<TKey, TValue>(IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Task<TValue>> _inFlight = new(comparer);

    /// <summary>How many calls are in flight (a diagnostic).</summary>
    public int Count => _inFlight.Count;

    /// <summary>The call in flight for <paramref name="key"/>, or a new <paramref name="call"/> when there is none.
    /// Its continuations run asynchronously, so the callers who joined do not run one after another on the thread that
    /// finished it.</summary>
    public Task<TValue> GetAsync(TKey key, Func<TKey, Task<TValue>> call)
    {
        while (true)
        {
            if (_inFlight.TryGetValue(key, out var shared))
            {
                return shared;
            }

            var answer = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight.TryAdd(key, answer.Task))
            {
                _ = RunAsync(key, call, answer);
                return answer.Task;
            }
        }
    }

    private async Task RunAsync(TKey key, Func<TKey, Task<TValue>> call, TaskCompletionSource<TValue> answer)
    {
        TValue value;
        try
        {
            // Not back on the starter's scheduler: the callers who joined should not wait for that grain's next turn.
            value = await call(key).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Forget(key, answer.Task);
            answer.SetException(exception);
            return;
        }

        // Forgotten before it is answered: whoever asks after the answer makes a call of their own.
        Forget(key, answer.Task);
        answer.SetResult(value);
    }

    private void Forget(TKey key, Task<TValue> call) => _inFlight.TryRemove(new KeyValuePair<TKey, Task<TValue>>(key, call));
}
