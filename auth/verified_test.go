package auth

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifiedTokensKeepTimeAndRevocationRules(t *testing.T) {
	t.Parallel()
	now := testNow
	v, err := NewVerifier(Options{Key: []byte(testKey), Users: []string{"alice"}, Zones: testZones,
		Now: func() time.Time { return now }})
	require.NoError(t, err)
	tok := signed(fmt.Sprintf(`{"username":"alice","nbf":%d,"exp":%d}`, now.Add(time.Minute).Unix(), now.Add(time.Hour).Unix()))
	_, err = v.Verify(tok)
	assert.ErrorContains(t, err, "not valid yet")
	now = now.Add(2 * time.Minute)
	id, err := v.Verify(tok)
	require.NoError(t, err)
	assert.Equal(t, "alice", id.User)
	id, err = v.Verify(tok) // from the cache now
	require.NoError(t, err)
	assert.Equal(t, "alice", id.User)
	now = now.Add(time.Hour)
	_, err = v.Verify(tok)
	assert.ErrorContains(t, err, "expired", "expiry holds for a remembered token")

	// A tampered copy of a remembered token is not the same key.
	parts := strings.Split(tok, ".")
	_, err = v.Verify(parts[0] + "." + parts[1] + "." + strings.ToUpper(parts[2][:1]) + parts[2][1:])
	assert.Error(t, err)
}

func TestVerifiedTokensAreBounded(t *testing.T) {
	t.Parallel()
	cache := newVerifiedTokens()
	big := Identity{User: "alice", Name: strings.Repeat("n", 4000)}
	for i := range 3 * maxVerifiedTokens {
		cache.put(sha256.Sum256([]byte(fmt.Sprint(i))), big, time.Time{})
		require.LessOrEqual(t, len(cache.entries), maxVerifiedTokens)
		require.LessOrEqual(t, cache.bytes, maxVerifiedBytes)
	}
	assert.Equal(t, len(cache.entries), cache.order.Len())
	_, ok := cache.get(sha256.Sum256([]byte(fmt.Sprint(3*maxVerifiedTokens - 1))))
	assert.True(t, ok, "the newest stays")
	_, ok = cache.get(sha256.Sum256([]byte("0")))
	assert.False(t, ok, "the oldest went")
}
