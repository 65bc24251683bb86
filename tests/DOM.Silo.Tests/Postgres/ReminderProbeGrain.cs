using System.Collections.Concurrent;

namespace Dom.Silo.Tests.Postgres;

[Alias("dom.tests.reminder-probe")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("arm")]
    Task ArmAsync();
}

/// <summary>Registers a reminder and reports when it fires, so a test can await the firing itself.</summary>
public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public static ConcurrentDictionary<string, TaskCompletionSource> Fired { get; } = new();

    public Task ArmAsync() => this.RegisterOrUpdateReminder("probe", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

    public async Task ReceiveReminder(string reminderName, Orleans.Runtime.TickStatus status)
    {
        await this.UnregisterReminder(await this.GetReminder(reminderName) ?? throw new InvalidOperationException("fired without a reminder"));
        Fired.GetOrAdd(this.GetPrimaryKeyString(), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
