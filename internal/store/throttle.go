package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"
)

// Take takes n tokens from the bucket key, which holds at most burst
// tokens and gains one every every. It reports whether they were there;
// when they were not, nothing is taken and wait says how long until they
// will be. The update is one atomic statement — concurrent requests on
// any app instance wait for the row lock and see each other's takes — so
// the bucket is shared exactly.
func (s *Store) Take(ctx context.Context, key string, n float64, burst int, every time.Duration, now time.Time) (ok bool, wait time.Duration, err error) {
	perSec := 1 / every.Seconds()
	// avail is what the bucket holds now: what it held, plus the refill
	// since, capped at burst.
	const avail = `LEAST($3::float8, t.tokens + GREATEST(0, EXTRACT(EPOCH FROM ($4::timestamptz - t.updated_at))::float8) * $5::float8)`
	var left sql.NullFloat64
	err = s.row(ctx, (`
		WITH upsert AS (
		    INSERT INTO {throttles} AS t (key, tokens, updated_at, full_at)
		    VALUES ($1, $3::float8 - $2::float8, $4::timestamptz, $4::timestamptz + make_interval(secs => $2::float8 / $5::float8))
		    ON CONFLICT (key) DO UPDATE
		    SET tokens = ` + avail + ` - $2::float8,
		        updated_at = $4::timestamptz,
		        full_at = $4::timestamptz + make_interval(secs => ($3::float8 - (` + avail + ` - $2::float8)) / $5::float8)
		    WHERE ` + avail + ` >= $2::float8
		    RETURNING 1)
		SELECT CASE WHEN EXISTS (SELECT 1 FROM upsert) THEN NULL
		       ELSE (SELECT ` + avail + ` FROM {throttles} t WHERE t.key = $1) END`),
		key, n, float64(burst), now, perSec).Scan(&left)
	if err != nil {
		return false, 0, err
	}
	if !left.Valid {
		return true, 0, nil
	}
	return false, time.Duration((n - left.Float64) / perSec * float64(time.Second)), nil
}

// GiveBack puts one token back into each bucket of keys (never above its
// burst, bursts[i] for keys[i]), for an attempt that turned out not to
// count, such as a successful login.
func (s *Store) GiveBack(ctx context.Context, keys []string, bursts []int) error {
	b := make(pq.Float64Array, len(bursts))
	for i, v := range bursts {
		b[i] = float64(v)
	}
	_, err := s.exec(ctx, `
		UPDATE {throttles} t SET tokens = LEAST(g.burst, t.tokens + 1)
		FROM unnest($1::text[], $2::float8[]) AS g(key, burst) WHERE t.key = g.key`, pq.StringArray(keys), b)
	return err
}
