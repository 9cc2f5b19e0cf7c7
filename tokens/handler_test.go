package tokens

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/token"
)

// grant is the body of a refresh request.
func grant(refreshToken string) map[string]string {
	return map[string]string{"grant_type": "refresh_token", "refresh_token": refreshToken}
}

func TestTokenHandler_AnswersARefreshWithTheTokenResponse(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t)
	tok := e.issue(e.user("ada@example.com"))
	resp, body := e.client().postJSON("/token", grant(tok.RefreshToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /token: %d %s", resp.StatusCode, body)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != 4 || fields["token_type"] != "Bearer" || fields["expires_in"] != float64(600) ||
		!strings.HasPrefix(fields["refresh_token"].(string), "rt_") || fields["access_token"] == "" {
		t.Fatalf("token response %s, want access_token, refresh_token, token_type Bearer, expires_in 600", body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestTokenHandler_AnswersErrorsInTheJSONShapeOfTheAPI(t *testing.T) { // SEC-J2
	t.Parallel()
	e := newEnv(t, func(_ *authkit.Config, tc *Config) { tc.RefreshPerIP = authkit.Limit{Burst: 30, Every: time.Hour} })
	ada := e.user("ada@example.com")
	reused := e.issue(ada)
	e.mustRefresh(reused.RefreshToken)
	expired := e.issue(ada)
	e.clock.Advance(31 * 24 * time.Hour)
	revoked, banned := e.issue(e.user("bob@example.com")), e.issue(e.user("eve@example.com"))
	// Behind the core's back, so the tokens survive to be refused by the
	// refresh itself.
	if _, err := e.db.Exec(`UPDATE authkit_users SET session_epoch = session_epoch + 1 WHERE email = 'bob@example.com'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(`UPDATE authkit_users SET status = 2 WHERE email = 'eve@example.com'`); err != nil {
		t.Fatal(err)
	}

	c := e.client()
	for _, tc := range []struct {
		name        string
		method      string
		contentType string
		body        any
		status      int
		code        string
	}{
		{"GET", "GET", "", "", 405, "method_not_allowed"},
		{"a form", "POST", "application/x-www-form-urlencoded", "grant_type=refresh_token", 415, "unsupported_media_type"},
		{"a huge body", "POST", "application/json", `{"refresh_token":"` + strings.Repeat("a", 10000) + `"}`, 413, "request_too_large"},
		{"an unknown field", "POST", "application/json", `{"grant_type":"refresh_token","refresh_token":"x","scope":"all"}`, 400, "invalid_request"},
		{"two objects", "POST", "application/json", `{"grant_type":"refresh_token"}{}`, 400, "invalid_request"},
		{"not JSON", "POST", "application/json", `grant_type=refresh_token`, 400, "invalid_request"},
		{"another grant", "POST", "application/json", map[string]string{"grant_type": "password"}, 400, "unsupported_grant_type"},
		{"garbage", "POST", "application/json", grant("rt_\x00garbage"), 400, "refresh_token_invalid"},
		{"reused", "POST", "application/json", grant(reused.RefreshToken), 400, "refresh_token_reused"},
		{"expired", "POST", "application/json", grant(expired.RefreshToken), 400, "refresh_token_expired"},
		{"revoked", "POST", "application/json", grant(revoked.RefreshToken), 401, "session_revoked"},
		{"banned", "POST", "application/json", grant(banned.RefreshToken), 403, "account_status"},
	} {
		s, ok := tc.body.(string)
		if !ok {
			b, _ := json.Marshal(tc.body)
			s = string(b)
		}
		req, _ := http.NewRequest(tc.method, e.srv.URL+"/token", strings.NewReader(s))
		req.Header.Set("Content-Type", tc.contentType)
		resp, body := c.do(req)
		var got errorBody
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != tc.status || got.Error.Code != tc.code ||
			!strings.HasPrefix(got.Error.Message, "authkit: ") {
			t.Errorf("%s: %d %s, want %d with code %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", tc.name, resp.Header.Get("Cache-Control"))
		}
		if tc.code == "account_status" && got.Error.Status != "banned" {
			t.Errorf("%s: status %q, want banned", tc.name, got.Error.Status)
		}
		if tc.code == "method_not_allowed" && resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q", tc.name, resp.Header.Get("Allow"))
		}
	}
}

func TestTokenHandler_TooManyFailuresGet429WithRetryAfter(t *testing.T) { // SEC-E6
	t.Parallel()
	e := newEnv(t, func(_ *authkit.Config, tc *Config) { tc.RefreshPerIP = authkit.Limit{Burst: 1, Every: time.Minute} })
	c := e.client()
	unknown := grant(refreshPrefix + token.NewSplit().String())
	c.postJSON("/token", unknown)
	resp, body := c.postJSON("/token", unknown)
	var got errorBody
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 429 || got.Error.Code != "too_many_requests" {
		t.Fatalf("the second failure: %d %s", resp.StatusCode, body)
	}
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra <= 0 || ra != got.Error.RetryAfter {
		t.Fatalf("Retry-After %q, retry_after %d", resp.Header.Get("Retry-After"), got.Error.RetryAfter)
	}
}
