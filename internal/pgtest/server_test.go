package pgtest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/lib/pq"
)

func TestNewDatabase_FailsTheTestWhenRunHasNotRun(t *testing.T) {
	t.Parallel()
	recorder := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var notRunning *server
		notRunning.newDatabase(recorder)
	}()
	<-done

	if want := "add func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }"; !strings.Contains(recorder.fatal, want) {
		t.Errorf("got %q, want it to say %q", recorder.fatal, want)
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
	}{
		{"replaces the path of a URL", "postgres://u:secret@db.example.com:5433/app?sslmode=require"},
		{"drops a dbname parameter of a URL", "postgresql://u@db.example.com/app?dbname=other&sslmode=disable"},
		{"adds a path to a URL without one", "postgres://u@db.example.com"},
		{"overrides dbname in key=value form", "host=/run/postgresql dbname=app user=u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			original, err := pq.NewConfig(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}

			got, err := pq.NewConfig(withDatabase(tt.dsn, "pgtest_1"))

			if err != nil {
				t.Fatal(err)
			}
			if got.Database != "pgtest_1" {
				t.Errorf("database %q, want pgtest_1", got.Database)
			}
			type endpoint struct {
				host, user, password string
				sslMode              pq.SSLMode
				port                 uint16
			}
			if g, o := (endpoint{got.Host, got.User, got.Password, got.SSLMode, got.Port}),
				(endpoint{original.Host, original.User, original.Password, original.SSLMode, original.Port}); g != o {
				t.Errorf("changed more than the database: got %+v, want %+v", g, o)
			}
		})
	}
}

// fatalRecorder records the message of Fatal, which it ends the goroutine
// with, as testing.T does.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatal(args ...any) {
	r.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}
