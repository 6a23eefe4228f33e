package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dns-api/dns-api/fault"
	"github.com/labstack/echo/v4"
)

// statusOf is the one table from a kind of failure to its HTTP status.
var statusOf = map[fault.Kind]int{
	fault.Internal:        http.StatusInternalServerError,
	fault.Invalid:         http.StatusBadRequest,
	fault.Unauthenticated: http.StatusUnauthorized,
	fault.Forbidden:       http.StatusForbidden,
	fault.NotFound:        http.StatusNotFound,
	fault.Conflict:        http.StatusConflict,
	fault.RateLimited:     http.StatusServiceUnavailable,
	fault.Upstream:        http.StatusBadGateway,
	fault.Timeout:         http.StatusGatewayTimeout,
	// The client closed its side before the answer was ready; it may
	// still be reading, and gets a status of the contract.
	fault.Canceled: http.StatusBadRequest,
}

// errorHandler renders failures in the JSON envelope: the one place where
// they become answers on the records API. Internals never reach the body;
// the request log carries them.
func errorHandler(now func() time.Time) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		closeUnreadBody(c)
		status, title := describe(err)
		header := c.Response().Header()
		switch status {
		case http.StatusMethodNotAllowed:
			// The router's list starts with OPTIONS, which refuseOptions refuses.
			if allow, ok := c.Get(echo.ContextKeyHeaderAllow).(string); ok {
				header.Set(echo.HeaderAllow, strings.TrimPrefix(allow, http.MethodOptions+", "))
			}
		}
		if wait, ok := retryAfter(err, now()); ok {
			header.Set(echo.HeaderRetryAfter, strconv.Itoa(int(wait/time.Second)))
			title = fmt.Sprintf("%s; retry in %d seconds", title, int(wait/time.Second))
		}
		// A write error here means the client is gone; nothing to do.
		_ = writeEnvelope(c, status, envelope{Errors: []errorTitle{{Title: title}}})
	}
}

// renderErrors makes a route group answer failures in its protocol's own
// form. The error goes on up afterwards, for the request log; the
// envelope's error handler leaves the answer already written alone.
func renderErrors(render func(echo.Context, error)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err != nil && !c.Response().Committed {
				closeUnreadBody(c)
				render(c, err)
			}
			return err
		}
	}
}

// closeUnreadBody keeps a failed request's body from holding its
// connection: Go's server would otherwise read what is left of it (slowly,
// if the client sends slowly) to reuse the connection. Failures are rare
// enough to close the connection instead.
func closeUnreadBody(c echo.Context) {
	r := c.Request()
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return
	}
	c.Response().Header().Set(echo.HeaderConnection, "close")
	_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now())
}

// describe maps an error to its status and title: a fault by the table,
// and the errors echo and this package raise as *echo.HTTPError by their
// code.
func describe(err error) (int, string) {
	var httpErr *echo.HTTPError
	if fault.As(err) == nil && errors.As(err, &httpErr) {
		return httpErr.Code, httpTitle(httpErr)
	}
	return statusOf[fault.KindOf(err)], fault.MessageOf(err)
}

// retryAfter is how long a rate-limited caller should wait.
func retryAfter(err error, now time.Time) (time.Duration, bool) {
	if e := fault.As(err); e != nil && e.Kind == fault.RateLimited {
		return e.RetryAfter(now), true
	}
	return 0, false
}

// httpTitle words the errors echo and this package raise as *echo.HTTPError.
func httpTitle(e *echo.HTTPError) string {
	if msg, ok := e.Message.(string); ok && msg != http.StatusText(e.Code) {
		return msg
	}
	switch e.Code {
	case http.StatusNotFound:
		return "no such endpoint"
	case http.StatusMethodNotAllowed:
		return "method not allowed on this endpoint; see the Allow header"
	case http.StatusRequestEntityTooLarge:
		return "the request body is larger than 64 KiB"
	}
	return http.StatusText(e.Code)
}

// badRequest is a 400 about the HTTP request itself (query, body, path).
func badRequest(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// quoteShort quotes a value from the request for a title, cut to a
// readable length.
func quoteShort(s string) string {
	const most = 64
	if len(s) > most {
		return strconv.Quote(s[:most]) + "..."
	}
	return strconv.Quote(s)
}

// unauthenticated is a 401 about how the token was sent.
func unauthenticated(msg string) error { return fault.New(fault.Unauthenticated, "%s", msg) }
