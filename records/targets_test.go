package records

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dns-api/dns-api/fault"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  Type
		in   string
		want string // "" means refused
	}{
		{A, "203.0.113.7", "203.0.113.7"},
		{A, "10.0.0.1", "10.0.0.1"},
		{A, "127.0.0.1", "127.0.0.1"},
		{A, "1.2.3", ""},
		{A, "01.2.3.4", ""},
		{A, "1.2.3.04", ""},
		{A, "256.1.1.1", ""},
		{A, "0.0.0.0", ""},
		{A, "255.255.255.255", ""},
		{A, "224.0.0.1", ""},
		{A, "239.255.255.250", ""},
		{A, "16909060", ""},
		{A, "0x01020304", ""},
		{A, "1.2.3.4.5", ""},
		{A, " 1.2.3.4", ""},
		{A, "::1", ""},
		{A, "::ffff:1.2.3.4", ""},
		{A, "", ""},
		{AAAA, "2001:db8::7", "2001:db8::7"},
		{AAAA, "2001:DB8:0:0::7", "2001:db8::7"},
		{AAAA, "::1", "::1"},
		{AAAA, "::ffff:1.2.3.4", ""},
		{AAAA, "::", ""},
		{AAAA, "ff02::1", ""},
		{AAAA, "fe80::1%eth0", ""},
		{AAAA, "1.2.3.4", ""},
		{AAAA, "2001:db8::g", ""},
		{CNAME, "api.example.org", "api.example.org"},
		{CNAME, "API.Example.org.", "api.example.org"},
		{CNAME, "_x.acm-validations.aws", "_x.acm-validations.aws"},
		{CNAME, "localhost", ""},
		{CNAME, "a..b", ""},
		{CNAME, "-a.example.org", ""},
		{CNAME, "a b.example.org", ""},
		{CNAME, "http://x.example.org", ""},
		{CNAME, "", ""},
		{TXT, "hello world", "hello world"},
		{TXT, "v=spf1 -all", "v=spf1 -all"},
		{TXT, `"quoted"`, `"quoted"`},
		{TXT, strings.Repeat("x", 255), strings.Repeat("x", 255)},
		{TXT, strings.Repeat("x", 256), ""},
		{TXT, "", ""},
		{TXT, "line\nbreak", ""},
		{TXT, "tab\there", ""},
		{TXT, "naïve", ""},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.typ, tt.in)
		if tt.want == "" {
			assert.True(t, fault.Is(err, fault.Invalid), "ParseTarget(%s, %q) = %q", tt.typ, tt.in, got)
			continue
		}
		if assert.NoError(t, err, "ParseTarget(%s, %q)", tt.typ, tt.in) {
			assert.Equal(t, tt.want, got, "ParseTarget(%s, %q)", tt.typ, tt.in)
		}
	}
}

func TestParseType(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Type{"a": A, "A": A, "aaaa": AAAA, "Cname": CNAME, "txt": TXT} {
		got, err := ParseType(in)
		assert.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "MX", "NS", "SOA", "ALIAS", "A ", "*"} {
		_, err := ParseType(in)
		assert.True(t, fault.Is(err, fault.Invalid), in)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, seed := range []string{"203.0.113.7", "01.2.3.4", "2001:db8::7", "::ffff:1.2.3.4", "api.example.org.", "hello"} {
		for _, typ := range SupportedTypes() {
			f.Add(string(typ), seed)
		}
	}
	f.Fuzz(func(t *testing.T, typ, in string) {
		rt, err := ParseType(typ)
		if err != nil {
			return
		}
		got, err := ParseTarget(rt, in)
		if err != nil {
			if !fault.Is(err, fault.Invalid) {
				t.Fatalf("ParseTarget(%s, %q): error of the wrong kind: %v", rt, in, err)
			}
			return
		}
		again, err := ParseTarget(rt, got)
		if err != nil || again != got {
			t.Fatalf("ParseTarget(%s) is not idempotent on %q: %q, %v", rt, got, again, err)
		}
		if rt != TXT && strings.ContainsAny(got, "/ %?#") {
			t.Fatalf("ParseTarget(%s, %q) accepted %q", rt, in, got)
		}
	})
}
