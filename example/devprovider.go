package main

import (
	"html/template"
	"net"
	"net/http"
	"strings"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authkit/authkit/oauth"
)

// devProvider is development mode's OpenID Connect provider, so that
// "Sign in with Dev provider" works offline with no set-up: a real
// provider (mockoidc, with discovery, signed id_tokens, PKCE and nonces)
// on a random local port, in front of which a page asks who to sign in
// as. It vouches for any address typed in, so it must never run in
// production.
type devProvider struct {
	m *mockoidc.MockOIDC
}

// startDevProvider starts the provider on 127.0.0.1.
func startDevProvider() (*devProvider, error) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, err
	}
	d := &devProvider{m: m}
	if err := m.AddMiddleware(d.signInPage); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := m.Start(ln, nil); err != nil {
		return nil, err
	}
	return d, nil
}

// provider is the oauth.Provider the app signs in with.
func (d *devProvider) provider() *oauth.Provider {
	return oauth.OIDC("dev", d.m.Issuer(), d.m.ClientID, d.m.ClientSecret)
}

// stop shuts the provider down.
func (d *devProvider) stop() error { return d.m.Shutdown() }

// signInPage answers the provider's authorization requests with a form
// asking for the user's address, and passes the form's POST, which
// carries the request's parameters, on to the provider as the user it
// names.
func (d *devProvider) signInPage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != mockoidc.AuthorizationEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = devSignInTemplate.Execute(w, r.URL.Query())
			return
		}
		email := strings.TrimSpace(r.PostFormValue("dev_email"))
		d.m.QueueUser(&mockoidc.MockUser{
			Subject:       "dev:" + strings.ToLower(email),
			Email:         email,
			EmailVerified: r.PostFormValue("dev_verified") == "on",
		})
		next.ServeHTTP(w, r)
	})
}

var devSignInTemplate = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev provider</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 30rem; margin: 3rem auto; } input[type=email] { width: 100%; }</style>
</head><body>
<h1>Dev provider</h1>
<p>This is development mode's stand-in for GitHub or Google. Who do you want to be?</p>
<form method="post">
{{range $name, $values := .}}{{range $values}}<input type="hidden" name="{{$name}}" value="{{.}}">{{end}}{{end}}
<label for="dev-email">Email address</label>
<input id="dev-email" type="email" name="dev_email" required>
<p><label><input type="checkbox" name="dev_verified" checked> The provider vouches for this address</label></p>
<button>Sign in</button>
</form>
</body></html>`))
