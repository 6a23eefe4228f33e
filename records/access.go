package records

import (
	"net/netip"
	"slices"
	"strings"
)

// Caller is who asks for an operation, as the permission check sees them.
type Caller struct {
	// User is the token's user name, for messages and the audit log.
	User string
	// TokenID is the token's jti, if it has one, for the audit log.
	TokenID string
	// Addr is the client's address (see the HTTP layer for how it is
	// found behind proxies); an invalid Addr never matches a network.
	Addr netip.Addr
	// Access is what the caller's token allows.
	Access Access
}

// Access is what a token allows, on top of what the service allows anyone
// (managed zones, supported types, names not blacklisted). A nil list means
// no restriction of that kind; the zero value allows no operation at all,
// so a forgotten field fails closed.
type Access struct {
	Read  bool // may see records (dns:read)
	Write bool // may change records (dns:write)
	// Zones limits the managed zones the token reaches.
	Zones []string
	// Names limits the names, matched against a name's owner (api covers
	// _acme-challenge.api); an exact entry also matches that name itself.
	Names Patterns
	// Types limits the record types.
	Types []Type
	// Networks limits where the token may be used from.
	Networks []netip.Prefix
}

// FullAccess allows everything the service itself allows.
func FullAccess() Access { return Access{Read: true, Write: true} }

// operation is what a permission is asked for.
type operation int

const (
	read operation = iota
	write
)

func (op operation) String() string {
	if op == write {
		return "change"
	}
	return "read"
}

// The token scopes: what reads and what changes need.
const (
	ScopeRead  = "dns:read"
	ScopeWrite = "dns:write"
)

// scope is the token scope an operation needs.
func (op operation) scope() string {
	if op == write {
		return ScopeWrite
	}
	return ScopeRead
}

// allowsUse checks what does not depend on the record: where the token is
// used from, and the kind of operation.
func (c Caller) allowsUse(op operation) error {
	if err := c.AllowsNetwork(); err != nil {
		return err
	}
	a := c.Access
	if op == read && !a.Read || op == write && !a.Write {
		return forbiddenf("this token may not %s records: that needs %s", op, op.scope())
	}
	return nil
}

// AllowsNetwork checks where the token is used from: what even a route
// that touches no record (the metrics) asks of a token.
func (c Caller) AllowsNetwork() error {
	if n := c.Access.Networks; n != nil && !slices.ContainsFunc(n, func(p netip.Prefix) bool { return p.Contains(c.Addr) }) {
		if !c.Addr.IsValid() {
			return forbiddenf("this token may be used only from its networks, and where this request comes from is unknown")
		}
		return forbiddenf("this token may not be used from %s", c.Addr)
	}
	return nil
}

// seesZone reports whether the token reaches a zone at all.
func (a Access) seesZone(zone string) bool {
	return a.Zones == nil || slices.Contains(a.Zones, zone)
}

// allowsName reports whether the token's names reach name: through its
// owner, or by naming it exactly. A name owned by the apex (_dmarc,
// _acme-challenge) needs a token without names: it speaks for the zone.
func (a Access) allowsName(name string) bool {
	if a.Names == nil {
		return true
	}
	owner := Owner(name)
	return owner != "" && (a.Names.Match(owner) || slices.ContainsFunc(a.Names, func(p Pattern) bool {
		return !p.glob && p.text == name
	}))
}

// check is the one permission check: every operation calls it (through
// authorize, or directly to filter what a listing shows) for each record
// set it reads or changes, before anything is written. It applies the
// token's network, scope, zones, types and names, and the blacklist to
// the name and to its owner.
func (s *Service) check(c Caller, op operation, set recordSet) error {
	if err := c.allowsUse(op); err != nil {
		return err
	}
	a := c.Access
	switch {
	case !a.seesZone(set.zone):
		return forbiddenf("this token may not %s records in %s", op, set.zone)
	case a.Types != nil && !slices.Contains(a.Types, set.typ):
		return forbiddenf("this token may not %s %s records", op, set.typ)
	case !a.allowsName(set.name):
		return forbiddenf("this token may not %s %s.%s", op, set.name, set.zone)
	case s.blacklist.MatchNameOrOwner(set.name):
		return forbiddenf("%s.%s is blacklisted: nobody may %s it through this service", set.name, set.zone, op)
	}
	subject, ok := challengeSubject(set.name)
	if !ok || op != write {
		return nil
	}
	full := joinName(subject, set.zone)
	switch {
	case a.Names != nil && (subject == "" || !a.Names.Match(subject)):
		return forbiddenf("%s.%s is a certificate challenge name for %s: writing it needs the right to %s %s",
			set.name, set.zone, full, op, full)
	case s.blacklist.MatchChildOf(subject):
		return forbiddenf("%s.%s is a certificate challenge name: it would prove control of %s and *.%s, and that wildcard covers a blacklisted name",
			set.name, set.zone, full, full)
	}
	return nil
}

// challengeLabels are the underscore labels under which a TXT or CNAME
// record proves control of a name to a certificate authority:
// _acme-challenge.N (ACME DNS-01, and _x._acme-challenge.N for
// dns-account-01) and _validation-persist.N (dns-persist-01).
var challengeLabels = []string{"_acme-challenge", "_validation-persist"}

// challengeSubject reports whether name is a challenge name, and the name
// N (relative, "" for the apex) whose certificates, *.N included, it
// would validate. Any challenge label among the leading underscore labels
// counts: refusing a name no CA would use costs nothing.
func challengeSubject(name string) (string, bool) {
	for _, label := range strings.Split(name, ".") {
		if !strings.HasPrefix(label, "_") {
			break
		}
		if slices.Contains(challengeLabels, label) {
			return Owner(name), true
		}
	}
	return "", false
}

// joinName is name in zone as a full name; "" is the apex.
func joinName(name, zone string) string {
	if name == "" {
		return zone
	}
	return name + "." + zone
}

// addrText is a client address for messages and the audit log.
func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	return a.String()
}
