package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// example is a curl line of the README and the answer it documents.
type example struct {
	line     string
	expected string // the "# " comment lines after it, joined; "" if none
}

// readmeExamples returns the README's curl one-liners aimed at the local
// service, in order, with their documented answers.
func readmeExamples(t *testing.T) []example {
	t.Helper()
	f, err := os.Open("../../README.md")
	require.NoError(t, err)
	defer f.Close()
	var examples []example
	inCode := false
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case strings.HasPrefix(line, "```"):
			inCode = !inCode
		case !inCode:
		case strings.HasPrefix(line, "curl ") && strings.Contains(line, "http://localhost:8000"):
			examples = append(examples, example{line: line})
		case strings.HasPrefix(line, "#") && len(examples) > 0 && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(line, "#")), "{"):
			last := &examples[len(examples)-1]
			last.expected += strings.TrimSpace(strings.TrimPrefix(line, "#"))
		case strings.HasPrefix(line, "#  ") && len(examples) > 0 && examples[len(examples)-1].expected != "":
			examples[len(examples)-1].expected += strings.TrimSpace(strings.TrimPrefix(line, "#"))
		}
	}
	require.NoError(t, scanner.Err())
	return examples
}

// TestREADMEExamples runs every curl one-liner of the README against
// `dns-api dev`, in order, after the curl line dev prints, as a new user
// would, and checks each answer against the one the README shows ("..."
// stands for anything).
func TestREADMEExamples(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	examples := readmeExamples(t)
	require.Greater(t, len(examples), 15, "the README documents every endpoint")

	port := freePort(t)
	t.Setenv("PORT", strconv.Itoa(port))
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	start(t, []string{"dev"}, stdout, stderr)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base, stderr)

	var script []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "export TOKEN=") || strings.HasPrefix(line, "curl ") {
			script = append(script, line)
		}
	}
	require.Len(t, script, 2, stdout.String())
	dir := t.TempDir() // where an example's files go
	shell := func(line string) string {
		line = strings.ReplaceAll(line, "http://localhost:8000", base)
		line = strings.Replace(line, "curl ", curl+" -sS ", 1)
		cmd := exec.Command("sh", "-c", script[0]+"\n"+line)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", line, out)
		return string(out)
	}
	shell(script[1])

	for _, ex := range examples {
		out := shell(ex.line)
		if ex.expected == "" {
			continue
		}
		rest := out
		for _, fragment := range strings.Split(ex.expected, "...") {
			i := strings.Index(rest, fragment)
			if !assert.GreaterOrEqual(t, i, 0, "%s\n  answered %s\n  documented %s\n  missing %q", ex.line, out, ex.expected, fragment) {
				break
			}
			rest = rest[i+len(fragment):]
		}
	}
}
