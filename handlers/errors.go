package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream"
)

// statusClientClosed is logged when the client went away before the
// answer (nginx's 499); nobody receives it.
const statusClientClosed = 499

// errorHandler is the one place where failures become answers: each kind
// of error has one status and a title written for a curl user. Internals
// never reach the body; the request log carries them.
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
		case http.StatusServiceUnavailable:
			var upErr *upstream.Error
			if errors.As(err, &upErr) {
				wait := upErr.RetryAfter(now())
				header.Set(echo.HeaderRetryAfter, strconv.Itoa(int(wait/time.Second)))
				title = fmt.Sprintf("%s; retry in %d seconds", title, int(wait/time.Second))
			}
		}
		// A write error here means the client is gone; nothing to do.
		_ = c.JSON(status, envelope{Errors: []errorTitle{{Title: title}}, Meta: meta{Status: status}})
	}
}

// describe maps an error to its status and title.
func describe(err error) (int, string) {
	var authErr *auth.Error
	var recErr *records.Error
	var httpErr *echo.HTTPError
	switch {
	case errors.As(err, &authErr):
		return http.StatusUnauthorized, authErr.Reason
	case errors.As(err, &recErr):
		return recordsStatus(recErr.Kind), recErr.Message
	case errors.Is(err, upstream.ErrNotFound):
		return http.StatusNotFound, "the record no longer exists"
	case errors.Is(err, upstream.ErrRefused):
		return http.StatusConflict, refusedTitle(err)
	case errors.Is(err, upstream.ErrRateLimited):
		return http.StatusServiceUnavailable, "DNSimple's rate limit for this account is used up"
	case errors.Is(err, upstream.ErrTimeout):
		return http.StatusGatewayTimeout, "DNSimple did not answer in time; a change may or may not have been made, so check before retrying"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "the request took too long; a change may or may not have been made, so check before retrying"
	case errors.Is(err, context.Canceled):
		return statusClientClosed, "the client closed the request"
	case errors.Is(err, upstream.ErrAccountToken):
		return http.StatusBadGateway, "DNSimple refused this service's account token; ask the operator to check DNSIMPLE_ACCOUNT_TOKEN and DNSIMPLE_ACCOUNT_ID"
	case errors.Is(err, upstream.ErrZoneMissing):
		return http.StatusBadGateway, "a managed domain does not exist in the DNSimple account; ask the operator to check DNSIMPLE_DOMAINS"
	case errors.Is(err, upstream.ErrUnavailable):
		return http.StatusBadGateway, "DNSimple failed to answer properly; try again later"
	case errors.As(err, &httpErr):
		return httpErr.Code, httpTitle(httpErr)
	}
	return http.StatusInternalServerError, "internal error"
}

func recordsStatus(kind error) int {
	switch kind {
	case records.ErrInvalid:
		return http.StatusBadRequest
	case records.ErrForbidden:
		return http.StatusForbidden
	case records.ErrNotFound:
		return http.StatusNotFound
	case records.ErrConflict:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// refusedTitle words a change DNSimple refused, in our words: its own
// message may quote what was sent, so only the field names it faulted are
// repeated.
func refusedTitle(err error) string {
	title := "DNSimple refused the change: a CNAME cannot share its name with other records, and the same record cannot exist twice"
	var upErr *upstream.Error
	if errors.As(err, &upErr) && len(upErr.Fields) > 0 {
		title += " (it objected to: " + strings.Join(upErr.Fields, ", ") + ")"
	}
	return title
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
