// Package auth turns the bearer tokens dns-api hands out into identities
// with permissions: it signs tokens for the token generator and verifies
// them on every request, accepting HS256 only (and, when asked, the HS512
// tokens of python-dns-api). It knows nothing of HTTP, so what a token is
// and what its claims mean is decided here and nowhere else.
package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
)

// MinKeyLength is the shortest SECRET_KEY accepted: HS256 wants a key at
// least as long as its 32-byte hash.
const MinKeyLength = 32

// maxTokenLength bounds the work spent on a token before it is verified.
const maxTokenLength = 8 << 10

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
	// Legacy marks an HS512 token minted by python-dns-api.
	Legacy bool
	Access records.Access
}

// Caller is the identity, used from addr, as the records package's
// permission check sees it.
func (id Identity) Caller(addr netip.Addr) records.Caller {
	return records.Caller{User: id.User, TokenID: id.TokenID, Addr: addr, Access: id.Access}
}

// refuse is a verification failure: a fault.Unauthenticated error whose
// message, fit for the token's holder, never contains the token.
func refuse(format string, args ...any) error {
	return fault.New(fault.Unauthenticated, format, args...)
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
	// AcceptLegacy also accepts python-dns-api's HS512 tokens.
	AcceptLegacy bool
	// Now is the clock for exp and nbf (nil means time.Now).
	Now func() time.Time
}

// Verifier checks tokens against the signing key, the users, the revoked
// ids and the managed zones.
type Verifier struct {
	opts      Options
	parser    *jwt.Parser
	validator *jwt.Validator
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
		opts: opts,
		// HS512 passes the parser only to reach the key function, which
		// lets exactly python-dns-api's tokens through when asked to. The
		// claims are validated after the signature, by checkClaims and
		// then the validator, so that nothing a forger wrote is looked at.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg(), jwt.SigningMethodHS512.Alg()}),
			jwt.WithoutClaimsValidation(),
		),
		validator: jwt.NewValidator(jwt.WithTimeFunc(opts.Now)),
	}, nil
}

// Verify checks a token and returns its identity, or a
// fault.Unauthenticated error that says why. A correctly signed token
// that is refused (revoked, its user removed) still returns the user and
// token id it claims, for the audit log. Each part of the token is decoded
// once.
func (v *Verifier) Verify(token string) (Identity, error) {
	if token == "" {
		return Identity{}, refuse("a bearer token is required")
	}
	if len(token) > maxTokenLength {
		return Identity{}, refuse("the token is longer than %d bytes", maxTokenLength)
	}
	var claims received
	parsed, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		return v.keyFor(t, &claims)
	})
	switch {
	case err == nil:
	case fault.Is(err, fault.Unauthenticated): // from keyFor
		return Identity{}, fault.As(err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Identity{}, refuse("the token's signature is not valid (tokens must be HS256, signed with this service's key)")
	default:
		return Identity{}, refuse("the token is malformed")
	}
	id, err := v.identify(&claims, parsed.Method == jwt.SigningMethodHS512)
	if err != nil {
		// The signature is good: the token's user and id are known.
		return Identity{User: claims.signedUser(), TokenID: claims.ID}, err
	}
	return id, nil
}

// keyFor is the parser's key function: it runs after the header and claims
// are decoded, before the signature is checked.
func (v *Verifier) keyFor(t *jwt.Token, claims *received) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 4.1.11: extensions this service does not understand
		// (b64, for one, changes what is signed) must not be ignored.
		return nil, refuse("the token's header has a crit parameter; this service understands no JWS extensions")
	}
	if t.Method == jwt.SigningMethodHS512 {
		if !isLegacy(t.Header, claims) {
			return nil, refuse("the token's signature is not valid (tokens must be HS256, signed with this service's key)")
		}
		if !v.opts.AcceptLegacy {
			return nil, refuse("python-dns-api's HS512 tokens are not accepted here; ask the operator for a new token (or to set ACCEPT_LEGACY_TOKENS=true)")
		}
	}
	return v.opts.Key, nil
}

// identify turns correctly signed claims into an identity, or refuses
// them.
func (v *Verifier) identify(claims *received, legacy bool) (Identity, error) {
	if err := claims.check(); err != nil {
		return Identity{}, err
	}
	switch err := v.validator.Validate(claims); {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, refuse("the token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return Identity{}, refuse("the token is not valid yet")
	case err != nil:
		return Identity{}, refuse("the token is malformed")
	}
	user, err := v.user(claims)
	if err != nil {
		return Identity{}, err
	}
	if legacy {
		return Identity{User: user, Legacy: true, Access: records.FullAccess()}, nil
	}
	var name string
	if claims.Name != nil && strictString(claims.Name, &name) != nil {
		return Identity{}, refuse("the token's name claim must be a string")
	}
	if claims.ID != "" && slices.Contains(v.opts.Revoked, claims.ID) {
		return Identity{}, refuse("the token has been revoked")
	}
	access, err := claims.accessOf(v.opts.Zones)
	if err != nil {
		return Identity{}, err
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
func (v *Verifier) user(claims *received) (string, error) {
	user := claims.signedUser()
	if user == "" {
		return "", refuse("the token has no username")
	}
	if !slices.Contains(v.opts.Users, user) {
		return "", refuse("user %q is not allowed to use this service", user)
	}
	return user, nil
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
