package upstream

import "strings"

// Since late 2023 DNSimple keeps TXT content as the zone file writes it:
// quoted character-strings ("v=spf1 -all", and long values as several
// strings), quoting content it is given bare. Callers of this package deal
// in the value itself, so that a value sent and the value read back
// compare equal: TXT content goes out quoted and comes back unquoted.

// contentOut is the content to send for a record of type typ.
func contentOut(typ, content string) string {
	if typ != "TXT" {
		return content
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(content) + `"`
}

// contentIn is the value of content read for a record of type typ: the
// character-strings of a TXT record unquoted and joined (content that is
// not quoted strings is taken as it is).
func contentIn(typ, content string) string {
	if typ != "TXT" || !strings.HasPrefix(content, `"`) {
		return content
	}
	var value strings.Builder
	for i := 0; i < len(content); {
		switch c := content[i]; {
		case c == ' ' || c == '\t':
			i++
			continue
		case c != '"':
			return content
		}
		i++ // the opening quote
		for {
			if i >= len(content) {
				return content // unterminated
			}
			c := content[i]
			if c == '"' {
				i++
				break
			}
			if c == '\\' && i+1 < len(content) {
				i++
				c = content[i]
			}
			value.WriteByte(c)
			i++
		}
	}
	return value.String()
}
