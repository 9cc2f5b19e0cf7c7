package authkit

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authkit/authkit/internal/store"
)

// Audit event names, as written to the audit table and the log.
const (
	eventRegister             = "register"
	eventConfirmEmail         = "confirm_email"
	eventLoginLink            = "login_link"
	eventLogin                = "login"
	eventLogout               = "logout"
	eventLogoutEverywhere     = "logout_everywhere"
	eventLogoutEverywhereElse = "logout_everywhere_else"
	eventStatusChange         = "status_change"
	eventRoleChange           = "role_change"
	eventUserCreated          = "user_created"
	eventUserDeleted          = "user_deleted"
	eventForceLogout          = "force_logout"
	eventSecondFactor         = "second_factor"
	eventTwoFactorChange      = "two_factor_change"
	eventReauthenticate       = "reauthenticate"
	eventPasswordReset        = "password_reset"
	eventPasswordChange       = "password_change"
	eventEmailChange          = "email_change"
	eventResettableChange     = "resettable_change"
	eventRememberTheft        = "remember_theft"
	eventSessionRevoked       = "session_revoked"
	eventAPIKeyCreated        = "api_key_created"
	eventAPIKeyRevoked        = "api_key_revoked"
)

// AuditEntry is one authentication event of the audit log: who (UserID,
// and ActorID when an administrator acted on the user), what (Event,
// Outcome, a short Detail), when and from where. It never holds a
// password, code or token.
type AuditEntry struct {
	ID        int64
	At        time.Time
	Event     string // for example "login", "logout", "password_reset", "status_change"
	Outcome   string // "ok", "failed", "pending" or "throttled"
	UserID    int64  // 0 when the user is unknown (a login with an unknown email)
	ActorID   int64  // 0 unless an administrator acted
	IP        string
	UserAgent string
	Detail    string
}

// Outcomes of audit events.
const (
	outcomeOK        = "ok"
	outcomeFailed    = "failed"
	outcomePending   = "pending"
	outcomeThrottled = "throttled"
)

// auditEvent is one authentication event. It never holds a password, code
// or token: detail is a short fixed reason or a non-secret value.
type auditEvent struct {
	event, outcome string
	userID         int64
	actorID        int64 // who did it, when not the user (an admin)
	detail         string
}

// audit writes e to the log and to the audit table. A failed insert is
// logged and does not fail the action that is being audited. The entries
// of refused attempts go through the background queue of
// audit_queue.go, so that a flood of them costs no write per request.
func (k *Kit) audit(ctx context.Context, r *requestInfo, e auditEvent) {
	k.logAudit(ctx, r, e)
	if e.outcome == outcomeFailed || e.outcome == outcomeThrottled {
		k.enqueueAudit(k.auditRow(r, e))
		return
	}
	if err := k.store.InsertAudit(context.WithoutCancel(ctx), k.auditRow(r, e)); err != nil {
		k.log.ErrorContext(ctx, "authkit: writing audit entry failed", "event", e.event, "error", err)
	}
}

// auditRow returns e as an audit table row, for callers that insert it
// together with other changes (and log it with logAudit once they did).
func (k *Kit) auditRow(r *requestInfo, e auditEvent) store.AuditEntry {
	entry := store.AuditEntry{
		At:      k.now(),
		Event:   e.event,
		Outcome: e.outcome,
		UserID:  sql.NullInt64{Int64: e.userID, Valid: e.userID != 0},
		ActorID: sql.NullInt64{Int64: e.actorID, Valid: e.actorID != 0},
		Detail:  e.detail,
	}
	if r != nil {
		entry.IP, entry.UserAgent = r.ip, r.userAgent
	}
	return entry
}

// logAudit writes e to the log.
func (k *Kit) logAudit(ctx context.Context, r *requestInfo, e auditEvent) {
	level := slog.LevelInfo
	if e.outcome != outcomeOK {
		level = slog.LevelWarn
	}
	ip := ""
	if r != nil {
		ip = r.ip
	}
	k.log.LogAttrs(ctx, level, "authkit: "+e.event,
		slog.String("outcome", e.outcome),
		slog.Int64("user_id", e.userID),
		slog.Int64("actor_id", e.actorID),
		slog.String("ip", ip),
		slog.String("detail", e.detail))
}

// requestInfo is what the audit log keeps about the request behind an event.
type requestInfo struct {
	ip, userAgent string
}

func (a *Auth) info() *requestInfo {
	return &requestInfo{ip: a.clientIP(), userAgent: cleanText(a.r.UserAgent(), 512)}
}

func (a *Auth) audit(e auditEvent) { a.kit.audit(a.ctx(), a.info(), e) }

// cleanText makes client-supplied text (a User-Agent header) safe to store:
// valid UTF-8, no NUL bytes (PostgreSQL refuses both), at most max bytes.
func cleanText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
