package records

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/state"
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

// WriteOptions change how a write is made.
type WriteOptions struct {
	// DryRun makes every lookup and check of the write and sends nothing:
	// the Outcome says what would have been sent.
	DryRun bool
}

// Op is one operation a write sends to DNSimple, as its plan shows it.
type Op struct {
	Op     string // create, update or delete
	Record Record // as it would be: a record to create has no id yet
}

// Outcome is what a write did, or, for a dry run, would do.
type Outcome struct {
	Action Action
	// Records are what the write is about: the record it leaves in place
	// (a create, an upsert, an update, an added value), or the records it
	// removed.
	Records []Record
	// Plan is the operations sent, or that a dry run would send.
	Plan   []Op
	DryRun bool
	// zone is where the write was; removed says that it removed records,
	// so that its spreading is the zone's.
	zone    string
	removed bool
}

// Record is the one record of the outcome, or the zero Record.
func (o Outcome) Record() Record {
	if len(o.Records) == 0 {
		return Record{}
	}
	return o.Records[0]
}

// planner decides the change to a record set from the records it holds
// now (oldest first), and the action that change is. retry says that an
// earlier attempt of this very change may or may not have landed: what
// it sees may be its own doing.
type planner func(existing []Record, retry bool) (upstream.Change, Action, error)

// result is what a change to a record set did (or would do).
type result struct {
	before []Record // the set as it was
	after  []Record // and as it is now (or would be)
	action Action
	plan   []Op
}

// changeSet is how every write to a record set runs: the permission
// check, then, under the name's lock, a look at the set, the plan, and
// the change as one unit; nothing is written when the plan is empty.
//
// A plan made on what the cache said is only trusted when it writes
// nothing (the point of the cache): one that writes is made again on what
// DNSimple says, so that a change made elsewhere, or a write DNSimple
// applied late, is not written over blindly.
//
// A write whose outcome is unknown (DNSimple failed or timed out) is never
// sent again: the set is read again, fresh, and if the write shows there
// it succeeded, else its failure stands. A write refused because the set
// was not as believed is planned anew on what is there, once.
func (s *Service) changeSet(ctx context.Context, set recordSet, opts WriteOptions, plan planner) (result, error) {
	read := &upstream.Read{}
	ctx = upstream.WithRead(ctx, read)
	// fetched: DNSimple was asked during this request, so the cache is as
	// fresh as that answer (or fresher: a write since updated it).
	fetched := false
	look := func(retry bool) ([]Record, upstream.Change, Action, error) {
		for {
			before, err := s.find(ctx, set)
			if err != nil {
				return nil, upstream.Change{}, "", err
			}
			fetched = fetched || !read.Cached
			read.Fresh = false
			change, action, err := plan(before, retry)
			if err != nil || change.Size() == 0 || fetched {
				return before, change, action, err
			}
			read.Fresh = true
		}
	}
	if opts.DryRun {
		// Everything but the change: no lock is needed to send nothing.
		before, change, action, err := look(false)
		if err != nil {
			return result{}, err
		}
		if err := s.cnameRule(ctx, set, change); err != nil {
			return result{}, err
		}
		ops := planOf(set, before, change)
		return result{before: before, after: afterChange(before, change, plannedAnswer(ops)), action: action, plan: ops}, nil
	}
	if s.readsCached && !s.locks.Locked(ctx, set.lockKey()) {
		// No write of the name is under way: a change that changes
		// nothing needs no lock. (A write that starts now runs beside this
		// request, and either order is right; one that ended before
		// updated the cache before it released the lock.) Without a cache
		// this look would cost a second lookup of every change.
		before, change, action, err := look(false)
		if err != nil || change.Size() == 0 {
			return result{before: before, after: before, action: action}, err
		}
	}
	lease, err := s.locks.Lock(ctx, set.lockKey())
	if err != nil {
		return result{}, err
	}
	kept := true   // false once an abandoned write holds the lease
	wrote := false // a write was sent under it
	defer func() {
		if kept {
			s.release(ctx, lease, set, wrote)
		}
	}()
	var unknown error // the failure of an attempt whose outcome is unknown
	var earlier Action
	for attempt := 1; ; attempt++ {
		before, change, action, err := look(unknown != nil)
		switch {
		case err != nil:
			return result{}, err
		case change.Size() == 0 && unknown != nil:
			// The earlier attempt had landed.
			return result{before: before, after: before, action: earlier}, nil
		case change.Size() == 0:
			return result{before: before, after: before, action: action}, nil
		case unknown != nil:
			// It has not landed, or not yet: sending it again could make
			// it twice. The caller is told it may or may not have been
			// made; the next write of the name converges.
			return result{}, unknown
		case !lease.Held(ctx):
			// The lock went (its key evicted, Redis restarted): another
			// instance may be writing the name now.
			return result{}, fault.New(fault.Conflict, "another change of %s is under way; try again", set)
		}
		change.Name, change.Type = set.name, string(set.typ)
		var applied upstream.Applied
		wrote = true
		applied, kept, err = s.apply(ctx, lease, set, change)
		if err == nil {
			return result{before: before, after: afterChange(before, change, applied), action: action, plan: planOf(set, before, change)}, nil
		}
		if !kept || attempt > 1 || ctx.Err() != nil {
			return result{}, err
		}
		read.Fresh = true // what is there now, whatever the cache says
		switch fault.KindOf(err) {
		case fault.Upstream, fault.Timeout:
			unknown, earlier = err, action // read again, and see
		case fault.NotFound, fault.Conflict:
			// Refused for a set that was not as believed: plan again on
			// what is there.
		default:
			return result{}, err
		}
	}
}

// apply sends a change and waits for its outcome, or for its caller to
// go. A write once sent is seen through to its outcome whatever the caller
// does (bounded by writeTimeout), and only then releases the lease, so
// that a later write of the name, here or on another instance, cannot race
// it into a duplicate. kept is false when the caller went first: the
// lease is then the write's to release.
func (s *Service) apply(ctx context.Context, lease state.Lease, set recordSet, change upstream.Change) (applied upstream.Applied, kept bool, err error) {
	type outcome struct {
		applied upstream.Applied
		err     error
	}
	done := make(chan outcome, 1)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.writeTimeout)
	go func() {
		defer cancel()
		a, err := s.provider.Apply(wctx, set.zone, change)
		done <- outcome{a, err}
	}()
	select {
	case o := <-done:
		return o.applied, true, o.err
	case <-ctx.Done():
		go func() {
			o := <-done
			s.audit.LogAttrs(wctx, slog.LevelWarn, "write outlived its request",
				slog.String("record", set.String()), slog.Bool("landed", o.err == nil))
			s.release(wctx, lease, set, true)
		}()
		return upstream.Applied{}, false, ctx.Err()
	}
}

// release lets the name go, and logs a lock lost while a write under it
// was in flight: another instance may have written the name meanwhile.
// The next write of the name converges whatever happened.
func (s *Service) release(ctx context.Context, lease state.Lease, set recordSet, wrote bool) {
	if !lease.Unlock() && wrote {
		s.audit.LogAttrs(context.WithoutCancel(ctx), slog.LevelWarn, "lock lost during a write", slog.String("record", set.String()))
	}
}

// planOf is a change as a plan shows it.
func planOf(set recordSet, before []Record, change upstream.Change) []Op {
	var ops []Op
	byID := func(id int64) Record {
		if i := slices.IndexFunc(before, func(r Record) bool { return r.ID == id }); i >= 0 {
			return before[i]
		}
		return Record{ID: id, Zone: set.zone, Name: set.name, Type: set.typ}
	}
	for _, c := range change.Creates {
		ops = append(ops, Op{Op: "create", Record: Record{Zone: set.zone, Name: set.name, Type: set.typ, Target: c.Content, TTL: c.TTL}})
	}
	for _, u := range change.Updates {
		r := byID(u.ID)
		r.Target = u.Content
		ops = append(ops, Op{Op: "update", Record: r})
	}
	for _, id := range change.Deletes {
		ops = append(ops, Op{Op: "delete", Record: byID(id)})
	}
	return ops
}

// cnameRule refuses, for a dry run, the record DNSimple would refuse to
// create: a CNAME beside other records of the name, or a record beside a
// CNAME. (A real write leaves the refusal to DNSimple: one call fewer.)
func (s *Service) cnameRule(ctx context.Context, set recordSet, change upstream.Change) error {
	if len(change.Creates) == 0 {
		return nil
	}
	others, err := s.provider.FindRecords(ctx, set.zone, set.name, "")
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.Name == set.name && o.Type != string(set.typ) && (set.typ == CNAME || o.Type == string(CNAME)) {
			return fault.New(fault.Conflict, "DNSimple would refuse the change: a CNAME cannot share its name with other records (%s.%s has a %s record)", set.name, set.zone, o.Type)
		}
	}
	return nil
}

// plannedAnswer is what DNSimple would answer a plan with, for a dry run
// to show the set as it would be.
func plannedAnswer(ops []Op) upstream.Applied {
	var applied upstream.Applied
	for _, op := range ops {
		r := upstream.Record{ID: op.Record.ID, Zone: op.Record.Zone, Name: op.Record.Name, Type: string(op.Record.Type),
			Content: op.Record.Target, TTL: op.Record.TTL, CreatedAt: op.Record.Created, UpdatedAt: op.Record.Updated}
		switch op.Op {
		case "create":
			applied.Created = append(applied.Created, r)
		case "update":
			applied.Updated = append(applied.Updated, r)
		}
	}
	return applied
}

// afterChange is what a set holds once change is applied.
func afterChange(before []Record, change upstream.Change, applied upstream.Applied) []Record {
	var after []Record
	for _, r := range before {
		if !slices.Contains(change.Deletes, r.ID) && !slices.ContainsFunc(applied.Updated, func(u upstream.Record) bool { return u.ID == r.ID }) {
			after = append(after, r)
		}
	}
	for _, r := range slices.Concat(applied.Updated, applied.Created) {
		if rec, ok := managed(r); ok {
			after = append(after, rec)
		}
	}
	slices.SortFunc(after, func(a, b Record) int { return cmp.Compare(a.ID, b.ID) })
	return after
}

// CheckWrite is the permission check of a write to a record set, alone:
// for a protocol that changes several sets for one request and must not
// change some and be refused the rest. A refusal is audited.
func (s *Service) CheckWrite(ctx context.Context, c Caller, rawType, rawZone, rawName string) error {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return err
	}
	if err := s.check(c, write, set); err != nil {
		s.auditRecord(ctx, c, "check", set.String(), "refused", err)
		return err
	}
	return nil
}

// Create adds a record; it is a conflict if that type and name already has
// one (use Upsert to replace).
func (s *Service) Create(ctx context.Context, c Caller, in NewRecord, opts WriteOptions) (o Outcome, err error) {
	set, err := s.parseSet(in.Type, in.Zone, in.Name)
	if err != nil {
		return Outcome{}, err
	}
	target, err := ParseTarget(set.typ, in.Target)
	if err != nil {
		return Outcome{}, err
	}
	ttl := s.ttl
	if in.TTL != nil {
		if err := CheckTTL(*in.TTL); err != nil {
			return Outcome{}, err
		}
		ttl = *in.TTL
	}
	defer func() { s.auditResult(ctx, c, "create", set.String(), Created, err, opts) }()
	if err := s.check(c, write, set); err != nil {
		return Outcome{}, err
	}
	r, err := s.changeSet(ctx, set, opts, func(existing []Record, retry bool) (upstream.Change, Action, error) {
		switch {
		case retry && len(existing) == 1 && existing[0].Target == target && existing[0].TTL == ttl:
			return upstream.Change{}, Created, nil // ours, from the attempt whose outcome was unknown
		case len(existing) > 0:
			id := existing[0].ID
			return upstream.Change{}, "", conflictf("%s already has a record (id %d); change it with PATCH /records/%d or replace it with POST /records/%s/%s/%s/TARGET",
				set, id, id, set.typ, set.zone, set.name)
		}
		return set.create(target, ttl), Created, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	return r.keeping(set, opts, target)
}

// Upsert makes the record set converge on one target: afterwards exactly
// one record of that type and name exists, pointing at target. Duplicates
// found are removed in the same change. When the set already is exactly
// that, nothing is written and the action is Unchanged. Concurrent upserts
// of one name run one after the other.
func (s *Service) Upsert(ctx context.Context, c Caller, rawType, rawZone, rawName, rawTarget string, opts WriteOptions) (o Outcome, err error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return Outcome{}, err
	}
	target, err := ParseTarget(set.typ, rawTarget)
	if err != nil {
		return Outcome{}, err
	}
	defer func() { s.auditResult(ctx, c, "upsert", set.String(), o.Action, err, opts) }()
	if err := s.check(c, write, set); err != nil {
		return Outcome{}, err
	}
	r, err := s.changeSet(ctx, set, opts, func(existing []Record, _ bool) (upstream.Change, Action, error) {
		if len(existing) == 0 {
			return set.create(target, s.ttl), Created, nil
		}
		// Keep a record that already points at the target if there is one
		// (the oldest such), else the oldest record; every other one goes.
		keep := existing[0]
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
	if err != nil {
		return Outcome{}, err
	}
	return r.keeping(set, opts, target)
}

// DeleteSet removes every record of a type at a name; the Outcome holds
// them as they were. A NotFound error if there were none.
func (s *Service) DeleteSet(ctx context.Context, c Caller, rawType, rawZone, rawName string, opts WriteOptions) (o Outcome, err error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return Outcome{}, err
	}
	defer func() { s.auditResult(ctx, c, "delete-set", set.String(), Deleted, err, opts) }()
	if err := s.check(c, write, set); err != nil {
		return Outcome{}, err
	}
	var first []Record // the set as the first attempt saw it
	r, err := s.changeSet(ctx, set, opts, func(existing []Record, retry bool) (upstream.Change, Action, error) {
		if !retry {
			first = existing
		}
		if len(existing) == 0 && !retry {
			return upstream.Change{}, "", notFoundf("%s has no record", set)
		}
		return deleteAllBut(existing, 0), Deleted, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Action: Deleted, Records: first, Plan: r.plan, DryRun: opts.DryRun, zone: set.zone, removed: true}, nil
}

// AddValue adds one TXT value at a name, leaving the other values there
// (a certificate for a name and its wildcard needs two at once): afterwards
// the name holds value exactly once. With keep above zero, only the newest
// keep values stay, the one added counting as the newest (acme-dns keeps
// two). The action is Created, or Unchanged when nothing had to change.
func (s *Service) AddValue(ctx context.Context, c Caller, rawZone, rawName, rawValue string, keep int) (o Outcome, err error) {
	set, value, err := s.parseValue(rawZone, rawName, rawValue)
	if err != nil {
		return Outcome{}, err
	}
	defer func() { s.auditResult(ctx, c, "add-value", set.String(), o.Action, err, WriteOptions{}) }()
	if err := s.check(c, write, set); err != nil {
		return Outcome{}, err
	}
	r, err := s.changeSet(ctx, set, WriteOptions{}, func(existing []Record, _ bool) (upstream.Change, Action, error) {
		var change upstream.Change
		var others []Record
		found := false
		for _, r := range existing {
			switch {
			case r.Target != value:
				others = append(others, r)
			case !found:
				found = true
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
		switch {
		case !found:
			change.Creates = set.create(value, s.ttl).Creates
			return change, Created, nil
		case change.Size() > 0:
			return change, Updated, nil
		}
		return change, Unchanged, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	return r.keeping(set, WriteOptions{}, value)
}

// parseValue reads the TXT record set and the value of AddValue and
// RemoveValue.
func (s *Service) parseValue(rawZone, rawName, rawValue string) (recordSet, string, error) {
	set, err := s.parseSet(string(TXT), rawZone, rawName)
	if err != nil {
		return recordSet{}, "", err
	}
	value, err := ParseTarget(TXT, rawValue)
	return set, value, err
}

// RemoveValue removes one TXT value from a name (every record holding it),
// leaving the others. A value that is not there is no error: the action
// is then Unchanged.
func (s *Service) RemoveValue(ctx context.Context, c Caller, rawZone, rawName, rawValue string) (o Outcome, err error) {
	set, value, err := s.parseValue(rawZone, rawName, rawValue)
	if err != nil {
		return Outcome{}, err
	}
	defer func() { s.auditResult(ctx, c, "remove-value", set.String(), o.Action, err, WriteOptions{}) }()
	if err := s.check(c, write, set); err != nil {
		return Outcome{}, err
	}
	r, err := s.changeSet(ctx, set, WriteOptions{}, func(existing []Record, _ bool) (upstream.Change, Action, error) {
		var change upstream.Change
		for _, r := range existing {
			if r.Target == value {
				change.Deletes = append(change.Deletes, r.ID)
			}
		}
		if change.Size() == 0 {
			return change, Unchanged, nil
		}
		return change, Deleted, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	o = Outcome{Action: r.action, Plan: r.plan, zone: set.zone, removed: true}
	for _, rec := range r.before {
		if rec.Target == value {
			o.Records = append(o.Records, rec)
		}
	}
	return o, nil
}

// Update points the record with that id at a new target. Its set is read
// again under the name's lock, so "unchanged" is decided on what DNSimple
// holds, not on what it held before a concurrent change.
func (s *Service) Update(ctx context.Context, c Caller, id int64, rawTarget string, opts WriteOptions) (o Outcome, err error) {
	what := fmt.Sprintf("id %d", id)
	defer func() { s.auditResult(ctx, c, "update", what, o.Action, err, opts) }()
	if err := c.allowsUse(write); err != nil {
		return Outcome{}, err
	}
	found, err := s.byID(ctx, c, id, write)
	if err != nil {
		return Outcome{}, err
	}
	what = fmt.Sprintf("%s (id %d)", setOf(found), id)
	target, err := ParseTarget(found.Type, rawTarget)
	if err != nil {
		return Outcome{}, err
	}
	set := setOf(found)
	r, err := s.changeSet(ctx, set, opts, func(existing []Record, _ bool) (upstream.Change, Action, error) {
		i := slices.IndexFunc(existing, func(r Record) bool { return r.ID == id })
		switch {
		case i < 0:
			return upstream.Change{}, "", notFoundf("record %d does not exist", id)
		case existing[i].Target == target:
			return upstream.Change{}, Unchanged, nil
		}
		return upstream.Change{Updates: []upstream.Update{{ID: id, Content: target}}}, Updated, nil
	})
	if err != nil {
		return Outcome{}, err
	}
	return r.keeping(set, opts, target)
}

// Delete removes the record with that id; the Outcome holds it as it was.
func (s *Service) Delete(ctx context.Context, c Caller, id int64, opts WriteOptions) (o Outcome, err error) {
	what := fmt.Sprintf("id %d", id)
	defer func() { s.auditResult(ctx, c, "delete", what, Deleted, err, opts) }()
	if err := c.allowsUse(write); err != nil {
		return Outcome{}, err
	}
	found, err := s.byID(ctx, c, id, write)
	if err != nil {
		return Outcome{}, err
	}
	what = fmt.Sprintf("%s (id %d)", setOf(found), id)
	r, err := s.changeSet(ctx, setOf(found), opts, func(existing []Record, retry bool) (upstream.Change, Action, error) {
		switch {
		case slices.ContainsFunc(existing, func(r Record) bool { return r.ID == id }):
			return upstream.Change{Deletes: []int64{id}}, Deleted, nil
		case retry:
			return upstream.Change{}, Deleted, nil // the attempt whose outcome was unknown did it
		}
		return upstream.Change{}, "", notFoundf("record %d does not exist", id)
	})
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Action: Deleted, Records: []Record{found}, Plan: r.plan, DryRun: opts.DryRun, zone: found.Zone, removed: true}, nil
}

// keeping is the outcome of a write that leaves one record holding target.
func (r result) keeping(set recordSet, opts WriteOptions, target string) (Outcome, error) {
	rec, err := only(r.after, target)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Action: r.action, Records: []Record{rec}, Plan: r.plan, DryRun: opts.DryRun, zone: set.zone}, nil
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

// only returns the record of a set that holds target (a change leaves
// exactly one).
func only(set []Record, target string) (Record, error) {
	i := slices.IndexFunc(set, func(r Record) bool { return r.Target == target })
	if i < 0 {
		// DNSimple answered the change with something this service
		// could not have written: its answer makes no sense.
		return Record{}, upstream.Nonsense("apply a change", "the answer did not hold the record written, or held one the service could not have written")
	}
	return set[i], nil
}
