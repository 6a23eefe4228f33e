package records

import (
	"fmt"
	"strings"
)

// maxNameLength is the longest a full domain name may be in its text form
// without the trailing dot (RFC 1035 allows 255 octets on the wire).
const maxNameLength = 253

// maxLabelLength is the longest one label may be.
const maxLabelLength = 63

// ParseZone normalises a zone name (lower case, no trailing dot) and checks
// that it is a plain host name of at least two labels. Zones never carry
// underscores or wildcards.
func ParseZone(s string) (string, error) {
	zone := normaliseName(s)
	if zone == "" {
		return "", invalidf("a domain name is required")
	}
	if len(zone) > maxNameLength {
		return "", invalidf("domain %s is longer than %d bytes", shown(zone), maxNameLength)
	}
	labels := strings.Split(zone, ".")
	if len(labels) < 2 {
		return "", invalidf("domain %s must have at least two labels, like example.com", shown(zone))
	}
	for _, label := range labels {
		if err := checkHostLabel(label); err != nil {
			return "", invalidf("domain %s: %s", shown(zone), err)
		}
	}
	return zone, nil
}

// ParseSubdomain normalises a name relative to zone and checks it against
// the contract's rules: one or more labels of letters, digits and '-' (not at
// a label's ends), at most 63 bytes each; leading labels may start with '_'
// (_acme-challenge.api, _dmarc); the whole name with its zone fits in 253
// bytes. The apex is never managed, and a name written with its zone
// (api.example.com for zone example.com) is refused rather than guessed at.
func ParseSubdomain(s, zone string) (string, error) {
	name := normaliseName(s)
	if name == "" || name == "@" || name == zone {
		return "", invalidf("a subdomain is required: the apex of %s is never managed", zone)
	}
	if relative, ok := strings.CutSuffix(name, "."+zone); ok {
		return "", invalidf("give the subdomain relative to its domain: %s, not %s", shown(relative), shown(name))
	}
	if err := checkRelativeName(name); err != nil {
		return "", invalidf("subdomain %s is not valid: %s", shown(s), err)
	}
	if len(name)+1+len(zone) > maxNameLength {
		return "", invalidf("%s.%s is longer than %d bytes", name, zone, maxNameLength)
	}
	return name, nil
}

// Owner returns the name that owns name for access rules: name without its
// leading underscore labels. _acme-challenge.www is owned by www, and
// _dmarc by the apex (""), so nobody reaches a protected name through an
// underscore name.
func Owner(name string) string {
	labels := strings.Split(name, ".")
	i := 0
	for i < len(labels) && strings.HasPrefix(labels[i], "_") {
		i++
	}
	return strings.Join(labels[i:], ".")
}

// normaliseName lower-cases a name and drops one trailing dot.
// Only ASCII letters are folded: Unicode folding would turn the Kelvin
// sign into "k" and let a name in through a letter it does not have.
func normaliseName(s string) string {
	return strings.TrimSuffix(strings.Map(asciiLower, s), ".")
}

func asciiLower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

// checkRelativeName checks a lower-case relative name: underscore labels
// only before the first ordinary label.
func checkRelativeName(name string) error {
	if len(name) > maxNameLength {
		return fmt.Errorf("longer than %d bytes", maxNameLength)
	}
	ordinarySeen := false
	for _, label := range strings.Split(name, ".") {
		if rest, ok := strings.CutPrefix(label, "_"); ok {
			if ordinarySeen {
				return fmt.Errorf("only leading labels may start with '_'")
			}
			if rest == "" {
				return fmt.Errorf("a label cannot be just '_'")
			}
			label = rest
		} else {
			ordinarySeen = true
		}
		if err := checkHostLabel(label); err != nil {
			return err
		}
	}
	return nil
}

// checkHostLabel checks one label of letters, digits and '-', not starting
// or ending with '-'. Labels are already lower case.
func checkHostLabel(label string) error {
	switch {
	case label == "":
		return fmt.Errorf("empty label")
	case len(label) > maxLabelLength:
		return fmt.Errorf("label %s is longer than %d bytes", shown(label), maxLabelLength)
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("label %s starts or ends with '-'", shown(label))
	}
	for _, r := range label {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("label %s has %q; only letters, digits and '-' are allowed", shown(label), r)
		}
	}
	return nil
}
