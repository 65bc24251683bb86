using Dom.Grains.Hosting;
using Dom.Grains.Stock;
using Microsoft.Extensions.Time.Testing;

namespace Dom.Grains.Tests;

/// <summary>The silo's one timer that calls slots back when their next hold lapses (so the index catches up).</summary>
public class RepublishScheduleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
    private readonly List<string> _called = [];

    private RepublishSchedule NewSchedule() => new(_called.Add, new DomClock(_time));

    private DateTimeOffset In(int seconds) => _time.GetUtcNow().AddSeconds(seconds);

    [Fact]
    public void Each_slot_is_called_back_exactly_at_its_time_and_not_before()
    {
        using var schedule = NewSchedule();
        schedule.Add("a@later", In(10));
        schedule.Add("b@sooner", In(5));
        schedule.Add("c@sooner", In(5));

        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(_called);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["b@sooner", "c@sooner"], _called.Order());

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(["b@sooner", "c@sooner", "a@later"], [.. _called.Take(2).Order(), .. _called.Skip(2)]);
        Assert.Equal(0, schedule.Count);
    }

    [Fact]
    public void A_sooner_time_added_after_a_later_one_rearms_the_timer()
    {
        using var schedule = NewSchedule();
        schedule.Add("late", In(60));
        schedule.Add("soon", In(1));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(["soon"], _called);
        Assert.Equal(1, schedule.Count);
    }

    [Fact]
    public void A_time_already_past_is_called_back_at_once()
    {
        using var schedule = NewSchedule();
        schedule.Add("overdue", In(-1));

        Assert.Equal(["overdue"], _called);
        Assert.Equal(0, schedule.Count);
    }

    [Fact]
    public void A_call_back_that_throws_neither_stops_the_others_nor_escapes_onto_the_timer()
    {
        using var schedule = new RepublishSchedule(
            slot =>
            {
                if (slot == "failing")
                {
                    throw new ObjectDisposedException("grain factory");
                }

                _called.Add(slot);
            },
            new DomClock(_time));
        schedule.Add("failing", In(5));
        schedule.Add("fine", In(5));
        schedule.Add("later", In(10));

        _time.Advance(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(["fine", "later"], _called);
        Assert.Equal(0, schedule.Count);
    }
}
