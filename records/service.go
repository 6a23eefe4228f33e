// Package records is the domain of dns-api: which names, types and targets
// are valid, which names nobody may touch, who may do what, and the
// operations on record sets. Every protocol the HTTP layer speaks ends up in
// the same few operations here, so each rule is enforced in one place. It
// knows the DNS provider only through upstream.Provider.
package records

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dns-api/dns-api/state"
	"github.com/dns-api/dns-api/upstream"
)

// TTL bounds: DNSimple's minimum, and RFC 2181's maximum.
const (
	MinTTL = 60
	MaxTTL = 1<<31 - 1
)

// CheckTTL checks a time-to-live in seconds.
func CheckTTL(ttl int) error {
	if ttl < MinTTL || ttl > MaxTTL {
		return invalidf("ttl must be between %d and %d seconds; %d is not", MinTTL, MaxTTL, ttl)
	}
	return nil
}

// Service runs the record operations over a Provider.
type Service struct {
	provider  upstream.Provider
	zones     []string // managed zones, in configuration order
	blacklist Patterns
	ttl       int
	locks     state.Locker
	// readsCached: a look at a set before taking its lock is cheap.
	readsCached bool
	// writeTimeout bounds a write once it is sent, whatever its caller
	// does meanwhile.
	writeTimeout time.Duration
	audit        *slog.Logger
}

// Options configure a Service.
type Options struct {
	// Zones are the managed zones, already normalised (see ParseZone).
	Zones []string
	// Blacklist holds the names nobody may touch.
	Blacklist Patterns
	// TTL is given to every record the service writes unless a request
	// says otherwise.
	TTL int
	// Locks serialise writes to one name (nil: this process's own).
	Locks state.Locker
	// ReadsCached says the provider's reads come from a cache (see
	// upstream.Cached): a write that changes nothing is then answered from
	// it without a lock.
	ReadsCached bool
	// WriteTimeout bounds a write to DNSimple once sent, even if its
	// caller has gone (zero: a minute).
	WriteTimeout time.Duration
	// Audit receives one line per change and per refusal (nil discards).
	Audit *slog.Logger
}

// NewService checks opts and builds a Service.
func NewService(provider upstream.Provider, opts Options) (*Service, error) {
	if provider == nil {
		return nil, fmt.Errorf("records: a provider is required")
	}
	if len(opts.Zones) == 0 {
		return nil, fmt.Errorf("records: at least one zone is required")
	}
	for _, z := range opts.Zones {
		if normal, err := ParseZone(z); err != nil || normal != z {
			return nil, fmt.Errorf("records: zone %q is not a normalised domain name", z)
		}
	}
	if err := CheckTTL(opts.TTL); err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	audit := opts.Audit
	if audit == nil {
		audit = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	locks := opts.Locks
	if locks == nil {
		locks = state.NewMemory(nil)
	}
	writeTimeout := opts.WriteTimeout
	if writeTimeout <= 0 {
		writeTimeout = time.Minute
	}
	return &Service{
		provider:     provider,
		zones:        slices.Clone(opts.Zones),
		blacklist:    slices.Clone(opts.Blacklist),
		ttl:          opts.TTL,
		locks:        locks,
		readsCached:  opts.ReadsCached,
		writeTimeout: writeTimeout,
		audit:        audit,
	}, nil
}

// Record is a managed record as callers see it.
type Record struct {
	ID      int64
	Zone    string
	Name    string // relative to Zone, never the apex
	Type    Type
	Target  string
	TTL     int
	Created string // as the provider reports it (RFC 3339)
	Updated string
}

// FQDN is the record's full name.
func (r Record) FQDN() string { return r.Name + "." + r.Zone }

// Action says what an operation did to the provider.
type Action string

// The actions reported to callers.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged" // nothing was written upstream
	Deleted   Action = "deleted"
)

// recordSet names all records of one type at one name: the unit the
// path-driven operations work on. Its fields are validated and normalised.
type recordSet struct {
	zone string
	name string
	typ  Type
}

func (s recordSet) String() string { return fmt.Sprintf("%s %s.%s", s.typ, s.name, s.zone) }

// parseSet validates raw input naming a record set. The zone is checked
// against the managed set before anything else happens, so no request
// value ever reaches a provider URL unless it is one of them.
func (s *Service) parseSet(rawType, rawZone, rawName string) (recordSet, error) {
	typ, err := ParseType(rawType)
	if err != nil {
		return recordSet{}, err
	}
	zone, err := s.managedZone(rawZone)
	if err != nil {
		return recordSet{}, err
	}
	name, err := ParseSubdomain(rawName, zone)
	if err != nil {
		return recordSet{}, err
	}
	return recordSet{zone: zone, name: name, typ: typ}, nil
}

// managedZone returns the managed zone raw names, or an Invalid error.
func (s *Service) managedZone(raw string) (string, error) {
	zone := normaliseName(raw)
	if !slices.Contains(s.zones, zone) {
		if zone == "" {
			return "", invalidf("a domain is required")
		}
		return "", invalidf("domain %s is not managed by this service", shown(raw))
	}
	return zone, nil
}

// Resolve splits a fully qualified name (_acme-challenge.api.example.com.,
// as ACME clients send them) into a managed zone and the name relative to
// it, by the longest managed zone it ends in, so that example.com and
// sub.example.com can both be managed. The parts are validated by the
// operations they are passed to.
func (s *Service) Resolve(fqdn string) (zone, name string, err error) {
	full := normaliseName(fqdn)
	for _, z := range s.zones {
		if rest, ok := strings.CutSuffix(full, "."+z); ok && len(z) > len(zone) {
			zone, name = z, rest
		}
		if full == z {
			return "", "", invalidf("%s is the apex of %s, which is never managed", shown(fqdn), z)
		}
	}
	if zone == "" {
		return "", "", invalidf("%s is not a name in a domain managed by this service", shown(fqdn))
	}
	return zone, name, nil
}

// zonesOf returns the zones the caller's token reaches, in configuration
// order.
func (s *Service) zonesOf(c Caller) []string {
	var zones []string
	for _, z := range s.zones {
		if c.Access.seesZone(z) {
			zones = append(zones, z)
		}
	}
	return zones
}

// Blacklist returns the names nobody may touch.
func (s *Service) Blacklist() Patterns { return slices.Clone(s.blacklist) }

// managed converts a provider record into a Record if it is one the service
// manages at all: a supported type, not a system record, and a name the
// service could have written (not the apex, not a wildcard, no underscore
// after an ordinary label), so that nothing is reachable by id that is
// refused by name.
func managed(r upstream.Record) (Record, bool) {
	typ, err := ParseType(r.Type)
	if err != nil || r.System || r.Name == "" || checkRelativeName(normaliseName(r.Name)) != nil {
		return Record{}, false
	}
	return Record{
		ID:      r.ID,
		Zone:    r.Zone,
		Name:    normaliseName(r.Name),
		Type:    typ,
		Target:  canonicalTarget(typ, r.Content),
		TTL:     r.TTL,
		Created: r.CreatedAt,
		Updated: r.UpdatedAt,
	}, true
}

// setOf names the record set a record belongs to.
func setOf(r Record) recordSet { return recordSet{zone: r.Zone, name: r.Name, typ: r.Type} }
