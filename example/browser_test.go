package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authkit/authkit"
)

// docsScreenshotsEnv names the environment variable that asks the browser
// test to save the README's screenshots, in the folder it names (docs/).
const docsScreenshotsEnv = "AUTHKIT_DOCS_SCREENSHOTS"

// stepTimeout bounds one action in the browser, so that a page that never
// comes fails its step instead of the whole test's deadline.
const stepTimeout = 15 * time.Second

// TestBrowser_WalksTheAppFromRegistrationToAPasswordReset drives the app
// in headless Chromium, the way a user with a laptop, a phone and an
// authenticator app would. Each page it loads is saved as a screenshot.
func TestBrowser_WalksTheAppFromRegistrationToAPasswordReset(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	// Not t.Context(): that ends before the cleanups that close the
	// browsers gracefully.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	shots := newScreenshots(t)
	const email, newPassword = "ada@example.com", "a brand new horse battery"
	laptop := startChromium(ctx, t, "laptop", app.srv.URL, shots)

	laptop.step("register")
	laptop.visit("/")
	laptop.see("Nobody is logged in")
	laptop.press(`main a[href="/register"]`)
	laptop.fill("#email", email)
	laptop.fill("#password", password)
	laptop.press(`form[action="/register"] button`)
	laptop.see("Your account is created")

	laptop.step("confirm through the outbox")
	laptop.followMailedLink(app, email, authkit.MessageConfirmEmail)
	laptop.press(`form[action="/confirm-email"] button`)
	laptop.see("Your email address is confirmed")

	laptop.step("log in with remember-me")
	laptop.visit("/login")
	laptop.fillLogin(email, password, true)
	laptop.saveForDocs("login.png")
	laptop.press(`form[action="/login"] button`)
	laptop.see("with your password")

	laptop.step("restart the browser")
	laptop.dropCookie(sessionCookie)
	laptop.visit("/account")
	laptop.see("via remember me")

	laptop.step("confirm the password")
	laptop.fill(`form[action="/account/reauthenticate"] input[name="password"]`, password)
	laptop.press(`form[action="/account/reauthenticate"] button`)
	laptop.see("Password confirmed")

	laptop.step("enrol TOTP")
	laptop.press(`form[action="/account/two-factor/totp"] button`)
	secret := laptop.text("#totp-secret")
	laptop.fill("#code", totpCode(t, secret, time.Now()))
	laptop.saveForDocs("totp-setup.png")
	laptop.press(`form[action="/account/two-factor/totp/confirm"] button`)
	laptop.see("this is the only time they are shown")
	backupCodes := laptop.texts("ol.codes code")
	if len(backupCodes) != 10 {
		laptop.fail(fmt.Sprintf("got %d backup codes, want 10", len(backupCodes)))
	}

	laptop.step("log out")
	laptop.press(`main a[href="/account"]`)
	laptop.see("On: after your password")
	laptop.press(`form[action="/logout"] button`)
	laptop.see("You are logged out.")

	laptop.step("log in")
	laptop.visit("/login")
	laptop.fillLogin(email, password, true)
	laptop.press(`form[action="/login"] button`)
	laptop.see("Enter the 6-digit code your authenticator app shows")

	laptop.step("second factor")
	// The code that confirmed the app used up its 30-second time step,
	// which authkit accepts once. The next step's code is accepted at
	// once, since one step of clock skew is allowed.
	laptop.fill("#code", totpCode(t, secret, time.Now().Add(30*time.Second)))
	laptop.press(`form[action="/login/second-factor"] button`)

	laptop.step("account page")
	laptop.see(email)
	laptop.see("Backup codes: 10 left")
	laptop.saveForDocs("account.png")

	phone := startChromium(ctx, t, "phone", app.srv.URL, shots)
	phone.step("log in with a backup code")
	phone.visit("/login")
	phone.fillLogin(email, password, false)
	phone.press(`form[action="/login"] button`)
	phone.useBackupCode(backupCodes[0])
	phone.see("Backup codes: 9 left")

	phone.step("log out everywhere")
	phone.press(`form[action="/logout-everywhere"] button`)
	phone.see("You are logged out on every device.")

	// The laptop's session and its remember-me token both end.
	laptop.step("logged out by the phone")
	laptop.visit("/account")
	laptop.seeAt("/login?next=%2Faccount")

	laptop.step("forgot password")
	laptop.press(`main a[href="/forgot-password"]`)
	laptop.fill("#email", email)
	laptop.press(`form[action="/forgot-password"] button`)
	laptop.see("we emailed it a link")

	laptop.step("reset link from the outbox")
	laptop.followMailedLink(app, email, authkit.MessagePasswordReset)
	laptop.fill("#password", newPassword)
	laptop.press(`form[action="/reset-password"] button`)
	laptop.see("Your password is changed")

	laptop.step("log in with the new password")
	laptop.press(`main a[href="/login"]`)
	laptop.fillLogin(email, newPassword, false)
	laptop.press(`form[action="/login"] button`)
	laptop.useBackupCode(backupCodes[1])
	laptop.see(email)
	laptop.see("Backup codes: 8 left")
}

// chromium is one headless Chromium with a profile of its own: one of the
// user's devices. Its methods fail the test, with the page's URL and
// text, when the page does not do what the story expects.
type chromium struct {
	t        *testing.T
	ctx      context.Context // the browser's tab
	name     string          // the device, in failures and screenshot names
	base     string          // the app's URL
	shots    *screenshots
	stepName string // the step of the story under way
}

// chromeNames are the names Chromium and Chrome have on PATH in the Linux
// distributions' packages and Google's own.
var chromeNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// chromeApps are where macOS keeps Chrome and Chromium, which are not on
// PATH there.
var chromeApps = []string{
	"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
	"/Applications/Chromium.app/Contents/MacOS/Chromium",
}

// findChrome returns the browser for the test: the one CHROME_PATH names,
// else the first of chromeNames on PATH, else the first of chromeApps that
// exists. Without one the test fails rather than skips, so that a run
// without a browser cannot pass for a run that tested the pages.
func findChrome() (string, error) {
	if path := os.Getenv("CHROME_PATH"); path != "" {
		if _, err := exec.LookPath(path); err != nil {
			return "", fmt.Errorf("CHROME_PATH is %q, which is not an executable: %w", path, err)
		}
		return path, nil
	}
	for _, name := range chromeNames {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	for _, path := range chromeApps {
		if _, err := exec.LookPath(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("this test drives Chromium or Chrome and found neither: looked for %s on PATH and for %s; "+
		"install one (Debian: apt-get install chromium, which .ci/run does) or set CHROME_PATH to the browser's executable",
		strings.Join(chromeNames, ", "), strings.Join(chromeApps, " and "))
}

// startChromium starts a browser for the device name on the app at base.
// The browser ends with the test, or when ctx does.
func startChromium(ctx context.Context, t *testing.T, name, base string, shots *screenshots) *chromium {
	t.Helper()
	path, err := findChrome()
	if err != nil {
		t.Fatal(err)
	}
	// The flags after the profile are the ones Chromium needs here; the
	// defaults hold some of them already.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		// A modest window keeps the screenshots small.
		chromedp.WindowSize(900, 700),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	// Cleanups run last first: the browser is gone before t.TempDir
	// removes its profile. Closing it gracefully leaves fewer of its
	// processes for init to reap than killing it; cancelAlloc kills it if
	// need be, and waits for it to end.
	t.Cleanup(func() {
		closeCtx, cancelClose := context.WithTimeout(tabCtx, 10*time.Second)
		defer cancelClose()
		if err := chromedp.Cancel(closeCtx); err != nil {
			t.Logf("%s: closing Chromium: %v", name, err)
		}
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(tabCtx); err != nil { // starts the browser
		t.Fatalf("%s: starting Chromium: %v", name, err)
	}
	return &chromium{t: t, ctx: tabCtx, name: name, base: base, shots: shots}
}

// step names the part of the story that the next actions belong to.
func (c *chromium) step(name string) { c.stepName = name }

// do runs actions in the tab, each call within stepTimeout.
func (c *chromium) do(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.fail(err.Error())
	}
}

// visit opens a path of the app.
func (c *chromium) visit(path string) {
	c.t.Helper()
	c.do(chromedp.Navigate(c.base + path))
	c.shot()
}

// press clicks the button or link that sel selects, and waits for the
// page it leads to.
func (c *chromium) press(sel string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		c.fail(fmt.Sprintf("pressing %s: %v", sel, err))
	}
	c.shot()
}

// click clicks the element sel selects, such as a checkbox, that loads
// no new page.
func (c *chromium) click(sel string) {
	c.t.Helper()
	c.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// fill types text into the field sel selects.
func (c *chromium) fill(sel, text string) {
	c.t.Helper()
	c.do(chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// fillLogin fills in the login form of the page at hand.
func (c *chromium) fillLogin(email, password string, remember bool) {
	c.t.Helper()
	c.fill("#email", email)
	c.fill("#password", password)
	if remember {
		c.click(`input[name="remember"]`)
	}
}

// useBackupCode finishes the second step of a login with a backup code.
func (c *chromium) useBackupCode(code string) {
	c.t.Helper()
	c.press(`nav.methods a[href*="method=backup"]`)
	c.fill("#code", code)
	c.press(`form[action="/login/second-factor"] button`)
}

// followMailedLink waits for the app to email to a message of kind,
// then follows its link from the outbox page.
func (c *chromium) followMailedLink(app *testApp, to string, kind authkit.MessageKind) {
	c.t.Helper()
	msg := app.awaitMail(c.t, to, kind)
	c.visit("/dev/outbox")
	c.press(fmt.Sprintf("a[href=%q]", msg.Link))
}

// dropCookie deletes a cookie of the app, as a browser that restarts
// forgets its session cookies.
func (c *chromium) dropCookie(name string) {
	c.t.Helper()
	if _, err := chromedp.Call(c.ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: name, URL: c.base}); err != nil {
		c.fail(fmt.Sprintf("deleting the cookie %s: %v", name, err))
	}
}

// text returns the visible text of the element sel selects.
func (c *chromium) text(sel string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		c.fail(fmt.Sprintf("reading %s: %v", sel, err))
	}
	return s
}

// texts returns the text of every element sel selects.
func (c *chromium) texts(sel string) []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	script := fmt.Sprintf(`Array.from(document.querySelectorAll(%q), e => e.textContent)`, sel)
	s, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](script))
	if err != nil {
		c.fail(fmt.Sprintf("reading %s: %v", sel, err))
	}
	return s
}

// see checks that the page shows want.
func (c *chromium) see(want string) {
	c.t.Helper()
	if !strings.Contains(c.pageText(), want) {
		c.fail(fmt.Sprintf("the page does not say %q", want))
	}
}

// seeAt checks that the browser is at path, after any redirects.
func (c *chromium) seeAt(path string) {
	c.t.Helper()
	if got := c.location(); got != c.base+path {
		c.fail(fmt.Sprintf("the browser is at %s, want %s", got, c.base+path))
	}
}

// pageText is what the page shows, or why it cannot be read.
func (c *chromium) pageText() string {
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return fmt.Sprintf("(the page's text cannot be read: %v)", err)
	}
	return s
}

func (c *chromium) location() string {
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(the URL cannot be read: %v)", err)
	}
	return s
}

// fail ends the test with the step, what went wrong and the page: its
// URL, its text and a last screenshot.
func (c *chromium) fail(problem string) {
	c.t.Helper()
	c.shotAs(c.stepName + " failed")
	c.t.Fatalf("%s, step %q: %s\nURL: %s\npage text:\n%s", c.name, c.stepName, problem, c.location(), c.pageText())
}

// shot saves a screenshot of the page for the step under way.
func (c *chromium) shot() {
	c.t.Helper()
	c.shotAs(c.stepName)
}

func (c *chromium) shotAs(step string) {
	c.t.Helper()
	png, err := c.screenshot()
	if err != nil {
		c.t.Errorf("%s, step %q: screenshot: %v", c.name, c.stepName, err)
		return
	}
	c.shots.save(c.name, step, png)
}

func (c *chromium) screenshot() ([]byte, error) {
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
}

// saveForDocs saves a screenshot of the page as file in the folder that
// docsScreenshotsEnv names, if it is set.
func (c *chromium) saveForDocs(file string) {
	c.t.Helper()
	if c.shots.docs == "" {
		return
	}
	png, err := c.screenshot()
	if err == nil {
		err = os.WriteFile(filepath.Join(c.shots.docs, file), png, 0o644)
	}
	if err != nil {
		c.t.Errorf("screenshot for the docs, %s: %v", file, err)
	}
}

// screenshots is the folder of a test's screenshots, numbered in the
// order the story takes them. The folder is kept when the test fails.
type screenshots struct {
	t    *testing.T
	dir  string
	n    int
	docs string // where the README's screenshots go, or ""
}

func newScreenshots(t *testing.T) *screenshots {
	t.Helper()
	dir, err := os.MkdirTemp("", "authkit-browser-test-")
	if err != nil {
		t.Fatal(err)
	}
	keep := os.Getenv("AUTHKIT_KEEP_SCREENSHOTS") != ""
	t.Logf("screenshots of each step: %s (kept if the test fails or AUTHKIT_KEEP_SCREENSHOTS is set)", dir)
	s := &screenshots{t: t, dir: dir, docs: os.Getenv(docsScreenshotsEnv)}
	t.Cleanup(func() {
		if !keep && (!t.Failed() || s.n == 0) {
			os.RemoveAll(dir)
		}
	})
	if s.docs != "" {
		if err := os.MkdirAll(s.docs, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *screenshots) save(device, step string, png []byte) {
	s.t.Helper()
	s.n++
	name := fmt.Sprintf("%02d-%s-%s.png", s.n, device, strings.ReplaceAll(step, " ", "-"))
	if err := os.WriteFile(filepath.Join(s.dir, name), png, 0o644); err != nil {
		s.t.Errorf("saving a screenshot: %v", err)
	}
}
