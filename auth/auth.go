// Package auth turns the bearer tokens dns-api hands out into identities:
// it signs tokens for the token generator and verifies them on every
// request, accepting HS256 only. It knows nothing of HTTP, so the rules
// for what a token is live here and nowhere else.
package auth

import (
	"errors"
	"fmt"
	"slices"
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

// Claims is the payload of a dns-api token. Only Username is required.
type Claims struct {
	Username string `json:"username"`
	// Name is a label for the token, shown by /whoami.
	Name string `json:"name,omitempty"`
	jwt.RegisteredClaims
}

// Identity is a verified token: who it is and what it may do.
type Identity struct {
	User      string
	TokenID   string // the jti claim, if any
	Name      string
	IssuedAt  time.Time // zero if the token has none
	ExpiresAt time.Time // zero if the token never expires
	Access    records.Access
}

// Caller is the identity as the records package's permission check sees it.
func (id Identity) Caller() records.Caller {
	return records.Caller{User: id.User, Access: id.Access}
}

// ErrUnauthenticated is the kind of every verification failure.
var ErrUnauthenticated = errors.New("unauthenticated")

// Error says why a token was refused, in words fit for its holder. It
// never contains the token.
type Error struct{ Reason string }

// Error returns the reason.
func (e *Error) Error() string { return e.Reason }

// Unwrap returns ErrUnauthenticated.
func (e *Error) Unwrap() error { return ErrUnauthenticated }

func refuse(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Verifier checks tokens against the signing key and the user list.
type Verifier struct {
	key    []byte
	users  []string
	parser *jwt.Parser
}

// NewVerifier builds a Verifier. now is the clock for exp and nbf (nil
// means time.Now).
func NewVerifier(key []byte, users []string, now func() time.Time) (*Verifier, error) {
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("auth: the signing key must be at least %d bytes", MinKeyLength)
	}
	if len(users) == 0 {
		return nil, errors.New("auth: at least one valid user is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Verifier{
		key:    slices.Clone(key),
		users:  slices.Clone(users),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{algorithm}), jwt.WithTimeFunc(now)),
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
	var claims Claims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, errors.New("not an HMAC token")
		}
		return v.key, nil
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
	if claims.Username == "" {
		return Identity{}, refuse("the token has no username")
	}
	if !slices.Contains(v.users, claims.Username) {
		return Identity{}, refuse("user %q is not allowed to use this service", claims.Username)
	}
	return Identity{
		User:      claims.Username,
		TokenID:   claims.ID,
		Name:      claims.Name,
		IssuedAt:  timeOf(claims.IssuedAt),
		ExpiresAt: timeOf(claims.ExpiresAt),
		Access:    records.FullAccess(),
	}, nil
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
