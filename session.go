package authkit

import (
	"encoding/gob"
	"time"

	"github.com/authkit/authkit/internal/token"
)

// sessionKey is the scs key authkit keeps its state under.
const sessionKey = "authkit"

// sessionState is what a session remembers about its user between
// requests. It is a cache of the users row, refreshed every syncEvery, plus
// the timestamps that enforce the session's lifetimes.
type sessionState struct {
	UserID     int64
	Email      string
	Verified   bool
	Status     Status
	Roles      []string
	Epoch      int64 // the user's session_epoch at login; a change revokes the session
	Remembered bool

	// RememberSelector names this device's remember-me token, if any.
	RememberSelector string
	// PasswordAt is when the user last proved the password in this
	// session; zero for a session restored from a remember-me cookie,
	// which is therefore never "fresh" (SEC-S7).
	PasswordAt time.Time

	// Pending is a login waiting for its second factor; UserID is 0
	// meanwhile, so nobody counts as logged in.
	Pending *pendingLogin

	CreatedAt  time.Time // for the absolute lifetime
	LastActive time.Time // for the idle timeout; recorded at most every syncEvery
	SyncedAt   time.Time // when the cache was last read from the database
}

// pendingLogin is a login that passed the password check and waits for
// its second factor. AttemptID binds the codes and the verification to
// this one attempt (SEC-F1).
type pendingLogin struct {
	AttemptID string
	UserID    int64
	ExpiresAt time.Time
}

func init() {
	// scs encodes session values with encoding/gob, which must know the
	// concrete type. The name is fixed so renaming the Go type later does
	// not break stored sessions.
	gob.RegisterName("authkit.sessionState", sessionState{})
}

// storeKey returns the key under which the session store keeps the
// session whose cookie holds tok. The per-user session index uses the same
// key, so one user's sessions can be deleted from the store directly.
func (k *Kit) storeKey(tok string) string {
	if tok == "" || !k.sessions.HashTokenInStore {
		return tok
	}
	return token.HashString(tok)
}
