package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/twofactor"
)

//go:embed pages
var defaultPages embed.FS

// pageNames are the pages [Pages] renders, each a file pages/<name>.html
// that fills in pages/layout.html.
var pageNames = []string{"login", "second-factor", "register", "confirm", "forgot", "reset", "account", "message", "link"}

// PagesOptions configures the handler [Pages] returns. The zero value
// serves the pages at the root of the site with the default templates.
type PagesOptions struct {
	// Prefix is the path the pages are mounted under, without a trailing
	// slash: with "/account", the login page is /account/login. Point
	// Config.ConfirmEmailPath at Prefix+"/confirm",
	// Config.LoginLinkPath at Prefix+"/login/link" and
	// Config.ResetPasswordPath at Prefix+"/password/reset", so that the
	// mailed links open these pages. The default, "", serves them at the
	// root.
	Prefix string

	// Templates overrides the default templates one by one: a file of it
	// named like a default (layout.html, login.html, second-factor.html,
	// register.html, confirm.html, forgot.html, reset.html, account.html,
	// message.html, link.html, style.css) replaces that one, and the defaults serve
	// the rest. A page file defines the templates "title" and "content",
	// which layout.html places; both get a [PageData]. The default, nil,
	// uses the defaults only.
	Templates fs.FS

	// AfterLogin is where a login sends the user when the login page was
	// not given a local "next" path. The default is Prefix+"/account".
	AfterLogin string

	// CrossOrigin refuses form posts that a browser sends from another
	// origin (login included), as for the JSON API. The default is
	// http.NewCrossOriginProtection().
	CrossOrigin *http.CrossOriginProtection
}

// PageData is what the templates of [Pages] get.
type PageData struct {
	// Prefix is where the pages are mounted, for links and form actions.
	Prefix string
	// Error says what went wrong with the form just sent, for people.
	Error string
	// Notice says what just happened ("Check your mail").
	Notice string
	// Email is the address typed into the form, to fill it in again.
	Email string
	// Next is the local path a login goes to afterwards.
	Next string
	// Token is the token of a mailed link, for the confirm and reset
	// pages.
	Token string
	// User is the logged-in user, on the account page.
	User *authkit.User
	// Fresh is whether the password was entered recently enough for the
	// account page's sensitive forms; if not, they ask for it first.
	Fresh bool
	// Methods are the second factors: of the pending login on the
	// second-factor page, of the user (those being set up included) on
	// the account page.
	Methods []authkit.SecondFactor
	// TOTP is an authenticator app being set up: show its QR code.
	TOTP *TOTPSetup
	// BackupCodes are new backup codes, shown once.
	BackupCodes []string
}

// TOTPSetup is an authenticator app being set up, as the account page
// shows it.
type TOTPSetup struct {
	Secret string
	URI    string
	// QRCode is the QR code of URI as a data: URL, for an img's src.
	QRCode template.URL
}

// Has reports whether one of Methods is method ("totp", "email", "sms"),
// enabled or being set up.
func (d PageData) Has(method string) bool {
	for _, m := range d.Methods {
		if m.Method.String() == method {
			return true
		}
	}
	return false
}

// pages is the handler Pages returns.
type pages struct {
	kit       *authkit.Kit
	core      apiCore
	opts      PagesOptions
	templates map[string]*template.Template
	style     []byte
	mux       *http.ServeMux
}

// Pages returns the flows of the JSON API as server-rendered HTML pages,
// for a plain web app: log in (with the second step), register, confirm
// an address, forgot and reset a password, and an account page with the
// profile, the two-factor settings and the logouts. Forms post to the
// pages themselves and, after a success, redirect. Like [New]'s handler
// it applies the Kit's middleware unless the app already did, refuses
// cross-origin posts, and forbids caching. It panics if kit is nil or a
// template does not parse.
//
// The pages are plain HTML with a small stylesheet (style.css); override
// any template through PagesOptions.Templates.
func Pages(kit *authkit.Kit, opts PagesOptions) http.Handler {
	c, ok := core.Of(kit).(apiCore)
	if !ok {
		panic("httpapi: Pages needs the *authkit.Kit that authkit.New returned")
	}
	opts.Prefix = strings.TrimSuffix(opts.Prefix, "/")
	if opts.AfterLogin == "" {
		opts.AfterLogin = opts.Prefix + "/account"
	}
	if opts.CrossOrigin == nil {
		opts.CrossOrigin = http.NewCrossOriginProtection()
	}
	p := &pages{kit: kit, core: c, opts: opts, templates: map[string]*template.Template{}, mux: http.NewServeMux()}
	for _, name := range pageNames {
		t := template.New(name).Funcs(template.FuncMap{"methodName": methodName})
		for _, file := range []string{"layout.html", name + ".html"} {
			src, err := p.file(file)
			if err != nil {
				panic("httpapi: " + err.Error())
			}
			if _, err := t.New(file).Parse(string(src)); err != nil {
				panic("httpapi: " + err.Error())
			}
		}
		p.templates[name] = t
	}
	style, err := p.file("style.css")
	if err != nil {
		panic("httpapi: " + err.Error())
	}
	p.style = style
	p.routes()
	return p
}

// file reads a template file: the app's, or the default.
func (p *pages) file(name string) ([]byte, error) {
	if p.opts.Templates != nil {
		b, err := fs.ReadFile(p.opts.Templates, name)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return b, err
		}
	}
	return fs.ReadFile(defaultPages, "pages/"+name)
}

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !p.core.Serves(r) {
		p.kit.Middleware(http.HandlerFunc(p.serve)).ServeHTTP(w, r)
		return
	}
	p.serve(w, r)
}

func (p *pages) serve(w http.ResponseWriter, r *http.Request) {
	if err := p.opts.CrossOrigin.Check(r); err != nil {
		http.Error(w, "This form was sent from another site, so it was refused.", http.StatusForbidden)
		return
	}
	p.mux.ServeHTTP(w, r)
}

// render writes the page name with data, with status.
func (p *pages) render(w http.ResponseWriter, status int, name string, data PageData) {
	data.Prefix = p.opts.Prefix
	var b bytes.Buffer
	if err := p.templates[name].ExecuteTemplate(&b, "layout.html", data); err != nil {
		p.core.Logger().Error("httpapi: rendering a page failed", "page", name, "error", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes()) // a browser that went away needs no answer
}

// fail renders the page name again with the error of a form, answered
// with err's status.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, name string, data PageData, err error) {
	status, e := describe(err)
	if status >= 500 {
		p.core.Logger().ErrorContext(r.Context(), "httpapi: page failed", "path", r.URL.Path, "error", err, "cause", p.core.Cause(err))
	}
	data.Error = sentence(e.Message)
	p.render(w, status, name, data)
}

// sentence starts a message with a capital and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return ""
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// redirect answers a form with a redirect to a page of the prefix,
// keeping notice for it.
func (p *pages) redirect(w http.ResponseWriter, r *http.Request, path, notice string) {
	if notice != "" {
		p.kit.Sessions().Put(r.Context(), noticeKey, notice)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// noticeKey keeps a notice in the session across a redirect.
const noticeKey = "httpapi.notice"

// notice takes the notice a redirect left.
func (p *pages) notice(r *http.Request) string {
	return p.kit.Sessions().PopString(r.Context(), noticeKey)
}

// localPath returns next if it is a path on this site, and "" otherwise,
// so that "next" cannot send a user to another site (an open redirect).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\x00") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return next
}

// methodName names a second factor for people.
func methodName(m twofactor.Method) string {
	switch m {
	case twofactor.TOTP:
		return "Authenticator app"
	case twofactor.Email:
		return "Code by email"
	case twofactor.SMS:
		return "Code by text message"
	case twofactor.BackupCode:
		return "Backup code"
	}
	return m.String()
}
