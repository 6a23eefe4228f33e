package upstream

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The kinds of upstream failure; test with errors.Is. Each becomes one
// status code at the HTTP layer.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("not found at the provider")
	// ErrRefused: the provider refused the change as invalid or conflicting
	// (a CNAME beside other records, an exact duplicate).
	ErrRefused = errors.New("refused by the provider")
	// ErrRateLimited: the account spent its request budget; see RetryAfter.
	ErrRateLimited = errors.New("rate limited by the provider")
	// ErrUnavailable: the provider failed, answered garbage, or could not be
	// reached.
	ErrUnavailable = errors.New("provider unavailable")
	// ErrTimeout: the provider did not answer within the deadline.
	ErrTimeout = errors.New("provider timed out")
	// ErrAccountToken: the provider refused the service's own credentials.
	ErrAccountToken = errors.New("provider refused the account token")
	// ErrZoneMissing: a managed zone does not exist in the provider account.
	ErrZoneMissing = errors.New("zone missing at the provider")
)

// Error describes one failed provider call. Only Kind, Fields and Reset
// are for the caller's answer; the rest is for logs, since the provider's
// own words may quote what was sent (URLs, values) and are not ours to
// repeat.
type Error struct {
	Kind   error
	Op     string // what was being done, e.g. "list records of example.com"
	Status int    // the provider's HTTP status, 0 if none arrived
	// Message is the provider's explanation, or ours of its nonsense: for
	// logs only.
	Message string
	// Fields are the names of the fields a refused change was faulted on
	// (content, name, type), checked to be plain names.
	Fields []string
	// Reset is when a rate-limit window reopens (ErrRateLimited only).
	Reset time.Time
	// Cause is the underlying error, for logs only.
	Cause error
}

// Error describes the failure for logs.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v", e.Op, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// defaultRetryAfter is the wait suggested when a rate-limited answer did not
// say when its window reopens; maxRetryAfter bounds what an answer may ask
// for (DNSimple's windows are an hour long).
const (
	defaultRetryAfter = time.Minute
	maxRetryAfter     = time.Hour
)

// RetryAfter says how long to wait before the provider will answer again,
// in whole seconds, from one second to an hour.
func (e *Error) RetryAfter(now time.Time) time.Duration {
	if e.Reset.IsZero() {
		return defaultRetryAfter
	}
	wait := e.Reset.Sub(now)
	switch {
	case wait < time.Second:
		return time.Second
	case wait > maxRetryAfter:
		return maxRetryAfter
	}
	return (wait + time.Second - 1).Truncate(time.Second)
}
