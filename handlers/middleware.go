package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
)

// routeOnEscapedPath makes the router match, and hand out parameters from,
// the escaped path always. Go keeps URL.RawPath only when the request's
// escaping is not the default one; without this the parameters of a
// default-escaped path would arrive decoded, and pathParams would decode
// them a second time ("a%2520b" would become "a b", not "a%20b").
func routeOnEscapedPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		u.RawPath = u.EscapedPath()
		return next(c)
	}
}

// strictQuery refuses a query string that does not parse. Go reading it
// drops a malformed pair without a word, so a "dry_run=true%" would make
// a preview a real change, and a "domain=%zz" a filter list everything.
func strictQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := url.ParseQuery(c.Request().URL.RawQuery); err != nil {
			if strings.Contains(err.Error(), "semicolon") {
				return fault.New(fault.Invalid, "the query string is malformed: separate parameters with &, not ;")
			}
			return fault.New(fault.Invalid, "the query string is malformed: a %% must start an escape like %%20")
		}
		return next(c)
	}
}

// limitBody answers 413 to a body over maxBodyBytes, whether or not the
// endpoint reads bodies. A declared length is checked at once; a chunked
// body of unknown length is read (up to the limit) before the handler
// runs, so the decision never depends on what the handler does.
func limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > maxBodyBytes {
			return echo.ErrStatusRequestEntityTooLarge
		}
		if req.ContentLength < 0 {
			body, err := io.ReadAll(io.LimitReader(req.Body, maxBodyBytes+1))
			if err != nil {
				return badRequest("the request body could not be read")
			}
			if len(body) > maxBodyBytes {
				return echo.ErrStatusRequestEntityTooLarge
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		return next(c)
	}
}

// refuseOptions answers OPTIONS on a known path like any other method the
// path does not serve (405 with Allow): the API serves no browsers, and
// every answer carries the envelope.
func refuseOptions(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, known := c.Get(echo.ContextKeyHeaderAllow).(string); known && c.Request().Method == http.MethodOptions {
			return echo.ErrMethodNotAllowed
		}
		return next(c)
	}
}

// identity returns the verified identity of the request; routes without
// requireToken have none, and calling this there is a programming error
// that fails closed with a 500.
func identity(c echo.Context) (auth.Identity, error) {
	id, ok := c.Get(identityKey).(auth.Identity)
	if !ok {
		return auth.Identity{}, errors.New("handlers: route has no authentication")
	}
	return id, nil
}

// caller returns the request's caller for the records permission check.
func caller(c echo.Context) (records.Caller, error) {
	id, err := identity(c)
	if err != nil {
		return records.Caller{}, err
	}
	return id.Caller(clientAddr(c)), nil
}

// bindJSON decodes a JSON request body into v strictly: the media type must
// be application/json, unknown fields and trailing data are refused.
func bindJSON(c echo.Context, v any) error {
	contentTypes := c.Request().Header.Values(echo.HeaderContentType)
	var mediaType string
	var err error
	if len(contentTypes) == 1 {
		mediaType, _, err = mime.ParseMediaType(contentTypes[0])
	}
	if len(contentTypes) != 1 || err != nil || mediaType != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType,
			"send the body as JSON with Content-Type: application/json")
	}
	return decodeJSON(c, v)
}

// decodeJSON decodes a JSON request body into v strictly, whatever its
// declared media type: unknown fields and trailing data are refused.
func decodeJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return badRequest("the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("the request body is empty; send a JSON object")
	}
	if err := checkKeys(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the request body is not valid: %s", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("the request body has data after the JSON object")
	}
	return nil
}

// checkKeys refuses what encoding/json would quietly accept in a top-level
// object: a key that matches a field only case-insensitively ("TO"), and a
// key given twice (where the last would win). v is a pointer to a struct
// whose json tags name the fields.
func checkKeys(body []byte, v any) error {
	allowed := map[string]bool{}
	t := reflect.TypeOf(v).Elem()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		allowed[name] = true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return badRequest("the request body is not valid: expected a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest("the request body is not valid: malformed JSON")
		}
		key, _ := tok.(string)
		switch {
		case !allowed[key]:
			return badRequest("the request body is not valid: unknown field %q", key)
		case seen[key]:
			return badRequest("the request body is not valid: field %q is given twice", key)
		}
		seen[key] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return badRequest("the request body is not valid: malformed JSON")
		}
	}
	return nil
}

// jsonProblem words a decoding error without Go type names.
func jsonProblem(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return "malformed JSON"
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return "field " + typeErr.Field + " has the wrong type"
	case errors.As(err, &typeErr):
		return "expected a JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

// observe logs one line per request and counts it: method, path (never
// the query, which is where misplaced tokens go), route pattern, status,
// latency, client, user, and the error behind a failure. Headers are never
// logged. The answer to a failure is written here, so that its status is
// known.
func observe(logger *slog.Logger, metrics Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			began := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			took := time.Since(began)
			r := c.Request()
			status := c.Response().Status
			route := c.Path()
			if route == "" || status == http.StatusNotFound && c.Get(echo.ContextKeyHeaderAllow) == nil && route == "/*" {
				route = "unmatched"
			}
			metrics.Request(route, r.Method, status, took)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Float64("latency_ms", float64(took.Microseconds())/1000),
				slog.String("client", addrText(clientAddr(c))),
			}
			if id, err := identity(c); err == nil {
				attrs = append(attrs, slog.String("user", id.User))
			}
			level := slog.LevelInfo
			if err != nil {
				attrs = append(attrs, slog.String("error", err.Error()))
				if status >= http.StatusInternalServerError {
					level = slog.LevelError
				}
			}
			logger.LogAttrs(r.Context(), level, "request", attrs...)
			return nil
		}
	}
}
