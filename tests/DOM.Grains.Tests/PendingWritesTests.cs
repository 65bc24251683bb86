using System.Net;
using Dom.Grains.Journal;
using Orleans.Runtime;

namespace Dom.Grains.Tests;

/// <summary>The silo's hand-over of writes answered early: each ticket redeems its write once; abandoned ones go.</summary>
public class PendingWritesTests
{
    private static PendingWrites NewPendingWrites() => new(SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1), keepAtLeast: 1_000, sweepEvery: 100);

    [Fact]
    public void A_ticket_redeems_its_own_write_once()
    {
        var writes = NewPendingWrites();
        var (first, second) = (new TaskCompletionSource(), new TaskCompletionSource());
        var (a, b) = (writes.Hand(first.Task), writes.Hand(second.Task));

        Assert.Same(second.Task, writes.Redeem(b));
        Assert.Same(first.Task, writes.Redeem(a));
        Assert.Null(writes.Redeem(a));
        Assert.Equal(0, writes.Count);
    }

    [Fact]
    public void A_ticket_never_redeemed_is_dropped_once_its_write_finished_and_many_tickets_followed_while_one_still_writing_stays()
    {
        var writes = NewPendingWrites();
        var abandoned = writes.Hand(Task.CompletedTask);
        var stillWriting = writes.Hand(new TaskCompletionSource().Task);
        var recent = 0L;

        for (var i = 0; i < 1_200; i++)
        {
            Assert.NotNull(writes.Redeem(writes.Hand(Task.CompletedTask)));
            if (i == 1_150)
            {
                recent = writes.Hand(Task.CompletedTask);
            }
        }

        // Swept: finished and more than 1,000 tickets old. Kept: still writing, or finished but recent.
        Assert.Null(writes.Redeem(abandoned));
        Assert.NotNull(writes.Redeem(recent));
        Assert.NotNull(writes.Redeem(stillWriting));
    }
}
