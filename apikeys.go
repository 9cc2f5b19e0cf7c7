package authkit

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/internal/token"
)

// API keys (personal access tokens) let scripts and other services call
// the app as a user with an Authorization: Bearer ak_… header. A key is
// shown once, when it is made; only a hash of its secret is kept (SEC-K1).

const (
	apiKeyPrefix    = "ak_"
	apiKeySelector  = 16 // bytes of the public part the key is found by
	apiKeySecret    = 32 // bytes of the secret part (SEC-K1 asks for 128 bits)
	maxAPIKeys      = 100
	maxAPIKeyScopes = 32
)

var (
	apiKeySelectorLen = len(token.Random(apiKeySelector))
	apiKeySecretLen   = len(token.Random(apiKeySecret))
	apiKeyLen         = len(apiKeyPrefix) + apiKeySelectorLen + 1 + apiKeySecretLen
)

// APIKeySpec describes a key to make with [APIKeys.Create].
type APIKeySpec struct {
	// Name says what the key is for ("deploy script"): 1 to 100
	// characters. Required.
	Name string
	// Scopes are what the key may do, as [Auth.HasScope] checks them:
	// names the app defines, up to 32, each 1 to 64 printable ASCII
	// characters without spaces. With Config.APIKeyScopes set, they must
	// be among the scopes the user's roles allow.
	Scopes []string
	// ExpiresIn is how long the key works; zero means until revoked.
	ExpiresIn time.Duration
}

// APIKey is a key as [APIKeys.List] shows it: never its secret.
type APIKey struct {
	ID         string
	Name       string
	Prefix     string // the public start of the key ("ak_…"), to recognise it by
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero when the key does not expire
	LastUsedAt time.Time // zero when never used; recorded at most once a minute
}

func publicAPIKey(k store.APIKey) APIKey {
	scopes := []string(k.Scopes)
	if scopes == nil {
		scopes = []string{}
	}
	return APIKey{
		ID: k.ID, Name: k.Name, Prefix: apiKeyPrefix + k.Selector, Scopes: scopes, CreatedAt: k.CreatedAt,
		ExpiresAt: k.ExpiresAt.Time, LastUsedAt: k.LastUsedAt.Time,
	}
}

// APIKeys manages the logged-in user's API keys. Get it from
// [Auth.APIKeys].
type APIKeys struct {
	a *Auth
}

// APIKeys returns the request's API-key actions.
func (a *Auth) APIKeys() *APIKeys { return &APIKeys{a: a} }

// Create makes a key for the logged-in user and returns it with its
// secret, which is shown only now: the app must display it once and never
// store it. The owner is always the session's user, never anything the
// request names (SEC-K1). It needs a fresh password check in a cookie
// session ([ErrReauthenticationRequired], [ErrCookieSessionRequired]);
// a bad spec gives [ErrInvalidAPIKeySpec], scopes the user's roles do not
// allow [ErrScopeNotAllowed], and more than 100 live keys
// [ErrTooManyAPIKeys].
func (ks *APIKeys) Create(spec APIKeySpec) (APIKey, string, error) {
	a := ks.a
	st, err := a.requireLogin()
	if err != nil {
		return APIKey{}, "", err
	}
	if !a.IsFresh() {
		return APIKey{}, "", ErrReauthenticationRequired
	}
	k := a.kit
	if err := checkAPIKeySpec(spec); err != nil {
		return APIKey{}, "", err
	}
	if allowed := k.cfg.APIKeyScopes; allowed != nil {
		may := allowed(a.Roles())
		for _, s := range spec.Scopes {
			if !slices.Contains(may, s) {
				return APIKey{}, "", ErrScopeNotAllowed
			}
		}
	}
	now := k.now()
	live, err := k.store.APIKeys(a.ctx(), st.UserID, now)
	if err != nil {
		return APIKey{}, "", unavailable("list API keys", err)
	}
	if len(live) >= maxAPIKeys {
		return APIKey{}, "", ErrTooManyAPIKeys
	}
	selector, secret := token.Random(apiKeySelector), token.Random(apiKeySecret)
	row := store.NewAPIKey{
		APIKey: store.APIKey{
			ID: token.Random(12), Selector: selector, UserID: st.UserID, Name: spec.Name,
			Scopes: pq.StringArray(slices.Compact(slices.Sorted(slices.Values(spec.Scopes)))), CreatedAt: now,
		},
		SecretHash: token.Hash(secret),
		Epoch:      a.user.Epoch,
	}
	if spec.ExpiresIn > 0 {
		row.ExpiresAt = sql.NullTime{Time: now.Add(spec.ExpiresIn), Valid: true}
	}
	made, err := k.store.CreateAPIKey(a.ctx(), row)
	if err != nil {
		return APIKey{}, "", unavailable("store API key", err)
	}
	if !made {
		return APIKey{}, "", ErrSessionRevoked
	}
	a.audit(auditEvent{event: eventAPIKeyCreated, outcome: outcomeOK, userID: st.UserID, detail: row.ID})
	return publicAPIKey(row.APIKey), apiKeyPrefix + selector + "_" + secret, nil
}

func checkAPIKeySpec(spec APIKeySpec) error {
	name := strings.TrimSpace(spec.Name)
	if name == "" || name != spec.Name || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) ||
		strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ErrInvalidAPIKeySpec
	}
	if len(spec.Scopes) > maxAPIKeyScopes || spec.ExpiresIn < 0 || (spec.ExpiresIn > 0 && spec.ExpiresIn < time.Minute) {
		return ErrInvalidAPIKeySpec
	}
	for _, s := range spec.Scopes {
		if !roleName.MatchString(s) {
			return ErrInvalidAPIKeySpec
		}
	}
	return nil
}

// List returns the logged-in user's live keys, newest first, without
// their secrets.
func (ks *APIKeys) List() ([]APIKey, error) {
	st, err := ks.a.requireLogin()
	if err != nil {
		return nil, err
	}
	rows, err := ks.a.kit.store.APIKeys(ks.a.ctx(), st.UserID, ks.a.kit.now())
	if err != nil {
		return nil, unavailable("list API keys", err)
	}
	keys := make([]APIKey, len(rows))
	for i, r := range rows {
		keys[i] = publicAPIKey(r)
	}
	return keys, nil
}

// Revoke deletes one of the logged-in user's keys, which stops working at
// its next request; an id that is not one of the user's keys gives
// [ErrNotFound].
func (ks *APIKeys) Revoke(id string) error {
	st, err := ks.a.requireLogin()
	if err != nil {
		return err
	}
	if err := ks.a.kit.store.DeleteAPIKey(ks.a.ctx(), st.UserID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		return unavailable("revoke API key", err)
	}
	ks.a.audit(auditEvent{event: eventAPIKeyRevoked, outcome: outcomeOK, userID: st.UserID, detail: id})
	return nil
}

// parseAPIKey splits a key into its selector and secret, or reports that
// it is not the shape of one.
func parseAPIKey(key string) (selector, secret string, ok bool) {
	if len(key) != apiKeyLen || !strings.HasPrefix(key, apiKeyPrefix) {
		return "", "", false
	}
	rest := key[len(apiKeyPrefix):]
	if rest[apiKeySelectorLen] != '_' {
		return "", "", false
	}
	selector, secret = rest[:apiKeySelectorLen], rest[apiKeySelectorLen+1:]
	if !isB64URL(selector) || !isB64URL(secret) {
		return "", "", false
	}
	return selector, secret, true
}

func isB64URL(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// authenticateAPIKey logs the request in as the owner of a live API key
// (one query, which checks the key and the owner's eligibility together),
// or leaves it anonymous. Failed lookups count against the client's
// bucket; once it is empty the answer is a *TooManyRequestsError.
func (a *Auth) authenticateAPIKey(ctx context.Context, key string) error {
	k := a.kit
	selector, secret, ok := parseAPIKey(key)
	if !ok {
		return nil
	}
	ku, err := k.store.UseAPIKey(ctx, selector, token.Hash(secret), k.now())
	if errors.Is(err, store.ErrNotFound) {
		return k.take(ctx, bucket{"api-key-fail:ip:" + ipKey(a.clientIP()), k.cfg.Limits.APIKeyFailuresPerIP})
	}
	if err != nil {
		return unavailable("check API key", err)
	}
	scopes := []string(ku.Scopes)
	if allowed := k.cfg.APIKeyScopes; allowed != nil {
		may := allowed(ku.Roles)
		scopes = slices.DeleteFunc(scopes, func(s string) bool { return !slices.Contains(may, s) })
	}
	a.state = &sessionState{UserID: ku.UserID, CreatedAt: ku.CreatedAt, LastActive: k.now()}
	a.user = ku.SessionUser
	a.via, a.scopes = ViaAPIKey, scopes
	return nil
}
