package authkit

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (d *device) sessions(t *testing.T) []Device {
	t.Helper()
	var list []Device
	if err := d.err(func(a *Auth) (err error) { list, err = a.Sessions(); return err }); err != nil {
		t.Fatal(err)
	}
	return list
}

func TestSessions_ListOnlyTheUsersOwnWithTheCurrentOneMarked(t *testing.T) { // SEC-D1
	t.Parallel()
	e := newEnv(t)
	e.user("ann@example.com")
	e.user("ben@example.com")
	phone := loggedInDevice(t, e, "ann@example.com", "")
	laptop := loggedInDevice(t, e, "ann@example.com", "")
	loggedInDevice(t, e, "ben@example.com", "")
	list := laptop.sessions(t)
	if len(list) != 2 {
		t.Fatalf("ann sees %d sessions, want her 2: %+v", len(list), list)
	}
	current := 0
	for _, d := range list {
		if d.Current {
			current++
		}
		if d.ID == "" || d.IP == "" || d.CreatedAt.IsZero() || d.LastSeenAt.IsZero() || d.ExpiresAt.IsZero() {
			t.Errorf("incomplete entry %+v", d)
		}
		for _, c := range append(phone.cookieValues(), laptop.cookieValues()...) {
			if strings.Contains(d.ID, c) || strings.Contains(c, d.ID) || d.ID == e.kit.storeKey(c) {
				t.Fatalf("a session id reveals a token or store key: %q", d.ID)
			}
		}
	}
	if current != 1 {
		t.Fatalf("%d sessions marked current, want 1", current)
	}
}

func (d *device) cookieValues() []string {
	var vs []string
	for _, c := range d.cookies {
		vs = append(vs, c.Value)
	}
	return vs
}

func TestRevokeSession_AnotherUsersSessionIsNotFound(t *testing.T) { // SEC-D1
	t.Parallel()
	e := newEnv(t)
	e.user("ann@example.com")
	e.user("ben@example.com")
	ann := loggedInDevice(t, e, "ann@example.com", "")
	ben := loggedInDevice(t, e, "ben@example.com", "")
	bens := ben.sessions(t)[0].ID
	for _, id := range []string{bens, "", "nonsense", strings.Repeat("x", 10000)} {
		wantErr(t, ann.err(func(a *Auth) error { return a.RevokeSession(id) }), ErrNotFound)
	}
	if ben.userID() == 0 {
		t.Fatal("ann ended ben's session")
	}
}

func TestRevokeSession_EndsThatDeviceAndItsRememberTokenAtOnce(t *testing.T) { // SEC-D1 SEC-S5
	t.Parallel()
	e := newEnv(t)
	id := e.user("ann@example.com")
	lost := e.device()
	if err := lost.err(func(a *Auth) error { return a.Login("ann@example.com", testPassword, true) }); err != nil {
		t.Fatal(err)
	}
	here := loggedInDevice(t, e, "ann@example.com", "")
	for _, d := range here.sessions(t) {
		if !d.Current {
			if err := here.err(func(a *Auth) error { return a.RevokeSession(d.ID) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if lost.userID() != 0 {
		t.Fatal("the revoked device is still logged in")
	}
	delete(lost.cookies, sessionCookieName(e))
	if lost.userID() != 0 {
		t.Fatal("the revoked device's remember-me cookie still restores")
	}
	if here.userID() != id {
		t.Fatal("revoking another device logged this one out")
	}
	for _, d := range here.sessions(t) {
		if err := here.err(func(a *Auth) error { return a.RevokeSession(d.ID) }); err != nil {
			t.Fatal(err)
		}
	}
	if here.userID() != 0 {
		t.Fatal("revoking the current session left this request logged in")
	}
}

func TestSessions_LastSeenIsWrittenAtMostOncePerResyncInterval(t *testing.T) { // SEC-D1
	t.Parallel()
	e, p := probedEnv(t, func(c *Config) { c.ResyncInterval = time.Minute })
	e.user("seen@example.com")
	d := loggedInDevice(t, e, "seen@example.com", "")
	first := d.sessions(t)[0].LastSeenAt
	p.Counter().Store(0)
	for range 5 {
		e.clock.Advance(5 * time.Second)
		d.userID()
	}
	if n := p.Statements(); n != 5 {
		t.Fatalf("5 logged-in requests within the interval ran %d statements, want 5 (no writes)", n)
	}
	e.clock.Advance(time.Minute)
	d.userID()
	if got := d.sessions(t)[0].LastSeenAt; !got.After(first) {
		t.Fatalf("last seen %v did not move past %v after the interval", got, first)
	}
}

func TestAdmin_ListsAndRevokesAUsersSessions(t *testing.T) { // SEC-D1
	t.Parallel()
	e := newEnv(t)
	id := e.user("ann@example.com")
	d := loggedInDevice(t, e, "ann@example.com", "")
	ctx := context.Background()
	list, err := e.kit.Admin().Sessions(ctx, id)
	if err != nil || len(list) != 1 || list[0].Current {
		t.Fatalf("admin sees %+v, %v", list, err)
	}
	wantErr(t, e.kit.Admin().RevokeSession(ctx, id+1, list[0].ID), ErrNotFound)
	if err := e.kit.Admin().RevokeSession(ctx, id, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if d.userID() != 0 {
		t.Fatal("the session an admin revoked is still logged in")
	}
}

// bearer sends one request with an Authorization: Bearer header to the
// test app and returns the status, the body and the response's cookies.
func (e *env) bearer(credential, path string) (int, string, []*http.Cookie) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+credential)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	cookies := resp.Cookies()
	code, body := readResponse(e.t, resp)
	return code, body, cookies
}

func TestLogin_FromANewDeviceMailsTheUserButNotFromAKnownOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.user("watched@example.com")
	newDeviceMails := func() int {
		e.kit.mailWG.Wait()
		n := 0
		for _, m := range e.mail.Messages() {
			if m.Kind == MessageNewDevice {
				n++
			}
		}
		return n
	}
	first := e.browser()
	first.login("watched@example.com", testPassword)
	if n := newDeviceMails(); n != 0 {
		t.Fatalf("the first login ever sent %d new-device mails", n)
	}
	first.post("/logout", nil)
	first.login("watched@example.com", testPassword) // the same browser: its device cookie
	if n := newDeviceMails(); n != 0 {
		t.Fatalf("a known device sent %d new-device mails", n)
	}
	e.browser().login("watched@example.com", testPassword)
	if n := newDeviceMails(); n != 1 {
		t.Fatalf("a new device sent %d new-device mails, want 1", n)
	}
	msg, _ := e.mail.Last("watched@example.com")
	if !strings.Contains(msg.Text, "127.0.0.1") || strings.Contains(msg.Text, testPassword) {
		t.Fatalf("mail: %q", msg.Text)
	}
	if msg.IP != "127.0.0.1" || msg.Device == "" || msg.UserEmail != "watched@example.com" {
		t.Fatalf("the mail's fields: IP %q, Device %q, UserEmail %q", msg.IP, msg.Device, msg.UserEmail)
	}
	quiet := newEnv(t, func(c *Config) { c.DisableNewDeviceMail = true })
	quiet.user("quiet@example.com")
	quiet.browser().login("quiet@example.com", testPassword)
	quiet.browser().login("quiet@example.com", testPassword)
	quiet.kit.mailWG.Wait()
	for _, m := range quiet.mail.Messages() {
		if m.Kind == MessageNewDevice {
			t.Fatal("DisableNewDeviceMail did not stop the mail")
		}
	}
}
