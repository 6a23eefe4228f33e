package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dns-api/dns-api/internal/syncbuf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dns-api/dns-api/auth"
)

// runAsCommand is set in the environment of a child process of the test
// binary that is to run as the dns-api command itself.
const runAsCommand = "DNS_API_TEST_RUN_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(runAsCommand) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// process is dns-api running as a real process of its own.
type process struct {
	cmd    *exec.Cmd
	stderr *syncbuf.Buffer
	done   chan struct{} // closed at exit
	err    error         // how it exited, once done
}

// startProcess runs this test binary as `dns-api args...`, with the
// test's environment (set with t.Setenv), and stops it with the test.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append(os.Environ(), runAsCommand+"=1")
	p.cmd.Stderr = p.stderr
	p.cmd.Stdout = io.Discard
	require.NoError(t, p.cmd.Start())
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// openFiles counts the process's open descriptors.
func (p *process) openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "fd"))
	require.NoError(t, err)
	return len(entries)
}

func TestConnectionCap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc")
	}
	const limit = 100
	port := freePort(t)
	setServiceEnv(t, port)
	t.Setenv("MAX_CONNECTIONS", strconv.Itoa(limit))
	p := startProcess(t, "serve")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base, p.stderr)
	idleFiles := p.openFiles(t)

	// A thousand keep-alive connections that each made a request and now
	// sit idle, and a thousand that connect and never send anything.
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range 2000 {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err)
		conns = append(conns, c)
		if i%2 == 0 {
			_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			require.NoError(t, err)
		}
	}
	// Read the answers the server gives (the first ones; the rest wait in
	// the backlog or were closed to make room).
	for _, c := range conns[:2*limit] {
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, _ = http.ReadResponse(bufio.NewReader(c), nil)
	}
	files := p.openFiles(t)
	t.Logf("open descriptors: %d before, %d with 2000 connections knocking (MAX_CONNECTIONS=%d)", idleFiles, files, limit)
	assert.Greater(t, files, idleFiles+limit/2, "the connections were let in up to the cap")
	assert.LessOrEqual(t, files, idleFiles+limit+1, "at most MAX_CONNECTIONS open, and the newcomer being let in")

	// Someone new is still served: the longest-waiting connection makes room.
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/")
	require.NoError(t, err, "stderr: %s", p.stderr)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.LessOrEqual(t, p.openFiles(t), idleFiles+limit+1)
	assert.NotContains(t, p.stderr.String(), "too many open files")
}

func TestGracefulShutdown(t *testing.T) {
	port := freePort(t)
	emu := setServiceEnv(t, port)
	// DNSimple answers slowly, so that a request is in flight at SIGTERM.
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			arrived <- struct{}{}
			time.Sleep(time.Second)
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	t.Setenv("DNSIMPLE_BASE_URL", slow.URL)
	p := startProcess(t, "serve")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base, p.stderr)

	tok, err := auth.Sign([]byte(testSecret), auth.Claims{Username: "alice"})
	require.NoError(t, err)
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/records/A/example.com/inflight/203.0.113.7", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	<-arrived
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, http.StatusCreated, <-answered, "the request in flight is finished")
	<-p.done
	require.NoError(t, p.err, "exit 0; stderr: %s", p.stderr)
	assert.Contains(t, p.stderr.String(), `"msg":"shutting down"`)
	_, err = http.Get(base + "/")
	assert.Error(t, err, "no new connections after shutdown")
	assert.Len(t, emu.Records("example.com"), 6)
}
