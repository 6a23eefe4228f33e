package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dns-api/dns-api/records"
)

// received is a token's payload as it arrives. The claims this service
// defines are kept raw so that each is checked for its exact JSON type: a
// null or a wrongly typed claim is refused, never read as absent (which
// would widen the token).
type received struct {
	Username   json.RawMessage `json:"username"`
	Name       json.RawMessage `json:"name"`
	Scope      json.RawMessage `json:"scope"`
	Domains    json.RawMessage `json:"domains"`
	Subdomains json.RawMessage `json:"subdomains"`
	Types      json.RawMessage `json:"types"`
	CIDRs      json.RawMessage `json:"cidrs"`
	jwt.RegisteredClaims
}

// knownClaims are the claim names this service reads.
func knownClaims() []string {
	return []string{"username", "name", "scope", "domains", "subdomains", "types", "cidrs", "jti", "iat", "nbf", "exp"}
}

// latestTime bounds the time claims: the end of year 9999, in seconds.
const latestTime = 253402300799

// checkClaims checks what the JWT library reads loosely, before it does:
// claim names differing from known ones only in case ("Scope", "USERNAME":
// names are case-sensitive, Go's JSON decoding is not), time claims that
// are not numbers of seconds in range (the library also reads strings,
// and overflows on huge numbers), and a token id that is not a non-empty
// string.
func checkClaims(payload map[string]json.RawMessage) error {
	for key := range payload {
		for _, known := range knownClaims() {
			if key != known && strings.EqualFold(key, known) {
				return refuse("the token has a %q claim; claim names are case-sensitive (%q)", key, known)
			}
		}
	}
	for _, claim := range []string{"exp", "nbf", "iat"} {
		raw, ok := payload[claim]
		if !ok {
			continue
		}
		var seconds float64
		if !isNumber(raw) || json.Unmarshal(raw, &seconds) != nil || seconds < 0 || seconds > latestTime {
			return refuse("the token's %s claim must be a time in seconds since 1970", claim)
		}
	}
	if raw, ok := payload["jti"]; ok {
		var id string
		if strictString(raw, &id) != nil || id == "" {
			return refuse("the token's jti claim must be a non-empty string")
		}
	}
	return nil
}

// duplicateKey reports a key a JSON object holds twice, at its top level.
func duplicateKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := tok.(string)
		if seen[key] {
			return key, true
		}
		seen[key] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return "", false
		}
	}
	return "", false
}

// accessOf turns the scoped claims into the token's access. zones are the
// zones the service manages: a token naming another one is refused, since
// it was minted for something this service cannot do.
func (r received) accessOf(zones []string) (records.Access, error) {
	access := records.FullAccess()
	if r.Scope != nil {
		var scope string
		if err := strictString(r.Scope, &scope); err != nil {
			return records.Access{}, refuse("the token's scope claim must be a string like %q", records.ScopeRead+" "+records.ScopeWrite)
		}
		words := strings.Fields(scope)
		if len(words) == 0 {
			return records.Access{}, refuse("the token's scope claim is empty; leave it out for full access")
		}
		access.Read, access.Write = false, false
		for _, w := range words {
			switch w {
			case records.ScopeRead:
				access.Read = true
			case records.ScopeWrite:
				access.Write = true
			default:
				return records.Access{}, refuse("the token's scope claim has %q; use %s and %s", w, records.ScopeRead, records.ScopeWrite)
			}
		}
	}
	var err error
	if access.Zones, err = listClaim(r.Domains, "domains", func(s string) (string, error) {
		zone, err := records.ParseZone(s)
		if err == nil && !slices.Contains(zones, zone) {
			return "", refuse("the token's domains claim names %q, which this service does not manage", s)
		}
		return zone, err
	}); err != nil {
		return records.Access{}, err
	}
	if access.Names, err = listClaim(r.Subdomains, "subdomains", func(s string) (records.Pattern, error) {
		p, err := records.ParsePattern(s)
		if err == nil && slices.ContainsFunc(zones, func(zone string) bool {
			return p.String() == zone || strings.HasSuffix(p.String(), "."+zone)
		}) {
			return p, refuse("the token's subdomains claim has %q, a full name; give names relative to the zone", s)
		}
		return p, err
	}); err != nil {
		return records.Access{}, err
	}
	if access.Types, err = listClaim(r.Types, "types", records.ParseType); err != nil {
		return records.Access{}, err
	}
	if access.Networks, err = listClaim(r.CIDRs, "cidrs", parseNetwork); err != nil {
		return records.Access{}, err
	}
	return access, nil
}

// listClaim reads an optional list claim: absent is nil (no restriction);
// present, it must be a non-empty JSON list of strings, each valid for
// parse.
func listClaim[T any](raw json.RawMessage, claim string, parse func(string) (T, error)) ([]T, error) {
	if raw == nil {
		return nil, nil
	}
	var items []string
	if err := strictStrings(raw, &items); err != nil {
		return nil, refuse("the token's %s claim must be a list of strings", claim)
	}
	if len(items) == 0 {
		return nil, refuse("the token's %s claim is empty; leave it out for no restriction", claim)
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		v, err := parse(item)
		if err != nil {
			if refused := (*Error)(nil); errors.As(err, &refused) {
				return nil, err
			}
			return nil, refuse("the token's %s claim: %s", claim, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseNetwork reads a CIDR, or a bare address as a single host. An
// IPv4-mapped IPv6 network is read as the IPv4 network it maps, as client
// addresses are.
func parseNetwork(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, refuse("the token's cidrs claim has %q, which is not a network like 10.0.0.0/8", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, refuse("the token's cidrs claim has %q, which mixes IPv4 and IPv6", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// errWrongType marks a claim of the wrong JSON type.
var errWrongType = errors.New("wrong JSON type")

// strictString decodes a JSON string, refusing null and every other type.
func strictString(raw json.RawMessage, v *string) error {
	if !startsWith(raw, '"') {
		return errWrongType
	}
	return json.Unmarshal(raw, v)
}

// strictStrings decodes a JSON list of strings, refusing null.
func strictStrings(raw json.RawMessage, v *[]string) error {
	if !startsWith(raw, '[') {
		return errWrongType
	}
	return json.Unmarshal(raw, v)
}

// isNumber reports whether a raw JSON value is a number; the time claims
// must be, though the JWT library would also read them from strings.
func isNumber(raw json.RawMessage) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) > 0 && (trimmed[0] == '-' || trimmed[0] >= '0' && trimmed[0] <= '9')
}

func startsWith(raw json.RawMessage, c byte) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) > 0 && trimmed[0] == c
}
