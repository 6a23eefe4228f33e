package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkUpsertUnchanged measures the commonest call of a dynamic-DNS
// client: an upsert that finds the record already right (from the cache:
// no call to DNSimple), through the real router, middleware and client.
func BenchmarkUpsertUnchanged(b *testing.B) {
	benchmarkUpsert(b, func(int) string { return "203.0.113.7" })
}

// BenchmarkUpsertChanged measures an upsert that rewrites the target each
// time: an update at the emulator (the lookup is cached).
func BenchmarkUpsertChanged(b *testing.B) {
	benchmarkUpsert(b, func(i int) string { return fmt.Sprintf("203.0.113.%d", 1+i%2) })
}

func benchmarkUpsert(b *testing.B, target func(int) string) {
	s := newStack(b, stackOptions{})
	client := http.DefaultClient
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/records/A/example.com/bench/"+target(i), nil)
		req.Header.Set("Authorization", "Bearer "+aliceToken)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkRouting measures the router and the middleware alone, without
// a network: the health check, and /whoami with a token already verified.
func BenchmarkRouting(b *testing.B) {
	s := newStack(b, stackOptions{})
	handler := s.app.Handler()
	for name, path := range map[string]string{"health": "/", "whoami": "/whoami"} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+aliceToken)
			req.RemoteAddr = "127.0.0.1:4711"
			for b.Loop() {
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
