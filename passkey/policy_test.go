package passkey_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/passkey"
)

func TestNew_RefusesABadConfigWithAConfigError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name  string
		cfg   passkey.Config
		field string
	}{
		{"no RP ID", passkey.Config{Origins: []string{"https://example.com"}}, "RPID"},
		{"an IP address as RP ID", passkey.Config{RPID: "127.0.0.1", Origins: []string{"https://127.0.0.1"}}, "RPID"},
		{"a URL as RP ID", passkey.Config{RPID: "https://example.com", Origins: []string{"https://example.com"}}, "RPID"},
		{"an upper-case RP ID", passkey.Config{RPID: "Example.com", Origins: []string{"https://example.com"}}, "RPID"},
		{"no origins", passkey.Config{RPID: "example.com"}, "Origins"},
		{"an origin of another site", passkey.Config{RPID: "example.com", Origins: []string{"https://example.org"}}, "Origins"},
		{"an origin that only ends like the site", passkey.Config{RPID: "example.com", Origins: []string{"https://badexample.com"}}, "Origins"},
		{"a plain http origin", passkey.Config{RPID: "example.com", Origins: []string{"http://example.com"}}, "Origins"},
		{"an origin with a path", passkey.Config{RPID: "example.com", Origins: []string{"https://example.com/login"}}, "Origins"},
		{"an origin without a scheme", passkey.Config{RPID: "example.com", Origins: []string{"example.com"}}, "Origins"},
		{"an unknown policy", passkey.Config{RPID: "example.com", Origins: []string{"https://example.com"}, UserVerification: "sometimes"}, "UserVerification"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := passkey.New(e.kit, c.cfg)
			var ce *passkey.ConfigError
			if !errors.As(err, &ce) || ce.Field != c.field || !errors.Is(err, authkit.ErrInvalidConfig) {
				t.Fatalf("New = %v, want a *ConfigError on %s that matches ErrInvalidConfig", err, c.field)
			}
		})
	}
	if _, err := passkey.New(nil, passkey.Config{RPID: "example.com", Origins: []string{"https://example.com"}}); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("New without a Kit = %v", err)
	}
	good := passkey.Config{RPID: "example.com", Origins: []string{"https://example.com", "https://app.example.com:8443", "http://localhost:8080"}}
	if _, err := passkey.New(e.kit, good); err == nil {
		t.Error("an http origin on localhost for a site that is not localhost was accepted")
	}
	good.Origins = good.Origins[:2]
	if _, err := passkey.New(e.kit, good); err != nil {
		t.Errorf("New(%+v) = %v", good, err)
	}
}

func TestSignCount_ACounterThatGoesBackOnADeviceBoundPasskeyIsAClone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	a.counting = true
	id, _ := e.registered("ada@example.com", a) // counter 1
	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "")
	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "") // counter 3

	// A copy of the key taken at counter 1 signs with counter 2.
	clone := &authenticator{t: t, origin: testOrigin, uv: true, counting: true}
	c := *a.creds[0]
	c.counter = 1
	clone.creds = append(clone.creds, &c)
	cl := e.client()

	wantCode(t, cl.passkeyLogin(clone), http.StatusUnauthorized, "clone_warning")
	if cl.userID() != 0 {
		t.Fatal("the clone logged in")
	}
	var warned bool
	if err := e.db.Get(&warned, `SELECT clone_warning FROM authkit_passkeys WHERE user_id = $1`, id); err != nil || !warned {
		t.Fatalf("clone_warning = %v (%v), want the passkey marked", warned, err)
	}
	// The real authenticator is ahead, and still works.
	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "")
}

func TestSignCount_SyncedPasskeysMayReportAnyCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	a.be, a.bs, a.counting = true, true, true
	e.registered("ada@example.com", a)
	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "")

	// Another device of the same synced passkey, whose counter is behind.
	other := &authenticator{t: t, origin: testOrigin, uv: true, be: true, bs: true}
	c := *a.creds[0]
	c.counter = 0
	other.creds = append(other.creds, &c)

	wantCode(t, e.client().passkeyLogin(other), http.StatusOK, "")
	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "")
}

func TestBackupFlags_ASyncedPasskeyWhoseBackupEligibleFlagFlipsStillLogsIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := newAuthenticator(t)
	_, owner := e.registered("ada@example.com", a) // not backup eligible yet
	// iCloud Keychain reports BE only once the passkey has synced.
	a.be, a.bs = true, true

	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "")

	var list struct {
		Passkeys []struct {
			Synced   bool
			BackedUp bool `json:"backed_up"`
		}
	}
	_ = json.Unmarshal(owner.do(http.MethodGet, "/passkeys", nil, "").body, &list)
	if len(list.Passkeys) != 1 || !list.Passkeys[0].Synced || !list.Passkeys[0].BackedUp {
		t.Fatalf("passkeys %+v, want the flags the authenticator reports now", list.Passkeys)
	}
	// And back: a password manager that reports it inconsistently.
	a.be, a.bs = false, false
	wantCode(t, e.client().passkeyLogin(a), http.StatusOK, "")
}

func TestCalls_OutsideTheKitsMiddlewareFailWithErrNoMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := newEnv(t) // a request that passed through another Kit's middleware
	calls := map[string]func(w http.ResponseWriter, r *http.Request) error{
		"BeginRegistration":     e.pk.BeginRegistration,
		"BeginLogin":            e.pk.BeginLogin,
		"BeginSecondFactor":     e.pk.BeginSecondFactor,
		"BeginReauthentication": e.pk.BeginReauthentication,
		"FinishLogin":           func(_ http.ResponseWriter, r *http.Request) error { return e.pk.FinishLogin(r, []byte("{}"), false) },
		"FinishSecondFactor":    func(_ http.ResponseWriter, r *http.Request) error { return e.pk.FinishSecondFactor(r, []byte("{}")) },
		"FinishReauthentication": func(_ http.ResponseWriter, r *http.Request) error {
			return e.pk.FinishReauthentication(r, []byte("{}"))
		},
		"FinishRegistration": func(_ http.ResponseWriter, r *http.Request) error {
			_, err := e.pk.FinishRegistration(r, "", []byte("{}"))
			return err
		},
		"List":   func(_ http.ResponseWriter, r *http.Request) error { _, err := e.pk.List(r); return err },
		"Rename": func(_ http.ResponseWriter, r *http.Request) error { return e.pk.Rename(r, "x", "y") },
		"Remove": func(_ http.ResponseWriter, r *http.Request) error { return e.pk.Remove(r, "x") },
	}
	for name, call := range calls {
		rec := httptest.NewRecorder()
		wantErr(t, call(rec, httptest.NewRequest(http.MethodPost, "/", nil)), authkit.ErrNoMiddleware)
		err := other.client().serve(call)
		wantErr(t, err, authkit.ErrNoMiddleware)
		if rec.Body.Len() != 0 {
			t.Errorf("%s wrote %q outside the middleware", name, rec.Body)
		}
	}
}
