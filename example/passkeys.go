package main

import (
	_ "embed"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/passkey"
)

// Passkeys: "Add a passkey" on the account page, "Sign in with a passkey"
// on the login page, and passkeys as a method of the second step. The
// pages' buttons run static/passkeys.js, which calls the JSON routes of
// package passkey.

// passkeyConfig is the relying party of the app at baseURL: passkeys
// belong to its host name and work on pages of its origin. Browsers do
// not allow passkeys on an IP address, so an app at an address such as
// 127.0.0.1 offers them at localhost (the default -addr), which is a
// secure context even over plain http.
func passkeyConfig(baseURL string) (passkey.Config, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return passkey.Config{}, err
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		host = "localhost"
	}
	origin := u.Scheme + "://" + host
	if port := u.Port(); port != "" {
		origin += ":" + port
	}
	return passkey.Config{RPID: host, RPDisplayName: "authkit example", Origins: []string{origin}}, nil
}

// newPasskeys returns the passkeys of kit's users for the app at baseURL.
func newPasskeys(kit *authkit.Kit, baseURL string) (*passkey.Service, error) {
	cfg, err := passkeyConfig(baseURL)
	if err != nil {
		return nil, err
	}
	return passkey.New(kit, cfg)
}

// routePasskeys adds the passkey routes to mux: the package's JSON
// routes, the script, and the account page's form that removes one.
func (h *handlers) routePasskeys(mux *http.ServeMux, private func(pattern string, handler http.HandlerFunc)) {
	api := h.passkeys.Handler("")
	for _, prefix := range []string{"/passkeys/", "/login/passkey/", "/login/second-factor/passkey/", "/reauthenticate/passkey/"} {
		mux.Handle(prefix, api)
	}
	mux.HandleFunc("GET /static/passkeys.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(passkeysJS)
	})
	private("POST /account/passkeys/{id}/remove", h.removePasskey)
}

//go:embed static/passkeys.js
var passkeysJS []byte

func init() {
	notices["passkey-added"] = "Your passkey is added. Next time, sign in with it."
	notices["passkey-removed"] = "That passkey no longer works here. Remove it from your device too."
}

// removePasskey removes one of the user's passkeys, which needs a fresh
// session.
func (h *handlers) removePasskey(w http.ResponseWriter, r *http.Request) {
	h.finish(w, r, h.passkeys.Remove(r, r.PathValue("id")), "/account?done=passkey-removed")
}
