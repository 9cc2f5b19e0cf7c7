package main

import (
	"context"
	"net/http"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
	"github.com/authkit/authkit/sqlschema"
)

// newApp applies authkit's schema to cfg.DB, completes cfg with the
// example's settings and returns the app's handler with the Kit behind it;
// the caller closes the Kit. The caller's cfg holds what differs between
// running the app and testing it: DB, Mailer, SMS, BaseURL (for the links
// in emails) and EncryptionKey. outbox is development mode's record of the
// mail and text messages sent, shown at /dev/outbox; nil turns that page
// off. providers are those users can sign in with (package oauth).
func newApp(ctx context.Context, cfg authkit.Config, outbox *devOutbox, providers []*oauth.Provider) (http.Handler, *authkit.Kit, error) {
	if err := sqlschema.Apply(ctx, cfg.DB, sqlschema.DefaultPrefix); err != nil {
		return nil, nil, err
	}
	// Authenticator apps list the account under this name.
	cfg.Issuer = "authkit example"
	// Anonymous visitors of /account are sent to the login page.
	cfg.LoginURL = "/login"
	// In development mode the example serves plain http on localhost,
	// where a browser would not send Secure cookies back. Anywhere else
	// (-dev=false, or DATABASE_URL set) it is served over https behind a
	// proxy, and its cookies are Secure and "__Host-" prefixed.
	cfg.Development = outbox != nil
	h := &handlers{pages: parsePages(), outbox: outbox, smsAvailable: cfg.SMS != nil}
	// Logged-in users without the admin role see the app's own 403 page.
	cfg.ForbiddenHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, "problem", page{}, errNotAdmin)
	})
	kit, err := authkit.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	h.kit = kit
	if h.social, err = h.newSocial(kit, providers); err != nil {
		kit.Close()
		return nil, nil, err
	}
	if h.passkeys, err = newPasskeys(kit, cfg.BaseURL); err != nil {
		kit.Close()
		return nil, nil, err
	}

	mux := http.NewServeMux()
	private := func(pattern string, handler http.HandlerFunc) { mux.Handle(pattern, kit.RequireLogin(handler)) }
	admin := func(pattern string, handler http.HandlerFunc) {
		mux.Handle(pattern, kit.RequireRole(adminRole)(handler))
	}
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /register", h.registerForm)
	mux.HandleFunc("POST /register", h.register)
	mux.HandleFunc("GET /confirm-email", h.confirmEmailForm)
	mux.HandleFunc("POST /confirm-email", h.confirmEmail)
	mux.HandleFunc("POST /confirm-email/resend", h.resendConfirmation)
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /login/anonymous", h.loginAnonymous)
	mux.HandleFunc("GET /login/second-factor", h.secondFactorForm)
	mux.HandleFunc("POST /login/second-factor", h.verifySecondFactor)
	mux.HandleFunc("POST /login/second-factor/send", h.sendLoginCode)
	mux.HandleFunc("GET /forgot-password", h.forgotPasswordForm)
	mux.HandleFunc("POST /forgot-password", h.forgotPassword)
	mux.HandleFunc("GET /reset-password", h.resetPasswordForm)
	mux.HandleFunc("POST /reset-password", h.resetPassword)
	mux.HandleFunc("POST /logout", h.logout)
	private("GET /account", h.account)
	private("POST /account/reauthenticate", h.reauthenticate)
	private("POST /account/password", h.changePassword)
	private("POST /account/email", h.changeEmail)
	private("POST /account/two-factor/totp", h.enrollTOTP)
	private("POST /account/two-factor/email", h.enableEmail)
	private("POST /account/two-factor/sms", h.enableSMS)
	private("POST /account/two-factor/{method}/confirm", h.confirmFactor)
	private("POST /account/two-factor/{method}/disable", h.disableFactor)
	private("POST /account/two-factor/backup-codes", h.regenerateBackupCodes)
	private("POST /account/sessions/{id}/revoke", h.revokeSession)
	private("POST /account/api-keys", h.createAPIKey)
	private("POST /account/api-keys/{id}/revoke", h.revokeAPIKey)
	mux.HandleFunc("GET /api/me", h.me)
	private("POST /logout-everywhere", h.logoutEverywhere)
	private("POST /logout-everywhere-else", h.logoutEverywhereElse)
	admin("GET /admin", h.adminUsers)
	admin("GET /admin/users/{id}", h.adminUser)
	admin("POST /admin/users/{id}/log-in-as", h.adminLogInAs)
	admin("POST /admin/users/{id}/{action}", h.adminAction)
	h.routePasskeys(mux, private)
	if outbox != nil {
		mux.HandleFunc("GET /dev/outbox", h.outboxPage)
	}
	if h.social != nil {
		mux.Handle("GET /oauth/", h.social)
		mux.HandleFunc("GET /link-account", h.linkAccountForm)
		mux.Handle("POST /link-account", kit.RequireLogin(http.HandlerFunc(h.linkAccount)))
	}

	// limitBodies refuses large request bodies before anything reads
	// them; securityHeaders keeps pages out of frames and their addresses
	// (which carry tokens on the pages emailed links open) out of Referer
	// headers. CrossOriginProtection refuses form posts from other sites
	// (CSRF), using the Sec-Fetch-Site and Origin headers browsers send,
	// before a refused request costs a session load; authkit's middleware
	// then attaches the session to every request it lets in.
	return limitBodies(securityHeaders(http.NewCrossOriginProtection().Handler(kit.Middleware(mux)))), kit, nil
}
