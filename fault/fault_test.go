package fault

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 12, 0, 0, 250_000_000, time.UTC)
	tests := []struct {
		name  string
		reset time.Time
		want  time.Duration
	}{
		{"in the past", now.Add(-time.Hour), time.Second},
		{"now", now, time.Second},
		{"in 1ms", now.Add(time.Millisecond), time.Second},
		{"in 999ms", now.Add(999 * time.Millisecond), time.Second},
		{"in 1.001s", now.Add(time.Second + time.Millisecond), 2 * time.Second},
		{"in 1.5s", now.Add(1500 * time.Millisecond), 2 * time.Second},
		{"in 59.2s", now.Add(59200 * time.Millisecond), time.Minute},
		{"in an hour and a bit: capped", now.Add(time.Hour + time.Nanosecond), time.Hour},
		{"far future: capped", now.Add(1000 * time.Hour), time.Hour},
		{"in 59m59.5s", now.Add(time.Hour - 500*time.Millisecond), time.Hour},
		// A whole number of seconds is already whole: rounding up keeps it.
		{"in exactly 1s", now.Add(time.Second), time.Second},
		{"in exactly 2s", now.Add(2 * time.Second), 2 * time.Second},
		{"in exactly an hour", now.Add(time.Hour), time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &Error{Kind: RateLimited, RetryAt: tc.reset}
			got := e.RetryAfter(now)
			assert.Equal(t, tc.want, got)
			assert.Zero(t, got%time.Second, "whole seconds")
		})
	}
}

func TestKindsAndMessages(t *testing.T) {
	t.Parallel()
	refused := New(Forbidden, "no %s", "way")
	wrapped := fmt.Errorf("while doing x: %w", refused)
	assert.Equal(t, Forbidden, KindOf(wrapped))
	assert.Equal(t, "no way", MessageOf(wrapped))
	hidden := Wrap(refused, NotFound, "record %d does not exist", 7)
	assert.Equal(t, NotFound, KindOf(hidden), "the outermost kind counts")
	assert.Equal(t, "record 7 does not exist: no way", hidden.Error(), "the log sees the cause")
	assert.Equal(t, "record 7 does not exist", MessageOf(hidden), "the caller does not")
	assert.True(t, Is(hidden, NotFound))
	assert.False(t, Is(nil, Internal))

	assert.Equal(t, Timeout, KindOf(fmt.Errorf("x: %w", context.DeadlineExceeded)))
	assert.Equal(t, Canceled, KindOf(context.Canceled))
	secret := errors.New("dial tcp 10.0.0.1: secret detail")
	assert.Equal(t, Internal, KindOf(secret))
	assert.Equal(t, "internal error", MessageOf(secret), "internals never reach the caller")
	assert.Equal(t, "rate limited", RateLimited.String())
}
