package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// transport authenticates every request, caps the size of every answer
// (the client reads bodies whole), and notes the status of the answer for
// the call that made it: the client drops the status when an error body is
// not JSON, and the status is what decides the kind of failure.
type transport struct {
	token string
	next  http.RoundTripper
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
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if a, ok := req.Context().Value(answerKey{}).(*answer); ok {
		a.status = resp.StatusCode
		a.reset = resetTime(resp.Header, time.Now())
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxResponseBytes}
	return resp, nil
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
