// Package auth turns the bearer tokens dns-api hands out into identities
// with permissions: it signs tokens for the token generator and verifies
// them on every request, accepting HS256 only (and, when asked, the tokens
// of python-dns-api). It knows nothing of HTTP, so what a token is and
// what its claims mean is decided here and nowhere else.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dns-api/dns-api/records"
)

// MinKeyLength is the shortest SECRET_KEY accepted: HS256 wants a key at
// least as long as its 32-byte hash.
const MinKeyLength = 32

// maxTokenLength bounds the work spent on a token before it is verified.
const maxTokenLength = 8 << 10

// algorithm is the one signing algorithm issued and accepted.
const algorithm = "HS256"

// Claims is what the token generator puts in a token. Only Username is
// required; every scoped claim left empty means "no restriction".
type Claims struct {
	Username string `json:"username"`
	// Name is a label for the token, shown by /whoami.
	Name string `json:"name,omitempty"`
	// Scope is space-separated: dns:read, dns:write.
	Scope      string   `json:"scope,omitempty"`
	Domains    []string `json:"domains,omitempty"`
	Subdomains []string `json:"subdomains,omitempty"`
	Types      []string `json:"types,omitempty"`
	CIDRs      []string `json:"cidrs,omitempty"`
	jwt.RegisteredClaims
}

// Identity is a verified token: who it is and what it may do.
type Identity struct {
	User      string
	TokenID   string // the jti claim, if any
	Name      string
	IssuedAt  time.Time // zero if the token has none
	ExpiresAt time.Time // zero if the token never expires
	// Legacy marks a token minted by python-dns-api.
	Legacy bool
	Access records.Access
}

// Caller is the identity, used from addr, as the records package's
// permission check sees it.
func (id Identity) Caller(addr netip.Addr) records.Caller {
	return records.Caller{User: id.User, TokenID: id.TokenID, Addr: addr, Access: id.Access}
}

// ErrUnauthenticated is the kind of every verification failure.
var ErrUnauthenticated = errors.New("unauthenticated")

// Error says why a token was refused, in words fit for its holder. It
// never contains the token.
type Error struct {
	Reason string
	// User and TokenID are what a correctly signed token claimed, for the
	// audit log of refusals (a revoked token, a removed user); empty when
	// the signature did not verify.
	User, TokenID string
}

// Error returns the reason.
func (e *Error) Error() string { return e.Reason }

// Unwrap returns ErrUnauthenticated.
func (e *Error) Unwrap() error { return ErrUnauthenticated }

func refuse(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Options configure a Verifier.
type Options struct {
	// Key is SECRET_KEY.
	Key []byte
	// Users are the users who may hold tokens (VALID_USERS).
	Users []string
	// Revoked are token ids (jti) refused whatever else they say.
	Revoked []string
	// Zones are the managed zones; a token's domains must be among them.
	Zones []string
	// AcceptLegacy also accepts python-dns-api's tokens.
	AcceptLegacy bool
	// Now is the clock for exp and nbf (nil means time.Now).
	Now func() time.Time
}

// Verifier checks tokens against the signing key, the users, the revoked
// ids and the managed zones.
type Verifier struct {
	opts   Options
	parser *jwt.Parser
}

// NewVerifier builds a Verifier.
func NewVerifier(opts Options) (*Verifier, error) {
	if len(opts.Key) < MinKeyLength {
		return nil, fmt.Errorf("auth: the signing key must be at least %d bytes", MinKeyLength)
	}
	if len(opts.Users) == 0 {
		return nil, errors.New("auth: at least one valid user is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Key = slices.Clone(opts.Key)
	opts.Users = slices.Clone(opts.Users)
	opts.Revoked = slices.Clone(opts.Revoked)
	opts.Zones = slices.Clone(opts.Zones)
	return &Verifier{
		opts:   opts,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{algorithm}), jwt.WithTimeFunc(opts.Now)),
	}, nil
}

// Verify checks a token and returns its identity, or an error that wraps
// ErrUnauthenticated and says why.
func (v *Verifier) Verify(token string) (Identity, error) {
	if token == "" {
		return Identity{}, refuse("a bearer token is required")
	}
	if len(token) > maxTokenLength {
		return Identity{}, refuse("the token is longer than %d bytes", maxTokenLength)
	}
	header, payload, err := peek(token)
	if err != nil {
		return Identity{}, err
	}
	if isLegacy(header, payload) {
		return v.verifyLegacy(token, header, payload)
	}
	if err := checkClaims(payload); err != nil {
		return Identity{}, err
	}

	var claims received
	_, err = v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, errors.New("not an HMAC token")
		}
		return v.opts.Key, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, refuse("the token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return Identity{}, refuse("the token is not valid yet")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Identity{}, refuse("the token's signature is not valid (tokens must be HS256, signed with this service's key)")
	default:
		return Identity{}, refuse("the token is malformed")
	}

	// The signature is good: from here on, a refusal names the token's
	// user and id for the audit log.
	signedFor := func(err error) error {
		var e *Error
		if errors.As(err, &e) {
			_ = strictString(claims.Username, &e.User)
			e.TokenID = claims.ID
		}
		return err
	}
	user, err := v.user(claims.Username)
	if err != nil {
		return Identity{}, signedFor(err)
	}
	var name string
	if claims.Name != nil {
		if err := strictString(claims.Name, &name); err != nil {
			return Identity{}, signedFor(refuse("the token's name claim must be a string"))
		}
	}
	if claims.ID != "" && slices.Contains(v.opts.Revoked, claims.ID) {
		return Identity{}, signedFor(refuse("the token has been revoked"))
	}
	access, err := claims.accessOf(v.opts.Zones)
	if err != nil {
		return Identity{}, signedFor(err)
	}
	return Identity{
		User:      user,
		TokenID:   claims.ID,
		Name:      name,
		IssuedAt:  timeOf(claims.IssuedAt),
		ExpiresAt: timeOf(claims.ExpiresAt),
		Access:    access,
	}, nil
}

// user checks the username claim: a non-empty string listed in
// VALID_USERS (so removing a user revokes all of their tokens).
func (v *Verifier) user(raw json.RawMessage) (string, error) {
	var user string
	if raw == nil || strictString(raw, &user) != nil || user == "" {
		return "", refuse("the token has no username")
	}
	if !slices.Contains(v.opts.Users, user) {
		return "", refuse("user %q is not allowed to use this service", user)
	}
	return user, nil
}

// peek decodes a compact JWS's header and payload as JSON objects, before
// anything is trusted, to tell the token's kind.
func peek(token string) (header, payload map[string]json.RawMessage, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, refuse("the token is malformed")
	}
	for i, into := range []*map[string]json.RawMessage{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, into) != nil || *into == nil {
			return nil, nil, refuse("the token is malformed")
		}
		if key, dup := duplicateKey(raw); dup {
			// The last would win here, the first elsewhere: refuse what
			// readers could take two ways.
			return nil, nil, refuse("the token has the %q claim twice", key)
		}
	}
	return header, payload, nil
}

func timeOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// Sign mints an HS256 token for claims.
func Sign(key []byte, claims Claims) (string, error) {
	if len(key) < MinKeyLength {
		return "", fmt.Errorf("auth: the signing key must be at least %d bytes", MinKeyLength)
	}
	if claims.Username == "" {
		return "", errors.New("auth: a token needs a username")
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
}
