package authkit

import (
	"net"
	"net/http"
	"strings"
)

// warnDroppedCookie logs, once per Kit, that a login is setting a Secure
// session cookie in answer to a plain-http request to a host that is not
// this machine. Browsers keep Secure cookies from http://localhost only,
// so on a LAN address, in docker or on a name like app.test the browser
// drops the cookie: the login succeeds on the server and the user lands
// on the login page again, with no error anywhere. The fix is HTTPS, or
// Config.Development for local work.
func (a *Auth) warnDroppedCookie() {
	k := a.kit
	if !k.sessions.Cookie.Secure || !plainHTTPToAnotherHost(a.r) {
		return
	}
	k.droppedCookieWarning.Do(func() {
		k.log.Warn("authkit: a login sets a Secure session cookie over plain http to a host that is not localhost; "+
			"the browser will drop it and the user will not stay logged in. Serve the app over HTTPS, "+
			"or set Config.Development for local development", "host", a.r.Host)
	})
}

// plainHTTPToAnotherHost reports whether r came over plain http (neither
// TLS nor a proxy saying it terminated TLS) to a host that is not a
// loopback address or "localhost".
func plainHTTPToAnotherHost(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") ||
		strings.Contains(strings.ToLower(r.Header.Get("Forwarded")), "proto=https") {
		return false
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" || strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
