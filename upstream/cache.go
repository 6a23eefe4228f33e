package upstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/state"
)

// Cached is a Provider that keeps what it reads for a while: the record
// sets looked up by name and type, the zones' listings, and which zone
// holds each record id seen. Its own writes keep the sets true (so a
// repeated identical upsert costs no call), and a failed write forgets
// what it may have changed. Entries are never served older than their
// time to live, however many instances share the cache.
type Cached struct {
	next  Provider
	cache state.Cache
	ttl   time.Duration
	// Looked is told of every lookup, hit or miss, by kind (set, zone).
	looked func(kind string, hit bool)
}

var _ Provider = (*Cached)(nil)

// NewCached puts a cache with entries of ttl in front of next; looked,
// if set, is told of every lookup.
func NewCached(next Provider, cache state.Cache, ttl time.Duration, looked func(kind string, hit bool)) *Cached {
	if looked == nil {
		looked = func(string, bool) {}
	}
	return &Cached{next: next, cache: cache, ttl: ttl, looked: looked}
}

func setKey(zone, name, typ string) string { return "set|" + zone + "|" + typ + "|" + name }

func zoneKey(zone string) string { return "zone|" + zone }

func idKey(id int64) string { return "id|" + strconv.FormatInt(id, 10) }

// Records implements Provider.
func (c *Cached) Records(ctx context.Context, zone string) ([]Record, error) {
	return c.read(ctx, "zone", zoneKey(zone), func() ([]Record, error) { return c.next.Records(ctx, zone) })
}

// FindRecords implements Provider.
func (c *Cached) FindRecords(ctx context.Context, zone, name, recordType string) ([]Record, error) {
	return c.read(ctx, "set", setKey(zone, name, recordType), func() ([]Record, error) {
		return c.next.FindRecords(ctx, zone, name, recordType)
	})
}

// Read tells how a read through the cache went, for a caller that acts on
// what it reads: Fresh asks DNSimple whatever the cache holds, and Cached
// says whether the cache answered. Pass it with WithRead.
type Read struct {
	Fresh, Cached bool
}

type readKey struct{}

// WithRead returns ctx carrying r: the reads made with it honour r.Fresh
// and set r.Cached.
func WithRead(ctx context.Context, r *Read) context.Context {
	return context.WithValue(ctx, readKey{}, r)
}

// unsettled is the entry of a set whose last write failed: DNSimple may
// yet apply it, so until the entry expires the set is read from DNSimple
// every time and never kept.
var unsettled = []byte("unsettled")

// read serves key from the cache, or fetches it and keeps it (with the
// zone of every id it holds), unless a write changed the key meanwhile:
// what was read before a write must not replace what the write left. A
// cache that fails is only a cache: the provider answers.
func (c *Cached) read(ctx context.Context, kind, key string, fetch func() ([]Record, error)) ([]Record, error) {
	r, _ := ctx.Value(readKey{}).(*Read)
	if r == nil {
		r = &Read{}
	}
	r.Cached = false
	entry, cerr := c.cache.Get(ctx, key)
	settled := !entry.Found || !bytes.Equal(entry.Value, unsettled)
	if cerr == nil && entry.Found && settled && !r.Fresh {
		var rs []Record
		if json.Unmarshal(entry.Value, &rs) == nil {
			c.looked(kind, true)
			r.Cached = true
			return rs, nil
		}
	}
	c.looked(kind, false)
	rs, err := fetch()
	if err != nil {
		return nil, err
	}
	if cerr == nil && settled {
		c.fill(ctx, key, entry.Version, rs)
	}
	return rs, nil
}

// entries are a record list under key, and the zone of each of its ids.
func entries(key string, rs []Record) (map[string][]byte, error) {
	raw, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	values := make(map[string][]byte, len(rs)+1)
	values[key] = raw
	for _, r := range rs {
		values[idKey(r.ID)] = []byte(r.Zone)
	}
	return values, nil
}

// fill keeps what a read found, unless key changed since version.
func (c *Cached) fill(ctx context.Context, key string, version int64, rs []Record) {
	if values, err := entries(key, rs); err == nil {
		_ = c.cache.Fill(ctx, key, version, values, c.ttl)
	}
}

// Record implements Provider. Ids are unique in the account: when the
// cache knows an id lives in another zone, this zone does not have it,
// and DNSimple is not asked.
func (c *Cached) Record(ctx context.Context, zone string, id int64) (Record, error) {
	if holder, err := c.cache.Get(ctx, idKey(id)); err == nil && holder.Found && string(holder.Value) != zone {
		return Record{}, fault.New(fault.NotFound, msgGone)
	}
	return c.next.Record(ctx, zone, id)
}

// Apply implements Provider. After a change the set's entry is what the
// change made of it; after a failure, nobody knows, so the set is
// unsettled: looked up from DNSimple until its entry expires. The zone's
// listing is dropped either way.
func (c *Cached) Apply(ctx context.Context, zone string, change Change) (Applied, error) {
	applied, err := c.next.Apply(ctx, zone, change)
	// The write may have outlived its caller: the cache is told anyway.
	ctx = context.WithoutCancel(ctx)
	key := setKey(zone, change.Name, change.Type)
	// The zone's listing and the name's lookup of every type hold the set
	// too: they are dropped, to be read again (nil deletes), in the same
	// round trip as the set's new entry.
	values := map[string][]byte{zoneKey(zone): nil, setKey(zone, change.Name, ""): nil, key: nil}
	switch kind := fault.KindOf(err); {
	case err == nil:
		c.after(ctx, key, change, applied, values)
	case kind == fault.Upstream || kind == fault.Timeout || kind == fault.Canceled || kind == fault.Internal:
		// DNSimple may have applied it, or may yet (a request it got
		// late): the set stays unsettled, read anew every time, for as
		// long as an entry would live.
		values[key] = unsettled
	}
	// Refused: nothing changed, but the entry may be why: it is dropped.
	_ = c.cache.Set(ctx, values, c.ttl)
	return applied, err
}

// after puts in values the set's entry as a change made it, from the one
// before (dropped when there was none, or it is unknown).
func (c *Cached) after(ctx context.Context, key string, change Change, applied Applied, values map[string][]byte) {
	entry, err := c.cache.Get(ctx, key)
	var before []Record
	switch {
	case err == nil && entry.Found && bytes.Equal(entry.Value, unsettled):
		delete(values, key) // it stays so
		return
	case err != nil || !entry.Found || json.Unmarshal(entry.Value, &before) != nil || change.Name == "" && change.Type == "":
		return
	}
	after := slices.DeleteFunc(before, func(r Record) bool {
		return slices.Contains(change.Deletes, r.ID) || slices.ContainsFunc(applied.Updated, func(u Record) bool { return u.ID == r.ID })
	})
	after = append(append(after, applied.Updated...), applied.Created...)
	slices.SortFunc(after, func(a, b Record) int { return cmp.Compare(a.ID, b.ID) })
	if kept, err := entries(key, after); err == nil {
		maps.Copy(values, kept)
	}
}

// Distributed implements Provider: never cached, it is asked to learn what
// has changed.
func (c *Cached) Distributed(ctx context.Context, zone string, id int64) (bool, error) {
	return c.next.Distributed(ctx, zone, id)
}
