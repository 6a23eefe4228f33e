package upstream

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTXTContent(t *testing.T) {
	t.Parallel()
	for value, wire := range map[string]string{
		"hello":                `"hello"`,
		"hello world":          `"hello world"`,
		`say "hi"`:             `"say \"hi\""`,
		`back\slash`:           `"back\\slash"`,
		"v=DKIM1; k=rsa; p=AB": `"v=DKIM1; k=rsa; p=AB"`,
	} {
		assert.Equal(t, wire, contentOut("TXT", value))
		assert.Equal(t, value, contentIn("TXT", wire), wire)
	}
	assert.Equal(t, "abcdef", contentIn("TXT", `"abc" "def"`), "long values come as several strings")
	assert.Equal(t, "bare value", contentIn("TXT", "bare value"), "content as stored before quoting began")
	assert.Equal(t, `"unterminated`, contentIn("TXT", `"unterminated`))
	assert.Equal(t, `"a" junk`, contentIn("TXT", `"a" junk`))
	assert.Equal(t, "192.0.2.1", contentOut("A", "192.0.2.1"))
	assert.Equal(t, `"x"`, contentIn("CNAME", `"x"`))
}
