package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
)

// received is a token's payload as it arrives, decoded in one pass. The
// claims this service defines are kept raw so that each is checked for its
// exact JSON type: a null or a wrongly typed claim is refused, never read
// as absent (which would widen the token). The time claims and the id are
// filled in by check, for the JWT library's validator.
type received struct {
	Username   json.RawMessage
	Name       json.RawMessage
	Scope      json.RawMessage
	Domains    json.RawMessage
	Subdomains json.RawMessage
	Types      json.RawMessage
	CIDRs      json.RawMessage
	jwt.RegisteredClaims

	jti     json.RawMessage
	times   map[string]json.RawMessage // exp, nbf and iat as sent
	names   []string                   // every claim name, in order
	unknown []string                   // claim names outside the contract
	twice   string                     // a claim name given twice
}

// ignoredClaims are registered claims the contract allows and this service
// does not use.
var ignoredClaims = []string{"iss", "sub", "aud"}

// timeClaims are the claims that hold times.
var timeClaims = []string{"exp", "nbf", "iat"}

// field returns where a known claim is kept, or nil for another claim.
func (r *received) field(name string) *json.RawMessage {
	switch name {
	case "username":
		return &r.Username
	case "name":
		return &r.Name
	case "scope":
		return &r.Scope
	case "domains":
		return &r.Domains
	case "subdomains":
		return &r.Subdomains
	case "types":
		return &r.Types
	case "cidrs":
		return &r.CIDRs
	case "jti":
		return &r.jti
	}
	return nil
}

// UnmarshalJSON reads a payload, which must be a JSON object, sorting its
// members into the claims without judging them yet: that waits for the
// signature (see check).
func (r *received) UnmarshalJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("the payload is not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return err
		}
		if r.twice == "" && slices.Contains(r.names, name) {
			r.twice = name
		}
		r.names = append(r.names, name)
		switch f := r.field(name); {
		case f != nil:
			*f = value
		case slices.Contains(timeClaims, name):
			if r.times == nil {
				r.times = make(map[string]json.RawMessage, len(timeClaims))
			}
			r.times[name] = value
		case !slices.Contains(ignoredClaims, name):
			r.unknown = append(r.unknown, name)
		}
	}
	_, err := dec.Token() // the closing brace
	return err
}

// latestTime bounds the time claims: the end of year 9999, in seconds.
const latestTime = 253402300799

// maxNameShown is how much of a claim name a refusal repeats.
const maxNameShown = 40

// check refuses what the contract does not allow and the JWT library
// would read loosely: a claim outside the contract (so a misspelt
// restriction, "subdomain" or "scopes", can never mean "no restriction"),
// a claim given twice (readers would take different ones), time claims
// that are not numbers of seconds in range (the library also reads
// strings, and overflows on huge numbers), and a token id that is not a
// non-empty string.
func (r *received) check() error {
	if r.twice != "" {
		return refuse(ReasonClaims, "the token has the %q claim twice", cut(r.twice))
	}
	if len(r.unknown) > 0 {
		name := r.unknown[0]
		known := []string{"username", "name", "jti", "iat", "nbf", "exp", "scope", "domains", "subdomains", "types", "cidrs"}
		if i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, name) }); i >= 0 {
			return refuse(ReasonClaims, "the token has a %q claim; claim names are case-sensitive (%q)", cut(name), known[i])
		}
		return refuse(ReasonClaims, "the token has a %q claim, which this service does not know; its claims are %s",
			cut(name), strings.Join(known, ", "))
	}
	for name, raw := range r.times {
		var seconds float64
		if !isNumber(raw) || json.Unmarshal(raw, &seconds) != nil || seconds < 0 || seconds > latestTime {
			return refuse(ReasonClaims, "the token's %s claim must be a time in seconds since 1970", name)
		}
		date := jwt.NewNumericDate(time.Unix(int64(seconds), 0))
		switch name {
		case "exp":
			r.ExpiresAt = date
		case "nbf":
			r.NotBefore = date
		case "iat":
			r.IssuedAt = date
		}
	}
	if r.jti != nil && (strictString(r.jti, &r.ID) != nil || r.ID == "") {
		return refuse(ReasonClaims, "the token's jti claim must be a non-empty string")
	}
	return nil
}

// signedUser is the username claim if it is a string, else "".
func (r *received) signedUser() string {
	var user string
	if r.Username == nil || strictString(r.Username, &user) != nil {
		return ""
	}
	return user
}

// cut shortens a name taken from a token for a message.
func cut(s string) string {
	if len(s) > maxNameShown {
		return s[:maxNameShown] + "..."
	}
	return s
}

// accessOf turns the scoped claims into the token's access. zones are the
// zones the service manages: a token naming another one is refused, since
// it was minted for something this service cannot do.
func (r received) accessOf(zones []string) (records.Access, error) {
	access := records.FullAccess()
	if r.Scope != nil {
		var scope string
		if err := strictString(r.Scope, &scope); err != nil {
			return records.Access{}, refuse(ReasonClaims, "the token's scope claim must be a string like %q", records.ScopeRead+" "+records.ScopeWrite)
		}
		words := strings.Fields(scope)
		if len(words) == 0 {
			return records.Access{}, refuse(ReasonClaims, "the token's scope claim is empty; leave it out for full access")
		}
		access.Read, access.Write = false, false
		for _, w := range words {
			switch w {
			case records.ScopeRead:
				access.Read = true
			case records.ScopeWrite:
				access.Write = true
			default:
				return records.Access{}, refuse(ReasonClaims, "the token's scope claim has %q; use %s and %s", w, records.ScopeRead, records.ScopeWrite)
			}
		}
	}
	var err error
	if access.Zones, err = listClaim(r.Domains, "domains", func(s string) (string, error) {
		zone, err := records.ParseZone(s)
		if err == nil && !slices.Contains(zones, zone) {
			return "", refuse(ReasonClaims, "the token's domains claim names %q, which this service does not manage", s)
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
			return p, refuse(ReasonClaims, "the token's subdomains claim has %q, a full name; give names relative to the zone", s)
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
		return nil, refuse(ReasonClaims, "the token's %s claim must be a list of strings", claim)
	}
	if len(items) == 0 {
		return nil, refuse(ReasonClaims, "the token's %s claim is empty; leave it out for no restriction", claim)
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		v, err := parse(item)
		if err != nil {
			if fault.Is(err, fault.Unauthenticated) {
				return nil, err
			}
			return nil, refuse(ReasonClaims, "the token's %s claim: %s", claim, fault.MessageOf(err))
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
			return netip.Prefix{}, refuse(ReasonClaims, "the token's cidrs claim has %q, which is not a network like 10.0.0.0/8", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, refuse(ReasonClaims, "the token's cidrs claim has %q, which mixes IPv4 and IPv6", s)
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
