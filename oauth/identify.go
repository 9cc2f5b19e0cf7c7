package oauth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// conn is a configured provider at run time: the Provider, the client
// that reaches it and, for OpenID Connect, what discovery found.
type conn struct {
	Provider
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex
	discovery *oidc.Provider // nil until discovered
}

// maxIDToken bounds the id_tokens looked at; real ones are a few KiB.
const maxIDToken = 16 << 10

// maxAPIResponse bounds what is read of a provider's API answer.
const maxAPIResponse = 1 << 20

// discover returns the OpenID Connect provider, running discovery on
// first use (not in New, so that an app starts while a provider is down).
// A failed discovery is tried again at the next sign-in.
func (c *conn) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.discovery != nil {
		return c.discovery, nil
	}
	ctx = oidc.ClientContext(ctx, c.client)
	if c.JWKSURL != "" {
		c.discovery = (&oidc.ProviderConfig{
			IssuerURL: c.IssuerURL, AuthURL: c.Endpoint.AuthURL, TokenURL: c.Endpoint.TokenURL, JWKSURL: c.JWKSURL,
		}).NewProvider(ctx)
		return c.discovery, nil
	}
	d, err := oidc.NewProvider(ctx, c.IssuerURL)
	if err != nil {
		return nil, hide(ErrProviderUnavailable, "discovery", err)
	}
	c.discovery = d
	return d, nil
}

// endpoint returns the provider's authorization and token URLs.
func (c *conn) endpoint(ctx context.Context) (oauth2.Endpoint, error) {
	if c.kind != kindOIDC {
		return c.Endpoint, nil
	}
	d, err := c.discover(ctx)
	if err != nil {
		return oauth2.Endpoint{}, err
	}
	ep := d.Endpoint()
	if c.Endpoint.AuthURL != "" {
		ep.AuthURL = c.Endpoint.AuthURL
	}
	if c.Endpoint.TokenURL != "" {
		ep.TokenURL = c.Endpoint.TokenURL
	}
	if c.Endpoint.AuthStyle != oauth2.AuthStyleAutoDetect {
		ep.AuthStyle = c.Endpoint.AuthStyle
	}
	return ep, nil
}

// identify tells who the token the code was exchanged for belongs to:
// from its id_token, which must carry nonce, or from GitHub's API.
func (c *conn) identify(ctx context.Context, tok *oauth2.Token, nonce string) (claims, error) {
	if c.kind == kindGitHub {
		return c.githubUser(ctx, tok)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return claims{}, hide(ErrInvalidIDToken, "no id_token in the token response", errors.New("missing id_token"))
	}
	return c.verifyIDToken(ctx, raw, nonce, []string{c.ClientID})
}

// verifyIDToken checks an id_token (SEC-O1): its signature under the
// provider's published keys and the algorithms it announced, its issuer,
// that its audience includes one of audiences, that it has not expired
// (by the Kit's clock), and that it carries nonce. Only a JSON true in
// email_verified counts as a verified address: the string "true" is not
// a boolean, and "false" certainly not.
func (c *conn) verifyIDToken(ctx context.Context, raw, nonce string, audiences []string) (claims, error) {
	if c.kind != kindOIDC {
		return claims{}, ErrIDTokensUnsupported
	}
	if len(raw) > maxIDToken || !utf8.ValidString(raw) || strings.ContainsRune(raw, 0) {
		return claims{}, hide(ErrInvalidIDToken, "malformed", errors.New("oversized or not text"))
	}
	d, err := c.discover(ctx)
	if err != nil {
		return claims{}, err
	}
	tok, err := d.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: c.now}).Verify(ctx, raw)
	if err != nil {
		return claims{}, hide(ErrInvalidIDToken, "verification", err)
	}
	if !slices.ContainsFunc(tok.Audience, func(aud string) bool { return slices.Contains(audiences, aud) }) {
		return claims{}, hide(ErrInvalidIDToken, "audience", errors.New("issued for another client"))
	}
	if subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return claims{}, hide(ErrInvalidIDToken, "nonce", errors.New("nonce mismatch"))
	}
	var cl struct {
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"`
	}
	if err := tok.Claims(&cl); err != nil {
		return claims{}, hide(ErrInvalidIDToken, "claims", err)
	}
	return claims{Subject: tok.Subject, Email: cl.Email, EmailVerified: isTrue(cl.EmailVerified)}, nil
}

// isTrue reports whether a JSON value is the boolean true.
func isTrue(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("true")) }

// githubUser reads the GitHub user a token belongs to: its numeric id
// (the subject; logins can be renamed) and the address GitHub lists as
// primary and verified, if any.
func (c *conn) githubUser(ctx context.Context, tok *oauth2.Token) (claims, error) {
	var user struct {
		ID int64 `json:"id"`
	}
	if err := c.githubGet(ctx, tok, "/user", &user); err != nil {
		return claims{}, err
	}
	if user.ID <= 0 {
		return claims{}, hide(ErrProviderUnavailable, "github user", errors.New("no user id"))
	}
	cl := claims{Subject: strconv.FormatInt(user.ID, 10)}
	var emails []struct {
		Email    string          `json:"email"`
		Primary  json.RawMessage `json:"primary"`
		Verified json.RawMessage `json:"verified"`
	}
	if err := c.githubGet(ctx, tok, "/user/emails", &emails); err != nil {
		if errors.Is(err, errNotPermitted) {
			return cl, nil // the token may not read addresses: none is known
		}
		return claims{}, err
	}
	for _, e := range emails {
		if isTrue(e.Primary) && isTrue(e.Verified) {
			cl.Email, cl.EmailVerified = e.Email, true
		}
	}
	return cl, nil
}

// errNotPermitted is GitHub refusing a read the token has no scope for.
var errNotPermitted = errors.New("not permitted")

// githubGet reads one resource of GitHub's REST API into v.
func (c *conn) githubGet(ctx context.Context, tok *oauth2.Token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.APIURL, "/")+path, nil)
	if err != nil {
		return hide(ErrProviderUnavailable, "github request", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	tok.SetAuthHeader(req)
	resp, err := c.client.Do(req)
	if err != nil {
		return hide(ErrProviderUnavailable, "github "+path, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound:
		return hide(ErrProviderUnavailable, "github "+path, errNotPermitted)
	case resp.StatusCode != http.StatusOK:
		return hide(ErrProviderUnavailable, "github "+path, errors.New(resp.Status))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAPIResponse)).Decode(v); err != nil {
		return hide(ErrProviderUnavailable, "github "+path, err)
	}
	return nil
}
