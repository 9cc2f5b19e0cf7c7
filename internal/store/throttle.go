package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// GiveBack puts one token back into each bucket of keys (never above its
// burst, bursts[i] for keys[i]), for an attempt that turned out not to
// count, such as a successful login.
func (s *Store) GiveBack(ctx context.Context, keys []string, bursts []int) error {
	b := make(pq.Float64Array, len(bursts))
	for i, v := range bursts {
		b[i] = float64(v)
	}
	// The rows are locked in key order first, as TakeAll locks them (the
	// scalar subquery runs once, before the update scans a row): without
	// it a give-back and a take of the same two buckets could lock them in
	// opposite orders and deadlock, and PostgreSQL would abort one of them.
	_, err := s.exec(ctx, `
		WITH locked AS (SELECT t.key FROM {throttles} t WHERE t.key = ANY($1::text[]) ORDER BY t.key FOR UPDATE)
		UPDATE {throttles} t SET tokens = LEAST(g.burst, t.tokens + 1)
		FROM unnest($1::text[], $2::float8[]) AS g(key, burst)
		WHERE t.key = g.key AND (SELECT count(*) FROM locked) > 0`, pq.StringArray(keys), b)
	return err
}

// TakeAll takes one token from every bucket of keys — bucket i holds at
// most bursts[i] tokens and gains perSec[i] a second — or, if any of them
// is empty, from none, in one statement: the buckets' rows are locked in
// key order (so two takes cannot deadlock), refilled, checked and
// updated together. When it takes nothing, wait says how long until every
// bucket has a token again.
func (s *Store) TakeAll(ctx context.Context, keys []string, bursts, perSec []float64, now time.Time) (ok bool, wait time.Duration, err error) {
	var secs float64
	err = s.row(ctx, `
		WITH input AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[]) AS i(key, burst, per_sec)),
		     locked AS (SELECT t.key, t.tokens, t.updated_at FROM {throttles} t
		                WHERE t.key = ANY($1::text[]) ORDER BY t.key FOR UPDATE),
		     cur AS (SELECT i.key, i.burst, i.per_sec, l.key IS NOT NULL AS known,
		                    coalesce(LEAST(i.burst, l.tokens + GREATEST(0, EXTRACT(EPOCH FROM ($4::timestamptz - l.updated_at))::float8) * i.per_sec), i.burst) AS avail
		             FROM input i LEFT JOIN locked l ON l.key = i.key),
		     go AS (SELECT coalesce(bool_and(avail >= 1), TRUE) AS ok FROM cur),
		     ins AS (INSERT INTO {throttles} (key, tokens, updated_at, full_at)
		             SELECT key, avail - 1, $4, $4::timestamptz + make_interval(secs => (burst - avail + 1) / per_sec)
		             FROM cur WHERE NOT known AND (SELECT ok FROM go)
		             ON CONFLICT (key) DO NOTHING),
		     upd AS (UPDATE {throttles} t
		             SET tokens = c.avail - 1, updated_at = $4,
		                 full_at = $4::timestamptz + make_interval(secs => (c.burst - c.avail + 1) / c.per_sec)
		             FROM cur c WHERE t.key = c.key AND c.known AND (SELECT ok FROM go))
		SELECT (SELECT ok FROM go), (SELECT coalesce(max((1 - avail) / per_sec), 0) FROM cur WHERE avail < 1)`,
		pq.StringArray(keys), pq.Float64Array(bursts), pq.Float64Array(perSec), now).Scan(&ok, &secs)
	return ok, time.Duration(secs * float64(time.Second)), err
}
