package main

import (
	"context"
	"net/http"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/sqlschema"
)

// newApp applies authkit's schema to db, configures authkit and returns
// the app's handler with the Kit behind it; the caller closes the Kit.
// baseURL is where the app is reached, for the links in emails.
func newApp(ctx context.Context, db *sqlx.DB, mailer authkit.Mailer, baseURL string) (http.Handler, *authkit.Kit, error) {
	if err := sqlschema.Apply(ctx, db, sqlschema.DefaultPrefix); err != nil {
		return nil, nil, err
	}
	kit, err := authkit.New(authkit.Config{
		DB:      db,
		Mailer:  mailer,
		BaseURL: baseURL,
		// Anonymous visitors of /account are sent to the login page.
		LoginURL: "/login",
		// The example serves plain http on localhost, where a browser
		// would not send Secure cookies back. A production app is served
		// over https and must leave this false.
		AllowInsecureCookies: true,
	})
	if err != nil {
		return nil, nil, err
	}

	h := &handlers{pages: parsePages()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /register", h.registerForm)
	mux.HandleFunc("POST /register", h.register)
	mux.HandleFunc("GET /confirm-email", h.confirmEmail)
	mux.HandleFunc("POST /confirm-email/resend", h.resendConfirmation)
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.Handle("GET /account", kit.RequireLogin(http.HandlerFunc(h.account)))
	mux.Handle("POST /logout-everywhere", kit.RequireLogin(http.HandlerFunc(h.logoutEverywhere)))
	mux.Handle("POST /logout-everywhere-else", kit.RequireLogin(http.HandlerFunc(h.logoutEverywhereElse)))

	// CrossOriginProtection refuses form posts from other sites (CSRF),
	// using the Sec-Fetch-Site and Origin headers browsers send. It comes
	// first so a refused request costs no session load; authkit's
	// middleware then attaches the session to every request it lets in.
	return http.NewCrossOriginProtection().Handler(kit.Middleware(mux)), kit, nil
}
