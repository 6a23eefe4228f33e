package main

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestImportRules keeps the layout (README, "Development"): only upstream talks to
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
						t.Errorf("%s imports %s; only the packages the layout allows may", rel, importPath)
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

// configurationTable reads the variables of docs/configuration.md's
// table: name to default, "" when there is none (required, empty).
func configurationTable(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	variables := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 3 || !strings.HasPrefix(cells[0], "| `") {
			continue
		}
		name := strings.Trim(cells[0], "| `")
		def := strings.TrimSuffix(cells[2], " |")
		if strings.HasPrefix(def, "`") {
			def = strings.Trim(def, "`")
		} else {
			def = "" // required, none, empty
		}
		variables[name] = def
	}
	return variables
}

// TestHerokuManifest checks what a Heroku deploy relies on: the Procfile
// runs `dns-api serve`, and app.json describes exactly the variables of the
// configuration table that one sets (not PORT and DYNO: Heroku sets them;
// nor REDIS_URL: the Key-Value Store add-on does),
// with their defaults, SECRET_KEY generated, and leads somewhere useful.
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
		Repository string `json:"repository"`
		Website    string `json:"website"`
		SuccessURL string `json:"success_url"`
		Env        map[string]struct {
			Description string `json:"description"`
			Value       string `json:"value"`
			Generator   string `json:"generator"`
		} `json:"env"`
		Addons []struct {
			Plan string `json:"plan"`
		} `json:"addons"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("app.json: %v", err)
	}
	table := configurationTable(t)
	if len(table) < 15 {
		t.Fatalf("docs/configuration.md's table has %d variables", len(table))
	}
	// Values chosen for Heroku rather than the defaults.
	forHeroku := map[string]bool{"VALID_USERS": true, "BLACKLISTED_SUBDOMAINS": true, "REDIS_TLS_SKIP_VERIFY": true}
	for name, def := range table {
		v, described := manifest.Env[name]
		switch {
		case name == "PORT" || name == "DYNO" || name == "REDIS_URL":
			if described {
				t.Errorf("app.json describes %s, which Heroku or its Key-Value Store add-on sets", name)
			}
		case !described || v.Description == "":
			t.Errorf("app.json does not describe %s", name)
		case v.Value != "" && v.Value != def && !forHeroku[name]:
			t.Errorf("app.json gives %s the value %q; its default is %q", name, v.Value, def)
		}
	}
	for name := range manifest.Env {
		if _, ok := table[name]; !ok {
			t.Errorf("app.json describes %s, which docs/configuration.md does not", name)
		}
	}
	if manifest.Env["SECRET_KEY"].Generator != "secret" {
		t.Errorf("app.json does not generate SECRET_KEY")
	}
	if !strings.HasPrefix(manifest.Repository, "https://") || !strings.HasPrefix(manifest.Website, "https://") {
		t.Errorf("app.json's repository and website are %q and %q", manifest.Repository, manifest.Website)
	}
	if manifest.SuccessURL == "" || manifest.SuccessURL == "/" {
		t.Errorf("app.json's success_url %q leads nowhere useful", manifest.SuccessURL)
	}
	if len(manifest.Addons) == 0 || !strings.HasPrefix(manifest.Addons[0].Plan, "heroku-redis:") {
		t.Errorf("app.json does not offer the Key-Value Store: %+v", manifest.Addons)
	}
}

// TestDocumentationLinks checks that every link of the README and docs/ to
// a file of the repository reaches it, and its #anchor a heading there.
func TestDocumentationLinks(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := file
			if path != "" {
				resolved = filepath.Join(filepath.Dir(file), path)
			}
			content, err := os.ReadFile(resolved)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", file, target)
				continue
			}
			if anchor != "" && !slices.Contains(headingAnchors(string(content)), anchor) {
				t.Errorf("%s links to %s: %s has no such heading", file, target, resolved)
			}
		}
	}
}

// headingAnchors are the anchors GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces as dashes.
func headingAnchors(markdown string) []string {
	var anchors []string
	inCode := false
	for _, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		anchor := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				return r
			}
			return -1
		}, title)
		anchors = append(anchors, anchor)
	}
	return anchors
}
