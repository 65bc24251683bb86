using System.Diagnostics;

namespace Dom.Cluster.Tests.Infrastructure;

/// <summary>Polling a condition with a deadline: the pause between two looks.</summary>
public static class Poll
{
    public static Task Pause() => Task.Delay(100);

    /// <summary>Evaluates <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Pause();
        }
    }
}
