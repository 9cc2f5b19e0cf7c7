package authkit

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authkit/authkit/internal/token"
)

const rememberCookie = "__Host-remember_token"

// restart is a browser restart: the session cookie is gone, the
// remember-me cookie stays.
func restart(b *browser) { b.dropCookie("__Host-authkit_session") }

func rememberedDevices(e *env, userID int64) int {
	var n int
	e.db.QueryRow(`SELECT count(*) FROM authkit_remembers WHERE user_id = $1`, userID).Scan(&n)
	return n
}

func TestRemember_RestoresARotatedSessionAfterTheBrowserRestarts(t *testing.T) { // SEC-R2
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("restart@example.com")
	first := b.cookie(rememberCookie)
	if first == nil {
		t.Fatal("no remember-me cookie after a remembered login")
	}
	restart(b)
	if _, body := b.get("/state"); body != itoa(id)+" remembered=true fresh=false" {
		t.Fatalf("after restart: %q", body)
	}
	second := b.cookie(rememberCookie)
	if second == nil || second.Value == first.Value {
		t.Fatal("the remember-me token was not rotated when used")
	}
	restart(b)
	if b.userID() != id {
		t.Fatal("the rotated cookie does not restore")
	}
	if n := rememberedDevices(e, id); n != 1 {
		t.Fatalf("%d tokens for one device", n)
	}
}

func TestRemember_TokenIsASplitTokenStoredAsSHA256(t *testing.T) { // SEC-R1
	t.Parallel()
	e := newEnv(t)
	e.user("split-r@example.com")
	b := e.browser()
	b.loginRemembered("split-r@example.com")
	tok, err := token.Parse(b.cookie(rememberCookie).Value)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Validator)*6 < 128 {
		t.Fatal("validator shorter than 128 bits")
	}
	var selector string
	var hash []byte
	e.db.QueryRow(`SELECT selector, validator_hash FROM authkit_remembers`).Scan(&selector, &hash)
	want := sha256.Sum256([]byte(tok.Validator))
	if selector != tok.Selector || string(hash) != string(want[:]) {
		t.Fatal("the row must hold the selector and only the SHA-256 of the validator")
	}
}

func TestRemember_KeepsManyDevicesAtOnce(t *testing.T) { // SEC-R2
	t.Parallel()
	e := newEnv(t)
	id := e.user("devices@example.com")
	laptop, phone := e.browser(), e.browser()
	laptop.loginRemembered("devices@example.com")
	phone.loginRemembered("devices@example.com")
	e.browser().login("devices@example.com", testPassword) // a third login does not forget them
	restart(laptop)
	restart(phone)
	if laptop.userID() != id || phone.userID() != id {
		t.Fatal("a remembered device was forgotten")
	}
	if n := rememberedDevices(e, id); n != 2 {
		t.Fatalf("%d tokens, want 2", n)
	}
}

func TestRemember_AnExpiredTokenRestoresNothing(t *testing.T) { // SEC-R2
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("expired-r@example.com")
	restart(b)
	e.clock.Advance(30*24*time.Hour + time.Minute)
	if got := b.userID(); got != 0 {
		t.Fatalf("an expired token restored user %d", got)
	}
	if b.cookie(rememberCookie) != nil || rememberedDevices(e, id) != 0 {
		t.Fatal("the expired token or its cookie survived")
	}
}

func TestRemember_TwentyRequestsRacingWithOneCookieAllSucceed(t *testing.T) { // SEC-R3
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("tabs@example.com")
	cookie := b.cookie(rememberCookie)
	var wg sync.WaitGroup
	for range 20 {
		tab := e.withCookie(cookie)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := tab.client.Get(e.srv.URL + "/whoami")
			if err != nil {
				t.Error(err)
				return
			}
			if _, body := readResponse(t, resp); body != itoa(id) {
				t.Errorf("a racing request got %q", body)
			}
		}()
	}
	wg.Wait()
	if n := rememberedDevices(e, id); n != 1 {
		t.Fatalf("%d live tokens for the device, want 1", n)
	}
}

func TestRemember_AWrongValidatorKillsTheToken(t *testing.T) { // SEC-R3
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("theft@example.com")
	real := b.cookie(rememberCookie)
	tok, _ := token.Parse(real.Value)
	forged := &http.Cookie{Name: rememberCookie, Value: tok.Selector + "." + token.NewSplit().Validator}
	if got := e.withCookie(forged).userID(); got != 0 {
		t.Fatalf("a forged validator logged in as %d", got)
	}
	if rememberedDevices(e, id) != 0 {
		t.Fatal("the token survived a wrong validator")
	}
	if e.withCookie(real).userID() != 0 {
		t.Fatal("the token still works after a wrong validator was seen")
	}
	e.kit.mailWG.Wait()
	if msg, _ := e.mail.Last("theft@example.com"); msg.Kind != MessageStolenLogin || msg.UserEmail != "theft@example.com" {
		t.Fatalf("the owner got %+v, want a %s notice", msg, MessageStolenLogin)
	}
}

func TestRemember_AnOldValidatorAfterTheGraceWindowIsTreatedAsStolen(t *testing.T) { // SEC-R3
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("old@example.com")
	stolen := b.cookie(rememberCookie)
	restart(b)
	b.userID() // the owner uses the token: it rotates
	if e.withCookie(stolen).userID() != id {
		t.Fatal("within the grace window the previous validator must still work")
	}
	e.clock.Advance(rememberGrace + time.Second)
	if got := e.withCookie(stolen).userID(); got != 0 {
		t.Fatalf("a stale validator logged in as %d after the grace window", got)
	}
	if rememberedDevices(e, id) != 0 {
		t.Fatal("the token must die when a stale validator shows up")
	}
}

func TestRemember_RechecksTheAccountBeforeRestoring(t *testing.T) { // SEC-R4
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change string
	}{
		{"banned", `UPDATE authkit_users SET status = 2`},
		{"suspended", `UPDATE authkit_users SET status = 5`},
		{"unverified", `UPDATE authkit_users SET verified = FALSE`},
		{"deleted", `DELETE FROM authkit_users`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.user("recheck@example.com")
			b := e.browser()
			b.loginRemembered("recheck@example.com")
			restart(b)
			if _, err := e.db.Exec(tc.change); err != nil { // behind authkit's back
				t.Fatal(err)
			}
			if got := b.userID(); got != 0 {
				t.Fatalf("restored a session for a %s account", tc.name)
			}
			var n int
			e.db.QueryRow(`SELECT count(*) FROM authkit_remembers`).Scan(&n)
			if n != 0 || b.cookie(rememberCookie) != nil {
				t.Fatal("the token or its cookie survived")
			}
		})
	}
}

func TestRemember_AMalformedCookieIsIgnoredAndCleared(t *testing.T) { // SEC-R2
	t.Parallel()
	e := newEnv(t)
	for _, value := range []string{"garbage", "a.b", strings.Repeat("A", 4000), "%00%ff", token.NewSplit().String()} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "https://example.com/whoami", nil)
		req.Header.Set("Cookie", rememberCookie+"="+value)
		e.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "0" {
			t.Fatalf("cookie %.20q: %d %q", value, rec.Code, rec.Body.String())
		}
		if sc := rec.Header().Get("Set-Cookie"); !strings.Contains(sc, rememberCookie+"=;") || !strings.Contains(sc, "Max-Age=0") {
			t.Fatalf("cookie %.20q was not cleared: %q", value, sc)
		}
	}
}

func TestRemember_CookieIsHostPrefixedHttpOnlyLaxSecure(t *testing.T) { // SEC-S6
	t.Parallel()
	e := newEnv(t)
	e.user("rcookie@example.com")
	var c *http.Cookie
	rec := e.request(func(a *Auth) {
		if err := a.Login("rcookie@example.com", testPassword, true); err != nil {
			t.Fatal(err)
		}
	})
	for _, rc := range rec.Result().Cookies() {
		if rc.Name == rememberCookie {
			c = rc
		}
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
		c.Domain != "" || c.MaxAge != 30*24*3600 {
		t.Fatalf("remember-me cookie: %v", c)
	}
}

func TestRemember_RestoredSessionIsNotFresh(t *testing.T) { // SEC-S7
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("fresh@example.com")
	if _, body := b.get("/state"); body != itoa(id)+" remembered=false fresh=true" {
		t.Fatalf("after a password login: %q", body)
	}
	restart(b)
	if _, body := b.get("/state"); body != itoa(id)+" remembered=true fresh=false" {
		t.Fatalf("after restoring: %q", body)
	}
}

func TestRemember_TokensDieWithEveryRevocation(t *testing.T) { // SEC-S5
	t.Parallel()
	admin := func(f func(ad *Admin, id int64) error) func(e *env, id int64, _ *browser) {
		return func(e *env, id int64, _ *browser) {
			if err := f(e.kit.Admin(), id); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		revoke func(e *env, id int64, other *browser)
	}{
		{"logout on the device", func(e *env, _ int64, _ *browser) {}}, // the victim logs out below
		{"logout everywhere from another device", func(e *env, _ int64, other *browser) { other.post("/logout-everywhere", nil) }},
		{"logout everywhere else from another device", func(e *env, _ int64, other *browser) { other.post("/logout-everywhere-else", nil) }},
		{"ban", admin(func(ad *Admin, id int64) error { return ad.SetStatus(ctx, id, StatusBanned) })},
		{"lock", admin(func(ad *Admin, id int64) error { return ad.SetStatus(ctx, id, StatusLocked) })},
		{"forced logout", admin(func(ad *Admin, id int64) error { return ad.ForceLogout(ctx, id) })},
		{"account deletion", admin(func(ad *Admin, id int64) error { return ad.DeleteUser(ctx, id) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			id := e.user("revoked@example.com")
			victim, other := e.browser(), e.browser()
			victim.loginRemembered("revoked@example.com")
			other.login("revoked@example.com", testPassword)
			stolen := victim.cookie(rememberCookie)
			if tc.name == "logout on the device" {
				victim.post("/logout", nil)
				if victim.cookie(rememberCookie) != nil {
					t.Fatal("logout left the remember-me cookie")
				}
			}
			tc.revoke(e, id, other)
			if got := e.withCookie(stolen).userID(); got != 0 {
				t.Fatalf("a stolen remember-me cookie still logs in as %d", got)
			}
		})
	}
}

func TestLogoutEverywhereElse_KeepsThisDevicesRememberToken(t *testing.T) { // SEC-S5
	t.Parallel()
	e := newEnv(t)
	id, b := e.rememberedBrowser("keepme@example.com")
	b.post("/logout-everywhere-else", nil)
	restart(b)
	if b.userID() != id {
		t.Fatal("LogoutEverywhereElse forgot this device's remember-me token")
	}
}

func TestRemember_LoggingInAgainAndAgainKeepsTwentyTokensAndDropsTheOldest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.user("hoarder@example.com")
	var devices []*device
	for range maxRememberTokens + 5 {
		d := e.device()
		if err := d.err(func(a *Auth) error { return a.Login("hoarder@example.com", testPassword, true) }); err != nil {
			t.Fatal(err)
		}
		delete(d.cookies, sessionCookieName(e)) // keep only the remember-me cookie
		devices = append(devices, d)
		e.clock.Advance(time.Second)
	}
	if n := rememberedDevices(e, id); n != maxRememberTokens {
		t.Fatalf("%d remember-me tokens after %d remembered logins, want %d", n, len(devices), maxRememberTokens)
	}
	if got := devices[0].userID(); got != 0 {
		t.Fatal("the oldest remembered device still restores a session")
	}
	if got := devices[len(devices)-1].userID(); got != id {
		t.Fatal("the newest remembered device does not restore a session")
	}
}
