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
