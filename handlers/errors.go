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

// statusClientClosed is logged when the client went away before the
// answer (nginx's 499); nobody receives it.
const statusClientClosed = 499

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
	fault.Canceled:        statusClientClosed,
}

// errorHandler renders failures in the JSON envelope: the one place where
// they become answers on the records API. Internals never reach the body;
// the request log carries them.
func errorHandler(now func() time.Time) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, title := describe(err)
		header := c.Response().Header()
		switch status {
		case http.StatusMethodNotAllowed:
			// The router's list starts with OPTIONS, which refuseOptions refuses.
			if allow, ok := c.Get(echo.ContextKeyHeaderAllow).(string); ok {
				header.Set(echo.HeaderAllow, strings.TrimPrefix(allow, http.MethodOptions+", "))
			}
		case http.StatusUnauthorized:
			header.Set(echo.HeaderWWWAuthenticate, `Bearer realm="dns-api"`)
		}
		if wait, ok := retryAfter(err, now()); ok {
			header.Set(echo.HeaderRetryAfter, strconv.Itoa(int(wait/time.Second)))
			title = fmt.Sprintf("%s; retry in %d seconds", title, int(wait/time.Second))
		}
		// A write error here means the client is gone; nothing to do.
		_ = c.JSON(status, envelope{Errors: []errorTitle{{Title: title}}, Meta: meta{Status: status}})
	}
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
