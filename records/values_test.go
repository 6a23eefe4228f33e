package records_test

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/fault"
	"github.com/dns-api/dns-api/records"
	"github.com/dns-api/dns-api/upstream"
	"github.com/dns-api/dns-api/upstream/emulator"
)

// newService is the records service over the real DNSimple client and the
// emulator, with zones example.com and sub.example.com.
func newService(t *testing.T) (*records.Service, *emulator.Emulator) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{Token: "tok", Zones: []string{"example.com", "sub.example.com"}})
	require.NoError(t, err)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	provider, err := upstream.NewDNSimple(context.Background(), upstream.DNSimpleConfig{BaseURL: srv.URL, Token: "tok", Timeout: 5e9})
	require.NoError(t, err)
	blacklist, err := records.ParsePatterns([]string{"www"})
	require.NoError(t, err)
	svc, err := records.NewService(provider, records.Options{Zones: []string{"example.com", "sub.example.com"}, Blacklist: blacklist, TTL: 60})
	require.NoError(t, err)
	return svc, emu
}

// values lists the TXT values at a name in the emulator, oldest first.
func values(emu *emulator.Emulator, zone, name string) []string {
	var out []string
	for _, r := range emu.Records(zone) {
		if r.Name == name && r.Type == "TXT" {
			out = append(out, unquote(r.Content))
		}
	}
	return out
}

// unquote reads the TXT content DNSimple (and the emulator) stores
// quoted.
func unquote(content string) string {
	if v, err := strconv.Unquote(content); err == nil {
		return v
	}
	return content
}

var anyone = records.Caller{User: "t", Access: records.FullAccess()}

func TestAddAndRemoveValues(t *testing.T) {
	t.Parallel()
	svc, emu := newService(t)
	ctx := context.Background()
	name := "_acme-challenge.api"

	o, err := svc.AddValue(ctx, anyone, "example.com", name, "one", 0)
	action := o.Action
	require.NoError(t, err)
	assert.Equal(t, records.Created, action)
	o, err = svc.AddValue(ctx, anyone, "example.com", name, "two", 0)
	rec, action := o.Record(), o.Action
	require.NoError(t, err)
	assert.Equal(t, records.Created, action)
	assert.Equal(t, "two", rec.Target)
	assert.Equal(t, []string{"one", "two"}, values(emu, "example.com", name), "both kept: a name and its wildcard")

	o, err = svc.AddValue(ctx, anyone, "example.com", name, "one", 0)
	action = o.Action
	require.NoError(t, err)
	assert.Equal(t, records.Unchanged, action, "adding a value that is there is a no-op")

	o, err = svc.RemoveValue(ctx, anyone, "example.com", name, "one")
	removed, action := o.Records, o.Action
	require.NoError(t, err)
	assert.Equal(t, records.Deleted, action)
	require.Len(t, removed, 1)
	assert.Equal(t, []string{"two"}, values(emu, "example.com", name), "only its own value goes")
	o, err = svc.RemoveValue(ctx, anyone, "example.com", name, "unknown")
	action = o.Action
	require.NoError(t, err)
	assert.Equal(t, records.Unchanged, action, "an unknown value is a no-op")

	// Duplicates of a value collapse into one.
	_, err = emu.Seed("example.com", emulator.Record{Name: name, Type: "TXT", Content: "two", TTL: 60})
	require.NoError(t, err)
	o, err = svc.AddValue(ctx, anyone, "example.com", name, "two", 0)
	action = o.Action
	require.NoError(t, err)
	assert.Equal(t, records.Updated, action)
	assert.Equal(t, []string{"two"}, values(emu, "example.com", name))
}

func TestKeepNewestValues(t *testing.T) {
	t.Parallel()
	svc, emu := newService(t)
	ctx := context.Background()
	for _, v := range []string{"a", "b", "c", "d"} {
		_, err := svc.AddValue(ctx, anyone, "example.com", "_acme-challenge.x", v, 2)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"c", "d"}, values(emu, "example.com", "_acme-challenge.x"), "the two newest, as acme-dns keeps them")
	_, err := svc.AddValue(ctx, anyone, "example.com", "_acme-challenge.x", "c", 2)
	require.NoError(t, err)
	got := values(emu, "example.com", "_acme-challenge.x")
	slices.Sort(got)
	assert.Equal(t, []string{"c", "d"}, got, "re-adding a kept value changes nothing")
}

func TestValueOperationsAreChecked(t *testing.T) {
	t.Parallel()
	svc, emu := newService(t)
	ctx := context.Background()
	_, err := svc.AddValue(ctx, anyone, "example.com", "_acme-challenge", "v", 0)
	assert.True(t, fault.Is(err, fault.Forbidden), "*.example.com would cover www: %v", err)
	_, err = svc.AddValue(ctx, anyone, "example.com", "_acme-challenge.www", "v", 0)
	assert.True(t, fault.Is(err, fault.Forbidden), "www is blacklisted: %v", err)
	readOnly := records.Caller{Access: records.Access{Read: true}}
	_, err = svc.RemoveValue(ctx, readOnly, "example.com", "_acme-challenge.api", "v")
	assert.True(t, fault.Is(err, fault.Forbidden), "%v", err)
	_, err = svc.AddValue(ctx, anyone, "example.com", "_acme-challenge.api", "bad\nvalue", 0)
	assert.True(t, fault.Is(err, fault.Invalid), "%v", err)
	assert.Len(t, emu.Records("example.com"), 5, "nothing written")
}

func TestResolve(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t)
	tests := []struct {
		fqdn, zone, name string
	}{
		{"_acme-challenge.api.example.com.", "example.com", "_acme-challenge.api"},
		{"_ACME-Challenge.API.Example.COM", "example.com", "_acme-challenge.api"},
		{"_acme-challenge.sub.example.com.", "sub.example.com", "_acme-challenge"},
		{"_acme-challenge.x.sub.example.com", "sub.example.com", "_acme-challenge.x"},
		{"home.example.com", "example.com", "home"},
	}
	for _, tt := range tests {
		zone, name, err := svc.Resolve(tt.fqdn)
		require.NoError(t, err, tt.fqdn)
		assert.Equal(t, tt.zone, zone, tt.fqdn)
		assert.Equal(t, tt.name, name, tt.fqdn)
	}
	for _, bad := range []string{"example.com", "example.com.", "sub.example.com", "example.net", "api.example.net", "notexample.com", "", "."} {
		_, _, err := svc.Resolve(bad)
		assert.True(t, fault.Is(err, fault.Invalid), "%q: %v", bad, err)
	}
}

// BenchmarkVerifyAndCheck measures what every write asks before it calls
// DNSimple: a scoped token verified (the first time, then remembered) and
// the permission check of the record set.
func BenchmarkVerifyAndCheck(b *testing.B) {
	const key = "bench-secret-0123456789abcdef0123456789"
	zones := []string{"example.com", "sub.example.com"}
	verifier, err := auth.NewVerifier(auth.Options{Key: []byte(key), Users: []string{"alice"}, Zones: zones})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := auth.Sign([]byte(key), auth.Claims{Username: "alice", Scope: "dns:write", Domains: []string{"example.com"},
		Subdomains: []string{"api", "*.preview"}, Types: []string{"A", "TXT"}, CIDRs: []string{"127.0.0.0/8"}})
	if err != nil {
		b.Fatal(err)
	}
	blacklist, _ := records.ParsePatterns([]string{"www", "*.internal"})
	svc, err := records.NewService(nopProvider{}, records.Options{Zones: zones, Blacklist: blacklist, TTL: 60})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	addr := netip.MustParseAddr("127.0.0.1")
	for b.Loop() {
		id, err := verifier.Verify(tok)
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.CheckWrite(ctx, id.Caller(addr), "TXT", "example.com", "_acme-challenge.pr-1.preview"); err != nil {
			b.Fatal(err)
		}
	}
}

// nopProvider is a provider no benchmark of the check ever calls.
type nopProvider struct{ upstream.Provider }
