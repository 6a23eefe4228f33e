package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGeneratedClient generates a Go client from the document the service
// serves, with the README's command, and builds it.
func TestGeneratedClient(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches the generator from the module proxy")
	}
	s := startService(t)
	resp, err := http.Get(s.url + "/openapi.json")
	require.NoError(t, err)
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "openapi.json"), doc, 0o600))
	generate := ""
	for _, line := range strings.Split(readmeBlock(t, "go run github.com/oapi-codegen/"), "\n") {
		if strings.HasPrefix(line, "go run ") {
			generate = line
		}
	}
	run := func(script string) {
		t.Helper()
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s\n%s", script, out)
	}
	run(generate)
	run("go mod init example.com/client && go mod tidy && go vet ./...")
}
