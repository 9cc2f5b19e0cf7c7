package authkit

import (
	"context"
	"time"

	"github.com/authkit/authkit/internal/store"
)

// Device is one live session of a user — a browser or app where they are
// logged in — as [Auth.Sessions] lists it. ID is opaque: it names the
// session for [Auth.RevokeSession] and is never its token.
type Device struct {
	ID         string
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time // recorded at most every Config.ResyncInterval
	ExpiresAt  time.Time // the session's absolute end; IdleTimeout may end it sooner
	Current    bool      // the session of the request that asked
	Remembered bool      // restored from a remember-me cookie
}

func devices(rows []store.Device, currentKey string) []Device {
	out := make([]Device, len(rows))
	for i, d := range rows {
		out[i] = Device{
			ID: d.ID, UserAgent: d.UserAgent, IP: d.IP, CreatedAt: d.CreatedAt, LastSeenAt: d.LastSeenAt,
			ExpiresAt: d.ExpiresAt, Current: d.Key == currentKey && currentKey != "", Remembered: d.Remembered,
		}
	}
	return out
}

// Sessions lists the logged-in user's live sessions, the current one
// marked, most recently seen first (SEC-D1). Only the user's own sessions
// appear, and never a session's token.
func (a *Auth) Sessions() ([]Device, error) {
	st, err := a.requireLogin()
	if err != nil {
		return nil, err
	}
	rows, err := a.kit.store.Devices(a.ctx(), st.UserID, a.kit.now())
	if err != nil {
		return nil, unavailable("list sessions", err)
	}
	return devices(rows, a.sessionKeyOf()), nil
}

// RevokeSession ends one of the logged-in user's sessions, by the ID
// [Auth.Sessions] gave, on the server at once, together with the
// remember-me token of its device, so that the device is logged out at
// its next request. An ID that is not one of the user's sessions gives
// [ErrNotFound] (SEC-D1). Ending the current session logs this request
// out, as [Auth.Logout] does.
func (a *Auth) RevokeSession(id string) error {
	st, err := a.requireLogin()
	if err != nil {
		return err
	}
	k := a.kit
	current := a.sessionKeyOf()
	keys, err := k.revokeDevice(a.ctx(), st.UserID, id)
	if err != nil {
		return err
	}
	a.audit(auditEvent{event: eventSessionRevoked, outcome: outcomeOK, userID: st.UserID})
	for _, key := range keys {
		if key == current {
			a.clearRememberCookie()
			return a.endSession("session revoked by its user")
		}
	}
	return nil
}

// Sessions lists a user's live sessions, for support staff.
func (ad *Admin) Sessions(ctx context.Context, userID int64) ([]Device, error) {
	rows, err := ad.kit.store.Devices(ctx, userID, ad.kit.now())
	if err != nil {
		return nil, unavailable("list sessions", err)
	}
	return devices(rows, ""), nil
}

// RevokeSession ends one session of a user and its device's remember-me
// token, for support staff; [ErrNotFound] if the user has no session with
// that ID.
func (ad *Admin) RevokeSession(ctx context.Context, userID int64, id string) error {
	if _, err := ad.kit.revokeDevice(ctx, userID, id); err != nil {
		return err
	}
	ad.audit(ctx, eventSessionRevoked, userID, "by admin")
	return nil
}
