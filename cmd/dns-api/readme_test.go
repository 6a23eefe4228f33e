package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dns-api/dns-api/internal/syncbuf"

	"github.com/stretchr/testify/require"
)

// docExample is a command of the documentation to run against `dns-api
// dev`, and the answer documented under it.
type docExample struct {
	line     int    // where it starts in its file
	command  string // continuation lines joined
	expected string // the comment lines right under it, joined; "" if none
}

// docExamples returns the commands of a Markdown file meant for `dns-api
// dev`: every command of each ```sh block with a line for dev (a curl to
// http://localhost:8000, or go run ./cmd/dns-api token-generator), in
// order. A block of commands for elsewhere (a production URL, Heroku) has
// none and is not run.
func docExamples(t *testing.T, path string) []docExample {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var examples []docExample
	var block []string
	blockStart, inSh, inOther := 0, false, false
	for i, line := range strings.Split(string(raw), "\n") {
		switch {
		case inSh && line == "```":
			if slices.ContainsFunc(block, forDev) {
				examples = append(examples, blockExamples(block, blockStart)...)
			}
			inSh, block = false, nil
		case inOther && line == "```":
			inOther = false
		case inSh:
			block = append(block, line)
		case !inOther && line == "```sh":
			inSh, blockStart = true, i+2
		case !inOther && strings.HasPrefix(line, "```"):
			inOther = true
		}
	}
	return examples
}

// forDev reports whether a line is a command for dev: a curl to it, or
// minting a token for it.
func forDev(line string) bool {
	return strings.HasPrefix(line, "curl ") && strings.Contains(line, "http://localhost:8000") ||
		strings.HasPrefix(line, "go run ./cmd/dns-api token-generator")
}

// blockExamples splits a shell block into commands (a line ending in \
// goes on) and the comment lines right under each, its answer.
func blockExamples(block []string, firstLine int) []docExample {
	var examples []docExample
	continued, attached := false, false
	for i, line := range block {
		switch {
		case continued:
			last := &examples[len(examples)-1]
			last.command += "\n" + line
		case strings.HasPrefix(line, "#") && attached:
			// "#  " goes on the line above (long JSON); "# " is a line
			// of its own, anywhere further down the answer.
			last := &examples[len(examples)-1]
			if last.expected != "" && !strings.HasPrefix(line, "#  ") {
				last.expected += "..."
			}
			last.expected += strings.TrimSpace(strings.TrimPrefix(line, "#"))
		case strings.HasPrefix(line, "#"):
		case strings.TrimSpace(line) != "":
			examples = append(examples, docExample{line: firstLine + i, command: line})
		}
		continued = strings.HasSuffix(line, "\\")
		attached = strings.TrimSpace(line) != "" && (attached || !strings.HasPrefix(line, "#"))
	}
	return examples
}

// shell is one POSIX shell session, fed commands as a user pastes them, so
// that variables and the working directory carry from one to the next.
type shell struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	output chan string // lines of stdout and stderr
}

var doneLine = regexp.MustCompile(`^@@done (\d+)@@$`)

func startShell(t *testing.T, dir string, env []string) *shell {
	t.Helper()
	read, write, err := os.Pipe()
	require.NoError(t, err)
	s := &shell{cmd: exec.Command("sh"), output: make(chan string, 1024)}
	s.cmd.Dir, s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = dir, env, write, write
	// A group of its own, so that whatever a command leaves running (a
	// server it started) is stopped with the shell.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.stdin, err = s.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, s.cmd.Start())
	write.Close()
	go func() {
		defer close(s.output)
		scanner := bufio.NewScanner(read)
		scanner.Buffer(nil, 4<<20)
		for scanner.Scan() {
			s.output <- scanner.Text()
		}
	}()
	t.Cleanup(func() {
		s.stdin.Close()
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		_ = s.cmd.Wait()
	})
	return s
}

// run runs one command and returns what it printed and its exit status.
func (s *shell) run(t *testing.T, command string) (string, int) {
	t.Helper()
	_, err := fmt.Fprintf(s.stdin, "%s\nprintf '\\n@@done %%s@@\\n' \"$?\"\n", command)
	require.NoError(t, err)
	var out []string
	timeout := time.After(90 * time.Second)
	for {
		select {
		case line, ok := <-s.output:
			if !ok {
				t.Fatalf("the shell ended during %q: %s", command, strings.Join(out, "\n"))
			}
			if m := doneLine.FindStringSubmatch(line); m != nil {
				status, _ := strconv.Atoi(m[1])
				return strings.TrimSuffix(strings.Join(out, "\n"), "\n"), status
			}
			out = append(out, line)
		case <-timeout:
			t.Fatalf("%q has not finished after 90s: %s", command, strings.Join(out, "\n"))
		}
	}
}

// commandShim is a directory holding `dns-api`: this test binary run as
// the command, so that the documentation's `dns-api ...` and `go run
// ./cmd/dns-api ...` lines run the code under test.
func commandShim(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\n%s=1 exec '%s' \"$@\"\n", runAsCommand, self)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dns-api"), []byte(script), 0o755))
	return dir
}

// unsetEnv clears variables for the test, restoring them afterwards (a
// developer's own SECRET_KEY must not change what dev prints).
func unsetEnv(t *testing.T, names ...string) {
	for _, name := range names {
		if old, ok := os.LookupEnv(name); ok {
			t.Setenv(name, old) // restored at the end
			require.NoError(t, os.Unsetenv(name))
		}
	}
}

// TestDocumentationExamples runs the commands of the README and of every
// file in docs/ meant for `dns-api dev`, each file against a fresh dev, in
// one shell session, as a new user would: first the lines dev prints
// (export TOKEN, its curl line, and the export for minting more tokens),
// then every command in order, scoped-token minting included. Each answer
// is checked against the one documented under it ("..." stands for
// anything). The first example that drifted is named with its file and
// line, with what it answered.
func TestDocumentationExamples(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	files, err := filepath.Glob("../../docs/*.md")
	require.NoError(t, err)
	files = append([]string{"../../README.md"}, files...)
	variables := configurationTable(t)
	names := make([]string, 0, len(variables))
	for name := range variables {
		names = append(names, name)
	}
	shim := commandShim(t)
	total := 0
	for _, file := range files {
		examples := docExamples(t, file)
		total += len(examples)
		if len(examples) == 0 {
			continue
		}
		name := strings.TrimPrefix(file, "../../")
		t.Run(name, func(t *testing.T) {
			unsetEnv(t, names...)
			port := freePort(t)
			t.Setenv("PORT", strconv.Itoa(port))
			stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
			start(t, []string{"dev"}, stdout, stderr)
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			waitHealthy(t, base, stderr)

			env := []string{"PATH=" + shim + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LC_ALL=C",
				"PORT=" + strconv.Itoa(freePort(t))} // a server an example starts never takes 8000

			sh := startShell(t, t.TempDir(), env)
			var pasted int
			for _, line := range strings.Split(stdout.String(), "\n") {
				if strings.HasPrefix(line, "export ") || strings.HasPrefix(line, "curl ") {
					out, status := sh.run(t, strings.Replace(line, "curl ", curl+" -sS ", 1))
					require.Zero(t, status, "dev's line %q: %s", line, out)
					pasted++
				}
			}
			require.Equal(t, 3, pasted, "dev prints export TOKEN, a curl line and an export to mint more: %s", stdout)

			for _, ex := range examples {
				command := strings.ReplaceAll(ex.command, "http://localhost:8000", base)
				command = strings.ReplaceAll(command, "go run ./cmd/dns-api ", "dns-api ")
				if strings.HasPrefix(command, "curl ") {
					command = strings.Replace(command, "curl ", curl+" -sS ", 1)
				}
				out, status := sh.run(t, command)
				if status != 0 {
					t.Fatalf("%s:%d drifted: %s\n  exited %d, printing: %s", name, ex.line, ex.command, status, out)
				}
				rest := out
				for _, fragment := range strings.Split(ex.expected, "...") {
					i := strings.Index(rest, fragment)
					if i < 0 {
						t.Fatalf("%s:%d drifted: %s\n  answered:   %s\n  documented: %s\n  missing:    %q",
							name, ex.line, ex.command, out, ex.expected, fragment)
					}
					rest = rest[i+len(fragment):]
				}
			}
		})
	}
	require.Greater(t, total, 30, "the documentation shows every endpoint")
}
