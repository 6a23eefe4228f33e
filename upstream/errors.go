package upstream

import (
	"fmt"
	"strings"
	"time"

	"github.com/dns-api/dns-api/fault"
)

// CallError is what a failed provider call looked like, behind the
// fault.Error the caller sees: for logs only, since the provider's own
// words may quote what was sent (URLs, values) and are not ours to repeat.
type CallError struct {
	Op     string // what was being done, e.g. "list records of example.com"
	Status int    // the provider's HTTP status, 0 if none arrived
	// Detail is the provider's explanation, or ours of its nonsense.
	Detail string
	Cause  error
}

// Error describes the call for logs.
func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Cause }

// What callers are told, in our words, for each way DNSimple can fail.
const (
	msgUnavailable  = "DNSimple failed to answer properly; try again later"
	msgNonsense     = "DNSimple answered something that makes no sense; try again later"
	msgTimeout      = "DNSimple did not answer in time; a change may or may not have been made, so check before retrying"
	msgRateLimited  = "DNSimple's rate limit for this account is used up"
	msgAccountToken = "DNSimple refused this service's account token; ask the operator to check DNSIMPLE_ACCOUNT_TOKEN and DNSIMPLE_ACCOUNT_ID"
	msgZoneMissing  = "a managed domain does not exist in the DNSimple account; ask the operator to check DNSIMPLE_DOMAINS"
	msgGone         = "the record no longer exists"
	msgRefused      = "DNSimple refused the change: a CNAME cannot share its name with other records, and the same record cannot exist twice"
)

// Nonsense is the failure for an answer of the provider's that makes no
// sense (why says how, for the log).
func Nonsense(op, why string) error {
	return fault.Wrap(&CallError{Op: op, Detail: why}, fault.Upstream, msgNonsense)
}

// defaultRetryAfter is the wait assumed when a rate-limited answer did not
// say when its window reopens.
const defaultRetryAfter = time.Minute

// rateLimited is a failure for a spent budget that reopens at reset (zero:
// unknown).
func rateLimited(call *CallError, reset time.Time) error {
	if reset.IsZero() {
		reset = time.Now().Add(defaultRetryAfter)
	}
	return &fault.Error{Kind: fault.RateLimited, Message: msgRateLimited, RetryAt: reset, Err: call}
}
