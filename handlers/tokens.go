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

// A tokenSource is how a route group's clients send tokens: it finds the
// token in a request and fails closed (anything but exactly one
// well-formed carrier is refused), says how to send one in its refusals,
// and names the scheme to challenge with. What happens to the token
// afterwards is the same everywhere.
type tokenSource struct {
	find      func(r *http.Request, how string) (string, error)
	how       string // how to send a token, for refusals
	challenge string // the WWW-Authenticate of a refusal
}

// The token sources of the route groups.
var (
	// bearerToken: the records API.
	bearerToken = tokenSource{find: bearer, how: "send Authorization: Bearer TOKEN", challenge: `Bearer realm="dns-api"`}
	// acmeToken: ACME clients send Basic (lego, acme.sh) or Bearer (hooks).
	acmeToken = tokenSource{find: bearerOrBasic, how: "send Authorization: Bearer TOKEN, or the token as the password of HTTP Basic",
		challenge: `Bearer realm="dns-api", Basic realm="dns-api"`}
	// dyndnsToken: dynamic-DNS clients send Basic.
	dyndnsToken = tokenSource{find: bearerOrBasic, how: "send the token as the password of HTTP Basic (any user name)",
		challenge: `Basic realm="dns-api"`}
	// acmeDNSToken: acme-dns clients send their password as X-Api-Key.
	acmeDNSToken = tokenSource{find: apiKey, how: "send the token in an X-Api-Key header", challenge: `Bearer realm="dns-api"`}
)

// identityKey is where requireToken leaves the verified identity.
const identityKey = "dns-api.identity"

// requireToken authenticates a request by the token its source finds. A
// refusal carries the source's challenge, is counted, and is written to
// the audit log (what the token is for is decided later, by the records
// package, which audits its own refusals).
func requireToken(verifier *auth.Verifier, audit *slog.Logger, metrics Metrics, source tokenSource) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			token, err := source.find(c.Request(), source.how)
			var id auth.Identity // its user and id are set for a good signature, even when refused
			if err == nil {
				if id, err = verifier.Verify(token); err == nil {
					c.Set(identityKey, id)
					return next(c)
				}
			}
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, source.challenge)
			metrics.Refused(string(auth.ReasonOf(err)))
			// A refusal without a signed token has no user to name: say so
			// rather than log empty fields.
			who := []slog.Attr{slog.String("user", "none (no valid token)")}
			if id.User != "" {
				who = []slog.Attr{slog.String("user", id.User), slog.String("token_id", orNone(id.TokenID))}
			}
			audit.LogAttrs(c.Request().Context(), slog.LevelInfo, "audit", append(who,
				slog.String("client", addrText(clientAddr(c))),
				slog.String("action", "authenticate"),
				slog.String("record", c.Request().Method+" "+c.Request().URL.Path),
				slog.String("outcome", "refused"),
				slog.String("reason", fault.MessageOf(err)))...)
			return err
		}
	}
}

// bearer takes the token of an "Authorization: Bearer TOKEN" header; the
// scheme is case-insensitive.
func bearer(r *http.Request, how string) (string, error) {
	scheme, credentials, err := authorization(r, how)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", unauthenticated("only Bearer tokens are accepted: " + how)
	}
	return credentials, nil
}

// bearerOrBasic also takes HTTP Basic with the token as the password and
// any user name, as ACME and dynamic-DNS clients send credentials (and as
// a URL with user info does).
func bearerOrBasic(r *http.Request, how string) (string, error) {
	scheme, credentials, err := authorization(r, how)
	if err != nil {
		return "", err
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return credentials, nil
	case strings.EqualFold(scheme, "Basic"):
		decoded, err := base64.StdEncoding.DecodeString(credentials)
		if err != nil {
			return "", unauthenticated("the Basic credentials are not valid base64: " + how)
		}
		_, password, ok := strings.Cut(string(decoded), ":")
		if !ok || password == "" {
			return "", fault.Wrap(auth.ReasonMissing, fault.Unauthenticated, "the Basic password is empty: %s", how)
		}
		return password, nil
	}
	return "", unauthenticated(how)
}

// apiKey takes the token of an X-Api-Key header, as acme-dns clients send
// their password (X-Api-User, their user name, may be anything).
func apiKey(r *http.Request, how string) (string, error) {
	if err := noTokenInQuery(r, how); err != nil {
		return "", err
	}
	keys := r.Header.Values("X-Api-Key")
	switch {
	case len(keys) == 0 || len(keys) == 1 && strings.TrimSpace(keys[0]) == "":
		return "", fault.Wrap(auth.ReasonMissing, fault.Unauthenticated, "a token is required: %s", how)
	case len(keys) > 1:
		return "", unauthenticated("send exactly one X-Api-Key header")
	}
	return strings.TrimSpace(keys[0]), nil
}

// authorization splits the one Authorization header into its scheme and
// credentials.
func authorization(r *http.Request, how string) (scheme, credentials string, err error) {
	if err := noTokenInQuery(r, how); err != nil {
		return "", "", err
	}
	headers := r.Header.Values(echo.HeaderAuthorization)
	switch len(headers) {
	case 0:
		return "", "", fault.Wrap(auth.ReasonMissing, fault.Unauthenticated, "a token is required: %s", how)
	case 1:
	default:
		return "", "", unauthenticated("send exactly one Authorization header")
	}
	scheme, credentials, _ = strings.Cut(strings.TrimSpace(headers[0]), " ")
	return scheme, strings.TrimSpace(credentials), nil
}

// noTokenInQuery refuses query parameters that would carry a token, so
// tokens never end up in URLs, browser history or proxy logs.
func noTokenInQuery(r *http.Request, how string) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	query := r.URL.Query()
	for _, name := range []string{"token", "access_token", "jwt"} {
		if query.Has(name) {
			return unauthenticated("tokens are not accepted in the query string: " + how)
		}
	}
	return nil
}

// orNone names an absent token id (a token minted without jti).
func orNone(tokenID string) string {
	if tokenID == "" {
		return "none"
	}
	return tokenID
}
