// Package records is the domain of dns-api: which names, types and targets
// are valid, which names nobody may touch, who may do what, and the
// operations on record sets. Every protocol the HTTP layer speaks ends up in
// the same few operations here, so each rule is enforced in one place. It
// knows the DNS provider only through upstream.Provider.
package records

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
	locks     *keyedLocks
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
	return &Service{
		provider:  provider,
		zones:     slices.Clone(opts.Zones),
		blacklist: slices.Clone(opts.Blacklist),
		ttl:       opts.TTL,
		locks:     newKeyedLocks(),
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

// managedZone returns the managed zone raw names, or ErrInvalid.
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

// Zones returns the zones the caller may see, in configuration order.
func (s *Service) Zones(c Caller) []string {
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
// manages at all: a supported type, not a system record, not the apex.
func managed(r upstream.Record) (Record, bool) {
	typ, err := ParseType(r.Type)
	if err != nil || r.System || r.Name == "" {
		return Record{}, false
	}
	return Record{
		ID:      r.ID,
		Zone:    r.Zone,
		Name:    strings.ToLower(r.Name),
		Type:    typ,
		Target:  canonicalTarget(typ, r.Content),
		TTL:     r.TTL,
		Created: r.CreatedAt,
		Updated: r.UpdatedAt,
	}, true
}

// setOf names the record set a record belongs to.
func setOf(r Record) recordSet { return recordSet{zone: r.Zone, name: r.Name, typ: r.Type} }

// Page is one page of a listing.
type Page struct {
	Records []Record
	Total   int // records the caller may see in all
}

// List returns the records the caller may see, ordered by zone (in
// configuration order), name, type and id, and cut to page number (from 1)
// of size records.
func (s *Service) List(ctx context.Context, c Caller, number, size int) (Page, error) {
	if err := c.Access.allowsOp(read); err != nil {
		return Page{}, err
	}
	var visible []Record
	for _, zone := range s.Zones(c) {
		all, err := s.provider.Records(ctx, zone)
		if err != nil {
			return Page{}, err
		}
		var inZone []Record
		for _, r := range all {
			if rec, ok := managed(r); ok && s.check(c, read, setOf(rec)) == nil {
				inZone = append(inZone, rec)
			}
		}
		slices.SortFunc(inZone, func(a, b Record) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
		})
		visible = append(visible, inZone...)
	}
	page := Page{Total: len(visible), Records: []Record{}}
	if start := (number - 1) * size; number >= 1 && size >= 1 && start < len(visible) {
		page.Records = visible[start:min(start+size, len(visible))]
	}
	return page, nil
}

// Get returns the record with that id, from whichever managed zone holds
// it. A record the caller may not see is reported missing, exactly as one
// that does not exist, so ids cannot be used to probe.
func (s *Service) Get(ctx context.Context, c Caller, id int64) (Record, error) {
	return s.byID(ctx, c, id, read)
}

// byID finds a record by id for an operation: the zones the caller may see
// are asked at once (DNSimple needs the zone to look an id up), and a
// record outside what the caller may do is reported missing.
func (s *Service) byID(ctx context.Context, c Caller, id int64, op operation) (Record, error) {
	if err := c.Access.allowsOp(op); err != nil {
		return Record{}, err
	}
	zones := s.Zones(c)
	found := make([]upstream.Record, len(zones))
	errs := make([]error, len(zones))
	var wg sync.WaitGroup
	for i, zone := range zones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i], errs[i] = s.provider.Record(ctx, zone, id)
		}()
	}
	wg.Wait()
	// Ids are unique in the account: one zone's answer is enough, and a
	// failure elsewhere only matters when no zone had the record.
	var failure error
	for i := range zones {
		switch {
		case errs[i] == nil:
			if rec, ok := managed(found[i]); ok && s.check(c, op, setOf(rec)) == nil {
				return rec, nil
			}
			return Record{}, notFoundf("record %d does not exist", id)
		case !errors.Is(errs[i], upstream.ErrNotFound) && failure == nil:
			failure = errs[i]
		}
	}
	if failure != nil {
		return Record{}, failure
	}
	return Record{}, notFoundf("record %d does not exist", id)
}

// NewRecord is raw input for Create.
type NewRecord struct {
	Type   string
	Zone   string
	Name   string
	Target string
	TTL    *int // nil means the service's TTL
}

// Create adds a record; it is a conflict if that type and name already has
// one (use Upsert to replace).
func (s *Service) Create(ctx context.Context, c Caller, in NewRecord) (Record, error) {
	set, err := s.parseSet(in.Type, in.Zone, in.Name)
	if err != nil {
		return Record{}, err
	}
	target, err := ParseTarget(set.typ, in.Target)
	if err != nil {
		return Record{}, err
	}
	ttl := s.ttl
	if in.TTL != nil {
		if err := CheckTTL(*in.TTL); err != nil {
			return Record{}, err
		}
		ttl = *in.TTL
	}
	if err := s.check(c, write, set); err != nil {
		return Record{}, err
	}
	unlock, err := s.locks.lock(ctx, set.zone+" "+set.name)
	if err != nil {
		return Record{}, err
	}
	defer unlock()

	existing, err := s.find(ctx, set)
	if err != nil {
		return Record{}, err
	}
	if len(existing) > 0 {
		return Record{}, conflictf("%s already has a record (id %d); change it with PATCH /records/%d or replace it with POST /records/%s/%s/%s/TARGET",
			set, existing[0].ID, existing[0].ID, set.typ, set.zone, set.name)
	}
	applied, err := s.provider.Apply(ctx, set.zone, upstream.Change{
		Creates: []upstream.NewRecord{{Name: set.name, Type: string(set.typ), Content: target, TTL: ttl}},
	})
	if err != nil {
		return Record{}, err
	}
	return s.result(applied.Created)
}

// Update points the record with that id at a new target. The record is
// read again under the name's lock, so "unchanged" is decided on what
// DNSimple holds, not on what it held before a concurrent change.
func (s *Service) Update(ctx context.Context, c Caller, id int64, rawTarget string) (Record, Action, error) {
	rec, err := s.byID(ctx, c, id, write)
	if err != nil {
		return Record{}, "", err
	}
	target, err := ParseTarget(rec.Type, rawTarget)
	if err != nil {
		return Record{}, "", err
	}
	unlock, err := s.locks.lock(ctx, rec.Zone+" "+rec.Name)
	if err != nil {
		return Record{}, "", err
	}
	defer unlock()
	current, err := s.provider.Record(ctx, rec.Zone, id)
	if err != nil {
		return Record{}, "", err
	}
	if now, ok := managed(current); ok && now.Target == target {
		return now, Unchanged, nil
	}
	applied, err := s.provider.Apply(ctx, rec.Zone, upstream.Change{
		Updates: []upstream.Update{{ID: id, Content: target}},
	})
	if err != nil {
		return Record{}, "", err
	}
	updated, err := s.result(applied.Updated)
	return updated, Updated, err
}

// Delete removes the record with that id and returns it as it was.
func (s *Service) Delete(ctx context.Context, c Caller, id int64) (Record, error) {
	rec, err := s.byID(ctx, c, id, write)
	if err != nil {
		return Record{}, err
	}
	unlock, err := s.locks.lock(ctx, rec.Zone+" "+rec.Name)
	if err != nil {
		return Record{}, err
	}
	defer unlock()
	if _, err := s.provider.Apply(ctx, rec.Zone, upstream.Change{Deletes: []int64{id}}); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// Upsert makes the record set converge on one target: afterwards exactly
// one record of that type and name exists, pointing at target. Duplicates
// found are removed in the same change. When the set already is exactly
// that, nothing is written and the action is Unchanged. Concurrent upserts
// of one name in this process run one after the other.
func (s *Service) Upsert(ctx context.Context, c Caller, rawType, rawZone, rawName, rawTarget string) (Record, Action, error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return Record{}, "", err
	}
	target, err := ParseTarget(set.typ, rawTarget)
	if err != nil {
		return Record{}, "", err
	}
	if err := s.check(c, write, set); err != nil {
		return Record{}, "", err
	}
	unlock, err := s.locks.lock(ctx, set.zone+" "+set.name)
	if err != nil {
		return Record{}, "", err
	}
	defer unlock()

	existing, err := s.find(ctx, set)
	if err != nil {
		return Record{}, "", err
	}
	if len(existing) == 0 {
		applied, err := s.provider.Apply(ctx, set.zone, upstream.Change{
			Creates: []upstream.NewRecord{{Name: set.name, Type: string(set.typ), Content: target, TTL: s.ttl}},
		})
		if err != nil {
			return Record{}, "", err
		}
		created, err := s.result(applied.Created)
		return created, Created, err
	}

	// Keep a record that already points at the target if there is one (the
	// oldest such), else the oldest record; every other one goes.
	keep := existing[0]
	if i := slices.IndexFunc(existing, func(r Record) bool { return r.Target == target }); i >= 0 {
		keep = existing[i]
	}
	var change upstream.Change
	for _, r := range existing {
		if r.ID != keep.ID {
			change.Deletes = append(change.Deletes, r.ID)
		}
	}
	if keep.Target != target {
		change.Updates = []upstream.Update{{ID: keep.ID, Content: target}}
	}
	if len(change.Updates) == 0 && len(change.Deletes) == 0 {
		return keep, Unchanged, nil
	}
	applied, err := s.provider.Apply(ctx, set.zone, change)
	if err != nil {
		return Record{}, "", err
	}
	if len(applied.Updated) > 0 {
		keep, err = s.result(applied.Updated)
	}
	return keep, Updated, err
}

// DeleteSet removes every record of a type at a name and returns them as
// they were; ErrNotFound if there were none.
func (s *Service) DeleteSet(ctx context.Context, c Caller, rawType, rawZone, rawName string) ([]Record, error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return nil, err
	}
	if err := s.check(c, write, set); err != nil {
		return nil, err
	}
	unlock, err := s.locks.lock(ctx, set.zone+" "+set.name)
	if err != nil {
		return nil, err
	}
	defer unlock()

	existing, err := s.find(ctx, set)
	if err != nil {
		return nil, err
	}
	if len(existing) == 0 {
		return nil, notFoundf("%s has no record", set)
	}
	var change upstream.Change
	for _, r := range existing {
		change.Deletes = append(change.Deletes, r.ID)
	}
	if _, err := s.provider.Apply(ctx, set.zone, change); err != nil {
		return nil, err
	}
	return existing, nil
}

// find returns the records of a set, oldest first, using the provider's
// name and type filters (and checking their answer).
func (s *Service) find(ctx context.Context, set recordSet) ([]Record, error) {
	found, err := s.provider.FindRecords(ctx, set.zone, set.name, string(set.typ))
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, r := range found {
		if rec, ok := managed(r); ok && setOf(rec) == set {
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// result unpacks the one record a change produced (the provider answers
// with exactly as many records as the change asked for).
func (s *Service) result(rs []upstream.Record) (Record, error) {
	if len(rs) == 1 {
		if rec, ok := managed(rs[0]); ok {
			return rec, nil
		}
	}
	return Record{}, fmt.Errorf("records: the provider answered a one-record change with %d records", len(rs))
}
