// Package auth turns the bearer tokens dns-api hands out into identities
// with permissions: it signs tokens for the token generator and verifies
// them on every request, accepting HS256 only (and, when asked, the HS512
// tokens of python-dns-api). It knows nothing of HTTP, so what a token is
// and what its claims mean is decided here and nowhere else.
package auth

import (
	"crypto/sha256"
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
	// Fingerprint is the token's SHA-256: what depends on the token alone
	// may be kept under it.
	Fingerprint [sha256.Size]byte
}

// Caller is the identity, used from addr, as the records package's
// permission check sees it.
func (id Identity) Caller(addr netip.Addr) records.Caller {
	return records.Caller{User: id.User, TokenID: id.TokenID, Addr: addr, Access: id.Access}
}

// Reason is why a token was refused, in one fixed word, for the metrics.
type Reason string

// The reasons a token is refused.
const (
	ReasonMissing     Reason = "missing"       // no token was sent
	ReasonMalformed   Reason = "malformed"     // not a compact JWS, or one of an unknown form
	ReasonSignature   Reason = "signature"     // not signed HS256 with the key
	ReasonLegacy      Reason = "legacy"        // python-dns-api's HS512 token, not accepted
	ReasonExpired     Reason = "expired"       // past its exp
	ReasonNotYetValid Reason = "not_yet_valid" // before its nbf
	ReasonRevoked     Reason = "revoked"       // its jti is in REVOKED_TOKENS
	ReasonUser        Reason = "user"          // no username, or one not in VALID_USERS
	ReasonClaims      Reason = "claims"        // a claim the contract does not allow
)

func (r Reason) Error() string { return string(r) }

// ReasonOf is why err refused a token (ReasonMalformed if it does not
// say).
func ReasonOf(err error) Reason {
	var r Reason
	if errors.As(err, &r) {
		return r
	}
	return ReasonMalformed
}

// refuse is a verification failure: a fault.Unauthenticated error whose
// message, fit for the token's holder, never contains the token.
func refuse(reason Reason, format string, args ...any) error {
	return fault.Wrap(reason, fault.Unauthenticated, format, args...)
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
	verified  *verifiedTokens
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
		verified:  newVerifiedTokens(),
	}, nil
}

// Verify checks a token and returns its identity, or a
// fault.Unauthenticated error that says why. A correctly signed token
// that is refused (revoked, its user removed) still returns the user and
// token id it claims, for the audit log. Each part of the token is decoded
// once.
func (v *Verifier) Verify(token string) (Identity, error) {
	if token == "" {
		return Identity{}, refuse(ReasonMissing, "a bearer token is required")
	}
	if len(token) > maxTokenLength {
		return Identity{}, refuse(ReasonMalformed, "the token is longer than %d bytes", maxTokenLength)
	}
	key := sha256.Sum256([]byte(token))
	if seen, ok := v.verified.get(key); ok {
		now := v.opts.Now()
		switch {
		case !seen.id.ExpiresAt.IsZero() && !now.Before(seen.id.ExpiresAt):
			return Identity{User: seen.id.User, TokenID: seen.id.TokenID}, refuse(ReasonExpired, "the token has expired")
		case now.Before(seen.notBefore):
			return Identity{User: seen.id.User, TokenID: seen.id.TokenID}, refuse(ReasonNotYetValid, "the token is not valid yet")
		}
		return seen.id, nil
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
		return Identity{}, refuse(ReasonSignature, "the token's signature is not valid (tokens must be HS256, signed with this service's key)")
	default:
		return Identity{}, refuse(ReasonMalformed, "the token is malformed")
	}
	id, err := v.identify(&claims, parsed.Method == jwt.SigningMethodHS512)
	if err != nil {
		// The signature is good: the token's user and id are known.
		return Identity{User: claims.signedUser(), TokenID: claims.ID}, err
	}
	id.Fingerprint = key
	v.verified.put(key, id, timeOf(claims.NotBefore))
	return id, nil
}

// keyFor is the parser's key function: it runs after the header and claims
// are decoded, before the signature is checked.
func (v *Verifier) keyFor(t *jwt.Token, claims *received) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 4.1.11: extensions this service does not understand
		// (b64, for one, changes what is signed) must not be ignored.
		return nil, refuse(ReasonMalformed, "the token's header has a crit parameter; this service understands no JWS extensions")
	}
	if t.Method == jwt.SigningMethodHS512 {
		if !isLegacy(t.Header, claims) {
			return nil, refuse(ReasonSignature, "the token's signature is not valid (tokens must be HS256, signed with this service's key)")
		}
		if !v.opts.AcceptLegacy {
			return nil, refuse(ReasonLegacy, "python-dns-api's HS512 tokens are not accepted here; ask the operator for a new token (or to set ACCEPT_LEGACY_TOKENS=true)")
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
		return Identity{}, refuse(ReasonExpired, "the token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return Identity{}, refuse(ReasonNotYetValid, "the token is not valid yet")
	case err != nil:
		return Identity{}, refuse(ReasonMalformed, "the token is malformed")
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
		return Identity{}, refuse(ReasonClaims, "the token's name claim must be a string")
	}
	if claims.ID != "" && slices.Contains(v.opts.Revoked, claims.ID) {
		return Identity{}, refuse(ReasonRevoked, "the token has been revoked")
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
		return "", refuse(ReasonUser, "the token has no username")
	}
	if !slices.Contains(v.opts.Users, user) {
		return "", refuse(ReasonUser, "user %q is not allowed to use this service", user)
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
