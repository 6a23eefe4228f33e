package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// transport authenticates every request, caps the size of every answer
// (the client reads bodies whole), notes the status of the answer for the
// call that made it (the client drops the status when an error body is
// not JSON, and the status is what decides the kind of failure), and
// reports every call to the observer: the budget and the metrics see each
// answer exactly once, here.
type transport struct {
	token   string
	next    http.RoundTripper
	observe func(Call)
}

// Call is one HTTP call to DNSimple as it ended.
type Call struct {
	// Op is what the call did: whoami, list, find, get, create, update,
	// delete, batch, distribution, or other.
	Op string
	// Outcome is ok, client_error, rate_limited, server_error, timeout or
	// network_error.
	Outcome  string
	Status   int // 0 when no answer arrived
	Duration time.Duration
	// Remaining and Reset are what the answer said of the rate budget;
	// RateKnown is false when it said nothing.
	Remaining int
	Reset     time.Time
	RateKnown bool
}

// answer is what the transport saw of a response.
type answer struct {
	status int
	reset  time.Time // from X-RateLimit-Reset or Retry-After
}

type answerKey struct{}

func withAnswer(ctx context.Context, a *answer) context.Context {
	return context.WithValue(ctx, answerKey{}, a)
}

// errTooLarge is returned when an answer is bigger than maxResponseBytes.
var errTooLarge = errors.New("answer larger than the limit")

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.token)
	began := time.Now()
	resp, err := t.next.RoundTrip(req)
	call := Call{Op: opOf(req), Duration: time.Since(began)}
	if err != nil {
		call.Outcome = "network_error"
		if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
			call.Outcome = "timeout"
		}
		t.report(call)
		return nil, err
	}
	call.Status, call.Outcome = resp.StatusCode, outcomeOf(resp.StatusCode)
	now := time.Now()
	call.Reset = resetTime(resp.Header, now)
	if remaining, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); err == nil && !call.Reset.IsZero() {
		call.Remaining, call.RateKnown = remaining, true
	} else if resp.StatusCode == http.StatusTooManyRequests {
		if call.Reset.IsZero() {
			call.Reset = now.Add(defaultRetryAfter)
		}
		call.Remaining, call.RateKnown = 0, true
	}
	if a, ok := req.Context().Value(answerKey{}).(*answer); ok {
		a.status = resp.StatusCode
		a.reset = call.Reset
	}
	t.report(call)
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxResponseBytes}
	return resp, nil
}

func (t *transport) report(c Call) {
	if t.observe != nil {
		t.observe(c)
	}
}

// outcomeOf names a status for the metrics.
func outcomeOf(status int) string {
	switch {
	case status < 300:
		return "ok"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status < 500:
		return "client_error"
	}
	return "server_error"
}

// opOf names what a request to DNSimple's API does, from its method and
// path, so that every caller is counted alike.
func opOf(r *http.Request) string {
	path := strings.TrimSuffix(r.URL.Path, "/")
	last := path[strings.LastIndexByte(path, '/')+1:]
	switch {
	case last == "whoami":
		return "whoami"
	case last == "distribution":
		return "distribution"
	case last == "batch":
		return "batch"
	case last == "records" && r.Method == http.MethodGet:
		if r.URL.Query().Has("name") {
			return "find"
		}
		return "list"
	case last == "records" && r.Method == http.MethodPost:
		return "create"
	case strings.Contains(path, "/records/"):
		switch r.Method {
		case http.MethodGet:
			return "get"
		case http.MethodPatch:
			return "update"
		case http.MethodDelete:
			return "delete"
		}
	}
	return "other"
}

// resetTime reads when a rate-limit window reopens: DNSimple's
// X-RateLimit-Reset (unix seconds), else a Retry-After in seconds.
func resetTime(h http.Header, now time.Time) time.Time {
	if unix, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil && unix > 0 {
		return time.Unix(unix, 0)
	}
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil && secs >= 0 {
		return now.Add(time.Duration(secs) * time.Second)
	}
	return time.Time{}
}

// cappedBody fails a read past its limit instead of truncating silently.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
