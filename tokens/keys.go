package tokens

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/authkit/authkit/internal/token"
	"github.com/authkit/authkit/twofactor"
)

// Signing keys rotate without any verifier ever meeting a kid it does not
// know: a new key is written rotateAhead before it starts to sign, and in
// no case less than publishAhead, while every app instance reloads the
// keys every keyRefresh and clients of the JWKS cache it for at most
// jwksMaxAge. A key stops signing when the next one starts, and stays
// published until the last token it signed has expired.
const (
	keyRefresh   = time.Minute
	jwksMaxAge   = 5 * time.Minute
	publishAhead = jwksMaxAge + 2*keyRefresh
	rotateAhead  = 2 * publishAhead

	// algorithm is the only JWS algorithm issued and accepted (SEC-J1).
	algorithm = "EdDSA"
)

// signingKey is one row of the signing keys table.
type signingKey struct {
	KID        string    `db:"kid"`
	Algorithm  string    `db:"algorithm"`
	PublicKey  []byte    `db:"public_key"`
	PrivateKey []byte    `db:"private_key"` // the seed, sealed
	CreatedAt  time.Time `db:"created_at"`
	SignsFrom  time.Time `db:"signs_from"`
}

// ringKey is a key as verification and signing use it.
type ringKey struct {
	kid       string
	public    ed25519.PublicKey
	private   ed25519.PrivateKey // nil when it will never sign again
	signsFrom time.Time
	retiresAt time.Time // when the next key takes over; zero for the newest
}

// keyring is the keys an Issuer holds in memory, replaced whole on every
// reload, so verification reads it without locks or queries.
type keyring struct {
	keys map[string]*ringKey
	// order is the keys by signs_from, oldest first.
	order []*ringKey
	jwks  []byte // the JSON Web Key Set of the published keys
}

// signer returns the key that signs at now: the newest whose signs_from
// has come. nil if there is none (the keys could not be loaded).
func (kr *keyring) signer(now time.Time) *ringKey {
	for i := len(kr.order) - 1; i >= 0; i-- {
		if k := kr.order[i]; !k.signsFrom.After(now) && k.private != nil {
			return k
		}
	}
	return nil
}

// keyRetention is how long after it retires a key stays published: the
// longest an access token it signed can still be valid. It does not depend
// on this Issuer's AccessLifetime, so that instances configured otherwise
// keep each other's keys long enough.
func keyRetention(leeway time.Duration) time.Duration { return MaxAccessLifetime + leeway }

// sealedAD is the additional data a key's seed is sealed with: the sealed
// seed only opens as the key of its own row.
func sealedAD(kid string) []byte { return []byte("authkit signing key " + kid) }

// newSigningKey makes a key that signs from signsFrom.
func (i *Issuer) newSigningKey(now, signsFrom time.Time) (signingKey, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return signingKey{}, err
	}
	kid := token.Random(16)
	sealed, err := twofactor.Seal(i.core.EncryptionKey(), priv.Seed(), sealedAD(kid))
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{KID: kid, Algorithm: algorithm, PublicKey: pub, PrivateKey: sealed, CreatedAt: now, SignsFrom: signsFrom}, nil
}

// rotate makes sure that a key signs now and, when the current one's time
// is nearly up, that its successor is published; and deletes the keys no
// token can need any more. Every app instance runs it; a lock in the
// database makes one of them do the work.
func (i *Issuer) rotate(ctx context.Context) error {
	now := i.core.Now()
	return i.store.manageKeys(ctx, func(newest *signingKey) (*signingKey, error) {
		var signsFrom time.Time
		switch {
		case newest == nil:
			// The first key signs at once: no token exists that a
			// verifier could fail to check.
			signsFrom = now
		case newest.SignsFrom.Add(i.cfg.KeyRotation).Sub(now) <= rotateAhead:
			signsFrom = newest.SignsFrom.Add(i.cfg.KeyRotation)
			if earliest := now.Add(publishAhead); signsFrom.Before(earliest) {
				// No instance ran when the successor was due: the
				// current key signs a little longer instead of handing
				// over to a key not everyone knows.
				signsFrom = earliest
			}
		default:
			return nil, nil
		}
		k, err := i.newSigningKey(now, signsFrom)
		return &k, err
	}, now.Add(-keyRetention(i.cfg.Leeway)))
}

// loadKeys reads the keys from the database and makes them the keyring:
// an authkit.ErrUnavailable when the database fails, an
// authkit.ErrInternal when a key is unusable.
func (i *Issuer) loadKeys(ctx context.Context) error {
	rows, err := i.store.signingKeys(ctx)
	if err != nil {
		return unavailable("load signing keys", err)
	}
	kr, err := i.newKeyring(rows, i.core.Now())
	if err != nil {
		return internalError(err)
	}
	i.ring.Store(kr)
	return nil
}

// newKeyring builds the keyring of the keys that are published at now.
// Only the keys that sign now or later are opened.
func (i *Issuer) newKeyring(rows []signingKey, now time.Time) (*keyring, error) {
	sort.Slice(rows, func(a, b int) bool { return rows[a].SignsFrom.Before(rows[b].SignsFrom) })
	kr := &keyring{keys: make(map[string]*ringKey, len(rows))}
	var set jose.JSONWebKeySet
	for n, row := range rows {
		if row.Algorithm != algorithm || len(row.PublicKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("signing key %s: unusable %s key", row.KID, row.Algorithm)
		}
		k := &ringKey{kid: row.KID, public: ed25519.PublicKey(row.PublicKey), signsFrom: row.SignsFrom}
		if n+1 < len(rows) {
			k.retiresAt = rows[n+1].SignsFrom
		}
		if !k.retiresAt.IsZero() && now.Sub(k.retiresAt) > keyRetention(i.cfg.Leeway) {
			continue // its last token has expired
		}
		if k.retiresAt.IsZero() || k.retiresAt.After(now) {
			seed, err := twofactor.Open(i.core.EncryptionKey(), row.PrivateKey, sealedAD(row.KID))
			if err != nil || len(seed) != ed25519.SeedSize {
				return nil, fmt.Errorf("signing key %s cannot be opened with the Kit's EncryptionKey (was it changed?)", row.KID)
			}
			k.private = ed25519.NewKeyFromSeed(seed)
		}
		kr.keys[k.kid] = k
		kr.order = append(kr.order, k)
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.public, KeyID: k.kid, Algorithm: algorithm, Use: "sig"})
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	kr.jwks = jwks
	return kr, nil
}
