package records

import (
	"strconv"

	"github.com/dns-api/dns-api/fault"
)

func invalidf(format string, args ...any) error { return fault.New(fault.Invalid, format, args...) }

func forbiddenf(format string, args ...any) error { return fault.New(fault.Forbidden, format, args...) }

func notFoundf(format string, args ...any) error { return fault.New(fault.NotFound, format, args...) }

func conflictf(format string, args ...any) error { return fault.New(fault.Conflict, format, args...) }

// hiddenRefusal reports a record the caller may not see as missing,
// exactly as one that does not exist (so ids cannot be used to probe),
// keeping the refusal for the audit log.
func hiddenRefusal(refusal error, id int64) error {
	return fault.Wrap(refusal, fault.NotFound, "record %d does not exist", id)
}

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
