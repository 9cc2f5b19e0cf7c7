package authkit

import (
	"context"
	"testing"

	"github.com/authkit/authkit/internal/pgtest"
	"github.com/authkit/authkit/sqlschema"
)

// probedEnv is an env on a database whose connections go through a
// pgtest.Probe, which counts their statements (the benchmarks'
// queries/op) and can hold one at an exact moment (the race tests).
func probedEnv(t testing.TB, opts ...func(*Config)) (*env, *pgtest.Probe) {
	t.Helper()
	db, p := pgtest.Probed(t, pgtest.URL(t))
	if err := sqlschema.Apply(context.Background(), db, sqlschema.DefaultPrefix); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db, opts...)
	t.Cleanup(p.LetAll) // runs before the env's cleanup closes the Kit
	p.Counter().Store(0)
	return e, p
}
