// Package redisserver runs Debian's redis-server for tests: on a free
// loopback port, with nothing saved to disk, stopped with the test. Off CI
// a missing redis-server skips the test, naming the package; on CI
// (CI=true, which .ci/run sets after installing it) it fails it.
package redisserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	// URL is its redis:// URL.
	URL  string
	t    testing.TB
	path string
	port int
	cmd  *exec.Cmd
}

// Start runs a redis-server for the test.
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is not installed: .ci/run must install Debian's redis-server package")
		}
		t.Skip("redis-server is not installed; install Debian's redis-server package to run this test (.ci/run does)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{t: t, path: path, port: port, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server (a test may stop it early, to see what a service
// does without it).
func (s *Server) Stop() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts the server again on its port (empty: it saves nothing).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.cmd = exec.Command(s.path, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir())
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("redis-server did not start on port %d", s.port)
}
