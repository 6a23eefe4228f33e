package records

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/dns-api/dns-api/upstream"
)

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
func (s *Service) Create(ctx context.Context, c Caller, in NewRecord) (rec Record, err error) {
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
	defer func() { s.auditResult(ctx, c, "create", set.String(), Created, err) }()
	if err := s.check(c, write, set); err != nil {
		return Record{}, err
	}
	unlock, err := s.locks.lock(ctx, set.lockKey())
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
func (s *Service) Update(ctx context.Context, c Caller, id int64, rawTarget string) (rec Record, action Action, err error) {
	what := fmt.Sprintf("id %d", id)
	defer func() { s.auditResult(ctx, c, "update", what, action, err) }()
	if err := c.allowsUse(write); err != nil {
		return Record{}, "", err
	}
	found, err := s.byID(ctx, c, id, write)
	if err != nil {
		return Record{}, "", err
	}
	what = fmt.Sprintf("%s (id %d)", setOf(found), id)
	target, err := ParseTarget(found.Type, rawTarget)
	if err != nil {
		return Record{}, "", err
	}
	unlock, err := s.locks.lock(ctx, setOf(found).lockKey())
	if err != nil {
		return Record{}, "", err
	}
	defer unlock()
	current, err := s.provider.Record(ctx, found.Zone, id)
	if err != nil {
		return Record{}, "", err
	}
	if now, ok := managed(current); ok && now.Target == target {
		return now, Unchanged, nil
	}
	applied, err := s.provider.Apply(ctx, found.Zone, upstream.Change{
		Updates: []upstream.Update{{ID: id, Content: target}},
	})
	if err != nil {
		return Record{}, "", err
	}
	updated, err := s.result(applied.Updated)
	return updated, Updated, err
}

// Delete removes the record with that id and returns it as it was.
func (s *Service) Delete(ctx context.Context, c Caller, id int64) (rec Record, err error) {
	what := fmt.Sprintf("id %d", id)
	defer func() { s.auditResult(ctx, c, "delete", what, Deleted, err) }()
	if err := c.allowsUse(write); err != nil {
		return Record{}, err
	}
	found, err := s.byID(ctx, c, id, write)
	if err != nil {
		return Record{}, err
	}
	what = fmt.Sprintf("%s (id %d)", setOf(found), id)
	unlock, err := s.locks.lock(ctx, setOf(found).lockKey())
	if err != nil {
		return Record{}, err
	}
	defer unlock()
	if _, err := s.provider.Apply(ctx, found.Zone, upstream.Change{Deletes: []int64{id}}); err != nil {
		return Record{}, err
	}
	return found, nil
}

// Upsert makes the record set converge on one target: afterwards exactly
// one record of that type and name exists, pointing at target. Duplicates
// found are removed in the same change. When the set already is exactly
// that, nothing is written and the action is Unchanged. Concurrent upserts
// of one name in this process run one after the other.
func (s *Service) Upsert(ctx context.Context, c Caller, rawType, rawZone, rawName, rawTarget string) (rec Record, action Action, err error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return Record{}, "", err
	}
	target, err := ParseTarget(set.typ, rawTarget)
	if err != nil {
		return Record{}, "", err
	}
	defer func() { s.auditResult(ctx, c, "upsert", set.String(), action, err) }()
	if err := s.check(c, write, set); err != nil {
		return Record{}, "", err
	}
	unlock, err := s.locks.lock(ctx, set.lockKey())
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
// they were; a NotFound error if there were none.
func (s *Service) DeleteSet(ctx context.Context, c Caller, rawType, rawZone, rawName string) (deleted []Record, err error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return nil, err
	}
	defer func() { s.auditResult(ctx, c, "delete-set", set.String(), Deleted, err) }()
	if err := s.check(c, write, set); err != nil {
		return nil, err
	}
	unlock, err := s.locks.lock(ctx, set.lockKey())
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

// lockKey names what concurrent writes are serialised on: every type at
// one name, since a CNAME excludes all other types there.
func (set recordSet) lockKey() string { return set.zone + " " + set.name }

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
	// DNSimple answered with something this service could not have
	// written (a wildcard, another count): its answer makes no sense.
	return Record{}, upstream.Nonsense("apply a change",
		fmt.Sprintf("the answer to a one-record change held %d records, or one the service could not have written", len(rs)))
}
