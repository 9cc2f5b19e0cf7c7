package httpapi

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestRoutes_EveryRouteIsDocumentedAndEveryDocumentedRouteServed keeps the
// route table and openapi.json in step: a route the document lacks would
// escape the response validation of the other tests.
func TestRoutes_EveryRouteIsDocumentedAndEveryDocumentedRouteServed(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+strings.TrimPrefix(path, "/"))
			}
		}
	}
	for _, rt := range (&api{}).table() {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("the route table and openapi.json differ:\nserved:     %v\ndocumented: %v", served, documented)
	}
}

// TestErrors_EachCodeIsTheSnakeCaseNameOfItsSentinel checks the API's own
// error table the way the root package checks authkit.ErrorCode.
func TestErrors_EachCodeIsTheSnakeCaseNameOfItsSentinel(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	byMessage := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Values) != 1 || !strings.HasPrefix(spec.Names[0].Name, "Err") {
			return true
		}
		if call, ok := spec.Values[0].(*ast.CallExpr); ok && len(call.Args) == 1 {
			if lit, ok := call.Args[0].(*ast.BasicLit); ok {
				byMessage[strings.Trim(lit.Value, `"`)] = spec.Names[0].Name
			}
		}
		return true
	})
	if len(byMessage) != len(apiErrors) {
		t.Fatalf("%d sentinels in errors.go, %d rows in apiErrors", len(byMessage), len(apiErrors))
	}
	for _, e := range apiErrors {
		name := byMessage[e.err.Error()]
		if want := snakeCase(strings.TrimPrefix(name, "Err")); e.code != want {
			t.Errorf("%s has code %q, want %q", name, e.code, want)
		}
		if !strings.HasPrefix(e.err.Error(), "httpapi: ") {
			t.Errorf("%s lacks the httpapi: prefix", name)
		}
	}
}

func snakeCase(name string) string {
	var b strings.Builder
	runes := []rune(name)
	for i, r := range runes {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(runes[i-1]) || i+1 < len(runes) && unicode.IsLower(runes[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
