package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

func TestSignIn_FindsTheAccountByProviderAndSubjectNeverByEmail(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	first := w.browser()
	first.mustSignIn("mock")
	ada := first.userID()

	// The provider account changes its address: still Ada's account.
	w.oidc.QueueUser(person("ada-sub", "ada.lovelace@example.org", true))
	b := w.browser()
	b.mustSignIn("mock")
	if b.userID() != ada {
		t.Fatalf("after an address change the sign-in reached %d, want %d", b.userID(), ada)
	}
	// The same subject at another provider is another provider account.
	w.gh.queue(ghUser{ID: 1, Emails: []map[string]any{ghEmail("someone@example.com", true, true)}})
	g := w.browser()
	g.mustSignIn("github")
	if g.userID() == ada {
		t.Fatal("a GitHub account was taken for the mock provider's account of the same id")
	}
}

func TestSignIn_LinksAConfirmedAccountWhenTheProviderVouchesForItsAddress(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t)
	id := w.user("grace@example.com", true)
	w.oidc.QueueUser(person("grace-sub", "Grace@Example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	if b.userID() != id {
		t.Fatalf("signed in as %d, want the existing account %d", b.userID(), id)
	}
	if n := w.count("users", "TRUE"); n != 1 {
		t.Fatalf("%d accounts, want the one", n)
	}
}

// linkRequired signs in and checks that the callback asks for the
// password of email first, logging nobody in and linking nothing.
func linkRequired(t *testing.T, w *world, b *browser, provider, email string) {
	t.Helper()
	r := b.signIn(provider)
	if r.status != http.StatusConflict || !strings.Contains(r.body, "log in with its password") {
		t.Fatalf("sign-in: %d %q %s, want 409 LinkRequiredError", r.status, r.location, r.body)
	}
	if b.userID() != 0 {
		t.Fatal("the sign-in logged the browser in")
	}
	u, err := w.kit.Admin().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if n := w.count("identities", "user_id = $1", u.ID); n != 0 {
		t.Fatalf("%d provider accounts linked to %s", n, email)
	}
}

func TestSignIn_ANonBooleanEmailVerifiedVouchesForNothing(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t)
	w.user("grace@example.com", true)
	for _, verified := range []any{"false", "true", 1, nil, false} {
		w.oidc.QueueUser(person("grace-sub", "grace@example.com", verified))
		linkRequired(t, w, w.browser(), "mock", "grace@example.com")
	}
	// Nor does it make a new account.
	w.oidc.QueueUser(person("new-sub", "new@example.com", "true"))
	if r := w.browser().signIn("mock"); r.status != http.StatusForbidden || !strings.Contains(r.body, oauth.ErrNoVerifiedEmail.Error()) {
		t.Fatalf("sign-up with email_verified \"true\": %d %s", r.status, r.body)
	}
	if n := w.count("users", "lower(email) = 'new@example.com'"); n != 0 {
		t.Fatal("an account was made for an address the provider did not vouch for")
	}
}

func TestSignIn_AnAttackersUnconfirmedAccountNeverAbsorbsTheVictimsSignIn(t *testing.T) { // SEC-O2
	t.Parallel()
	// Pre-account hijacking: the attacker registers the victim's address
	// (and cannot confirm it), hoping the victim's later sign-in with a
	// provider lands in the attacker's account, whose password the
	// attacker knows.
	w := newWorld(t)
	attackerAccount := w.user("victim@example.com", false)
	w.oidc.QueueUser(person("victim-sub", "victim@example.com", true))
	victim := w.browser()
	linkRequired(t, w, victim, "mock", "victim@example.com")

	// The attacker's password gets the attacker nowhere either: the
	// account is unconfirmed, and the provider account is not theirs.
	attacker := w.browser()
	if err := attacker.login("victim@example.com"); !strings.Contains(err.Error(), authkit.ErrEmailNotVerified.Error()) {
		t.Fatalf("attacker's login: %v", err)
	}
	if _, err := attacker.do(func(r *http.Request) (string, error) { _, err := w.svc.CompleteLink(r); return "", err }); err == nil {
		t.Fatal("the attacker completed a link")
	}
	if n := w.count("identities", "user_id = $1", attackerAccount); n != 0 {
		t.Fatal("the victim's provider account was linked to the attacker's account")
	}
}

func TestSignIn_ASecondProviderAccountWithTheSameAddressIsNotTheFirst(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t)
	w.gh.queue(ghUser{ID: 1, Emails: []map[string]any{ghEmail("ada@example.com", true, true)}})
	owner := w.browser()
	owner.mustSignIn("github")
	ada := owner.userID()

	// Another GitHub account lists Ada's address without having verified
	// it, or verified but not as its primary address, or as a string.
	for _, emails := range [][]map[string]any{
		{ghEmail("ada@example.com", true, false)},
		{ghEmail("other@example.com", true, false), ghEmail("ada@example.com", false, true)},
		{ghEmail("ada@example.com", "true", "true")},
	} {
		w.gh.queue(ghUser{ID: 2, Emails: emails})
		b := w.browser()
		r := b.signIn("github")
		if r.status == http.StatusSeeOther || b.userID() == ada {
			t.Fatalf("GitHub account 2 with %v signed in as Ada: %d %s", emails, r.status, r.body)
		}
	}
	// Nor does the same address at another provider, unvouched.
	w.oidc.QueueUser(person("mallory-sub", "ada@example.com", false))
	if r := w.browser().signIn("mock"); r.status != http.StatusConflict {
		t.Fatalf("an unvouched address at another provider: %d %s", r.status, r.body)
	}
	if n := w.count("identities", "user_id = $1", ada); n != 1 {
		t.Fatalf("Ada has %d provider accounts, want 1", n)
	}
}

func TestSignIn_GitHubWithoutAddressScopeCannotSignUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.queue(ghUser{ID: 3, EmailsStatus: http.StatusForbidden})
	if r := w.browser().signIn("github"); r.status != http.StatusForbidden || !strings.Contains(r.body, oauth.ErrNoVerifiedEmail.Error()) {
		t.Fatalf("sign-up without an address: %d %s", r.status, r.body)
	}
}

func TestSignIn_WithSignUpOffOnlyExistingAccountsSignIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(o *oauth.Options) { o.AllowSignUp = false })
	w.oidc.QueueUser(person("new-sub", "new@example.com", true))
	if r := w.browser().signIn("mock"); r.status != http.StatusForbidden || !strings.Contains(r.body, oauth.ErrSignUpClosed.Error()) {
		t.Fatalf("sign-up: %d %s", r.status, r.body)
	}
	if n := w.count("users", "TRUE"); n != 0 {
		t.Fatal("an account was made")
	}
	id := w.user("old@example.com", true)
	w.oidc.QueueUser(person("old-sub", "old@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	if b.userID() != id {
		t.Fatal("an existing account could not sign in")
	}
}

func TestCompleteLink_LinksAfterThePasswordOfTheAccountTheErrorNamed(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t, func(o *oauth.Options) { o.LinkURL = "/link-account" })
	id := w.user("grace@example.com", true)
	w.oidc.QueueUser(person("grace-sub", "grace@example.com", false))
	b := w.browser()
	r := b.get(b.authorize(b.begin("mock", "?next=/settings")))
	want := "/link-account?" + url.Values{"email": {"grace@example.com"}, "next": {"/settings"}, "provider": {"mock"}}.Encode()
	if r.status != http.StatusSeeOther || r.location != want {
		t.Fatalf("callback: %d %q, want a redirect to %q", r.status, r.location, want)
	}
	completeLink := func(b *browser) error {
		return b.err(func(r *http.Request) error { _, err := w.svc.CompleteLink(r); return err })
	}
	wantErr(t, completeLink(b), authkit.ErrNotLoggedIn)
	if err := b.login("grace@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := completeLink(b); err != nil {
		t.Fatal(err)
	}
	wantErr(t, completeLink(b), oauth.ErrNoPendingLink) // once
	w.oidc.QueueUser(person("grace-sub", "grace@example.com", false))
	again := w.browser()
	again.mustSignIn("mock")
	if again.userID() != id {
		t.Fatalf("the linked provider account signs in as %d, want %d", again.userID(), id)
	}
}

func TestCompleteLink_RefusesAnotherAccountThanTheOneNamed(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t)
	w.user("grace@example.com", true)
	other := w.user("other@example.com", true)
	w.oidc.QueueUser(person("grace-sub", "grace@example.com", false))
	b := w.browser()
	linkRequired(t, w, b, "mock", "grace@example.com")
	if err := b.login("other@example.com"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, b.err(func(r *http.Request) error { _, err := w.svc.CompleteLink(r); return err }), oauth.ErrNoPendingLink)
	if n := w.count("identities", "user_id = $1", other); n != 0 {
		t.Fatal("the provider account was linked to another account")
	}
}

func TestCompleteLink_ExpiresAfterTenMinutes(t *testing.T) { // SEC-O2
	t.Parallel()
	w := newWorld(t)
	w.user("grace@example.com", true)
	w.oidc.QueueUser(person("grace-sub", "grace@example.com", false))
	b := w.browser()
	linkRequired(t, w, b, "mock", "grace@example.com")
	if err := b.login("grace@example.com"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(11 * 60e9)
	if err := b.login("grace@example.com"); err != nil { // fresh again
		t.Fatal(err)
	}
	wantErr(t, b.err(func(r *http.Request) error { _, err := w.svc.CompleteLink(r); return err }), oauth.ErrNoPendingLink)
}

// startLink begins linking in the browser's session.
func (b *browser) startLink(provider string) reply {
	b.w.t.Helper()
	r := b.get("/oauth/" + provider + "?link=1")
	if r.status != http.StatusFound {
		return r
	}
	return b.get(b.authorize(r.location))
}

func TestLink_AFreshUserLinksAnotherProviderAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.user("ada@example.com", true)
	b := w.browser()
	if err := b.login("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	// Whatever address the provider account has, even none vouched for.
	w.gh.queue(ghUser{ID: 42, Emails: []map[string]any{ghEmail("ada@work.example", true, false)}})
	if r := b.startLink("github"); r.status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	w.gh.queue(ghUser{ID: 42})
	g := w.browser()
	g.mustSignIn("github")
	if g.userID() != id {
		t.Fatalf("the linked account signs in as %d, want %d", g.userID(), id)
	}
	ids, err := b.do(func(r *http.Request) (string, error) {
		list, err := w.svc.Identities(r)
		if err != nil {
			return "", err
		}
		var s []string
		for _, i := range list {
			s = append(s, i.Provider+":"+i.Subject)
		}
		return strings.Join(s, ","), nil
	})
	if err != nil || ids != "github:42" {
		t.Fatalf("identities: %q %v", ids, err)
	}
}

func TestLink_NeedsAFreshSessionAndAProviderAccountOfNobodyElse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.queue(ghUser{ID: 42, Emails: []map[string]any{ghEmail("owner@example.com", true, true)}})
	w.browser().mustSignIn("github")

	w.user("ada@example.com", true)
	b := w.browser()
	if r := b.get("/oauth/github?link=1"); r.status != http.StatusUnauthorized {
		t.Fatalf("link while logged out: %d %s", r.status, r.body)
	}
	if err := b.login("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	w.gh.queue(ghUser{ID: 42})
	if r := b.startLink("github"); r.status != http.StatusConflict || !strings.Contains(r.body, oauth.ErrIdentityTaken.Error()) {
		t.Fatalf("linking another account's provider account: %d %s", r.status, r.body)
	}
	w.clock.Advance(11 * 60e9)
	if r := b.get("/oauth/github?link=1"); r.status != http.StatusForbidden || !strings.Contains(r.body, authkit.ErrReauthenticationRequired.Error()) {
		t.Fatalf("link in a stale session: %d %s", r.status, r.body)
	}
}

func TestUnlink_KeepsTheLastWayIntoAnAccountWithoutPassword(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	unlink := func(provider, subject string) error {
		return b.err(func(r *http.Request) error { return w.svc.Unlink(r, provider, subject) })
	}
	wantErr(t, unlink("mock", "ada-sub"), oauth.ErrLastWayIn)
	wantErr(t, unlink("github", "1"), oauth.ErrNotLinked)

	w.gh.queue(ghUser{ID: 9})
	if r := b.startLink("github"); r.status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
}

func TestUnlink_TwoUnlinksRacingForTheLastTwoProviderAccountsLeaveOne(t *testing.T) {
	t.Parallel()
	w, p := probedWorld(t)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	first := w.browser()
	first.mustSignIn("mock")
	w.gh.queue(ghUser{ID: 9})
	if r := first.startLink("github"); r.status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	second := w.browser()
	second.mustSignIn("mock")
	unlink := func(b *browser, provider, subject string) chan error {
		errc := make(chan error, 1)
		go func() { errc <- b.err(func(r *http.Request) error { return w.svc.Unlink(r, provider, subject) }) }()
		return errc
	}

	// The first unlink has counted two and is about to delete; the second
	// counts now, and must wait for the first to commit.
	deleting := p.HoldNext("DELETE FROM authkit_identities")
	firstErr := unlink(first, "mock", "ada-sub")
	deleting.Wait(t)
	secondErr := unlink(second, "github", "9")
	waited := waitsForALock(t, w)
	deleting.Let()
	if !waited {
		t.Fatalf("the second unlink did not wait for the first; it said %v", <-secondErr)
	}
	if err := <-firstErr; err != nil {
		t.Fatal(err)
	}
	wantErr(t, <-secondErr, oauth.ErrLastWayIn)
	if n := w.count("identities", "TRUE"); n != 1 {
		t.Fatalf("%d provider accounts left, want 1", n)
	}
}

// waitsForALock reports whether a statement of the test's database comes
// to wait for a lock within ten seconds.
func waitsForALock(t *testing.T, w *world) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		if err := w.db.Get(&n, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

func TestUnlink_AnAccountWithAPasswordMayUnlinkEveryProvider(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.user("ada@example.com", true)
	w.oidc.QueueUser(person("ada-sub", "ada@example.com", true))
	b := w.browser()
	b.mustSignIn("mock")
	if err := b.err(func(r *http.Request) error { return w.svc.Unlink(r, "mock", "ada-sub") }); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(11 * 60e9)
	err := b.err(func(r *http.Request) error { return w.svc.Unlink(r, "mock", "ada-sub") })
	if err == nil || !errors.As(err, new(*httpError)) || !strings.Contains(err.Error(), authkit.ErrReauthenticationRequired.Error()) {
		t.Fatalf("unlink in a stale session: %v", err)
	}
}
