package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
)

// TestBrowser_APasskeyLogsInUntilItsAuthenticatorIsGone drives the app in
// headless Chromium with the browser's virtual authenticator, a platform
// authenticator with resident keys and user verification as a laptop's
// would be: it adds a passkey on the account page, logs out, signs in
// with the passkey alone, uses it as the second step of a password login
// once two-step login is on, and once the authenticator is gone sees the
// passkey login fail (SEC-W1: RP ID localhost, the app's own origin).
func TestBrowser_APasskeyLogsInUntilItsAuthenticatorIsGone(t *testing.T) {
	t.Parallel()
	app := startLocalhostApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	const email = "grace@example.com"
	app.confirmedUser(t, email)
	laptop := startChromium(ctx, t, "passkey-laptop", app.srv.URL, newScreenshots(t))
	authenticator := laptop.addVirtualAuthenticator()

	laptop.step("log in with the password")
	laptop.visit("/login")
	laptop.fillLogin(email, password, false)
	laptop.press(`form[action="/login"] button`)
	laptop.see("with your password")

	laptop.step("add a passkey")
	laptop.fill("#passkey-name", "Virtual laptop")
	laptop.press(`button[data-passkey="register"]`)
	laptop.see("Your passkey is added")
	laptop.see("Virtual laptop")
	if n := laptop.credentials(authenticator); n != 1 {
		laptop.fail(fmt.Sprintf("the authenticator holds %d passkeys, want 1", n))
	}

	laptop.step("log out")
	laptop.press(`form[action="/logout"] button`)
	laptop.see("You are logged out.")

	laptop.step("sign in with the passkey")
	laptop.visit("/login")
	laptop.press(`button[data-passkey="login"]`)
	laptop.seeAt("/account")
	laptop.see(email)

	laptop.step("turn on two-step login")
	laptop.press(`form[action="/account/two-factor/totp"] button`)
	secret := laptop.text("#totp-secret")
	laptop.fill("#code", totpCode(t, secret, time.Now()))
	laptop.press(`form[action="/account/two-factor/totp/confirm"] button`)
	laptop.see("this is the only time they are shown")

	laptop.step("a passkey as the second step")
	laptop.visit("/account")
	laptop.press(`form[action="/logout"] button`)
	laptop.visit("/login")
	laptop.fillLogin(email, password, false)
	laptop.press(`form[action="/login"] button`)
	laptop.press(`nav.methods a[href*="method=passkey"]`)
	laptop.press(`button[data-passkey="second-factor"]`)
	laptop.seeAt("/account")
	laptop.see(email)

	// The passkey verified its user (the virtual fingerprint), so it
	// proves both factors: no second step.
	laptop.step("sign in with the passkey alone, two-step login or not")
	laptop.press(`form[action="/logout"] button`)
	laptop.visit("/login")
	laptop.press(`button[data-passkey="login"]`)
	laptop.seeAt("/account")

	laptop.step("log out and lose the authenticator")
	laptop.press(`form[action="/logout"] button`)
	laptop.removeVirtualAuthenticator(authenticator)
	// Another authenticator, without the passkey, answers at once; with
	// none at all the browser would wait for one to be plugged in until
	// the ceremony times out.
	laptop.addVirtualAuthenticator()
	laptop.visit("/login")
	laptop.click(`button[data-passkey="login"]`)
	laptop.do(chromedp.WaitVisible(chromedp.CSS("#passkey-error")))
	laptop.see("The passkey did not work")
	laptop.visit("/account")
	laptop.seeAt("/login?next=%2Faccount")
}

// startLocalhostApp starts the app as newTestApp does, at
// http://localhost:port: browsers offer passkeys on a host name, not on
// 127.0.0.1.
func startLocalhostApp(t *testing.T) *testApp {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://localhost:" + srv.Listener.Addr().String()[strings.LastIndex(srv.Listener.Addr().String(), ":")+1:]
	outbox := newDevOutbox(nil)
	handler, kit, err := newApp(t.Context(), authkit.Config{
		DB: authkittest.DB(t), Mailer: outbox.mail, SMS: outbox.sms, BaseURL: base, EncryptionKey: newKey(),
	}, outbox, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = handler
	srv.Start()
	srv.URL = base
	t.Cleanup(func() {
		srv.Close()
		kit.Close()
	})
	return &testApp{srv: srv, kit: kit, mail: outbox.mail, sms: outbox.sms}
}

// addVirtualAuthenticator gives the browser a platform authenticator, as
// a laptop's fingerprint reader: CTAP 2, internal, with resident keys and
// user verification that succeeds.
func (c *chromium) addVirtualAuthenticator() webauthn.AuthenticatorID {
	c.t.Helper()
	if _, err := chromedp.Call(c.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		c.fail("enabling WebAuthn: " + err.Error())
	}
	res, err := chromedp.Call(c.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		c.fail("adding a virtual authenticator: " + err.Error())
	}
	return res.AuthenticatorID
}

func (c *chromium) removeVirtualAuthenticator(id webauthn.AuthenticatorID) {
	c.t.Helper()
	if _, err := chromedp.Call(c.ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id}); err != nil {
		c.fail("removing the virtual authenticator: " + err.Error())
	}
}

// credentials returns how many passkeys the virtual authenticator holds.
func (c *chromium) credentials(id webauthn.AuthenticatorID) int {
	c.t.Helper()
	res, err := chromedp.Call(c.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		c.fail("reading the virtual authenticator: " + err.Error())
	}
	return len(res.Credentials)
}
