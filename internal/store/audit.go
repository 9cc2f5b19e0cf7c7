package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is a row of the audit table.
type AuditEntry struct {
	ID        int64         `db:"id"`
	At        time.Time     `db:"at"`
	Event     string        `db:"event"`
	Outcome   string        `db:"outcome"`
	UserID    sql.NullInt64 `db:"user_id"`
	ActorID   sql.NullInt64 `db:"actor_id"`
	IP        string        `db:"ip"`
	UserAgent string        `db:"user_agent"`
	Detail    string        `db:"detail"`
}

// InsertAudit appends an entry to the audit table.
func (s *Store) InsertAudit(ctx context.Context, e AuditEntry) error {
	_, err := s.exec(ctx, `
		INSERT INTO {audit} (at, event, outcome, user_id, actor_id, ip, user_agent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.At, e.Event, e.Outcome, e.UserID, e.ActorID, e.IP, e.UserAgent, e.Detail)
	return err
}

// AuditEntries returns up to limit entries older than the entry beforeID
// (0 for the newest), newest first by time (entries of refused attempts
// are written in batches, so ids do not follow time); only the user's
// when userID is not 0.
func (s *Store) AuditEntries(ctx context.Context, userID, beforeID int64, limit int) ([]AuditEntry, error) {
	entries := []AuditEntry{}
	err := s.sel(ctx, &entries, `
		SELECT id, at, event, outcome, user_id, actor_id, ip, user_agent, detail FROM {audit}
		WHERE ($1 = 0 OR user_id = $1)
		  AND ($2 = 0 OR (at, id) < (SELECT at, id FROM {audit} WHERE id = $2))
		ORDER BY at DESC, id DESC LIMIT $3`, userID, beforeID, limit)
	return entries, err
}

// InsertAudits appends entries to the audit table in one statement.
func (s *Store) InsertAudits(ctx context.Context, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO {audit} (at, event, outcome, user_id, actor_id, ip, user_agent, detail) VALUES `)
	args := make([]any, 0, 8*len(entries))
	for i, e := range entries {
		if i > 0 {
			q.WriteString(", ")
		}
		n := 8 * i
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, e.At, e.Event, e.Outcome, e.UserID, e.ActorID, e.IP, e.UserAgent, e.Detail)
	}
	_, err := s.exec(ctx, q.String(), args...)
	return err
}
