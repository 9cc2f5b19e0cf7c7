package httpapi_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/httpapi"
)

// quickStart is the README's "Mount the API", which must stay the same
// text; the compiler keeps it right.
func quickStart(mailer authkit.Mailer) {
	db := sqlx.MustConnect("postgres", os.Getenv("DATABASE_URL"))
	db.SetMaxOpenConns(25) // a bounded pool: a slow database fails requests fast instead of piling them up
	db.SetMaxIdleConns(25)
	kit, err := authkit.New(authkit.Config{DB: db, Mailer: mailer, BaseURL: "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", httpapi.New(kit, httpapi.Options{Prefix: "/auth", CrossOrigin: http.NewCrossOriginProtection()}))
	log.Fatal(http.ListenAndServe(":8080", kit.Middleware(mux)))
}

var _ = quickStart

// readmeBlock returns the fenced block that follows the marker in the
// README.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("the README lacks %q", marker)
	}
	_, after, _ = strings.Cut(after, "```")
	_, after, _ = strings.Cut(after, "\n") // the fence's language
	block, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatalf("the block after %q does not end", marker)
	}
	return block
}

func TestREADME_MountTheAPIIsTheQuickStartThisFileCompiles(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "readme_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "quickStart" {
			body = string(src[fset.Position(fn.Body.Lbrace).Offset+1 : fset.Position(fn.Body.Rbrace).Offset])
		}
	}
	var lines []string
	for _, l := range strings.Split(strings.Trim(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	readme := readmeBlock(t, "<!-- quick start: mount the API")
	if want := strings.Join(lines, "\n") + "\n"; readme != want {
		t.Fatalf("the README's quick start differs from quickStart:\nREADME:\n%s\nquickStart:\n%s", readme, want)
	}
	if n := strings.Count(readme, "\n"); n > 10 {
		t.Errorf("the quick start has %d lines, at most 10 wanted", n)
	}
}

// TestMount_InsideTheKitsMiddleware runs the quick start's wiring: the
// API shares the session with the app's own routes, and refuses
// cross-site requests in JSON.
func TestMount_InsideTheKitsMiddleware(t *testing.T) { // SEC-H1
	t.Parallel()
	s := newServer(t)
	mux := http.NewServeMux()
	mux.Handle("/auth/", httpapi.New(s.kit, httpapi.Options{Prefix: "/auth", CrossOrigin: http.NewCrossOriginProtection()}))
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+authkit.From(r).Email())
	})
	s.srv = httptest.NewTLSServer(s.kit.Middleware(mux))
	t.Cleanup(s.srv.Close)
	c := s.loggedIn("ada@example.com")

	app := s.srv.Client()
	app.Jar = c.http.Jar
	resp, err := app.Get(s.srv.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello ada@example.com" {
		t.Fatalf("the app's route says %q", b)
	}
	c.do("POST", "/auth/logout", nil, "Sec-Fetch-Site", "cross-site").wantError(403, "cross_origin")
	c.get("session").want(200)
}

// shellWord matches a piece of a shell word: a single-quoted string, a
// double-quoted one, or bare characters.
var shellWord = regexp.MustCompile(`'[^']*'|"(?:[^"\\]|\\.)*"|[^\s'"]+`)

var shellVar = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// words splits a command line as the shell does, expanding $variables
// outside single quotes with expand.
func words(line string, expand func(string) string) []string {
	var out []string
	for _, field := range splitFields(line) {
		var w strings.Builder
		for _, piece := range shellWord.FindAllString(field, -1) {
			switch piece[0] {
			case '\'':
				w.WriteString(piece[1 : len(piece)-1])
			case '"':
				w.WriteString(shellVar.ReplaceAllStringFunc(piece[1:len(piece)-1], expand))
			default:
				w.WriteString(shellVar.ReplaceAllStringFunc(piece, expand))
			}
		}
		out = append(out, w.String())
	}
	return out
}

// splitFields splits a line at blanks outside quotes.
func splitFields(line string) []string {
	var fields []string
	var cur strings.Builder
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote = r
			cur.WriteRune(r)
		case r == ' ' || r == '\t':
			if cur.Len() > 0 {
				fields = append(fields, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		fields = append(fields, cur.String())
	}
	return fields
}

// TestREADME_TheCurlWalkThroughRuns replays the README's curl commands
// with net/http against a test server, with one cookie jar as curl's
// "jar" file, and checks each status the README states.
func TestREADME_TheCurlWalkThroughRuns(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client()
	vars := map[string]string{}
	var last map[string]any // the JSON of the last response
	expand := func(ref string) string {
		name := ref[1:]
		switch name {
		case "TOKEN":
			msgs := s.mail.Messages()
			if len(msgs) == 0 {
				t.Fatal("$TOKEN: no mail yet")
			}
			return tokenOf(t, msgs[len(msgs)-1].Link)
		case "SECRET":
			return vars["SECRET"]
		case "CODE":
			return s.totp(vars["SECRET"])
		}
		v, ok := vars[name]
		if !ok {
			t.Fatalf("the walk-through uses $%s before setting it", name)
		}
		return v
	}
	var pending *response
	steps := 0
	for _, line := range strings.Split(readmeBlock(t, "<!-- curl walk-through"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			if pending == nil {
				t.Fatalf("%q follows no command", line)
			}
			statusText, _, _ := strings.Cut(strings.TrimPrefix(line, "# "), " ")
			status, err := strconv.Atoi(statusText)
			if err != nil {
				t.Fatalf("%q does not start with a status", line)
			}
			pending.want(status)
			last = nil
			_ = json.Unmarshal(pending.body, &last)
			if secret, ok := last["secret"].(string); ok {
				vars["SECRET"] = secret
			}
			pending = nil
			steps++
		case strings.HasPrefix(line, "curl "):
			pending = curl(t, c, words(line, expand))
		default:
			name, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("cannot replay %q", line)
			}
			w := words(value, expand)
			vars[name] = strings.Replace(strings.Join(w, " "), "https://example.com", s.srv.URL, 1)
		}
	}
	if steps < 10 || pending != nil {
		t.Fatalf("%d steps replayed; the last command has no stated status: %v", steps, pending != nil)
	}
}

// curl sends the request a curl command line describes, with the
// options the walk-through uses.
func curl(t *testing.T, c *client, args []string) *response {
	t.Helper()
	method, url, data := "GET", "", ""
	var header []string
	hasData := false
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-sS":
		case "-b", "-c":
			i++ // the cookie jar: the client's own
		case "-H":
			i++
			name, value, _ := strings.Cut(args[i], ":")
			header = append(header, name, strings.TrimSpace(value))
		case "-d":
			i++
			data, hasData = args[i], true
			if method == "GET" {
				method = "POST"
			}
		case "-X":
			i++
			method = args[i]
		default:
			if strings.HasPrefix(a, "-") {
				t.Fatalf("the replay does not know curl's %s", a)
			}
			url = a
		}
	}
	path := strings.TrimPrefix(url, c.s.srv.URL)
	if !hasData {
		return c.do(method, path, nil, header...)
	}
	return c.do(method, path, data, header...)
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	return mustURL(t, link).Query().Get("token")
}
