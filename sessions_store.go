package authkit

import (
	"context"
	"time"

	"github.com/alexedwards/scs/v2"
)

// The helpers below reach the sessions of other devices through the scs
// Store interface, so revocation works whatever store Config.Sessions uses.

// deleteSessions deletes sessions from the session store by their keys.
func (k *Kit) deleteSessions(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if err := k.storeDelete(ctx, key); err != nil {
			return unavailable("delete session", err)
		}
	}
	return nil
}

// revokeSessions ends every session of the user but the one under keepKey
// and forgets every remember-me token but keepSelector's ("" keeps none),
// and returns the user's new session epoch.
func (k *Kit) revokeSessions(ctx context.Context, userID int64, keepKey, keepSelector string) (int64, error) {
	epoch, keys, err := k.store.RevokeSessions(ctx, userID, keepKey, keepSelector)
	if err != nil {
		return 0, notFoundOr(err, "revoke sessions")
	}
	return epoch, k.deleteSessions(ctx, keys)
}

// refreshSessions makes every session of the user re-read the user on its
// next request, so that a change made through authkit (roles, email)
// reaches the user's other devices at once rather than at the next
// resync. A request of that session in flight at this moment may write
// its old copy back; the change then arrives at the next resync.
func (k *Kit) refreshSessions(ctx context.Context, userID int64) error {
	keys, err := k.store.SessionKeys(ctx, userID)
	if err != nil {
		return unavailable("list sessions", err)
	}
	for _, key := range keys {
		if err := k.markForResync(ctx, key); err != nil {
			return unavailable("refresh session", err)
		}
	}
	return nil
}

func (k *Kit) markForResync(ctx context.Context, key string) error {
	b, found, err := k.storeFind(ctx, key)
	if err != nil || !found {
		return err
	}
	deadline, values, err := k.sessions.Codec.Decode(b)
	if err != nil {
		return err
	}
	state, ok := values[sessionKey].(sessionState)
	if !ok {
		return nil
	}
	state.SyncedAt = time.Time{}
	values[sessionKey] = state
	if b, err = k.sessions.Codec.Encode(deadline, values); err != nil {
		return err
	}
	expiry := deadline
	if idle := k.sessions.IdleTimeout; idle > 0 {
		if ie := time.Now().Add(idle); ie.Before(expiry) {
			expiry = ie
		}
	}
	return k.storeCommit(ctx, key, b, expiry)
}

// storeFind, storeCommit and storeDelete use the context-aware methods of
// the session store when it has them.
func (k *Kit) storeFind(ctx context.Context, key string) ([]byte, bool, error) {
	if cs, ok := k.sessions.Store.(scs.CtxStore); ok {
		return cs.FindCtx(ctx, key)
	}
	return k.sessions.Store.Find(key)
}

func (k *Kit) storeCommit(ctx context.Context, key string, b []byte, expiry time.Time) error {
	if cs, ok := k.sessions.Store.(scs.CtxStore); ok {
		return cs.CommitCtx(ctx, key, b, expiry)
	}
	return k.sessions.Store.Commit(key, b, expiry)
}

func (k *Kit) storeDelete(ctx context.Context, key string) error {
	if cs, ok := k.sessions.Store.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, key)
	}
	return k.sessions.Store.Delete(key)
}
