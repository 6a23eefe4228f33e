package records

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/fault"
)

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		name    string
		want    bool
	}{
		{"www", "www", true},
		{"WWW.", "www", true},
		{"www", "www2", false},
		{"www", "a.www", false},
		{"*.internal", "db.internal", true},
		{"*.internal", "a.b.internal", true},
		{"*.internal", "internal", false},
		{"*.internal", "xinternal", false},
		{"*.Internal", "db.internal", true},
		{"*", "anything.at.all", true},
		{"*", "", false},
		{"_dmarc", "_dmarc", true},
		{"*.dev", "_acme-challenge.x.dev", true},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		require.NoError(t, err, tt.pattern)
		assert.Equal(t, tt.want, p.Match(tt.name), "%q matches %q", tt.pattern, tt.name)
	}
}

func TestParsePatternRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", ".", "a.*", "*a", "a*b", "*.*.x", "**", "a..b", "-a", "a/b", "a b"} {
		_, err := ParsePattern(in)
		assert.True(t, fault.Is(err, fault.Invalid), "%q", in)
	}
}

func TestBlacklistReachesOwner(t *testing.T) {
	t.Parallel()
	bl, err := ParsePatterns([]string{"www", "*.internal"})
	require.NoError(t, err)
	for name, blocked := range map[string]bool{
		"www":                         true,
		"_acme-challenge.www":         true,
		"_a._b.www":                   true,
		"_acme-challenge.db.internal": true,
		"api":                         false,
		"_acme-challenge.api":         false,
		"www.api":                     false,
		"_dmarc":                      false,
	} {
		assert.Equal(t, blocked, bl.MatchNameOrOwner(name), name)
	}
}

func FuzzPatternMatch(f *testing.F) {
	f.Add("*.dev", "a.dev")
	f.Add("www", "www")
	f.Add("*", "x")
	f.Add("*.a.b", "_c.x.a.b")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("ParsePattern(%q): error of the wrong kind: %v", pattern, err)
			}
			return
		}
		if !p.Match(name) {
			return
		}
		// A match is either the exact name or a name under the glob's suffix.
		text := p.String()
		switch {
		case text == "*":
			if name == "" {
				t.Fatalf("* matched the apex")
			}
		case strings.HasPrefix(text, "*."):
			suffix := text[1:]
			if !strings.HasSuffix(name, suffix) || len(name) <= len(suffix) {
				t.Fatalf("%q matched %q", text, name)
			}
		default:
			if name != text {
				t.Fatalf("%q matched %q", text, name)
			}
		}
	})
}

func TestMatchChildOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		patterns []string
		parent   string
		want     bool
	}{
		{[]string{"www"}, "", true},
		{[]string{"www"}, "api", false},
		{[]string{"a.b"}, "b", true},
		{[]string{"a.b"}, "", false},
		{[]string{"a.b"}, "a", false},
		{[]string{"*.internal"}, "internal", true},
		{[]string{"*.internal"}, "x.internal", true},
		{[]string{"*.internal"}, "", false},
		{[]string{"*.internal"}, "myinternal", false},
		{[]string{"*"}, "anything", true},
		{[]string{"mail", "www"}, "", true},
		{nil, "", false},
	}
	for _, tt := range tests {
		ps, err := ParsePatterns(tt.patterns)
		require.NoError(t, err)
		assert.Equal(t, tt.want, ps.MatchChildOf(tt.parent), "%v child of %q", tt.patterns, tt.parent)
	}
}

func TestCover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list    []string
		pattern string
		want    bool
	}{
		{[]string{"www"}, "www", true},
		{[]string{"www"}, "_acme-challenge.www", true},
		{[]string{"www"}, "api", false},
		{[]string{"www"}, "*.www", false},
		{[]string{"*.internal"}, "db.internal", true},
		{[]string{"*.internal"}, "*.internal", true},
		{[]string{"*.internal"}, "*.eu.internal", true},
		{[]string{"*.internal"}, "*.xinternal", false},
		{[]string{"*.internal"}, "internal", false},
		{[]string{"*.eu.internal"}, "*.internal", false}, // only part of it
		{[]string{"*"}, "*", true},
		{[]string{"*"}, "anything", true},
		{[]string{"*.x"}, "*", false},
		{[]string{"www"}, "_dmarc", false},
		{nil, "www", false},
	}
	for _, tt := range tests {
		list, err := ParsePatterns(tt.list)
		require.NoError(t, err)
		p, err := ParsePattern(tt.pattern)
		require.NoError(t, err)
		assert.Equal(t, tt.want, list.Cover(p), "%v covers %q", tt.list, tt.pattern)
	}
}
