package polar

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when told: Sleep moves it at once, or, when sleeping is set, reports its wait there and
// blocks until its context is done.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	slept    []time.Duration
	timers   []*fakeTimer
	sleeping chan time.Duration
}

type fakeTimer struct {
	at   time.Time
	f    func()
	done bool // fired or stopped
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	if c.sleeping != nil {
		c.sleeping <- d
		<-ctx.Done()
		return ctx.Err()
	}
	c.mu.Lock()
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	c.Advance(d)
	return nil
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	timer := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, timer)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		stopped := !timer.done
		timer.done = true
		return stopped
	}
}

// Advance moves the clock by d and runs the timers then due, in the caller's goroutine.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, timer := range c.timers {
		if !timer.done && !timer.at.After(c.now) {
			timer.done = true
			due = append(due, timer.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// waits returns every wait slept, in order.
func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// total returns the sum of the waits slept.
func (c *fakeClock) total() time.Duration {
	var sum time.Duration
	for _, d := range c.waits() {
		sum += d
	}
	return sum
}

// withClock gives c the clock clk and returns c.
func withClock(c *Client, clk clock) *Client {
	c.clock = clk
	return c
}

func TestRealClockSleepStopsOnCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (realClock{}).Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a cancelled context: %v", err)
	}
	if err := (realClock{}).Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0): %v", err)
	}
}
