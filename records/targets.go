package records

import (
	"net/netip"
	"strings"
)

// Type is a DNS record type this service manages.
type Type string

// The record types the service manages: A and CNAME as in python-dns-api,
// plus AAAA and TXT.
const (
	A     Type = "A"
	AAAA  Type = "AAAA"
	CNAME Type = "CNAME"
	TXT   Type = "TXT"
)

// maxTXTLength is the longest TXT value accepted: one character-string.
const maxTXTLength = 255

// SupportedTypes lists the managed types in a stable order.
func SupportedTypes() []Type { return []Type{A, AAAA, CNAME, TXT} }

// ParseType reads a record type, case-insensitively.
func ParseType(s string) (Type, error) {
	t := Type(strings.ToUpper(s))
	switch t {
	case A, AAAA, CNAME, TXT:
		return t, nil
	}
	return "", invalidf("record type %s is not supported; use A, AAAA, CNAME or TXT", shown(s))
}

// ParseTarget checks what a record of type t points to and returns it in
// the canonical form it is stored and compared in: IP addresses as
// net/netip prints them, host names lower case without the trailing dot,
// TXT values exactly as given.
func ParseTarget(t Type, s string) (string, error) {
	switch t {
	case A:
		return parseIPv4(s)
	case AAAA:
		return parseIPv6(s)
	case CNAME:
		return parseHostTarget(s)
	case TXT:
		return parseText(s)
	}
	return "", invalidf("record type %s is not supported", shown(string(t)))
}

// canonicalTarget puts content read from upstream into the form ParseTarget
// gives, so that comparisons ignore spelling; content it cannot read is
// returned unchanged (it then simply never equals a valid target).
func canonicalTarget(t Type, content string) string {
	if canonical, err := ParseTarget(t, content); err == nil {
		return canonical
	}
	return content
}

func parseIPv4(s string) (string, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is4() {
		return "", invalidf("%s is not an IPv4 address in dotted-quad form, like 203.0.113.7", shown(s))
	}
	switch {
	case addr.IsUnspecified():
		return "", invalidf("%s is the unspecified address, not a host", s)
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "", invalidf("%s is the broadcast address, not a host", s)
	case addr.IsMulticast():
		return "", invalidf("%s is a multicast address, not a host", s)
	}
	return addr.String(), nil
}

func parseIPv6(s string) (string, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is6() || addr.Zone() != "" {
		return "", invalidf("%s is not an IPv6 address, like 2001:db8::7", shown(s))
	}
	switch {
	case addr.Is4In6():
		return "", invalidf("%s is an IPv4-mapped address; use an A record for IPv4", s)
	case addr.IsUnspecified():
		return "", invalidf("%s is the unspecified address, not a host", s)
	case addr.IsMulticast():
		return "", invalidf("%s is a multicast address, not a host", s)
	}
	return addr.String(), nil
}

// parseHostTarget checks a CNAME target: a host name of at least two
// labels; labels may start with '_' (_x.acm-validations.aws).
func parseHostTarget(s string) (string, error) {
	host := normaliseName(s)
	fail := func(why string) (string, error) {
		return "", invalidf("%s is not a host name for a CNAME: %s", shown(s), why)
	}
	if host == "" {
		return fail("it is empty")
	}
	if len(host) > maxNameLength {
		return fail("it is longer than 253 bytes")
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return fail("it needs at least two labels, like app.example.net")
	}
	for _, label := range labels {
		if err := checkHostLabel(strings.TrimPrefix(label, "_")); err != nil {
			return fail(err.Error())
		}
	}
	return host, nil
}

// parseText checks a TXT value: printable ASCII, 1 to 255 bytes.
func parseText(s string) (string, error) {
	if s == "" {
		return "", invalidf("a TXT value cannot be empty")
	}
	if len(s) > maxTXTLength {
		return "", invalidf("a TXT value is at most %d bytes; this one has %d", maxTXTLength, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", invalidf("a TXT value must be printable ASCII text; byte %d is 0x%02x", i, s[i])
		}
	}
	return s, nil
}
