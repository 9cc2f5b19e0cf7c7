package authkit

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authkit/authkit/internal/store"
)

// sourceFiles returns the Go files of the module that are not tests,
// with their text.
func sourceFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[path] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSessionCore_RulesAreWrittenOnce(t *testing.T) { // SEC-S9
	t.Parallel()
	files := sourceFiles(t)
	for _, tc := range []struct {
		what    string
		pattern string
		only    string // the one file allowed to hold it
		want    int    // how many times it may appear there
	}{
		// One eligibility rule in Go, and its SQL twin in the store.
		{"the status check of eligibility", `!= StatusNormal`, "session.go", 1},
		{"the verified check of eligibility", `\.Verified && !k\.cfg\.DisableEmailVerification`, "session.go", 1},
		{"the eligibility rule in SQL", `eligible := "u\.status = 0"`, "internal/store/store.go", 1},
		// One place creates session index entries, remember-me tokens
		// and pending logins, and they are called only from the core.
		{"inserting session index entries", `INSERT INTO \{user_sessions\}`, "internal/store/sessions.go", 1},
		{"inserting remember-me tokens", `INSERT INTO \{remembers\}`, "internal/store/sessions.go", 1},
		{"inserting pending logins", `INSERT INTO \{attempts\}`, "internal/store/twofactor.go", 1},
		{"starting a session", `store\.StartSession\(`, "session.go", 1},
		{"starting a pending login", `store\.CreateAttempt\(`, "session.go", 1},
		{"renewing a session token", `sessions\.RenewToken\(`, "session.go", 3},
		// One place revokes.
		{"revoking a user's sessions", `store\.Revoke\(`, "session.go", 1},
		{"revoking a remember-me token's sessions", `store\.RevokeRemember\(`, "session.go", 1},
		{"revoking one device", `store\.RevokeDevice\(`, "session.go", 1},
	} {
		re := regexp.MustCompile(tc.pattern)
		for path, text := range files {
			n := len(re.FindAllStringIndex(text, -1))
			switch {
			case path == tc.only && n != tc.want:
				t.Errorf("%s: %s appears %d times, want %d", tc.what, path, n, tc.want)
			case path != tc.only && n > 0:
				t.Errorf("%s is restated in %s; it belongs in %s alone", tc.what, path, tc.only)
			}
		}
	}
}

func TestLogInAsUser_RefusesAnUnverifiedAccount(t *testing.T) { // SEC-S9
	t.Parallel()
	e := newEnv(t)
	e.user("support@example.com")
	target, err := e.kit.Admin().CreateUser(context.Background(), "unconfirmed@example.com", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	d := loggedInDevice(t, e, "support@example.com", "")
	wantErr(t, d.err(func(a *Auth) error { return a.LogInAsUser(target) }), ErrEmailNotVerified)
	if d.userID() == target {
		t.Fatal("logged in as an unverified account")
	}
}

func TestRevocationCounter_ABumpAloneKillsWhatWasMadeUnderTheOldOne(t *testing.T) { // SEC-S8
	t.Parallel()
	// A statement that races a revocation can still write a row under
	// the old counter (it read the database before the revocation
	// committed). Such a row must be dead without anything deleting it:
	// bump the counter alone, as the revocation's UPDATE does, and check.
	e := newEnv(t)
	id := e.user("bumped@example.com")
	secret, _ := withTOTP(t, e, "bumped@example.com")
	session := loggedInDevice(t, e, "bumped@example.com", secret)
	remembered := e.device()
	startPendingOn(t, remembered, "bumped@example.com", true)
	remembered.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) })
	if err := remembered.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	pending, _ := startPending(t, e, "bumped@example.com", false)
	pending.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) })
	reset := resetToken(t, e, "bumped@example.com")
	if err := session.err(func(a *Auth) error { return a.ChangeEmail("new@example.com") }); err != nil {
		t.Fatal(err)
	}
	change := e.mailToken("new@example.com")

	if _, err := e.db.Exec(`UPDATE authkit_users SET session_epoch = session_epoch + 1 WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}

	if session.userID() != 0 {
		t.Error("a session made under the old counter is still logged in")
	}
	delete(remembered.cookies, sessionCookieName(e))
	if remembered.userID() != 0 {
		t.Error("a remember-me token made under the old counter restores a session")
	}
	wantErr(t, pending.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrSecondFactorExpired)
	wantErr(t, e.device().err(func(a *Auth) error { return a.ResetPassword(reset, newPassword) }), ErrTokenInvalid)
	wantErr(t, e.device().err(func(a *Auth) error { return a.ConfirmEmail(change) }), ErrTokenInvalid)
}

// startPendingOn logs in on d up to the second factor.
func startPendingOn(t *testing.T, d *device, email string, remember bool) {
	t.Helper()
	err := d.err(func(a *Auth) error { return a.Login(email, testPassword, remember) })
	if !errors.As(err, new(*SecondFactorRequiredError)) {
		t.Fatalf("Login = %v, want *SecondFactorRequiredError", err)
	}
}

func TestRevocation_VoidsPendingEmailChangesResetsLoginsAndEnrolments(t *testing.T) { // SEC-S10
	t.Parallel()
	for _, rv := range revocations {
		if rv.tokenOnly || rv.name == "DeleteUser" {
			continue // theft ends one token's sessions; deletion ends everything
		}
		t.Run(rv.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.SMS = NewDevSMS(nil) })
			w := &raceWorld{e: e, email: "pending@example.com"}
			w.id = e.user(w.email)
			secret, _ := withTOTP(t, e, w.email)
			w.revoker = loggedInDevice(t, e, w.email, secret)
			w.resetTok = resetToken(t, e, w.email)
			// An attacker with the old password stands at the second step;
			// someone asked to move the account to their address; a phone
			// factor waits for its code.
			attacker, _ := startPending(t, e, w.email, false)
			attacker.err(func(a *Auth) error { return a.TwoFactor().VerifyTOTP(totpNow(t, e, secret)) })
			if err := w.revoker.err(func(a *Auth) error { return a.ChangeEmail("attacker@example.com") }); err != nil {
				t.Fatal(err)
			}
			change := e.mailToken("attacker@example.com")
			if err := w.revoker.err(func(a *Auth) error { return a.TwoFactor().EnableSMS("+15555550123") }); err != nil {
				t.Fatal(err)
			}
			otherReset := w.resetTok
			if rv.name == "ResetPassword" {
				otherReset = resetTokenAgain(t, e, w)
			}

			if err := rv.do(w); err != nil {
				t.Fatal(err)
			}

			wantErr(t, attacker.err(func(a *Auth) error { return a.CompleteTwoFactorLogin() }), ErrSecondFactorExpired)
			wantErr(t, e.device().err(func(a *Auth) error { return a.ConfirmEmail(change) }), ErrTokenInvalid)
			if u, _ := e.kit.Admin().User(context.Background(), w.id); u.Email != w.email {
				t.Fatalf("the address moved to %s", u.Email)
			}
			if rv.name != "ResetPassword" { // the reset used its token
				wantErr(t, e.device().err(func(a *Auth) error { return a.ResetPassword(otherReset, "yet another passphrase") }), ErrTokenInvalid)
			}
			var unfinished int
			if err := e.db.Get(&unfinished, `SELECT (SELECT count(*) FROM authkit_second_factors WHERE user_id = $1 AND NOT verified)
				+ (SELECT count(*) FROM authkit_otp_codes WHERE user_id = $1)`, w.id); err != nil {
				t.Fatal(err)
			}
			if unfinished != 0 {
				t.Fatalf("%d rows of an unfinished enrolment survived", unfinished)
			}
		})
	}
}

// resetTokenAgain returns a second reset token, made after the first;
// the first then stops working (a new link voids the older ones), so the
// world keeps the newest for the revocation to use.
func resetTokenAgain(t *testing.T, e *env, w *raceWorld) string {
	t.Helper()
	w.resetTok = resetToken(t, e, w.email)
	return w.resetTok
}

func TestRememberTheft_EndsTheThiefsSessionAuditsAndTellsTheUser(t *testing.T) { // SEC-S11
	t.Parallel()
	e := newEnv(t)
	id := e.user("victim@example.com")
	victim := e.device()
	if err := victim.err(func(a *Auth) error { return a.Login("victim@example.com", testPassword, true) }); err != nil {
		t.Fatal(err)
	}
	elsewhere := loggedInDevice(t, e, "victim@example.com", "")
	// The thief copies the cookie and uses it first: their restore rotates
	// the token, and they hold a session that came from it.
	stolen := victim.cookies[e.kit.rememberCookie]
	thief := e.device()
	thief.cookies[stolen.Name] = &http.Cookie{Name: stolen.Name, Value: stolen.Value}
	if thief.userID() != id {
		t.Fatal("the stolen cookie did not restore a session")
	}
	e.clock.Advance(rememberGrace + time.Second)
	// The victim's browser restarts and presents its cookie, now stale.
	delete(victim.cookies, sessionCookieName(e))
	if victim.userID() != 0 {
		t.Fatal("a stale remember-me cookie restored a session")
	}
	if thief.userID() != 0 {
		t.Fatal("the thief's session from the stolen token survived the theft detection")
	}
	delete(thief.cookies, sessionCookieName(e))
	if thief.userID() != 0 {
		t.Fatal("the thief's rotated cookie still restores")
	}
	if elsewhere.userID() != id {
		t.Fatal("theft detection ended a session that did not come from the token")
	}
	entries, err := e.kit.Admin().AuditLog(context.Background(), id, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range entries {
		found = found || en.Event == eventRememberTheft
	}
	if !found {
		t.Fatal("the theft is not in the audit log")
	}
	e.kit.mailWG.Wait()
	if msg, ok := e.mail.Last("victim@example.com"); !ok || !strings.Contains(msg.Text, "old copy of the cookie") {
		t.Fatalf("the user was not told: %+v", msg)
	}
}

func TestSessionStore_ARequestInFlightCannotWriteBackARevokedSession(t *testing.T) { // SEC-S8
	t.Parallel()
	e := newEnv(t)
	id := e.user("inflight@example.com")
	d := loggedInDevice(t, e, "inflight@example.com", "")
	d.do(func(a *Auth) {
		key := a.sessionKeyOf()
		if _, err := e.kit.revoke(a.ctx(), store.Revocation{UserID: id}); err != nil {
			t.Fatal(err)
		}
		e.kit.Sessions().Put(a.ctx(), "flash", "written after the revocation")
		if _, _, err := e.kit.Sessions().Commit(a.ctx()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := e.db.Get(&n, `SELECT count(*) FROM authkit_sessions WHERE token = $1`, key); err != nil || n != 0 {
			t.Fatalf("the revoked session was written back (%d rows, %v)", n, err)
		}
	})
	if d.userID() != 0 {
		t.Fatal("the revoked session is logged in")
	}
}

func TestForeignSessionStore_RevocationStillWinsAtTheNextRequest(t *testing.T) { // SEC-S8
	t.Parallel()
	// An app that brings its own session manager (here scs's memory store)
	// pays a second query per request for the revocation check, and gets
	// the same guarantee.
	sessions := scs.New()
	sessions.Store = memstore.New()
	sessions.HashTokenInStore = true
	sessions.Cookie.Secure = true
	e := newEnv(t, func(c *Config) { c.Sessions = sessions })
	id := e.user("foreign@example.com")
	d := loggedInDevice(t, e, "foreign@example.com", "")
	other := loggedInDevice(t, e, "foreign@example.com", "")
	d.do(func(a *Auth) {
		if a.UserID() != id {
			t.Fatal("not logged in through the app's session manager")
		}
		// A revocation runs while this request is in flight; the request
		// then writes its session back to the app's store.
		if err := other.err(func(a *Auth) error { return a.LogoutEverywhere() }); err != nil {
			t.Fatal(err)
		}
		e.kit.Sessions().Put(a.ctx(), "flash", "written back")
	})
	if got := d.userID(); got != 0 {
		t.Fatalf("a session revoked during its request is logged in as %d", got)
	}
}
