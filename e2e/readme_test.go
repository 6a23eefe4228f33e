package e2e

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeBlock returns the code block of the README that holds a line
// starting with marker, so that the configurations the README shows are
// the ones tested. A README that no longer has it fails the test, naming
// the block.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	f, err := os.Open("../README.md")
	require.NoError(t, err)
	defer f.Close()
	var block []string
	in, found := false, false
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case strings.HasPrefix(line, "```") && in:
			if found {
				return strings.Join(block, "\n") + "\n"
			}
			in, block = false, nil
		case strings.HasPrefix(line, "```"):
			in = true
		case in:
			block = append(block, line)
			found = found || strings.HasPrefix(line, marker)
		}
	}
	require.NoError(t, scanner.Err())
	t.Fatalf("README.md has no code block with a line starting %q: its example drifted from this test", marker)
	return ""
}

// replace applies old, new pairs to s, failing when an old is not there
// (the README's example changed).
func replace(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		require.Contains(t, s, pairs[i], "the README's example changed")
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}
