package emulator_test

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dnsimple/dnsimple-go/v9/dnsimple"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/upstream/emulator"
)

// newClient starts an emulator with example.com behind an httptest server
// and returns it with a DNSimple client pointed at it.
func newClient(t *testing.T, token string) (*emulator.Emulator, *dnsimple.Client) {
	t.Helper()
	now := time.Date(2025, 9, 5, 5, 25, 0, 0, time.UTC)
	emu, err := emulator.New(emulator.Options{
		Token: "client-token",
		Zones: []string{"example.com"},
		Now:   func() time.Time { return now },
	})
	require.NoError(t, err)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	client := dnsimple.NewClient(dnsimple.StaticTokenHTTPClient(t.Context(), token))
	client.BaseURL = srv.URL
	return emu, client
}

// apiError asserts that err is a *dnsimple.ErrorResponse with the status.
func apiError(t *testing.T, err error, status int) *dnsimple.ErrorResponse {
	t.Helper()
	var resp *dnsimple.ErrorResponse
	require.True(t, errors.As(err, &resp), "error %v (%T) is not an ErrorResponse", err, err)
	assert.Equal(t, status, resp.HTTPResponse.StatusCode)
	return resp
}

func TestDNSimpleClientRoundTrip(t *testing.T) {
	t.Parallel()
	emu, client := newClient(t, "client-token")
	ctx := t.Context()
	const account, zone = "1010", "example.com"

	who, err := client.Identity.Whoami(ctx)
	require.NoError(t, err)
	require.NotNil(t, who.Data.Account)
	assert.Nil(t, who.Data.User)
	assert.Equal(t, int64(1010), who.Data.Account.ID)
	assert.Equal(t, "teams-v1-monthly", who.Data.Account.PlanIdentifier)
	assert.Equal(t, 2400, who.RateLimit())
	assert.Equal(t, 2399, who.RateLimitRemaining())
	assert.Equal(t, time.Date(2025, 9, 5, 6, 25, 0, 0, time.UTC), who.RateLimitReset().UTC())

	zones, err := client.Zones.ListZones(ctx, account, nil)
	require.NoError(t, err)
	require.Len(t, zones.Data, 1)
	assert.Equal(t, "example.com", zones.Data[0].Name)
	assert.True(t, zones.Data[0].Active)
	gotZone, err := client.Zones.GetZone(ctx, account, zone)
	require.NoError(t, err)
	assert.Equal(t, int64(1010), gotZone.Data.AccountID)
	domains, err := client.Domains.ListDomains(ctx, account, &dnsimple.DomainListOptions{NameLike: dnsimple.String("example")})
	require.NoError(t, err)
	require.Len(t, domains.Data, 1)
	assert.Equal(t, "hosted", domains.Data[0].State)
	domain, err := client.Domains.GetDomain(ctx, account, zone)
	require.NoError(t, err)
	assert.Equal(t, "example.com", domain.Data.Name)

	// Create: ids above 2^32 survive the client's int64.
	created, err := client.Zones.CreateRecord(ctx, account, zone, dnsimple.ZoneRecordAttributes{
		Name: dnsimple.String("www"), Type: "A", Content: "192.0.2.1", TTL: 600,
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, created.HTTPResponse.StatusCode)
	rec := created.Data
	assert.Equal(t, int64(4294967302), rec.ID)
	assert.Greater(t, rec.ID, int64(math.MaxInt32))
	assert.Equal(t, "example.com", rec.ZoneID)
	assert.Equal(t, "www", rec.Name)
	assert.Equal(t, 600, rec.TTL)
	assert.Equal(t, []string{"global"}, rec.Regions)
	assert.Equal(t, "2025-09-05T05:25:00Z", rec.CreatedAt)

	apex, err := client.Zones.CreateRecord(ctx, account, zone, dnsimple.ZoneRecordAttributes{
		Name: dnsimple.String(""), Type: "MX", Content: "mx.example.net", Priority: 10,
	})
	require.NoError(t, err)
	assert.Equal(t, "", apex.Data.Name)
	assert.Equal(t, 10, apex.Data.Priority)

	got, err := client.Zones.GetRecord(ctx, account, zone, rec.ID)
	require.NoError(t, err)
	assert.Equal(t, *rec, *got.Data)

	updated, err := client.Zones.UpdateRecord(ctx, account, zone, rec.ID, dnsimple.ZoneRecordAttributes{Content: "192.0.2.2", TTL: 3600})
	require.NoError(t, err)
	assert.Equal(t, "192.0.2.2", updated.Data.Content)
	assert.Equal(t, 3600, updated.Data.TTL)
	assert.Equal(t, "www", updated.Data.Name)

	// Listing: the name filter with "" is the apex.
	apexList, err := client.Zones.ListRecords(ctx, account, zone, &dnsimple.ZoneRecordListOptions{Name: dnsimple.String("")})
	require.NoError(t, err)
	require.Len(t, apexList.Data, 6)
	assert.Equal(t, "SOA", apexList.Data[0].Type)
	assert.True(t, apexList.Data[0].SystemRecord)
	assert.Equal(t, "MX", apexList.Data[5].Type)

	typed, err := client.Zones.ListRecords(ctx, account, zone, &dnsimple.ZoneRecordListOptions{
		Type:        dnsimple.String("NS"),
		ListOptions: dnsimple.ListOptions{Page: dnsimple.Int(2), PerPage: dnsimple.Int(3), Sort: dnsimple.String("content:desc")},
	})
	require.NoError(t, err)
	require.Len(t, typed.Data, 1)
	assert.Equal(t, "ns1.dnsimple.com", typed.Data[0].Content)
	assert.Equal(t, dnsimple.Pagination{CurrentPage: 2, PerPage: 3, TotalPages: 2, TotalEntries: 4}, *typed.Pagination)

	like, err := client.Zones.ListRecords(ctx, account, zone, &dnsimple.ZoneRecordListOptions{NameLike: dnsimple.String("ww")})
	require.NoError(t, err)
	require.Len(t, like.Data, 1)
	assert.Equal(t, rec.ID, like.Data[0].ID)

	// Batch: delete www, update the MX, create two records.
	batch, err := client.Zones.BatchChangeZoneRecords(ctx, account, zone, dnsimple.BatchChangeZoneRecordsRequest{
		Creates: []dnsimple.ZoneRecordAttributes{
			{Name: dnsimple.String("www"), Type: "CNAME", Content: "app.example.net"},
			{Name: dnsimple.String("api"), Type: "AAAA", Content: "2001:db8::5"},
		},
		Updates: []dnsimple.ZoneRecordUpdateRequest{{ID: apex.Data.ID, Content: "mx2.example.net", Priority: 20}},
		Deletes: []dnsimple.ZoneRecordDeleteRequest{{ID: rec.ID}},
	})
	require.NoError(t, err)
	require.Len(t, batch.Data.Creates, 2)
	assert.Equal(t, "CNAME", batch.Data.Creates[0].Type)
	assert.Equal(t, int64(4294967304), batch.Data.Creates[0].ID)
	require.Len(t, batch.Data.Updates, 1)
	assert.Equal(t, "mx2.example.net", batch.Data.Updates[0].Content)
	assert.Equal(t, 20, batch.Data.Updates[0].Priority)
	assert.Equal(t, []dnsimple.ZoneRecordDeleteResult{{ID: rec.ID}}, batch.Data.Deletes)

	deleted, err := client.Zones.DeleteRecord(ctx, account, zone, batch.Data.Creates[1].ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, deleted.HTTPResponse.StatusCode)

	records := emu.Records(zone)
	require.Len(t, records, 7)
	assert.Equal(t, "www", records[6].Name)
	assert.Equal(t, "CNAME", records[6].Type)
}

func TestDNSimpleClientErrors(t *testing.T) {
	t.Parallel()
	emu, client := newClient(t, "client-token")
	ctx := t.Context()
	const account, zone = "1010", "example.com"
	www, err := client.Zones.CreateRecord(ctx, account, zone, dnsimple.ZoneRecordAttributes{
		Name: dnsimple.String("www"), Type: "A", Content: "192.0.2.1",
	})
	require.NoError(t, err)

	tests := []struct {
		name    string
		call    func() error
		status  int
		message string
		errors  map[string][]string
	}{
		{"create validation", func() error {
			_, err := client.Zones.CreateRecord(ctx, account, zone, dnsimple.ZoneRecordAttributes{
				Name: dnsimple.String("bad name"), Type: "A", Content: "192.0.2.300",
			})
			return err
		}, http.StatusBadRequest, "Validation failed", map[string][]string{
			"name": {"is invalid"}, "content": {"must be a valid IPv4 address"},
		}},
		{"create CNAME conflict", func() error {
			_, err := client.Zones.CreateRecord(ctx, account, zone, dnsimple.ZoneRecordAttributes{
				Name: dnsimple.String("www"), Type: "CNAME", Content: "x.example.net",
			})
			return err
		}, http.StatusBadRequest, "Validation failed", map[string][]string{
			"base": {"A CNAME record cannot coexist with other records with the same name"},
		}},
		{"batch create validation", func() error {
			_, err := client.Zones.BatchChangeZoneRecords(ctx, account, zone, dnsimple.BatchChangeZoneRecordsRequest{
				Creates: []dnsimple.ZoneRecordAttributes{{Name: dnsimple.String("x"), Type: "BOGUS", Content: "y"}},
			})
			return err
		}, http.StatusBadRequest, "Validation failed", map[string][]string{
			"creates[0]":             {"Validation failed"},
			"creates[0].record_type": {"unsupported"},
		}},
		{"batch unknown delete", func() error {
			_, err := client.Zones.BatchChangeZoneRecords(ctx, account, zone, dnsimple.BatchChangeZoneRecordsRequest{
				Deletes: []dnsimple.ZoneRecordDeleteRequest{{ID: www.Data.ID}, {ID: 67622509}},
			})
			return err
		}, http.StatusBadRequest, "Validation failed", map[string][]string{
			"deletes[1]": {"Record not found ID=67622509"},
		}},
		{"get missing record", func() error {
			_, err := client.Zones.GetRecord(ctx, account, zone, 42)
			return err
		}, http.StatusNotFound, "Record `42` not found", nil},
		{"update missing zone", func() error {
			_, err := client.Zones.UpdateRecord(ctx, account, "nope.com", www.Data.ID, dnsimple.ZoneRecordAttributes{Content: "192.0.2.9"})
			return err
		}, http.StatusNotFound, "Zone `nope.com` not found", nil},
		{"delete system record", func() error {
			_, err := client.Zones.DeleteRecord(ctx, account, zone, 4294967297)
			return err
		}, http.StatusBadRequest, "System records cannot be deleted", nil},
		{"wrong account", func() error {
			_, err := client.Zones.ListRecords(ctx, "1", zone, nil)
			return err
		}, http.StatusNotFound, "Account `1` not found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := apiError(t, tt.call(), tt.status)
			assert.Equal(t, tt.message, resp.Message)
			if tt.errors != nil {
				assert.Equal(t, tt.errors, resp.AttributeErrors)
			}
		})
	}
	assert.Len(t, emu.Records(zone), 6, "no refused call changed the zone")

	_, bad := newClient(t, "wrong-token")
	_, err = bad.Identity.Whoami(ctx)
	resp := apiError(t, err, http.StatusUnauthorized)
	assert.Equal(t, "Authentication failed", resp.Message)
}
