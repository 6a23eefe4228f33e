package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

// BenchmarkUpsertUnchanged measures the commonest call of a dynamic-DNS
// client: an upsert that finds the record already right (one lookup at
// the emulator, no write), through the real router, middleware and client.
func BenchmarkUpsertUnchanged(b *testing.B) {
	benchmarkUpsert(b, func(int) string { return "203.0.113.7" })
}

// BenchmarkUpsertChanged measures an upsert that rewrites the target each
// time: a lookup and an update.
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
