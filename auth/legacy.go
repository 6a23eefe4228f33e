package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"

	"github.com/dns-api/dns-api/records"
)

// python-dns-api minted its tokens with itsdangerous's
// JSONWebSignatureSerializer(SECRET_KEY).dumps({"username": user}): a
// compact JWS whose header is only {"alg": ...} (HS256 before itsdangerous
// 1.0, HS512 from 1.0), whose payload is only {"username": ...}, signed
// with HMAC over "header.payload" keyed by the raw SECRET_KEY (no salt, so
// itsdangerous derives no key). Such tokens never expire and carry no
// scope: they had full access, and keep it when ACCEPT_LEGACY_TOKENS is on.

// isLegacy reports whether a token has exactly python-dns-api's shape.
// Tokens of this service always carry more (iat, jti), and JWT libraries
// add "typ" to the header, so the shape alone tells them apart.
func isLegacy(header, payload map[string]json.RawMessage) bool {
	_, hasAlg := header["alg"]
	_, hasUser := payload["username"]
	return len(header) == 1 && hasAlg && len(payload) == 1 && hasUser
}

// verifyLegacy checks a python-dns-api token.
func (v *Verifier) verifyLegacy(token string, header, payload map[string]json.RawMessage) (Identity, error) {
	if !v.opts.AcceptLegacy {
		return Identity{}, refuse("python-dns-api tokens are not accepted here; ask the operator for a new token (or to set ACCEPT_LEGACY_TOKENS=true)")
	}
	var alg string
	if strictString(header["alg"], &alg) != nil {
		return Identity{}, refuse("the token is malformed")
	}
	var digest func() hash.Hash
	switch alg {
	case "HS256":
		digest = sha256.New
	case "HS512":
		digest = sha512.New
	default:
		return Identity{}, refuse("the token's signature is not valid (python-dns-api tokens are HS256 or HS512)")
	}
	cut := strings.LastIndexByte(token, '.')
	signature, err := base64.RawURLEncoding.DecodeString(token[cut+1:])
	if err != nil {
		return Identity{}, refuse("the token is malformed")
	}
	mac := hmac.New(digest, v.opts.Key)
	mac.Write([]byte(token[:cut]))
	if !hmac.Equal(signature, mac.Sum(nil)) {
		return Identity{}, refuse("the token's signature is not valid (tokens must be signed with this service's key)")
	}
	user, err := v.user(payload["username"])
	if err != nil {
		return Identity{}, err
	}
	return Identity{User: user, Legacy: true, Access: records.FullAccess()}, nil
}
