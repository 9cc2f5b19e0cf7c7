package authkit

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

func askProbe(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ready", nil))
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return rec.Code, rec.Body.String()
}

func TestReady_AnswersOKWithTheSchemaVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, body := askProbe(t, e.kit.Ready())
	want := `{"status":"ok","schema_version":` + strconv.Itoa(sqlschema.Latest()) + "}\n"
	if code != 200 || body != want {
		t.Fatalf("Ready = %d %s, want 200 %s", code, body, want)
	}
}

func TestReady_Answers503WhenTheDatabaseIsDownButLiveStaysOK(t *testing.T) { // SEC-I4
	t.Parallel()
	db := sqlx.MustConnect("postgres", pgtest.URL(t))
	if err := sqlschema.Apply(t.Context(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db)
	db.Close()

	if code, body := askProbe(t, e.kit.Ready()); code != 503 || body != `{"status":"unavailable"}`+"\n" {
		t.Fatalf("Ready = %d %s", code, body)
	}
	if code, body := askProbe(t, e.kit.Live()); code != 200 || body != `{"status":"ok"}`+"\n" {
		t.Fatalf("Live = %d %s", code, body)
	}
}

func TestReady_Answers503WhenTheSchemaFallsBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.db.Exec(`DELETE FROM authkit_schema_version WHERE version = $1`, sqlschema.Latest()); err != nil {
		t.Fatal(err)
	}
	want := `{"status":"schema_outdated","schema_version":` + strconv.Itoa(sqlschema.Latest()-1) + "}\n"
	if code, body := askProbe(t, e.kit.Ready()); code != 503 || body != want {
		t.Fatalf("Ready = %d %s, want 503 %s", code, body, want)
	}
}
