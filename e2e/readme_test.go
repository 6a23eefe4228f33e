package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeBlock returns the code block of the README or of docs/ that holds
// a line starting with marker, so that the configurations the
// documentation shows are the ones tested. Documentation that no longer
// has it fails the test, naming the block.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	files, err := filepath.Glob("../docs/*.md")
	require.NoError(t, err)
	for _, file := range append([]string{"../README.md"}, files...) {
		if block, ok := codeBlock(t, file, marker); ok {
			return block
		}
	}
	t.Fatalf("neither README.md nor docs/ has a code block with a line starting %q: its example drifted from this test", marker)
	return ""
}

// codeBlock returns the code block of a Markdown file that holds a line
// starting with marker.
func codeBlock(t *testing.T, file, marker string) (string, bool) {
	t.Helper()
	f, err := os.Open(file)
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
				return strings.Join(block, "\n") + "\n", true
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
	return "", false
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
