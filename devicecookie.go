package authkit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"time"

	"github.com/authkit/authkit/internal/token"
)

// Device cookies, after OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies": a browser that proved an account's password gets a
// cookie saying so, signed by the server. Failed logins for that account
// from a browser holding it count against that browser's own budget only
// (Limits.LoginPerDevice), never against the budgets that strangers can
// spend (per client IP, per account and IP, per account), so a stranger
// who knows the address cannot lock its owner out of a device the owner
// used before (SEC-E5). ForgotPassword treats the browser the same way.
//
// A device cookie is not a credential: it logs nobody in and carries no
// session, so logging out does not clear it and revocations do not need
// to reach it. It names no account either: each entry is a random nonce,
// when it was issued, and an HMAC over those and the account's email key,
// so only a login for that account can recognise it.
const (
	// deviceCookieLifetime is how long a device stays known after the
	// last time its user proved the password on it.
	deviceCookieLifetime = 180 * 24 * time.Hour
	// deviceCookieAccounts is how many accounts one browser is known for.
	deviceCookieAccounts = 3

	deviceNonceLen = 16
	deviceMACLen   = 16
	deviceEntryLen = deviceNonceLen + 8 + deviceMACLen
)

// deviceSecretName names the device-cookie key in the secrets table,
// used when Config.EncryptionKey is unset.
const deviceSecretName = "device_cookie_key"

// loadDeviceKey sets the key that signs device cookies: derived from
// Config.EncryptionKey when one is set, so that it is nowhere in the
// database; otherwise a random key that the first instance stores in the
// secrets table for all of them (whoever reads that table can then make
// device cookies — and could read the password hashes anyway).
func (k *Kit) loadDeviceKey(ctx context.Context) error {
	if key := k.derivedKey(keyPurposeDevices); key != nil {
		k.deviceKey = key
		return nil
	}
	key, err := k.store.Secret(ctx, deviceSecretName, token.Bytes(32))
	if err != nil {
		return unavailable("load device cookie key", err)
	}
	k.deviceKey = key
	return nil
}

// deviceEntry is one account's entry in a device cookie.
type deviceEntry struct {
	raw    []byte // nonce, issue time, MAC
	nonce  []byte
	issued time.Time
}

func (k *Kit) deviceMAC(accountKey string, nonce []byte, issued int64) []byte {
	m := hmac.New(sha256.New, k.deviceKey)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(issued))
	m.Write([]byte("authkit device v1\x00"))
	m.Write(nonce)
	m.Write(n[:])
	m.Write([]byte(accountKey))
	return m.Sum(nil)[:deviceMACLen]
}

// deviceEntries parses the request's device cookie; malformed entries are
// dropped.
func (a *Auth) deviceEntries() []deviceEntry {
	c, err := a.r.Cookie(a.kit.deviceCookie)
	if err != nil {
		return nil
	}
	var entries []deviceEntry
	for part := range strings.SplitSeq(c.Value, ".") {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil || len(raw) != deviceEntryLen || len(entries) == deviceCookieAccounts {
			continue
		}
		issued := int64(binary.BigEndian.Uint64(raw[deviceNonceLen:]))
		entries = append(entries, deviceEntry{raw: raw, nonce: raw[:deviceNonceLen], issued: time.Unix(issued, 0)})
	}
	return entries
}

// knownDevice returns the id of this browser's device cookie for the
// account whose email key is accountKey, if it holds a valid, unexpired
// one.
func (a *Auth) knownDevice(accountKey string) (string, bool) {
	for _, e := range a.deviceEntries() {
		if a.deviceValid(e, accountKey) {
			return base64.RawURLEncoding.EncodeToString(e.nonce), true
		}
	}
	return "", false
}

func (a *Auth) deviceValid(e deviceEntry, accountKey string) bool {
	k := a.kit
	mac := k.deviceMAC(accountKey, e.nonce, e.issued.Unix())
	return hmac.Equal(mac, e.raw[deviceNonceLen+8:]) && k.now().Before(e.issued.Add(deviceCookieLifetime))
}

// trustDevice gives this browser a fresh device cookie entry for the
// account whose email key is accountKey, after it proved the password,
// keeping its entries for other accounts.
func (a *Auth) trustDevice(accountKey string) {
	k := a.kit
	now := k.now()
	nonce := token.Bytes(deviceNonceLen)
	raw := make([]byte, 0, deviceEntryLen)
	raw = append(raw, nonce...)
	raw = binary.BigEndian.AppendUint64(raw, uint64(now.Unix()))
	raw = append(raw, k.deviceMAC(accountKey, nonce, now.Unix())...)
	parts := []string{base64.RawURLEncoding.EncodeToString(raw)}
	for _, e := range a.deviceEntries() {
		if len(parts) == deviceCookieAccounts {
			break
		}
		if now.Before(e.issued.Add(deviceCookieLifetime)) && !a.deviceValid(e, accountKey) {
			parts = append(parts, base64.RawURLEncoding.EncodeToString(e.raw))
		}
	}
	http.SetCookie(a.w, &http.Cookie{
		Name:     k.deviceCookie,
		Value:    strings.Join(parts, "."),
		Path:     "/",
		MaxAge:   int(deviceCookieLifetime / time.Second),
		Expires:  now.Add(deviceCookieLifetime),
		HttpOnly: true,
		Secure:   !k.cfg.AllowInsecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// dropCookie takes back a cookie this response was going to set.
func (a *Auth) dropCookie(name string) {
	h := a.w.Header()
	kept := h["Set-Cookie"][:0]
	for _, c := range h["Set-Cookie"] {
		if !strings.HasPrefix(c, name+"=") {
			kept = append(kept, c)
		}
	}
	h["Set-Cookie"] = kept
}
