package records

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChallengeSubject(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		subject string
		ok      bool
	}{
		"_acme-challenge":                {"", true},
		"_acme-challenge.api":            {"api", true},
		"_acme-challenge.x.api":          {"x.api", true},
		"_acct123._acme-challenge.api":   {"api", true},
		"_validation-persist":            {"", true},
		"_validation-persist.db.example": {"db.example", true},
		"_dmarc":                         {"", false},
		"_domainkey.mail":                {"", false},
		"api":                            {"", false},
		"acme-challenge.api":             {"", false},
	}
	for name, want := range tests {
		subject, ok := challengeSubject(name)
		assert.Equal(t, want.ok, ok, name)
		assert.Equal(t, want.subject, subject, name)
	}
}

// FuzzCheck holds the one permission check to what it must never allow,
// whatever the name, the token's names and the blacklist: a write to a
// blacklisted name or owner, to a name outside the token's names, or to a
// challenge name whose wildcard would cover a blacklisted name.
func FuzzCheck(f *testing.F) {
	for _, seed := range [][3]string{
		{"_acme-challenge", "www", ""},
		{"_acme-challenge.api", "*.internal", "api"},
		{"_x._acme-challenge.internal", "*.internal", ""},
		{"_validation-persist.a", "b.a", "a"},
		{"api", "www", "*.dev"},
		{"_dmarc", "", "_dmarc"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, rawName, rawBlacklisted, rawAllowed string) {
		name, err := ParseSubdomain(rawName, "example.com")
		if err != nil {
			return
		}
		blacklist, err := ParsePatterns([]string{rawBlacklisted})
		if err != nil {
			blacklist = nil
		}
		access := FullAccess()
		if allowed, err := ParsePattern(rawAllowed); err == nil {
			access.Names = Patterns{allowed}
		}
		s := &Service{zones: []string{"example.com"}, blacklist: blacklist}
		caller := Caller{Access: access}
		set := recordSet{zone: "example.com", name: name, typ: TXT}
		if s.check(caller, write, set) != nil {
			return
		}
		owner := Owner(name)
		switch {
		case blacklist.Match(name) || blacklist.Match(owner):
			t.Fatalf("wrote %q: it or its owner %q is blacklisted by %q", name, owner, rawBlacklisted)
		case access.Names != nil && !access.Names.Match(owner) && !(access.Names[0].String() == name):
			t.Fatalf("wrote %q outside the token's names %q", name, rawAllowed)
		}
		if subject, ok := challengeSubject(name); ok {
			if blacklist.MatchChildOf(subject) {
				t.Fatalf("wrote challenge name %q: *.%q covers a name blacklisted by %q", name, subject, rawBlacklisted)
			}
			if access.Names != nil && (subject == "" || !access.Names.Match(subject)) {
				t.Fatalf("wrote challenge name %q without the right to %q", name, subject)
			}
		}
		if s.check(caller, read, set) != nil && !blacklist.MatchNameOrOwner(name) {
			t.Fatalf("may write %q but not read it", name)
		}
	})
}
