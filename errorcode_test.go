package authkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// sentinelsByName parses the package's non-test files for exported Err…
// variables and returns their values by name.
func sentinelsByName(t *testing.T) map[string]error {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	byMessage := map[string]error{}
	for _, c := range errorTable {
		byMessage[c.err.Error()] = c.err
	}
	found := map[string]error{}
	inspect := func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Err") || !name.IsExported() || i >= len(spec.Values) {
				continue
			}
			call, ok := spec.Values[i].(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				continue
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			found[name.Name] = byMessage[strings.Trim(lit.Value, `"`)] // nil when the table lacks it
		}
		return true
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, inspect)
	}
	if len(found) < 30 {
		t.Fatalf("found only %d sentinels; the parser missed them", len(found))
	}
	return found
}

// snakeCase turns a Go name into snake_case: "InvalidSMSCode" becomes
// "invalid_sms_code".
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

func TestErrorCode_IsTheSnakeCaseNameOfEveryExportedSentinel(t *testing.T) { // SEC-I6
	t.Parallel()
	for name, err := range sentinelsByName(t) {
		if err == nil {
			t.Errorf("%s has no row in errorTable", name)
			continue
		}
		if got, want := ErrorCode(err), snakeCase(strings.TrimPrefix(name, "Err")); got != want {
			t.Errorf("ErrorCode(%s) = %q, want %q", name, got, want)
		}
		if got := ErrorCode(unavailable("wrapped", err)); got != "unavailable" {
			t.Errorf("a database failure wrapping %s has code %q", name, got)
		}
	}
}

func TestErrorCode_NamesTheStructErrorsAndForeignOnes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&StatusError{Status: StatusBanned}, "account_status"},
		{&TooManyRequestsError{RetryAfter: 30}, "too_many_requests"},
		{&SecondFactorRequiredError{}, "second_factor_required"},
		{unavailable("load user", ErrUserNotFound), "unavailable"},
		{internal("seal", ErrInvalidEmail), "internal"},
		{fs.ErrNotExist, "internal"},
	} {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
