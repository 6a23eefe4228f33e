package auth

// python-dns-api minted its tokens with itsdangerous's
// JSONWebSignatureSerializer(SECRET_KEY).dumps({"username": user}): a
// compact JWS whose header is only {"alg": ...}, whose payload is only
// {"username": ...}, signed with HMAC over "header.payload" keyed by the
// raw SECRET_KEY (no salt, so itsdangerous derives no key). Before
// itsdangerous 1.0 the algorithm was HS256: those tokens are ordinary
// HS256 tokens here. From 1.0 it was HS512: those are accepted, with the
// full access they always had, only when ACCEPT_LEGACY_TOKENS is on. Such
// tokens never expire and carry no scope.

// isLegacy reports whether a token has exactly python-dns-api's shape.
func isLegacy(header map[string]any, claims *received) bool {
	_, hasAlg := header["alg"]
	return len(header) == 1 && hasAlg && len(claims.names) == 1 && claims.names[0] == "username"
}
