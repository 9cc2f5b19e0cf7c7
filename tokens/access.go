package tokens

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/internal/token"
)

// accessType is the "typ" header of access tokens (RFC 9068), required on
// verification so that no other JWT signed with the same keys passes for
// one.
const accessType = "at+jwt"

// maxAccessTokenLength bounds the access tokens looked at; those authkit
// issues are well under 1 KiB even with many roles.
const maxAccessTokenLength = 4096

// accessClaims are the claims of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	Email string   `json:"email,omitempty"`
	Roles []string `json:"roles"`
	// SessionID is the token's login: its refresh-token family.
	SessionID string `json:"sid"`
}

// Claims is what a valid access token says.
type Claims struct {
	UserID    int64    // the "sub" claim
	Email     string   // the user's address when the token was issued
	Roles     []string // the user's roles when the token was issued
	Audience  string   // the "aud" claim: the client or API it is for
	SessionID string   // the "sid" claim: the login (refresh-token family) it belongs to
	ID        string   // the "jti" claim, unique to the token
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// signAccess issues an access token for u, for audience, in the login
// family.
func (i *Issuer) signAccess(u core.User, audience, family string, now time.Time) (string, error) {
	key := i.ring.Load().signer(now)
	if key == nil {
		return "", fmt.Errorf("%w (no signing key is loaded)", authkit.ErrInternal)
	}
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.cfg.Issuer,
			Subject:   strconv.FormatInt(u.ID, 10),
			Audience:  jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(i.cfg.AccessLifetime)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        token.Random(16),
		},
		Email:     u.Email,
		Roles:     roles,
		SessionID: family,
	})
	t.Header["kid"] = key.kid
	t.Header["typ"] = accessType
	s, err := t.SignedString(key.private)
	if err != nil {
		return "", fmt.Errorf("%w (signing an access token: %v)", authkit.ErrInternal, err)
	}
	return s, nil
}

// newParser returns the parser of access tokens: EdDSA only, whatever
// the token's header says (no "none", no HS256 keyed with the public
// key); this issuer; one of its audiences; exp required and iat not in the
// future, with Config.Leeway; times from the Kit's clock (SEC-J1).
func (i *Issuer) newParser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{algorithm}),
		jwt.WithIssuer(i.cfg.Issuer),
		jwt.WithAudience(i.cfg.Audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(i.cfg.Leeway),
		jwt.WithTimeFunc(i.core.Now),
		jwt.WithStrictDecoding(),
	)
}

// Verify checks an access token and returns its claims, or
// [ErrAccessTokenInvalid]. It runs no database query: the public keys are
// held in memory, and so are the tokens verified lately, so that a client
// presenting the same token on each request pays for the signature check
// once. A token stays valid until it expires, whatever happens to its user
// meanwhile (see the package documentation).
func (i *Issuer) Verify(accessToken string) (*Claims, error) {
	if len(accessToken) > maxAccessTokenLength {
		return nil, ErrAccessTokenInvalid
	}
	if c, ok := i.verified.get(accessToken, i.core.Now().Add(-i.cfg.Leeway), i.ring.Load()); ok {
		return c, nil
	}
	var c accessClaims
	t, err := i.parser.ParseWithClaims(accessToken, &c, i.verificationKey)
	if err != nil {
		return nil, ErrAccessTokenInvalid
	}
	userID, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || userID <= 0 || c.SessionID == "" || c.ID == "" || c.IssuedAt == nil ||
		c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxAccessLifetime || len(c.Audience) != 1 {
		return nil, ErrAccessTokenInvalid
	}
	claims := &Claims{
		UserID: userID, Email: c.Email, Roles: c.Roles, Audience: c.Audience[0],
		SessionID: c.SessionID, ID: c.ID, IssuedAt: c.IssuedAt.Time, ExpiresAt: c.ExpiresAt.Time,
	}
	kid, _ := t.Header["kid"].(string)
	i.verified.put(accessToken, kid, claims)
	return claims.clone(), nil
}

func (c *Claims) clone() *Claims {
	d := *c
	d.Roles = slices.Clone(c.Roles)
	return &d
}

// maxVerified bounds the tokens an Issuer remembers as verified: at most
// a few MiB. Only tokens that passed verification get in, so nobody can
// fill it with garbage.
const maxVerified = 4096

// verifiedTokens remembers access tokens that passed verification, by
// their exact text. A remembered token is valid again as long as it has
// not expired (with the leeway) and its key is still published.
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	claims *Claims
	kid    string
}

// get returns the claims of token if it was verified, has not expired
// before notBefore and its key is in kr.
func (v *verifiedTokens) get(token string, notBefore time.Time, kr *keyring) (*Claims, bool) {
	v.mu.RLock()
	e, ok := v.m[token]
	v.mu.RUnlock()
	if !ok || !e.claims.ExpiresAt.After(notBefore) || kr.keys[e.kid] == nil {
		return nil, false
	}
	return e.claims.clone(), true
}

// put remembers a verified token, making room by forgetting arbitrary
// others when it is full.
func (v *verifiedTokens) put(token, kid string, c *Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[string]verifiedToken)
	}
	if len(v.m) >= maxVerified {
		n := 0
		for t := range v.m { // map order is random
			delete(v.m, t)
			if n++; n >= maxVerified/4 {
				break
			}
		}
	}
	v.m[token] = verifiedToken{claims: c, kid: kid}
}

// errUnknownKey is why a token whose kid names no published key, or whose
// issue time its key cannot have signed at, fails.
var errUnknownKey = errors.New("tokens: not signed by a published key")

// verificationKey finds the public key of a token by its kid. A key signs
// only from its signs_from until the next key takes over, so a token that
// claims to be issued outside that span (give or take the leeway) is
// refused, even while the key is still published for older tokens.
func (i *Issuer) verificationKey(t *jwt.Token) (any, error) {
	if typ, _ := t.Header["typ"].(string); typ != accessType {
		return nil, errUnknownKey
	}
	kid, _ := t.Header["kid"].(string)
	k := i.ring.Load().keys[kid]
	if k == nil {
		return nil, errUnknownKey
	}
	c, ok := t.Claims.(*accessClaims)
	if !ok || c.IssuedAt == nil {
		return nil, errUnknownKey
	}
	iat := c.IssuedAt.Time
	if iat.Before(k.signsFrom.Add(-i.cfg.Leeway)) || !k.retiresAt.IsZero() && iat.After(k.retiresAt.Add(i.cfg.Leeway)) {
		return nil, errUnknownKey
	}
	return k.public, nil
}

// bearer lets the Kit's middleware accept access tokens in
// Authorization: Bearer headers (core.Bearer).
type bearer struct{ i *Issuer }

// Authenticate verifies an access token, running no query.
func (b bearer) Authenticate(_ context.Context, credential string) (core.Identity, error) {
	c, err := b.i.Verify(credential)
	if err != nil {
		return core.Identity{}, err
	}
	return core.Identity{
		UserID: c.UserID, Email: c.Email, Roles: c.Roles,
		// An access token carries its user's whole login: it may do what
		// the user's roles allow.
		Scopes:    slices.Clone(c.Roles),
		SessionID: c.SessionID, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
	}, nil
}
