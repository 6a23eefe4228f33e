// Package fault holds the kinds of failure every part of dns-api reports,
// in the manner of pkgsite's derrors and benbjohnson/wtf's error.go: a
// failure is an *Error of one Kind with a message written for the person
// at the other end of the request, and each protocol the service speaks
// turns a kind into its own answer (an HTTP status and the JSON envelope,
// a dyndns2 return code, an acme-dns error) from one table. Internals stay
// in the wrapped error, for logs only.
package fault

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Kind is what went wrong, as a caller can act on it.
type Kind int

// The kinds of failure.
const (
	// Internal is a bug of ours; the caller is told "internal error".
	Internal Kind = iota
	// Invalid: the input is malformed or names something not managed.
	Invalid
	// Unauthenticated: no token, or a token that is not valid.
	Unauthenticated
	// Forbidden: the input is fine but the caller may not do this.
	Forbidden
	// NotFound: no such record, as far as this caller can tell.
	NotFound
	// Conflict: the change clashes with what exists, or DNSimple refused
	// it as such.
	Conflict
	// RateLimited: DNSimple's budget for the account is spent until
	// RetryAt.
	RateLimited
	// Upstream: DNSimple failed, answered nonsense, or refused the
	// service's own credentials.
	Upstream
	// Timeout: the request's or a call's deadline passed.
	Timeout
	// Canceled: the caller went away.
	Canceled
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not found", "conflict",
	"rate limited", "upstream", "timeout", "canceled"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind " + strconv.Itoa(int(k))
}

// Error is a failure of one kind.
type Error struct {
	Kind Kind
	// Message says what is wrong in words a curl user can act on. It never
	// holds a token, a secret or another system's own words.
	Message string
	// RetryAt is when a RateLimited call may be tried again (zero:
	// unknown).
	RetryAt time.Time
	// Err is what lies behind it, for logs only.
	Err error
}

// Error renders the failure for logs: the message, then the cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind with a message, keeping cause for logs.
func Wrap(cause error, kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: cause}
}

// As returns the outermost *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err: that of its outermost *Error; a context
// deadline is Timeout and a cancelled context Canceled; anything else is
// Internal.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case errors.Is(err, context.Canceled):
		return Canceled
	}
	return Internal
}

// MessageOf is what to tell the caller about err: its message, or words
// for a deadline, a cancellation or a bug (whose details stay in the log).
func MessageOf(err error) string {
	if e := As(err); e != nil {
		return e.Message
	}
	switch KindOf(err) {
	case Timeout:
		return "the request took too long; a change may or may not have been made, so check before retrying"
	case Canceled:
		return "the client closed its side of the connection before the answer was ready"
	}
	return "internal error"
}

// Is reports whether err is of kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// maxRetryAfter bounds what a rate-limited answer may ask a caller to
// wait (DNSimple's windows are an hour long).
const maxRetryAfter = time.Hour

// RetryAfter says how long to wait before trying again, in whole seconds
// rounded up, from one second to an hour.
func (e *Error) RetryAfter(now time.Time) time.Duration {
	wait := e.RetryAt.Sub(now)
	switch {
	case wait < time.Second:
		return time.Second
	case wait > maxRetryAfter:
		return maxRetryAfter
	}
	return (wait + time.Second - 1).Truncate(time.Second)
}
