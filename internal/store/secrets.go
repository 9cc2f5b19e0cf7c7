package store

import "context"

// Secret returns the shared secret name, storing candidate as its value
// first if there is none yet: of several app instances starting at once,
// the first to store its candidate wins, and all read that one.
func (s *Store) Secret(ctx context.Context, name string, candidate []byte) ([]byte, error) {
	if _, err := s.exec(ctx, `INSERT INTO {secrets} (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, candidate); err != nil {
		return nil, err
	}
	var value []byte
	err := s.row(ctx, `SELECT value FROM {secrets} WHERE name = $1`, name).Scan(&value)
	return value, err
}
