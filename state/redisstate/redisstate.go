// Package redisstate shares the service's state between instances through
// Redis (Heroku's Key-Value Store): the read cache, the per-name locks and
// DNSimple's rate budget, so that several instances behave as one. Redis
// failing is not the service failing: while it does not answer, each
// instance goes on with state of its own (and says so, once), and takes
// the shared state back by itself when Redis returns.
//
// Locks are leases: a key set only if absent, holding a random owner
// token, with a time to live longer than the longest write it guards,
// renewed while it is held, and released only by its owner (a
// compare-and-delete script). That is not Redlock-proof (no fencing): a
// lease lost while Redis is unreachable, or a pause longer than the
// lease, can let two writes of a name run at once. The service's upserts
// converge (the next one of the name leaves one record), which repairs
// what slips through.
package redisstate

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dns-api/dns-api/state"
)

// Options configure a Store.
type Options struct {
	// URL is REDIS_URL: redis://, or rediss:// for TLS.
	URL string
	// TLSSkipVerify accepts any server certificate (Heroku's Key-Value
	// Store has self-signed ones).
	TLSSkipVerify bool
	// Lease is how long a lock holds without renewal: longer than the
	// longest write it guards.
	Lease time.Duration
	// Prefix starts every key (default "dns-api:").
	Prefix string
	// Logger says when Redis stops and starts answering.
	Logger *slog.Logger
	// Up, if set, is told whether Redis answers, at start and at each
	// change.
	Up func(bool)
}

// Deadlines of every call to Redis: a Redis that does not answer within
// them is treated as down.
const (
	dialTimeout = 500 * time.Millisecond
	ioTimeout   = 300 * time.Millisecond
	// probeEvery is how often a down Redis is asked whether it is back.
	probeEvery = time.Second
)

// Store is state shared through Redis, with this instance's own to fall
// back on.
type Store struct {
	client *redis.Client
	prefix string
	lease  time.Duration
	logger *slog.Logger
	upHook func(bool)

	up    atomic.Bool
	local atomic.Pointer[state.Memory] // used while Redis is down; fresh at each outage
	queue *state.Memory                // this instance's writers waiting for a name
	// budget is this instance's copy of the shared budget.
	budget *state.Memory

	budgetKey, budgetChannel string

	stop chan struct{}
	done sync.WaitGroup
}

var _ state.Store = (*Store)(nil)

// New connects to Redis. A Redis that does not answer now is no error:
// the store starts on its own state and takes Redis up when it answers.
func New(ctx context.Context, opts Options) (*Store, error) {
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("not a usable Redis URL: %s", scrub(strings.TrimPrefix(err.Error(), "redis: "), opts.URL))
	}
	if ro.TLSConfig != nil && opts.TLSSkipVerify {
		// Asked for: Heroku's Key-Value Store certificates are self-signed.
		ro.TLSConfig.InsecureSkipVerify = true
	}
	if ro.TLSConfig != nil {
		ro.TLSConfig.MinVersion = tls.VersionTLS12
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = dialTimeout, ioTimeout, ioTimeout
	ro.PoolTimeout = dialTimeout
	ro.MaxRetries = 1
	ro.ContextTimeoutEnabled = true
	if opts.Prefix == "" {
		opts.Prefix = "dns-api:"
	}
	if opts.Lease <= 0 {
		return nil, errors.New("redisstate: a positive lease is required")
	}
	if opts.Logger == nil {
		return nil, errors.New("redisstate: a logger is required")
	}
	// go-redis would print its own unstructured lines, many per outage;
	// the store says what matters (down, back) once, in the service's
	// log, and go-redis's details go there too, at debug level.
	redis.SetLogger(debugLog{opts.Logger})
	s := &Store{
		client:        redis.NewClient(ro),
		prefix:        opts.Prefix,
		lease:         opts.Lease,
		logger:        opts.Logger,
		upHook:        opts.Up,
		budgetKey:     opts.Prefix + "budget",
		budgetChannel: opts.Prefix + "budget",
		stop:          make(chan struct{}),
	}
	s.local.Store(state.NewMemory(nil))
	s.queue = state.NewMemory(nil)
	s.budget = state.NewMemory(nil)
	s.up.Store(true)
	if err := s.client.Ping(ctx).Err(); isAuthError(err) {
		// Not an outage: it would never end.
		_ = s.client.Close()
		return nil, errors.New("the Redis server refused the user or password of the URL")
	} else if err != nil {
		s.down(err)
	} else {
		s.report(true)
		s.syncBudget(ctx)
	}
	sub := s.client.Subscribe(ctx, s.budgetChannel)
	if s.up.Load() {
		// The subscription is active before New returns, so that no
		// report from another instance is missed.
		wait, cancel := context.WithTimeout(ctx, dialTimeout)
		_, _ = sub.Receive(wait)
		cancel()
	}
	s.done.Add(2)
	go s.probe()
	go s.listen(sub)
	return s, nil
}

// isAuthError reports whether Redis refused the credentials.
func isAuthError(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOAUTH") || strings.Contains(msg, "invalid password")
}

// scrub removes the URL's user info from a message about it.
func scrub(msg, rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "REDACTED")
		}
		if name := u.User.Username(); name != "" {
			msg = strings.ReplaceAll(msg, name, "REDACTED")
		}
	}
	return msg
}

// debugLog passes go-redis's log lines to slog, at debug level.
type debugLog struct{ logger *slog.Logger }

func (d debugLog) Printf(ctx context.Context, format string, v ...any) {
	d.logger.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// Close stops the store's work and its connections.
func (s *Store) Close() error {
	close(s.stop)
	err := s.client.Close()
	s.done.Wait()
	return err
}

// Up reports whether Redis answers.
func (s *Store) Up() bool { return s.up.Load() }

func (s *Store) report(up bool) {
	if s.upHook != nil {
		s.upHook(up)
	}
}

// down switches to this instance's own state after a failed call, once
// per outage, with a fresh local state (what it held from an earlier
// outage may be stale).
func (s *Store) down(err error) {
	if s.up.CompareAndSwap(true, false) {
		s.local.Store(state.NewMemory(nil))
		s.logger.Warn("shared state unreachable: this instance goes on with its own", "error", err.Error())
		s.report(false)
	}
}

// probe asks a down Redis whether it is back, every probeEvery.
func (s *Store) probe() {
	defer s.done.Done()
	ticker := time.NewTicker(probeEvery)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
		}
		if s.up.Load() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		if s.client.Ping(ctx).Err() == nil {
			// What the cache holds was written without this instance's
			// changes made meanwhile: start it afresh.
			s.flushCache(ctx)
			s.syncBudget(ctx)
			s.up.Store(true)
			s.logger.Info("shared state back")
			s.report(true)
		}
		cancel()
	}
}

// failed reports whether a call with ctx failed, and switches to the
// local state if Redis is at fault. A caller that gave up (its context
// cancelled, or past its deadline) is not Redis failing: taking that for
// an outage would let this instance lock on its own while the others lock
// in Redis.
func (s *Store) failed(ctx context.Context, err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	if ctx.Err() == nil {
		s.down(err)
	}
	return true
}

func (s *Store) cacheKey(key string) string { return s.prefix + "c:" + key }

// Get implements state.Cache: the value and its version in one round
// trip.
func (s *Store) Get(ctx context.Context, key string) (state.Entry, error) {
	if s.up.Load() {
		got, err := s.client.MGet(ctx, s.cacheKey(key), s.versionKey(key)).Result()
		if !s.failed(ctx, err) {
			var e state.Entry
			if v, ok := got[0].(string); ok {
				e.Value, e.Found = []byte(v), true
			}
			if v, ok := got[1].(string); ok {
				e.Version, _ = strconv.ParseInt(v, 10, 64)
			}
			return e, nil
		}
		if ctx.Err() != nil {
			return state.Entry{}, ctx.Err()
		}
	}
	return s.local.Load().Get(ctx, key)
}

func (s *Store) versionKey(key string) string { return s.prefix + "v:" + key }

// Set implements state.Cache, in one round trip.
func (s *Store) Set(ctx context.Context, values map[string][]byte, ttl time.Duration) error {
	if s.up.Load() {
		_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k, v := range values {
				if v == nil {
					p.Del(ctx, s.cacheKey(k))
				} else {
					p.Set(ctx, s.cacheKey(k), v, ttl)
				}
				s.bump(ctx, p, k)
			}
			return nil
		})
		if !s.failed(ctx, err) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return s.local.Load().Set(ctx, values, ttl)
}

// bump queues a change of key's version.
func (s *Store) bump(ctx context.Context, p redis.Pipeliner, key string) {
	p.Incr(ctx, s.versionKey(key))
	p.PExpire(ctx, s.versionKey(key), state.VersionLife)
}

// fillScript stores the cache entries of KEYS[2:] (values in ARGV[2:],
// time to live in ms in ARGV[1]) if the version at KEYS[1] is still the
// one the reader saw, last in ARGV.
var fillScript = redis.NewScript(`
local seen = ARGV[#ARGV]
if (redis.call("get", KEYS[1]) or "0") ~= seen then return 0 end
for i = 2, #KEYS do redis.call("set", KEYS[i], ARGV[i], "px", ARGV[1]) end
return 1`)

// Fill implements state.Cache, in one round trip.
func (s *Store) Fill(ctx context.Context, key string, version int64, values map[string][]byte, ttl time.Duration) error {
	if s.up.Load() {
		keys := []string{s.versionKey(key)}
		args := []any{max(ttl.Milliseconds(), 1)}
		for k, v := range values {
			keys = append(keys, s.cacheKey(k))
			args = append(args, v)
		}
		err := fillScript.Run(ctx, s.client, keys, append(args, strconv.FormatInt(version, 10))...).Err()
		if !s.failed(ctx, err) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return s.local.Load().Fill(ctx, key, version, values, ttl)
}

// flushCache deletes every cache entry, a batch at a time.
func (s *Store) flushCache(ctx context.Context) {
	iter := s.client.Scan(ctx, 0, s.prefix+"c:*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 500 {
			s.client.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		s.client.Unlink(ctx, batch...)
	}
}

// Scripts of the leases: renew and release only a lease still held by its
// owner token.
var (
	renewScript   = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`)
	releaseScript = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)
)

// Lock implements state.Locker. The writers of this instance queue for a
// name here, in order, and only the first asks Redis for the name's
// lease, waiting (and asking again, at short intervals) while another
// instance holds it: many waiters of one instance never poll Redis.
func (s *Store) Lock(ctx context.Context, key string) (state.Lease, error) {
	queued, err := s.queue.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	shared, err := s.lockShared(ctx, key)
	if err != nil {
		queued.Unlock()
		return nil, err
	}
	return queuedLease{shared, queued}, nil
}

// Locked implements state.Locker: one round trip to Redis, unless this
// instance holds the lock.
func (s *Store) Locked(ctx context.Context, key string) bool {
	if s.queue.Locked(ctx, key) {
		return true
	}
	if s.up.Load() {
		n, err := s.client.Exists(ctx, s.prefix+"l:"+key).Result()
		if !s.failed(ctx, err) {
			return n > 0
		}
		if ctx.Err() != nil {
			return true
		}
	}
	return s.local.Load().Locked(ctx, key)
}

// queuedLease is the shared lease, and this instance's place in the queue.
type queuedLease struct {
	state.Lease
	queued state.Lease
}

func (l queuedLease) Unlock() bool {
	held := l.Lease.Unlock()
	l.queued.Unlock()
	return held
}

// lockShared takes the name's lease in Redis (or, while Redis does not
// answer, in this instance's own state).
func (s *Store) lockShared(ctx context.Context, key string) (state.Lease, error) {
	var b [16]byte
	_, _ = crand.Read(b[:])
	token := hex.EncodeToString(b[:])
	full := s.prefix + "l:" + key
	wait := 5 * time.Millisecond
	for s.up.Load() {
		ok, err := s.client.SetNX(ctx, full, token, s.lease).Result()
		if s.failed(ctx, err) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			break
		}
		if err == nil && ok {
			return s.newLease(full, token), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait/2 + time.Duration(rand.Int64N(int64(wait)))):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
	return s.local.Load().Lock(ctx, key)
}

// lease is a lock held in Redis, renewed every third of its life until it
// is released, and lost if it cannot be renewed before it would expire.
type lease struct {
	s            *Store
	key, token   string
	lost, closed chan struct{}
	once, loss   sync.Once
	renewed      sync.WaitGroup
}

func (l *lease) markLost() { l.loss.Do(func() { close(l.lost) }) }

func (s *Store) newLease(key, token string) *lease {
	l := &lease{s: s, key: key, token: token, lost: make(chan struct{}), closed: make(chan struct{})}
	l.renewed.Add(1)
	go l.renew()
	return l
}

func (l *lease) renew() {
	defer l.renewed.Done()
	held := time.Now() // the lease holds until held + lease
	ticker := time.NewTicker(l.s.lease / 3)
	defer ticker.Stop()
	for {
		select {
		case <-l.closed:
			return
		case <-l.s.stop:
			return
		case <-ticker.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		renewed, err := renewScript.Run(ctx, l.s.client, []string{l.key}, l.token, l.s.lease.Milliseconds()).Int()
		cancel()
		switch {
		case err == nil && renewed == 1:
			held = time.Now()
		case err == nil, time.Since(held) >= l.s.lease:
			// Taken over, or expired while Redis did not answer.
			l.markLost()
			return
		}
	}
}

func (l *lease) Lost() <-chan struct{} { return l.lost }

// Held asks Redis whether the lease still holds its lock, renewing it if
// so: a key evicted, or a Redis restarted without its data, is noticed
// now rather than at the next renewal. A Redis that does not answer says
// nothing new: the renewals decide.
func (l *lease) Held(ctx context.Context) bool {
	select {
	case <-l.lost:
		return false
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	renewed, err := renewScript.Run(ctx, l.s.client, []string{l.key}, l.token, l.s.lease.Milliseconds()).Int()
	if err == nil && renewed == 0 {
		l.markLost()
		return false
	}
	return true
}

// Unlock releases the lease with a compare-and-delete, which also says
// whether it was still this lease's. A release that fails leaves the lease
// to expire; whether it still held is then what the renewals last said.
func (l *lease) Unlock() bool {
	held := false
	l.once.Do(func() {
		close(l.closed)
		l.renewed.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		released, err := releaseScript.Run(ctx, l.s.client, []string{l.key}, l.token).Int()
		select {
		case <-l.lost:
		default:
			held = err != nil || released == 1
		}
		if !held {
			l.markLost()
		}
	})
	return held
}

// Spent implements state.Budget from this instance's copy, which the
// other instances keep up to date: asking Redis on every call would add a
// round trip to each.
func (s *Store) Spent(ctx context.Context) (time.Time, bool) {
	return s.budget.Spent(ctx)
}

// Report implements state.Budget: a spent budget, and a new window after
// one, are told to every instance (the spent budget is kept in Redis
// until its reset, for instances that start or come back meanwhile).
func (s *Store) Report(ctx context.Context, remaining int, reset time.Time) {
	_, wasSpent := s.budget.Spent(ctx)
	s.budget.Report(ctx, remaining, reset)
	_, spent := s.budget.Spent(ctx)
	if !s.up.Load() || spent == wasSpent && !spent {
		return
	}
	ms := strconv.FormatInt(reset.UnixMilli(), 10)
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if spent {
			p.Set(ctx, s.budgetKey, ms, time.Until(reset))
			p.Publish(ctx, s.budgetChannel, ms)
		} else {
			p.Del(ctx, s.budgetKey)
			p.Publish(ctx, s.budgetChannel, "open:"+ms)
		}
		return nil
	})
	s.failed(ctx, err)
}

// syncBudget learns a spent budget another instance kept in Redis.
func (s *Store) syncBudget(ctx context.Context) {
	if ms, err := s.client.Get(ctx, s.budgetKey).Int64(); err == nil {
		s.budget.Report(ctx, 0, time.UnixMilli(ms))
	}
}

// listen learns, as it happens, that another instance found the budget
// spent.
func (s *Store) listen(sub *redis.PubSub) {
	defer s.done.Done()
	defer sub.Close()
	messages := sub.Channel()
	for {
		select {
		case <-s.stop:
			return
		case m, ok := <-messages:
			if !ok {
				return
			}
			remaining, payload := 0, m.Payload
			if rest, ok := strings.CutPrefix(payload, "open:"); ok {
				remaining, payload = 1, rest
			}
			if ms, err := strconv.ParseInt(payload, 10, 64); err == nil {
				s.budget.Report(context.Background(), remaining, time.UnixMilli(ms))
			}
		}
	}
}
