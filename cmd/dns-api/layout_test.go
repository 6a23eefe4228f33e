package main

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules keeps the layout of DESIGN.md: only upstream talks to
// DNSimple's client, and the domain (auth, records) knows nothing of HTTP
// frameworks.
func TestImportRules(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	const ours = "github.com/dns-api/dns-api/"
	forbidden := map[string][]string{
		"github.com/dnsimple/dnsimple-go": {"auth", "records", "handlers", "config", "cmd", "app", "fault"},
		"github.com/labstack/echo":        {"auth", "records", "upstream", "config", "fault"},
		// Dependencies point down: the error kinds know nothing of ours,
		// and upstream nothing above it.
		ours + "records":  {"fault", "upstream"},
		ours + "auth":     {"fault", "upstream", "records"},
		ours + "handlers": {"fault", "upstream", "records", "auth", "config"},
		ours + "config":   {"fault", "upstream"},
		ours + "app":      {"fault", "upstream", "records", "auth", "handlers", "config"},
	}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range file.Imports {
			importPath, _ := strconv.Unquote(imp.Path.Value)
			for prefix, packages := range forbidden {
				for _, pkg := range packages {
					if top == pkg && strings.HasPrefix(importPath, prefix) {
						t.Errorf("%s imports %s; only the packages DESIGN.md allows may", rel, importPath)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; is the walk rooted at the repo?", checked)
	}
}

// TestHerokuManifest checks what a Heroku deploy relies on: the Procfile
// runs `dns-api serve`, and app.json describes every configuration variable
// of API.md, with SECRET_KEY generated.
func TestHerokuManifest(t *testing.T) {
	t.Parallel()
	procfile, err := os.ReadFile(filepath.Join("..", "..", "Procfile"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(procfile)) != "web: dns-api serve" {
		t.Errorf("Procfile is %q", procfile)
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "app.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Env map[string]struct {
			Description string `json:"description"`
			Generator   string `json:"generator"`
		} `json:"env"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("app.json: %v", err)
	}
	for _, name := range []string{
		"PORT", "SECRET_KEY", "VALID_USERS", "DNSIMPLE_ACCOUNT_TOKEN", "DNSIMPLE_ACCOUNT_ID",
		"DNSIMPLE_DOMAINS", "BLACKLISTED_SUBDOMAINS", "DNSIMPLE_DOMAIN_TTL", "DNSIMPLE_BASE_URL",
		"REVOKED_TOKENS", "UPSTREAM_TIMEOUT", "REQUEST_TIMEOUT", "TRUSTED_PROXIES", "MAX_CONNECTIONS", "CACHE_TTL",
		"ACCEPT_LEGACY_TOKENS", "REDIS_URL", "REDIS_TLS_SKIP_VERIFY",
	} {
		if manifest.Env[name].Description == "" {
			t.Errorf("app.json does not describe %s", name)
		}
	}
	if manifest.Env["SECRET_KEY"].Generator != "secret" {
		t.Errorf("app.json does not generate SECRET_KEY")
	}
}
