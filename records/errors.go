package records

import (
	"errors"
	"fmt"
	"strconv"
)

// The kinds of failure a caller of this package can act on. The HTTP layer
// maps each kind to one status code; test with errors.Is.
var (
	// ErrInvalid: the input is malformed or names something not managed.
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden: the input is fine but the caller may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: no such record, as far as this caller can tell.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change would clash with what exists.
	ErrConflict = errors.New("conflict")
)

// Error is a failure with a message written for the person at the other
// end of a curl command: it never carries internals.
type Error struct {
	Kind    error
	Message string
	// refusal is why the permission check said no, when the caller is
	// told "not found" instead (a record outside its reach): the audit
	// log records the refusal.
	refusal error
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the kind, so errors.Is(err, ErrInvalid) works.
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func invalidf(format string, args ...any) error { return newError(ErrInvalid, format, args...) }

func forbiddenf(format string, args ...any) error { return newError(ErrForbidden, format, args...) }

func notFoundf(format string, args ...any) error { return newError(ErrNotFound, format, args...) }

func conflictf(format string, args ...any) error { return newError(ErrConflict, format, args...) }

// maxShown is how much of a value from the request a message repeats.
const maxShown = 64

// shown quotes a value from the request for a message, cut to a readable
// length so that a huge input does not make a huge answer.
func shown(s string) string {
	if len(s) > maxShown {
		return strconv.Quote(s[:maxShown]) + "..."
	}
	return strconv.Quote(s)
}
