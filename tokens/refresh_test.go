package tokens

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/token"
)

// familyOf returns the login (sid) of an access token.
func familyOf(t *testing.T, access string) string {
	t.Helper()
	var claims struct{ Sid string }
	decodeSegment(t, access, 1, &claims)
	return claims.Sid
}

func TestRefresh_RotatesTheTokenAndKeepsTheLogin(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	first := e.issue(id)
	e.clock.Advance(11 * time.Minute) // the access token has expired
	if _, ok := e.client().me(first.AccessToken); ok {
		t.Fatal("an expired access token still works")
	}
	next := e.mustRefresh(first.RefreshToken)
	if next.RefreshToken == first.RefreshToken || next.AccessToken == first.AccessToken {
		t.Fatal("the refresh handed out the same tokens again")
	}
	if familyOf(t, next.AccessToken) != familyOf(t, first.AccessToken) {
		t.Error("the new access token belongs to another login")
	}
	if m, ok := e.client().me(next.AccessToken); !ok || m.ID != id {
		t.Fatalf("the refreshed access token: %+v, %v", m, ok)
	}
	e.mustRefresh(next.RefreshToken)
}

func TestRefresh_TokensAreOpaqueAndStoredHashed(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	rt, err := parseRefresh(tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := e.db.Get(&stored, `SELECT validator_hash FROM authkit_refresh_tokens WHERE selector = $1`, rt.Selector); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, token.Hash(rt.Validator)) {
		t.Fatal("the stored validator is not its SHA-256")
	}
	var dump string
	if err := e.db.Get(&dump, `SELECT string_agg(t::text, ' ') FROM authkit_refresh_tokens t`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, rt.Validator) {
		t.Fatal("the table holds the secret half of a refresh token")
	}
	if strings.Count(tok.RefreshToken, ".") != 1 {
		t.Fatalf("the refresh token %q looks like a JWT", tok.RefreshToken)
	}
}

func TestRefresh_ReusingARotatedTokenRevokesTheFamily(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	stolen := e.issue(id)
	other := e.issue(id) // another login of the same user
	legit := e.mustRefresh(stolen.RefreshToken)
	e.clock.Advance(defaultGrace + time.Second)

	_, err := e.refresh(stolen.RefreshToken)
	wantErr(t, err, ErrRefreshTokenReused)
	if _, err := e.refresh(legit.RefreshToken); !errors.Is(err, ErrRefreshTokenInvalid) {
		t.Fatalf("the family's newest token after the reuse: %v, want ErrRefreshTokenInvalid", err)
	}
	entries, err := e.kit.Admin().AuditLog(t.Context(), id, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	reuses := 0
	for _, en := range entries {
		if en.Event == "refresh_token_reuse" {
			reuses++
		}
	}
	if reuses != 1 {
		t.Fatalf("%d audit entries of the reuse, want 1", reuses)
	}
	e.mustRefresh(other.RefreshToken) // only the reused token's family is revoked
}

func TestRefresh_TwentyConcurrentRefreshesWithOneTokenAllSucceedWithinTheGrace(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	const n = 20
	results := make([]*Tokens, n)
	errs := make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			results[i], errs[i] = e.refresh(tok.RefreshToken)
		})
	}
	start.Done()
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent refresh %d: %v", i, err)
		}
		seen[results[i].RefreshToken] = true
	}
	if len(seen) != n {
		t.Fatalf("%d refreshes handed out %d distinct refresh tokens", n, len(seen))
	}
	// The burst revoked nothing: every token it handed out works.
	var next []*Tokens
	for _, r := range results {
		next = append(next, e.mustRefresh(r.RefreshToken))
	}
	if n := e.count(`SELECT count(*) FROM authkit_audit WHERE event = 'refresh_token_reuse'`); n != 0 {
		t.Fatalf("the legitimate burst was audited as reuse %d times", n)
	}

	// A replay after the grace revokes the family, burst and all.
	e.clock.Advance(defaultGrace)
	_, err := e.refresh(tok.RefreshToken)
	wantErr(t, err, ErrRefreshTokenReused)
	for _, r := range next {
		if _, err := e.refresh(r.RefreshToken); !errors.Is(err, ErrRefreshTokenInvalid) {
			t.Fatalf("a token of the revoked family: %v, want ErrRefreshTokenInvalid", err)
		}
	}
}

func TestRefresh_TheGraceWindowEndsExactlyGraceAfterTheFirstUse(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t, func(_ *authkit.Config, tc *Config) { tc.Grace = 5 * time.Second })
	tok := e.issue(e.user("ada@example.com"))
	e.mustRefresh(tok.RefreshToken)
	e.clock.Advance(5*time.Second - time.Millisecond)
	e.mustRefresh(tok.RefreshToken) // a use within the grace does not extend it
	e.clock.Advance(time.Millisecond)
	_, err := e.refresh(tok.RefreshToken)
	wantErr(t, err, ErrRefreshTokenReused)
}

func TestRefresh_IsBoundToTheAudienceItWasIssuedFor(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	tok, err := e.iss.IssueTokens(context.Background(), id, "https://api.example.com")
	if err != nil {
		t.Fatal(err)
	}
	e.request("192.0.2.1", func(r *http.Request) { _, err = e.iss.Refresh(r, tok.RefreshToken, "mobile") })
	wantErr(t, err, ErrRefreshTokenInvalid)
	var next *Tokens
	e.request("192.0.2.1", func(r *http.Request) { next, err = e.iss.Refresh(r, tok.RefreshToken, "https://api.example.com") })
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.iss.Verify(e.mustRefresh(next.RefreshToken).AccessToken)
	if err != nil || c.Audience != "https://api.example.com" {
		t.Fatalf("a refreshed access token is for %q (%v), want the family's audience", c.Audience, err)
	}
}

func TestRefresh_RefusesMalformedTokensWithoutAQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	e.probe.Counter().Store(0)
	for _, bad := range []string{"", "rt_", "rt_.", strings.TrimPrefix(tok.RefreshToken, "rt_"), tok.RefreshToken + "x",
		"rt_" + strings.Repeat("a", 22) + "." + strings.Repeat("é", 43), "rt_\x00\x00", strings.Repeat("rt_", 5000), tok.AccessToken} {
		if _, err := e.refresh(bad); err != ErrRefreshTokenInvalid {
			t.Errorf("Refresh(%.40q) = %v, want ErrRefreshTokenInvalid", bad, err)
		}
	}
	if n := e.probe.Statements(); n != 0 {
		t.Errorf("malformed refresh tokens ran %d statements", n)
	}
	// A wrong secret for a real token is refused and burns nothing.
	sel, _, _ := strings.Cut(tok.RefreshToken, ".")
	if _, err := e.refresh(sel + "." + token.Random(32)); err != ErrRefreshTokenInvalid {
		t.Errorf("a wrong validator: %v", err)
	}
	e.mustRefresh(tok.RefreshToken)
}

func TestRefresh_ExpiresWhenUnusedForRefreshLifetime(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t, func(_ *authkit.Config, tc *Config) { tc.RefreshLifetime = time.Hour })
	tok := e.issue(e.user("ada@example.com"))
	e.clock.Advance(59 * time.Minute)
	tok = e.mustRefresh(tok.RefreshToken) // each refresh gives another hour
	e.clock.Advance(time.Hour)
	_, err := e.refresh(tok.RefreshToken)
	wantErr(t, err, ErrRefreshTokenExpired)
	if !errors.Is(err, authkit.ErrTokenExpired) {
		t.Error("ErrRefreshTokenExpired does not match authkit.ErrTokenExpired")
	}
}

func TestRefresh_ThrottlesFailuresPerClientIPButNotTheOwner(t *testing.T) { // SEC-E6
	t.Parallel()
	e := newEnv(t, func(_ *authkit.Config, tc *Config) { tc.RefreshPerIP = authkit.Limit{Burst: 3, Every: time.Hour} })
	tok := e.issue(e.user("ada@example.com"))
	unknown := refreshPrefix + token.NewSplit().String()
	var err error
	for range 3 {
		e.request("198.51.100.7", func(r *http.Request) { _, err = e.iss.Refresh(r, unknown, "") })
		wantErr(t, err, ErrRefreshTokenInvalid)
	}
	e.request("198.51.100.7", func(r *http.Request) { _, err = e.iss.Refresh(r, tok.RefreshToken, "") })
	var slow *authkit.TooManyRequestsError
	if !errors.As(err, &slow) || slow.RetryAfter <= 0 {
		t.Fatalf("the 4th refresh from the guessing IP: %v, want TooManyRequestsError", err)
	}
	// The owner, elsewhere, refreshes as often as it likes: successes cost
	// nothing.
	for range 5 {
		tok = e.mustRefresh(tok.RefreshToken)
	}
}

func TestRefresh_GoesThroughTheEligibilityRule(t *testing.T) { // SEC-S9
	t.Parallel()
	for _, c := range []struct {
		name   string
		change string
		want   error
	}{
		{"unconfirmed address", `UPDATE authkit_users SET verified = false WHERE id = $1`, authkit.ErrEmailNotVerified},
		{"banned", `UPDATE authkit_users SET status = 2 WHERE id = $1`, authkit.ErrAccountStatus},
		{"deleted", `DELETE FROM authkit_users WHERE id = $1`, ErrRefreshTokenInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			id := e.user("ada@example.com")
			tok := e.issue(id)
			// Behind the core's back, without a revocation: the refresh
			// itself must apply the rule.
			if _, err := e.db.Exec(c.change, id); err != nil {
				t.Fatal(err)
			}
			_, err := e.refresh(tok.RefreshToken)
			wantErr(t, err, c.want)
		})
	}
}

func TestRefresh_OutsideTheMiddlewareFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	req, _ := http.NewRequest("POST", "/token", nil)
	_, err := e.iss.Refresh(req, tok.RefreshToken, "")
	wantErr(t, err, authkit.ErrNoMiddleware)
}

func TestRevoke_EndsTheLoginOfTheToken(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	id := e.user("ada@example.com")
	tok := e.issue(id)
	next := e.mustRefresh(tok.RefreshToken)
	c := e.client()
	for _, rt := range []string{tok.RefreshToken, refreshPrefix + token.NewSplit().String()} {
		if resp, body := c.post("/revoke", map[string][]string{"refresh_token": {rt}}); body != "ok" {
			t.Fatalf("revoke: %d %s", resp.StatusCode, body)
		}
	}
	if _, err := e.refresh(next.RefreshToken); err != ErrRefreshTokenInvalid {
		t.Fatalf("a token of the revoked login: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM authkit_audit WHERE event = 'refresh_token_revoked' AND user_id = $1`, id); n != 1 {
		t.Fatalf("%d audit entries of the revocation, want 1", n)
	}
}
