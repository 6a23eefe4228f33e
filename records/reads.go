package records

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/upstream"
)

// Page is one page of a listing.
type Page struct {
	Records []Record
	Total   int // records the caller may see in all
}

// Filter narrows a listing to a zone, a type and a name (each exact, each
// optional); raw input, validated by List.
type Filter struct {
	Zone, Type, Name string
}

// List returns the records the caller may see, ordered by zone (in
// configuration order), name, type and id, narrowed by filter and cut to
// page number (from 1) of size records. A filter by name asks DNSimple for
// that name only (its name and type filters); a filter by zone asks that
// zone only.
func (s *Service) List(ctx context.Context, c Caller, filter Filter, number, size int) (Page, error) {
	if err := s.authorizeUse(ctx, c, read, "list"); err != nil {
		return Page{}, err
	}
	zones := s.zonesOf(c)
	var typ Type
	var err error
	if filter.Type != "" {
		if typ, err = ParseType(filter.Type); err != nil {
			return Page{}, err
		}
	}
	if filter.Zone != "" {
		zone, err := s.managedZone(filter.Zone)
		if err != nil {
			return Page{}, err
		}
		zones = slices.DeleteFunc(zones, func(z string) bool { return z != zone })
	}
	byZone := make([][]Record, len(zones))
	err = parallel(len(zones), func(i int) error {
		var all []upstream.Record
		var name string
		var err error
		if filter.Name == "" {
			all, err = s.provider.Records(ctx, zones[i])
		} else if name, err = ParseSubdomain(filter.Name, zones[i]); err == nil {
			all, err = s.provider.FindRecords(ctx, zones[i], name, string(typ))
		}
		for _, r := range all {
			rec, ok := managed(r)
			if ok && (typ == "" || rec.Type == typ) && (name == "" || rec.Name == name) && s.check(c, read, setOf(rec)) == nil {
				byZone[i] = append(byZone[i], rec)
			}
		}
		slices.SortFunc(byZone[i], func(a, b Record) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
		})
		return err
	})
	if err != nil {
		return Page{}, err
	}
	visible := slices.Concat(byZone...)
	page := Page{Total: len(visible), Records: []Record{}}
	if start := (number - 1) * size; number >= 1 && size >= 1 && start < len(visible) {
		page.Records = visible[start:min(start+size, len(visible))]
	}
	return page, nil
}

// Lookup returns the records of a type at a name (usually one); a
// NotFound error if there are none.
func (s *Service) Lookup(ctx context.Context, c Caller, rawType, rawZone, rawName string) ([]Record, error) {
	set, err := s.parseSet(rawType, rawZone, rawName)
	if err != nil {
		return nil, err
	}
	if err := s.check(c, read, set); err != nil {
		s.auditRecord(ctx, c, "lookup", set.String(), "refused", err)
		return nil, err
	}
	found, err := s.find(ctx, set)
	if err == nil && len(found) == 0 {
		err = notFoundf("%s has no record", set)
	}
	return found, err
}

// Get returns the record with that id, from whichever managed zone holds
// it. A record the caller may not see is reported missing, exactly as one
// that does not exist, so ids cannot be used to probe.
func (s *Service) Get(ctx context.Context, c Caller, id int64) (Record, error) {
	if err := s.authorizeUse(ctx, c, read, "get"); err != nil {
		return Record{}, err
	}
	rec, err := s.byID(ctx, c, id, read)
	if refusal := refusalOf(err); refusal != nil {
		s.auditRecord(ctx, c, "get", fmt.Sprintf("id %d", id), "refused", refusal)
	}
	return rec, err
}

// byID finds a record by id for an operation: the zones the caller may see
// are asked at once (DNSimple needs the zone to look an id up), and a
// record outside what the caller may do is reported missing.
func (s *Service) byID(ctx context.Context, c Caller, id int64, op operation) (Record, error) {
	zones := s.zonesOf(c)
	found := make([]upstream.Record, len(zones))
	errs := make([]error, len(zones))
	_ = parallel(len(zones), func(i int) error {
		found[i], errs[i] = s.provider.Record(ctx, zones[i], id)
		return nil
	})
	// Ids are unique in the account: one zone's answer is enough, and a
	// failure elsewhere only matters when no zone had the record.
	var failure error
	for i := range zones {
		switch {
		case errs[i] == nil:
			rec, ok := managed(found[i])
			if !ok {
				return Record{}, notFoundf("record %d does not exist", id)
			}
			if err := s.check(c, op, setOf(rec)); err != nil {
				if op == write && s.check(c, read, setOf(rec)) == nil {
					return Record{}, err // it can see the record: say why not
				}
				return Record{}, hiddenRefusal(err, id)
			}
			return rec, nil
		case !fault.Is(errs[i], fault.NotFound) && failure == nil:
			failure = errs[i]
		}
	}
	if failure != nil {
		return Record{}, failure
	}
	return Record{}, notFoundf("record %d does not exist", id)
}

// Permissions is what a token may do, as /whoami shows it: every list is
// explicit ("*" for any name, 0.0.0.0/0 and ::/0 for anywhere).
type Permissions struct {
	Scope      []string
	Domains    []string
	Subdomains []string
	Types      []string
	Networks   []string
	Blacklist  []string
}

// Effective returns the caller's effective permissions: the token's claims
// narrowed by what the service manages. Any token may see its own, from a
// network it may be used from: a write-only token (an ACME client's) must
// be able to inspect itself.
func (s *Service) Effective(ctx context.Context, c Caller) (Permissions, error) {
	if err := c.AllowsNetwork(); err != nil {
		s.auditRecord(ctx, c, "whoami", "", "refused", err)
		return Permissions{}, err
	}
	a := c.Access
	var p Permissions
	if a.Read {
		p.Scope = append(p.Scope, read.scope())
	}
	if a.Write {
		p.Scope = append(p.Scope, write.scope())
	}
	p.Domains = s.zonesOf(c)
	p.Subdomains = []string{"*"}
	if a.Names != nil {
		p.Subdomains = patternTexts(a.Names)
	}
	for _, t := range SupportedTypes() {
		if a.Types == nil || slices.Contains(a.Types, t) {
			p.Types = append(p.Types, string(t))
		}
	}
	p.Networks = []string{"0.0.0.0/0", "::/0"}
	if a.Networks != nil {
		p.Networks = nil
		for _, n := range a.Networks {
			p.Networks = append(p.Networks, n.String())
		}
	}
	p.Blacklist = patternTexts(s.blacklist)
	return p, nil
}

// Domains returns the zones the caller may see, in configuration order.
func (s *Service) Domains(ctx context.Context, c Caller) ([]string, error) {
	if err := s.authorizeUse(ctx, c, read, "domains"); err != nil {
		return nil, err
	}
	return s.zonesOf(c), nil
}

func patternTexts(ps Patterns) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// maxParallel bounds the calls one request makes to DNSimple at once.
const maxParallel = 4

// parallel runs fn for 0..n-1, at most maxParallel at a time, and returns
// the first error (of the lowest index, so that the answer does not
// depend on timing).
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	slots := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
