package auth

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedTokens remembers tokens already verified, so that a token sent
// again skips the decoding and the signature (the fast path of every
// request). It is keyed by the token's SHA-256, never the token, and is
// bounded in entries and in bytes (identity strings included), so that
// thousands of large distinct tokens cannot grow memory: the least
// recently used go first. What changes with time (exp, nbf) is checked on
// every hit; what a token is checked against otherwise (the key, the
// users, the revoked ids) is fixed for the verifier's life.
type verifiedTokens struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*list.Element
	order   *list.List // of *verifiedToken, most recent first
	bytes   int
}

type verifiedToken struct {
	key       [sha256.Size]byte
	id        Identity
	notBefore time.Time
	size      int
}

// Bounds of the verified-token cache.
const (
	maxVerifiedTokens = 10000
	maxVerifiedBytes  = 8 << 20
)

func newVerifiedTokens() *verifiedTokens {
	return &verifiedTokens{entries: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
}

// get returns the identity of a verified token.
func (v *verifiedTokens) get(key [sha256.Size]byte) (verifiedToken, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[key]
	if !ok {
		return verifiedToken{}, false
	}
	v.order.MoveToFront(e)
	return *e.Value.(*verifiedToken), true
}

// put remembers a verified token's identity.
func (v *verifiedTokens) put(key [sha256.Size]byte, id Identity, notBefore time.Time) {
	t := &verifiedToken{key: key, id: id, notBefore: notBefore, size: sizeOf(id)}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.entries[key]; ok {
		return
	}
	v.entries[key] = v.order.PushFront(t)
	v.bytes += t.size
	for len(v.entries) > maxVerifiedTokens || v.bytes > maxVerifiedBytes {
		oldest := v.order.Back()
		old := oldest.Value.(*verifiedToken)
		v.order.Remove(oldest)
		delete(v.entries, old.key)
		v.bytes -= old.size
	}
}

// sizeOf estimates what an entry holds in memory.
func sizeOf(id Identity) int {
	n := 256 + len(id.User) + len(id.TokenID) + len(id.Name)
	a := id.Access
	for _, z := range a.Zones {
		n += 16 + len(z)
	}
	for _, p := range a.Names {
		n += 48 + 2*len(p.String())
	}
	n += 16*len(a.Types) + 32*len(a.Networks)
	return n
}
