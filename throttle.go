package authkit

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limit is a token bucket: Burst actions at once, then one more every
// Every.
type Limit struct {
	Burst int
	Every time.Duration
}

// Limits configures authkit's throttles (SEC-E3). The buckets live in
// PostgreSQL, so every app instance shares them; they refill over time, so
// a throttle never locks the real owner out for good. A zero field takes
// its default.
type Limits struct {
	// LoginPerAccount bounds failed logins for one email address. The
	// default is 100 per hour (Burst 100, Every 36s).
	LoginPerAccount Limit
	// LoginPerIP bounds failed logins from one client IP (IPv6: one /64).
	// The default is Burst 50, then one every 30 seconds.
	LoginPerIP Limit
	// RegisterPerIP bounds registrations from one client IP. The default
	// is Burst 10, then one every 6 minutes.
	RegisterPerIP Limit
	// EmailPerAddress bounds password-reset and confirmation requests for
	// one address. The default is Burst 3, then one every 10 minutes.
	EmailPerAddress Limit
	// EmailPerIP bounds password-reset and confirmation requests from one
	// client IP. The default is Burst 20, then one every 3 minutes.
	EmailPerIP Limit
	// CodeSendPerUser bounds the two-factor codes sent to one user by
	// email or SMS. The default is Burst 10, then one every 6 minutes.
	CodeSendPerUser Limit
	// CodeEntryPerUser bounds the two-factor codes one user's logins may
	// try, across all pending logins (each of which also allows only 5).
	// The default is Burst 20, then one every 3 minutes.
	CodeEntryPerUser Limit
	// APIKeyFailuresPerIP bounds the requests with an API key that does
	// not work from one client IP; once it is spent, such requests answer
	// 429. The default is Burst 20, then one every 30 seconds.
	APIKeyFailuresPerIP Limit
}

func (l *Limits) setDefaults() {
	def := func(l *Limit, burst int, every time.Duration) {
		if l.Burst == 0 {
			l.Burst = burst
		}
		if l.Every == 0 {
			l.Every = every
		}
	}
	def(&l.LoginPerAccount, 100, 36*time.Second)
	def(&l.LoginPerIP, 50, 30*time.Second)
	def(&l.RegisterPerIP, 10, 6*time.Minute)
	def(&l.EmailPerAddress, 3, 10*time.Minute)
	def(&l.EmailPerIP, 20, 3*time.Minute)
	def(&l.CodeSendPerUser, 10, 6*time.Minute)
	def(&l.CodeEntryPerUser, 20, 3*time.Minute)
	def(&l.APIKeyFailuresPerIP, 20, 30*time.Second)
}

func (l *Limits) validate() error {
	for name, lim := range map[string]Limit{
		"LoginPerAccount": l.LoginPerAccount, "LoginPerIP": l.LoginPerIP, "RegisterPerIP": l.RegisterPerIP,
		"EmailPerAddress": l.EmailPerAddress, "EmailPerIP": l.EmailPerIP,
		"CodeSendPerUser": l.CodeSendPerUser, "CodeEntryPerUser": l.CodeEntryPerUser,
		"APIKeyFailuresPerIP": l.APIKeyFailuresPerIP,
	} {
		if lim.Burst < 1 || lim.Every <= 0 {
			return configError("Limits.%s needs a positive Burst and Every", name)
		}
	}
	return nil
}

// bucket is one throttle bucket: its key and its limit.
type bucket struct {
	key   string
	limit Limit
}

// take takes a token from every bucket, in order, and answers
// *TooManyRequestsError for the first that is empty.
func (k *Kit) take(ctx context.Context, buckets ...bucket) error {
	for _, b := range buckets {
		ok, wait, err := k.store.Take(ctx, b.key, 1, b.limit.Burst, b.limit.Every, k.now())
		if err != nil {
			return unavailable("throttle", err)
		}
		if !ok {
			return &TooManyRequestsError{RetryAfter: max(wait, time.Second).Round(time.Second)}
		}
	}
	return nil
}

// giveBack returns the tokens an attempt took, when it turns out not to
// count (a successful login is not a failed one).
func (k *Kit) giveBack(ctx context.Context, buckets ...bucket) {
	keys, bursts := make([]string, len(buckets)), make([]int, len(buckets))
	for i, b := range buckets {
		keys[i], bursts[i] = b.key, b.limit.Burst
	}
	if err := k.store.GiveBack(ctx, keys, bursts); err != nil {
		k.log.WarnContext(ctx, "authkit: returning throttle tokens failed", "error", err)
	}
}

func (k *Kit) loginBuckets(email, ip string) []bucket {
	return []bucket{
		{"login:ip:" + ipKey(ip), k.cfg.Limits.LoginPerIP},
		{"login:account:" + strings.ToLower(email), k.cfg.Limits.LoginPerAccount},
	}
}

func (k *Kit) emailBuckets(email, ip string) []bucket {
	return []bucket{
		{"email:ip:" + ipKey(ip), k.cfg.Limits.EmailPerIP},
		{"email:address:" + strings.ToLower(email), k.cfg.Limits.EmailPerAddress},
	}
}

func userBucket(kind string, userID int64, limit Limit) bucket {
	return bucket{kind + ":user:" + strconv.FormatInt(userID, 10), limit}
}

// ipKey is the part of an address that names one client: the whole IPv4
// address, or the /64 of an IPv6 one (a single host usually holds a whole
// /64, so its addresses must share a bucket).
func ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// clientIP returns the client's address (SEC-E4): the connection's peer,
// unless the peer is one of Config.TrustedProxies, in which case the
// address the proxies report in Config.ClientIPHeader, read from the right
// and skipping further trusted proxies. A header sent by anyone else is
// ignored, so a client cannot escape a throttle by making one up.
func (k *Kit) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !k.trusted(peer) {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values(k.cfg.ClientIPHeader) {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: trust nothing further left
		}
		client = addr.Unmap()
		if !k.trusted(client) {
			break
		}
	}
	return client.String()
}

func (k *Kit) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range k.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
