package handlers

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/fault"
)

// A tokenSource finds the token a request carries, and fails closed:
// anything but exactly one well-formed carrier is refused. Each route
// group takes tokens the way its clients send them; what happens to the
// token afterwards is the same everywhere.
type tokenSource func(r *http.Request) (string, error)

// identityKey is where requireToken leaves the verified identity.
const identityKey = "dns-api.identity"

// requireToken authenticates a request by the token its source finds. A
// refusal is written to the audit log (what the token is for is decided
// later, by the records package, which audits its own refusals).
func requireToken(verifier *auth.Verifier, audit *slog.Logger, metrics Metrics, source tokenSource) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, err := source(c.Request())
			var id auth.Identity // its user and id are set for a good signature, even when refused
			if err == nil {
				if id, err = verifier.Verify(token); err == nil {
					c.Set(identityKey, id)
					return next(c)
				}
			}
			metrics.Refused(string(auth.ReasonOf(err)))
			audit.LogAttrs(c.Request().Context(), slog.LevelInfo, "audit",
				slog.String("user", id.User),
				slog.String("token_id", id.TokenID),
				slog.String("client", addrText(clientAddr(c))),
				slog.String("action", "authenticate"),
				slog.String("record", c.Request().Method+" "+c.Request().URL.Path),
				slog.String("outcome", "refused"),
				slog.String("reason", fault.MessageOf(err)))
			return err
		}
	}
}

// bearer takes the token of an "Authorization: Bearer TOKEN" header; the
// scheme is case-insensitive.
func bearer(r *http.Request) (string, error) {
	scheme, credentials, err := authorization(r)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", unauthenticated("only Bearer tokens are accepted: send Authorization: Bearer TOKEN")
	}
	return credentials, nil
}

// bearerOrBasic also takes HTTP Basic with the token as the password and
// any user name, as ACME and dynamic-DNS clients send credentials (and as
// a URL with user info does).
func bearerOrBasic(r *http.Request) (string, error) {
	scheme, credentials, err := authorization(r)
	if err != nil {
		return "", err
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return credentials, nil
	case strings.EqualFold(scheme, "Basic"):
		decoded, err := base64.StdEncoding.DecodeString(credentials)
		if err != nil {
			return "", unauthenticated("the Basic credentials are not valid base64")
		}
		_, password, ok := strings.Cut(string(decoded), ":")
		if !ok || password == "" {
			return "", unauthenticated("send the token as the Basic password (any user name)")
		}
		return password, nil
	}
	return "", unauthenticated("send the token as Authorization: Bearer TOKEN, or as the password of HTTP Basic")
}

// apiKey takes the token of an X-Api-Key header, as acme-dns clients send
// their password (X-Api-User, their user name, may be anything).
func apiKey(r *http.Request) (string, error) {
	if err := noTokenInQuery(r); err != nil {
		return "", err
	}
	keys := r.Header.Values("X-Api-Key")
	if len(keys) != 1 || strings.TrimSpace(keys[0]) == "" {
		if len(keys) == 0 {
			return "", fault.Wrap(auth.ReasonMissing, fault.Unauthenticated, "send the token in an X-Api-Key header")
		}
		return "", unauthenticated("send the token in exactly one X-Api-Key header")
	}
	return strings.TrimSpace(keys[0]), nil
}

// authorization splits the one Authorization header into its scheme and
// credentials.
func authorization(r *http.Request) (scheme, credentials string, err error) {
	if err := noTokenInQuery(r); err != nil {
		return "", "", err
	}
	headers := r.Header.Values(echo.HeaderAuthorization)
	switch len(headers) {
	case 0:
		return "", "", fault.Wrap(auth.ReasonMissing, fault.Unauthenticated, "a token is required: send Authorization: Bearer TOKEN")
	case 1:
	default:
		return "", "", unauthenticated("send exactly one Authorization header")
	}
	scheme, credentials, _ = strings.Cut(strings.TrimSpace(headers[0]), " ")
	return scheme, strings.TrimSpace(credentials), nil
}

// noTokenInQuery refuses query parameters that would carry a token, so
// tokens never end up in URLs, browser history or proxy logs.
func noTokenInQuery(r *http.Request) error {
	query := r.URL.Query()
	for _, name := range []string{"token", "access_token", "jwt"} {
		if query.Has(name) {
			return unauthenticated("tokens are not accepted in the query string; send Authorization: Bearer TOKEN")
		}
	}
	return nil
}
