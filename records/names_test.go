package records

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/fault"
)

func TestParseSubdomain(t *testing.T) {
	t.Parallel()
	label63 := strings.Repeat("a", 63)
	tests := []struct {
		in   string
		want string // "" means refused
	}{
		{"api", "api"},
		{"API", "api"},
		{"api.", "api"},
		{"www", "www"},
		{"a.b.c", "a.b.c"},
		{"pr-42", "pr-42"},
		{"x1", "x1"},
		{"_acme-challenge.api", "_acme-challenge.api"},
		{"_dmarc", "_dmarc"},
		{"_a._b.c", "_a._b.c"},
		{label63, label63},
		// refused
		{"", ""},
		{"@", ""},
		{".", ""},
		{"..", ""},
		{"a..b", ""},
		{".a", ""},
		{"a/b", ""},
		{"*", ""},
		{"*.dev", ""},
		{"a%2fb", ""},
		{"w%77w", ""},
		{"-a", ""},
		{"a-", ""},
		{"a_b", ""},
		{"api._x", ""},
		{"_", ""},
		{"_-a", ""},
		{"a b", ""},
		{"ü", ""},
		{label63 + "a", ""},
		{"example.com", ""},
		{"api.example.com", ""},
		{"api.example.com.", ""},
	}
	for _, tt := range tests {
		got, err := ParseSubdomain(tt.in, "example.com")
		if tt.want == "" {
			assert.True(t, fault.Is(err, fault.Invalid), "ParseSubdomain(%q) = %q", tt.in, got)
			continue
		}
		if assert.NoError(t, err, "ParseSubdomain(%q)", tt.in) {
			assert.Equal(t, tt.want, got, "ParseSubdomain(%q)", tt.in)
		}
	}
}

func TestParseSubdomainLength(t *testing.T) {
	t.Parallel()
	// 253 bytes with the zone is the limit: build names of four labels.
	zone := "example.com" // 11 bytes
	fits := strings.Join([]string{strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("c", 63), strings.Repeat("d", 49)}, ".")
	require.Equal(t, 253, len(fits)+1+len(zone))
	_, err := ParseSubdomain(fits, zone)
	assert.NoError(t, err)
	_, err = ParseSubdomain(fits+"d", zone)
	assert.True(t, fault.Is(err, fault.Invalid), "254 bytes")
}

func TestParseZone(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"example.com":           "example.com",
		"Example.COM.":          "example.com",
		"a.b.example":           "a.b.example",
		"xn--bcher-kva.example": "xn--bcher-kva.example",
	}
	for in, want := range good {
		got, err := ParseZone(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "com", "exa mple.com", "_x.com", "*.example.com", "example..com", "-a.com", "example.com/x", "a%2e.com"} {
		_, err := ParseZone(in)
		assert.True(t, fault.Is(err, fault.Invalid), in)
	}
}

func TestOwner(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"www":                   "www",
		"_acme-challenge.www":   "www",
		"_acme-challenge":       "",
		"_dmarc":                "",
		"_a._b.api.dev":         "api.dev",
		"api":                   "api",
		"_acme-challenge.x.dev": "x.dev",
	}
	for name, want := range tests {
		assert.Equal(t, want, Owner(name), name)
	}
}

func FuzzParseSubdomain(f *testing.F) {
	for _, seed := range []string{"api", "_acme-challenge.www", "a..b", "*.dev", "API.", "_", "a-", strings.Repeat("a", 64)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, err := ParseSubdomain(in, "example.com")
		if err != nil {
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("ParseSubdomain(%q): error of the wrong kind: %v", in, err)
			}
			return
		}
		// Whatever is accepted is normalised, stable, and safe in a URL path.
		if name != strings.ToLower(name) || strings.ContainsAny(name, "/%*? #\\") || name == "" {
			t.Fatalf("ParseSubdomain(%q) accepted %q", in, name)
		}
		again, err := ParseSubdomain(name, "example.com")
		if err != nil || again != name {
			t.Fatalf("ParseSubdomain is not idempotent on %q: %q, %v", name, again, err)
		}
		if len(name)+len(".example.com") > maxNameLength {
			t.Fatalf("ParseSubdomain(%q) accepted a name too long", in)
		}
	})
}
