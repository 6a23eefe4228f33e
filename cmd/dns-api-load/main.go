// Command dns-api-load measures dns-api under concurrent load. By default
// it runs the real service and the DNSimple emulator in this process, over
// loopback HTTP like production (optionally adding a simulated DNSimple
// latency), and reports throughput and latency percentiles per scenario.
// With -url and -token it measures a running service instead (mind its
// DNSimple rate limit).
//
//	go run ./cmd/dns-api-load -c 16 -n 4000
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/dns-api/dns-api/app"
	"github.com/dns-api/dns-api/auth"
	"github.com/dns-api/dns-api/config"
	"github.com/dns-api/dns-api/upstream/emulator"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp): // -h printed the flags: that is success
	case err != nil:
		fmt.Fprintf(os.Stderr, "dns-api-load: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	concurrency int
	requests    int
	url         string
	token       string
	latency     time.Duration
}

func run(args []string, stdout io.Writer) error {
	var o options
	flags := flag.NewFlagSet("dns-api-load", flag.ContinueOnError)
	flags.IntVar(&o.concurrency, "c", 16, "concurrent clients")
	flags.IntVar(&o.requests, "n", 4000, "requests per scenario")
	flags.StringVar(&o.url, "url", "", "measure a running service at this URL (default: run one in-process)")
	flags.StringVar(&o.token, "token", "", "token for -url")
	flags.DurationVar(&o.latency, "upstream-latency", 0, "simulated DNSimple latency per call (in-process only)")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), `usage: dns-api-load [flags]

Measures dns-api under concurrent load: by default the real service and the
DNSimple emulator in this process, over loopback HTTP; with -url and -token
a running service (mind its DNSimple rate limit). Prints throughput and
latency percentiles per scenario.

flags:
`)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if o.concurrency < 1 || o.requests < 1 {
		return errors.New("-c and -n must be positive")
	}
	if o.url == "" {
		url, token, stop, err := startInProcess(o.latency)
		if err != nil {
			return err
		}
		defer stop()
		o.url, o.token = url, token
	} else if o.token == "" {
		return errors.New("-url needs -token")
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency}, Timeout: time.Minute}
	zone := "example.com"
	// Scenario names use a per-run prefix so runs against a live service
	// do not collide.
	prefix := "load-" + randomHex(3)
	scenarios := []struct {
		name string
		req  func(i int) (*http.Request, error)
	}{
		{"upsert, unchanged (1 lookup)", func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/records/A/%s/%s-%d/203.0.113.7", o.url, zone, prefix, i%50), nil)
		}},
		{"upsert, changed (lookup + write)", func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, fmt.Sprintf("%s/records/A/%s/%s-%d/203.0.113.%d", o.url, zone, prefix, i%50, 10+i%200), nil)
		}},
		{"GET /records (50 records)", func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, o.url+"/records?page%5Bsize%5D=100", nil)
		}},
		{"GET /whoami (no upstream)", func(int) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, o.url+"/whoami", nil)
		}},
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario\trequests\tfailed\treq/s\tp50\tp90\tp99\t\n")
	for _, sc := range scenarios {
		res, err := measure(client, o, sc.req)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", sc.name, o.requests, res.failed,
			float64(o.requests)/res.elapsed.Seconds(), res.pct(50), res.pct(90), res.pct(99))
	}
	return w.Flush()
}

type result struct {
	latencies []time.Duration
	failed    int64
	elapsed   time.Duration
}

func (r result) pct(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[(len(r.latencies)-1)*p/100].Round(time.Microsecond)
}

// measure sends o.requests requests from o.concurrency workers.
func measure(client *http.Client, o options, build func(i int) (*http.Request, error)) (result, error) {
	var next, failed atomic.Int64
	latencies := make([]time.Duration, o.requests)
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	began := time.Now()
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.requests {
					return
				}
				req, err := build(i)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				req.Header.Set("Authorization", "Bearer "+o.token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				latencies[i] = time.Since(t0)
				if err != nil || resp.StatusCode >= 300 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return result{}, firstErr
	}
	slices.Sort(latencies)
	return result{latencies: latencies, failed: failed.Load(), elapsed: time.Since(began)}, nil
}

// startInProcess runs the emulator and the service on loopback ports, as
// `dns-api dev` does but without DNSimple's hourly rate limit.
func startInProcess(latency time.Duration) (url, token string, stop func(), err error) {
	accountToken, secret := randomHex(16), randomHex(32)
	emu, err := emulator.New(emulator.Options{Token: accountToken, Zones: []string{"example.com"}, RateLimit: 1 << 40})
	if err != nil {
		return "", "", nil, err
	}
	var upstreamHandler http.Handler = emu
	if latency > 0 {
		upstreamHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency)
			emu.ServeHTTP(w, r)
		})
	}
	emuURL, stopEmu, err := serve(upstreamHandler)
	if err != nil {
		return "", "", nil, err
	}
	cfg := config.Config{
		SecretKey:       config.Secret(secret),
		ValidUsers:      []string{"load"},
		AccountToken:    config.Secret(accountToken),
		Domains:         []string{"example.com"},
		TTL:             60,
		BaseURL:         emuURL,
		UpstreamTimeout: 10 * time.Second,
		RequestTimeout:  30 * time.Second,
		MaxConnections:  10000,
	}
	service, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		stopEmu()
		return "", "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stopEmu()
		return "", "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = service.Serve(ctx, l); close(served) }()
	apiURL := "http://" + l.Addr().String()
	stopAPI := func() { cancel(); <-served }
	token, err = auth.Sign([]byte(secret), auth.Claims{Username: "load"})
	if err != nil {
		stopAPI()
		stopEmu()
		return "", "", nil, err
	}
	return apiURL, token, func() { stopAPI(); stopEmu() }, nil
}

func serve(h http.Handler) (url string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), func() { _ = srv.Close() }, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
