package main

import (
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
	forbidden := map[string][]string{
		"github.com/dnsimple/dnsimple-go": {"auth", "records", "handlers", "config", "cmd"},
		"github.com/labstack/echo":        {"auth", "records", "upstream", "config"},
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
