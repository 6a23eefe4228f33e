// Command tool is what bench/run needs besides wrk and curl: a DNSimple
// emulator to run the service against (answering after a set latency),
// a precise wait for the service's first answer, sequential timings of an
// upsert through the service and of the same DNSimple calls made directly
// with dnsimple-go, and a check of the records a load left behind.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dnsimple/dnsimple-go/v9/dnsimple"

	"github.com/dns-api/dns-api/upstream/emulator"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench tool: %v\n", err)
		os.Exit(1)
	}
}

const usage = `usage: tool <command> [flags]

  emulator  -addr ADDR -token T [-latency D]    serve the DNSimple emulator (zone example.com)
  wait      -url URL -since UNIXNANO            wait for the first 200, print the ms since then
  proxied   -url URL -token T -n N              time N changed upserts through the service, print the median in µs
  direct    -emulator URL -token T -n N         time N of the same DNSimple calls made directly, print the median in µs
  check     -emulator URL -token T -prefix P    count the A records of names starting with P: print names, duplicates
`

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	flags := flag.NewFlagSet(args[0], flag.ContinueOnError)
	addr := flags.String("addr", "127.0.0.1:0", "listen address")
	token := flags.String("token", "", "token (the account token for the emulator, a dns-api token for the service)")
	latency := flags.Duration("latency", 0, "answer after this long")
	url := flags.String("url", "", "the service")
	emu := flags.String("emulator", "", "the emulator")
	since := flags.Int64("since", 0, "unix nanoseconds")
	n := flags.Int("n", 100, "how many")
	prefix := flags.String("prefix", "", "name prefix")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "emulator":
		return serveEmulator(*addr, *token, *latency)
	case "wait":
		return wait(*url, *since, stdout)
	case "proxied":
		return timed(*n, stdout, func(i int) error { return upsertThrough(*url, *token, i) })
	case "direct":
		client := dnsimple.NewClient(&http.Client{Transport: bearer{*token}})
		client.BaseURL = *emu
		return timed(*n, stdout, func(i int) error { return upsertDirect(client, i) })
	case "check":
		return check(*emu, *token, *prefix, stdout)
	}
	return fmt.Errorf("unknown command %q; run with -h for the commands", args[0])
}

func serveEmulator(addr, token string, latency time.Duration) error {
	e, err := emulator.New(emulator.Options{Token: token, Zones: []string{"example.com"}, RateLimit: 1 << 40})
	if err != nil {
		return err
	}
	handler := http.Handler(e)
	if latency > 0 {
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency)
			e.ServeHTTP(w, r)
		})
	}
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

func wait(url string, since int64, stdout io.Writer) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(url + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Fprintf(stdout, "%.1f\n", float64(time.Now().UnixNano()-since)/1e6)
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("no 200 within 30s")
}

// timed runs fn n times in a row and prints the median in microseconds.
func timed(n int, stdout io.Writer, fn func(i int) error) error {
	took := make([]time.Duration, n)
	for i := range n {
		began := time.Now()
		if err := fn(i); err != nil {
			return err
		}
		took[i] = time.Since(began)
	}
	slices.Sort(took)
	fmt.Fprintf(stdout, "%d\n", took[n/2].Microseconds())
	return nil
}

// target is the address the i-th changed upsert sets.
func target(i int) string { return fmt.Sprintf("198.51.100.%d", 1+i%2) }

func upsertThrough(url, token string, i int) error {
	req, err := http.NewRequest(http.MethodPost, url+"/records/A/example.com/overhead/"+target(i), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("upsert: %s", resp.Status)
	}
	return nil
}

// upsertDirect makes the DNSimple calls of a changed upsert by hand: the
// lookup by name and type, then the update (or the create, the first
// time).
func upsertDirect(client *dnsimple.Client, i int) error {
	ctx := context.Background()
	name, typ := "direct", "A"
	found, err := client.Zones.ListRecords(ctx, "1010", "example.com", &dnsimple.ZoneRecordListOptions{Name: &name, Type: &typ})
	if err != nil {
		return err
	}
	if len(found.Data) == 0 {
		_, err = client.Zones.CreateRecord(ctx, "1010", "example.com", dnsimple.ZoneRecordAttributes{Name: &name, Type: typ, Content: target(i), TTL: 60})
		return err
	}
	_, err = client.Zones.UpdateRecord(ctx, "1010", "example.com", found.Data[0].ID, dnsimple.ZoneRecordAttributes{Content: target(i)})
	return err
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// check lists the zone and prints how many names start with prefix and
// how many of them hold more than one A record.
func check(emu, token, prefix string, stdout io.Writer) error {
	client := dnsimple.NewClient(&http.Client{Transport: bearer{token}})
	client.BaseURL = emu
	counts := map[string]int{}
	for page := 1; ; page++ {
		resp, err := client.Zones.ListRecords(context.Background(), "1010", "example.com",
			&dnsimple.ZoneRecordListOptions{ListOptions: dnsimple.ListOptions{Page: &page, PerPage: dnsimple.Int(100)}})
		if err != nil {
			return err
		}
		for _, r := range resp.Data {
			if r.Type == "A" && strings.HasPrefix(r.Name, prefix) {
				counts[r.Name]++
			}
		}
		if page >= resp.Pagination.TotalPages {
			break
		}
	}
	duplicated := 0
	for _, c := range counts {
		if c > 1 {
			duplicated++
		}
	}
	out, _ := json.Marshal(map[string]int{"names": len(counts), "duplicated": duplicated})
	fmt.Fprintln(stdout, string(out))
	return nil
}
