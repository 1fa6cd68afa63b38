// Package archtest keeps the package map of docs/architecture.md true: each
// package of agentry may import only the packages of agentry listed for it
// here. A new package, or a new edge, is a decision to write down in both
// places.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/agentry/agentry/"

// allowed lists, for every package of the module, the packages of the
// module its non-test files may import. Tests may import anything.
var allowed = map[string][]string{
	// The domain: nothing of search, storage or HTTP.
	"registry":   {"descriptor"},
	"descriptor": {},

	// Self-contained building blocks.
	"credentials": {},
	"embedding":   {},
	"iam":         {},
	"safehttp":    {},
	"sigv4":       {},
	"mcpproxy":    {},
	"awsimport":   {},
	"importer":    {},
	"metrics":     {},

	// Search reads the domain's records and change feed; nothing reads
	// search from inside the domain.
	"search":   {"registry"},
	"semantic": {"search"},
	"jwtauth":  {"registry", "safehttp"},
	// URL synchronization: the domain's Fetcher, over safehttp.
	"synchronize": {"descriptor", "registry", "safehttp"},
	"events":      {"registry"},
	"audit":       {"registry"},
	"tracing":     {"registry", "search"},

	// Adapters around the domain.
	"store/internal/stored": {"registry"},
	"store/sqlite":          {"registry", "store/internal/stored"},
	"store/postgres":        {"registry", "store/internal/stored"},
	"store/postgres/pgtest": {"store/postgres"},
	"store/storetest":       {"registry", "search"},
	"httpapi":               {"registry", "search", "iam", "sigv4", "jwtauth", "mcpregistry"},
	"mcpregistry":           {"registry"},
	"console":               {"registry", "search", "iam"},

	// Wiring.
	"server": {"audit", "console", "credentials", "embedding", "events", "httpapi", "iam", "jwtauth", "mcpregistry", "metrics", "registry", "safehttp",
		"search", "semantic", "sigv4", "store/postgres", "store/sqlite", "synchronize", "tracing"},
	"cmd/agentry": {"awsimport", "credentials", "importer", "internal/searcheval", "mcpproxy", "search", "semantic", "semantic/train", "server"},

	// Research and test support: never linked into the server.
	"semantic/train":       {"search", "semantic"},
	"internal/searcheval":  {"registry", "search"},
	"internal/awstest":     {},
	"internal/testcatalog": {},
	"internal/archtest":    {},
	"interop":              {},
}

func TestImportEdges(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imports := moduleImports(t, root)
	for pkg, deps := range imports {
		allow, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the map: add it to allowed in internal/archtest and to docs/architecture.md", pkg)
			continue
		}
		for _, dep := range deps {
			if !slices.Contains(allow, dep) {
				t.Errorf("%s imports %s, which the package map does not allow (internal/archtest, docs/architecture.md)", pkg, dep)
			}
		}
	}
	for pkg := range allowed {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("the map names %s, which has no Go files: remove it", pkg)
		}
	}
}

// moduleImports returns, for each package directory under root, the
// packages of the module that its non-test files import.
func moduleImports(t *testing.T, root string) map[string][]string {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		if strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(src), "//go:build ignore") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out[pkg], dep) {
				out[pkg] = append(out[pkg], dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
