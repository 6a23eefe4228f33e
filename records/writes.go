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

// planner decides the change to a record set from the records it holds
// now (oldest first), and the action that change is.
type planner func(existing []Record) (upstream.Change, Action, error)

// result is what a change to a record set did.
type result struct {
	existing []Record // the set as it was
	action   Action
	applied  upstream.Applied
}

// changeSet is how every write to a record set runs: the permission
// check, then, under the name's lock, a fresh look at the set, the plan,
// and the change as one unit. Nothing is written when the plan is empty.
func (s *Service) changeSet(ctx context.Context, c Caller, set recordSet, plan planner) (result, error) {
	if err := s.check(c, write, set); err != nil {
		return result{}, err
	}
	unlock, err := s.locks.lock(ctx, set.lockKey())
	if err != nil {
		return result{}, err
	}
	defer unlock()
	existing, err := s.find(ctx, set)
	if err != nil {
		return result{}, err
	}
	change, action, err := plan(existing)
	if err != nil {
		return result{}, err
	}
	r := result{existing: existing, action: action}
	if change.Size() > 0 {
		r.applied, err = s.provider.Apply(ctx, set.zone, change)
	}
	return r, err
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
	r, err := s.changeSet(ctx, c, set, func(existing []Record) (upstream.Change, Action, error) {
		if len(existing) > 0 {
			id := existing[0].ID
			return upstream.Change{}, "", conflictf("%s already has a record (id %d); change it with PATCH /records/%d or replace it with POST /records/%s/%s/%s/TARGET",
				set, id, id, set.typ, set.zone, set.name)
		}
		return set.create(target, ttl), Created, nil
	})
	if err != nil {
		return Record{}, err
	}
	return one(r.applied.Created)
}

// Upsert makes the record set converge on one target: afterwards exactly
// one record of that type and name exists, pointing at target. Duplicates
// found are removed in the same change. When the set already is exactly
// that, nothing is written and the action is Unchanged. Concurrent upserts
// of one name run one after the other.
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
	var keep Record
	r, err := s.changeSet(ctx, c, set, func(existing []Record) (upstream.Change, Action, error) {
		if len(existing) == 0 {
			return set.create(target, s.ttl), Created, nil
		}
		// Keep a record that already points at the target if there is one
		// (the oldest such), else the oldest record; every other one goes.
		keep = existing[0]
		if i := slices.IndexFunc(existing, func(r Record) bool { return r.Target == target }); i >= 0 {
			keep = existing[i]
		}
		change := deleteAllBut(existing, keep.ID)
		if keep.Target != target {
			change.Updates = []upstream.Update{{ID: keep.ID, Content: target}}
		}
		if change.Size() == 0 {
			return change, Unchanged, nil
		}
		return change, Updated, nil
	})
	switch {
	case err != nil:
		return Record{}, "", err
	case r.action == Created:
		rec, err = one(r.applied.Created)
	case len(r.applied.Updated) > 0:
		rec, err = one(r.applied.Updated)
	default:
		rec = keep
	}
	return rec, r.action, err
}

// DeleteSet removes every record of a type at a name and returns them as
// they were; a NotFound error if there were none.
func (s *Service) DeleteSet(ctx context.Context, c Caller, rawType, rawZone, rawName string) (deleted []Record, err error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return nil, err
	}
	defer func() { s.auditResult(ctx, c, "delete-set", set.String(), Deleted, err) }()
	r, err := s.changeSet(ctx, c, set, func(existing []Record) (upstream.Change, Action, error) {
		if len(existing) == 0 {
			return upstream.Change{}, "", notFoundf("%s has no record", set)
		}
		return deleteAllBut(existing, 0), Deleted, nil
	})
	return r.existing, err
}

// AddValue adds one TXT value at a name, leaving the other values there
// (a certificate for a name and its wildcard needs two at once): afterwards
// the name holds value exactly once. With keep above zero, only the newest
// keep values stay, the one added counting as the newest (acme-dns keeps
// two). The action is Created, or Unchanged when nothing had to change.
func (s *Service) AddValue(ctx context.Context, c Caller, rawZone, rawName, rawValue string, keep int) (rec Record, action Action, err error) {
	set, err := s.parseSet(string(TXT), rawZone, rawName)
	if err != nil {
		return Record{}, "", err
	}
	value, err := ParseTarget(TXT, rawValue)
	if err != nil {
		return Record{}, "", err
	}
	defer func() { s.auditResult(ctx, c, "add-value", set.String(), action, err) }()
	var found *Record
	r, err := s.changeSet(ctx, c, set, func(existing []Record) (upstream.Change, Action, error) {
		var change upstream.Change
		var others []Record
		for _, r := range existing {
			switch {
			case r.Target != value:
				others = append(others, r)
			case found == nil:
				found = &r
			default: // a duplicate of the value
				change.Deletes = append(change.Deletes, r.ID)
			}
		}
		if keep > 0 && len(others) > keep-1 {
			// existing is oldest first: the oldest others go.
			for _, r := range others[:len(others)-(keep-1)] {
				change.Deletes = append(change.Deletes, r.ID)
			}
		}
		action := Unchanged
		if found == nil {
			change.Creates = set.create(value, s.ttl).Creates
			action = Created
		} else if change.Size() > 0 {
			action = Updated
		}
		return change, action, nil
	})
	switch {
	case err != nil:
		return Record{}, "", err
	case found == nil:
		rec, err = one(r.applied.Created)
	default:
		rec = *found
	}
	return rec, r.action, err
}

// RemoveValue removes one TXT value from a name (every record holding it),
// leaving the others. A value that is not there is no error: the action
// is then Unchanged.
func (s *Service) RemoveValue(ctx context.Context, c Caller, rawZone, rawName, rawValue string) (removed []Record, action Action, err error) {
	set, err := s.parseSet(string(TXT), rawZone, rawName)
	if err != nil {
		return nil, "", err
	}
	value, err := ParseTarget(TXT, rawValue)
	if err != nil {
		return nil, "", err
	}
	defer func() { s.auditResult(ctx, c, "remove-value", set.String(), action, err) }()
	r, err := s.changeSet(ctx, c, set, func(existing []Record) (upstream.Change, Action, error) {
		var change upstream.Change
		for _, r := range existing {
			if r.Target == value {
				removed = append(removed, r)
				change.Deletes = append(change.Deletes, r.ID)
			}
		}
		if len(removed) == 0 {
			return change, Unchanged, nil
		}
		return change, Deleted, nil
	})
	if err != nil {
		return nil, "", err
	}
	return removed, r.action, nil
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
	updated, err := one(applied.Updated)
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

// lockKey names what concurrent writes are serialised on: every type at
// one name, since a CNAME excludes all other types there.
func (set recordSet) lockKey() string { return set.zone + " " + set.name }

// create is the change that adds one record to the set.
func (set recordSet) create(target string, ttl int) upstream.Change {
	return upstream.Change{Creates: []upstream.NewRecord{{Name: set.name, Type: string(set.typ), Content: target, TTL: ttl}}}
}

// deleteAllBut is the change that deletes every record but the one with
// id keep (0 keeps none).
func deleteAllBut(existing []Record, keep int64) upstream.Change {
	var change upstream.Change
	for _, r := range existing {
		if r.ID != keep {
			change.Deletes = append(change.Deletes, r.ID)
		}
	}
	return change
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
		rec, ok := managed(r)
		if !ok || setOf(rec) != set {
			// The filters ask for exactly this set: anything else means the
			// answer cannot be trusted to be complete either.
			return nil, upstream.Nonsense("look up "+set.String(), fmt.Sprintf("the lookup answered a %s record named %q", r.Type, r.Name))
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// one unpacks the one record a change produced (the provider answers
// with exactly as many records as the change asked for).
func one(rs []upstream.Record) (Record, error) {
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
