package main

import (
	"context"
	"testing"
	"time"
)

// TestBrowser_SignsInThroughTheDevProvider drives headless Chromium through
// "Sign in with Dev provider": a new account made by the sign-in, and an
// existing one that the provider account joins only after its password
// (SEC-O2), then signs in with the provider alone.
func TestBrowser_SignsInThroughTheDevProvider(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	shots := newScreenshots(t)
	laptop := startChromium(ctx, t, "laptop", app.srv.URL, shots)

	laptop.step("sign up with the dev provider")
	laptop.visit("/login")
	laptop.see("Sign in with Dev provider")
	laptop.press(`a.provider[href^="/oauth/dev"]`)
	laptop.see("Who do you want to be?")
	laptop.fill("#dev-email", "grace@example.com")
	laptop.press(`form button`)
	laptop.seeAt("/account")
	laptop.see("grace@example.com")
	laptop.press(`form[action="/logout"] button`)

	laptop.step("an existing account needs its password first")
	app.confirmedUser(t, "ada@example.com")
	laptop.visit("/login")
	laptop.press(`a.provider[href^="/oauth/dev"]`)
	laptop.fill("#dev-email", "ada@example.com")
	laptop.click(`input[name="dev_verified"]`) // the provider does not vouch for it
	laptop.press(`form button`)
	laptop.see("Log in with its password")
	laptop.fillLogin("ada@example.com", password, false)
	laptop.press(`form[action="/login"] button`)
	laptop.press(`form[action="/link-account"] button`)
	laptop.see("The provider account is linked")
	laptop.press(`form[action="/logout"] button`)

	laptop.step("sign in with the linked provider account")
	laptop.visit("/login")
	laptop.press(`a.provider[href^="/oauth/dev"]`)
	laptop.fill("#dev-email", "ada@example.com")
	laptop.click(`input[name="dev_verified"]`)
	laptop.press(`form button`)
	laptop.seeAt("/account")
	laptop.see("ada@example.com")
}
