package main

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxBodyBytes bounds every request body: the app's forms are a few
// short fields, so 64 KiB is plenty, and a bigger body is an attack on
// memory or disk.
const maxBodyBytes = 64 << 10

// limitBodies answers 413 Request Entity Too Large for a body above
// maxBodyBytes, and parses forms itself under that limit so that no
// handler reads more: a body that announces its size is refused before a
// byte of it is read, and one sent in chunks is cut off at the limit.
// Multipart forms, which the app never sends, are refused outright.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if r.Method == http.MethodPost {
			if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/") {
				http.Error(w, http.StatusText(http.StatusUnsupportedMediaType), http.StatusUnsupportedMediaType)
				return
			}
			if err := r.ParseForm(); err != nil {
				status := http.StatusBadRequest
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					status = http.StatusRequestEntityTooLarge
				}
				http.Error(w, http.StatusText(status), status)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets, on every response: no framing by other sites
// (clickjacking of the account and admin forms), and no Referer header
// when a page links elsewhere, since the pages that emailed links open
// carry their token in the address.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// fromLoopback reports whether the request comes from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
