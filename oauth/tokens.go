package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/twofactor"
)

// sealedToken is what is sealed of an access token.
type sealedToken struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`
}

// tokenAD binds a sealed token to its row, so that one copied to another
// row does not open.
func tokenAD(provider, subject, kind string) []byte {
	return []byte("authkit oauth " + kind + "\x00" + provider + "\x00" + subject)
}

// keepTokens stores the tokens of a sign-in for u when Options.KeepTokens
// is set, only while u's revocation counter is still u.Epoch.
func (s *Service) keepTokens(r *http.Request, provider, subject string, u core.User, tok *oauth2.Token) error {
	if !s.opts.KeepTokens || tok == nil || tok.AccessToken == "" {
		return nil
	}
	key := s.c.EncryptionKey()
	plain, err := json.Marshal(sealedToken{AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry})
	if err != nil {
		return hide(authkit.ErrInternal, "encode provider token", err)
	}
	access, err := twofactor.Seal(key, plain, tokenAD(provider, subject, "access"))
	if err != nil {
		return hide(authkit.ErrInternal, "seal provider token", err)
	}
	var refresh []byte
	if tok.RefreshToken != "" {
		if refresh, err = twofactor.Seal(key, []byte(tok.RefreshToken), tokenAD(provider, subject, "refresh")); err != nil {
			return hide(authkit.ErrInternal, "seal provider token", err)
		}
	}
	if _, err := s.store.keepTokens(r.Context(), provider, subject, u.ID, u.Epoch, access, refresh, s.c.Now()); err != nil {
		return unavailable("keep provider tokens", err)
	}
	return nil
}

// ProviderToken hands the app, once, the access token the provider issued
// at the logged-in user's newest sign-in with it (or linking of it), for
// calling the provider's API on the user's behalf. A second call gives
// [ErrNoProviderToken] until the next sign-in or [RefreshProviderToken];
// so does a revocation of the user's sessions (logout everywhere, a
// password change, a ban, ...), which deletes the kept tokens. The
// refresh token never leaves the server. It needs Options.KeepTokens.
func (s *Service) ProviderToken(r *http.Request, provider string) (*oauth2.Token, error) {
	userID, p, err := s.tokenOwner(r, provider)
	if err != nil {
		return nil, err
	}
	row, err := s.store.takeAccessToken(r.Context(), userID, p.Name)
	if errors.Is(err, errNotFound) {
		return nil, ErrNoProviderToken
	}
	if err != nil {
		return nil, unavailable("take provider token", err)
	}
	plain, err := twofactor.Open(s.c.EncryptionKey(), row.Sealed, tokenAD(p.Name, row.Subject, "access"))
	if err != nil {
		return nil, hide(authkit.ErrInternal, "open provider token", err)
	}
	var st sealedToken
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, hide(authkit.ErrInternal, "decode provider token", err)
	}
	return &oauth2.Token{AccessToken: st.AccessToken, TokenType: st.TokenType, Expiry: st.Expiry}, nil
}

// RefreshProviderToken asks the provider for a new access token for the
// logged-in user with the refresh token kept from their newest sign-in,
// keeps the refresh token the provider may have rotated, and returns the
// new access token (without the refresh token). [ErrNoProviderToken] when
// no refresh token is kept (the provider issued none: Google needs
// access_type=offline in AuthParams); [ErrProviderRefused] when the
// provider no longer honours it.
func (s *Service) RefreshProviderToken(r *http.Request, provider string) (*oauth2.Token, error) {
	userID, p, err := s.tokenOwner(r, provider)
	if err != nil {
		return nil, err
	}
	row, err := s.store.refreshToken(r.Context(), userID, p.Name)
	if errors.Is(err, errNotFound) {
		return nil, ErrNoProviderToken
	}
	if err != nil {
		return nil, unavailable("read provider token", err)
	}
	key := s.c.EncryptionKey()
	refresh, err := twofactor.Open(key, row.Sealed, tokenAD(p.Name, row.Subject, "refresh"))
	if err != nil {
		return nil, hide(authkit.ErrInternal, "open provider token", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*s.providerTimeout())
	defer cancel()
	ctx = withClient(ctx, s.opts.HTTPClient)
	endpoint, err := p.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	old := &oauth2.Token{RefreshToken: string(refresh), Expiry: time.Unix(1, 0)}
	tok, err := p.oauthConfig(endpoint, s.opts.CallbackURL(p.Name)).TokenSource(ctx, old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, hide(ErrProviderRefused, "refresh", err)
		}
		return nil, hide(ErrProviderUnavailable, "refresh", err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != string(refresh) {
		sealed, err := twofactor.Seal(key, []byte(tok.RefreshToken), tokenAD(p.Name, row.Subject, "refresh"))
		if err != nil {
			return nil, hide(authkit.ErrInternal, "seal provider token", err)
		}
		if err := s.store.replaceRefreshToken(r.Context(), p.Name, row.Subject, row.Epoch, sealed, s.c.Now()); err != nil {
			return nil, unavailable("keep provider token", err)
		}
	}
	return &oauth2.Token{AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry}, nil
}

// tokenOwner returns the logged-in user whose provider tokens a request
// may read: a session of theirs, not a bearer credential.
func (s *Service) tokenOwner(r *http.Request, provider string) (int64, *conn, error) {
	p, err := s.provider(provider)
	if err != nil {
		return 0, nil, err
	}
	if !s.opts.KeepTokens {
		return 0, nil, ErrNoProviderToken
	}
	a := authkit.From(r)
	switch a.Via() {
	case authkit.ViaNone:
		return 0, nil, authkit.ErrNotLoggedIn
	case authkit.ViaAPIKey, authkit.ViaAccessToken:
		return 0, nil, authkit.ErrCookieSessionRequired
	}
	return a.UserID(), p, nil
}
