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

// Limits configures authkit's throttles (SEC-E3, SEC-E6). The buckets
// live in PostgreSQL, so every app instance shares them; they refill over
// time, so a throttle never locks the real owner out for good. A zero
// field takes its default.
//
// The lockout policy (SEC-E5) follows OWASP's device cookies: a browser
// in which an account's password was right gets a signed device cookie
// for that account. Failed logins from a browser holding one count against
// LoginPerDevice alone. Failed logins from any other client count against
// LoginPerIP (all accounts), LoginPerAccountIP (this account from this
// IP) and LoginPerAccount (this account from every client without a
// device cookie). A stranger who knows an address can therefore spend
// the budgets of clients without a device cookie, but not the budget of
// the owner's known devices, and a fresh IP still gets in while
// LoginPerAccount has room. Reset and confirmation mails work the same way
// with EmailPerAddress, EmailPerIP and EmailToAddress.
type Limits struct {
	// LoginPerAccount bounds the failed logins for one account from all
	// clients without its device cookie together: SEC-E3's at most 100
	// per hour. The default is Burst 100, then one every 36 seconds.
	LoginPerAccount Limit
	// LoginPerAccountIP bounds the failed logins for one account from
	// one client IP (IPv6: one /64) without its device cookie, so that
	// one client cannot spend all of LoginPerAccount. The default is
	// Burst 10, then one every 6 minutes.
	LoginPerAccountIP Limit
	// LoginPerDevice bounds the failed logins for one account from one
	// browser holding the account's device cookie; they count against
	// nothing else. The default is Burst 10, then one every 6 minutes.
	LoginPerDevice Limit
	// LoginPerIP bounds the failed logins from one client IP (IPv6: one
	// /64) without a device cookie for the account tried, whatever the
	// account. The default is Burst 50, then one every 30 seconds.
	LoginPerIP Limit
	// RegisterPerIP bounds registrations from one client IP. The default
	// is Burst 10, then one every 6 minutes.
	RegisterPerIP Limit
	// AnonymousPerIP bounds the anonymous users one client IP creates
	// with LoginAnonymous (SEC-A1). The default is Burst 10, then one
	// every 6 minutes.
	AnonymousPerIP Limit
	// EmailPerAddress bounds the password-reset and confirmation mails
	// one client asks for one address: from one client IP, or from one
	// browser holding the account's device cookie. The default is Burst
	// 3, then one every 10 minutes.
	EmailPerAddress Limit
	// EmailToAddress bounds the mails that clients without the account's
	// device cookie ask authkit to send one address, all together:
	// password resets, confirmations, and email changes to that address.
	// It keeps a mailbox from being flooded. The default is Burst 10, then
	// one every 6 minutes.
	EmailToAddress Limit
	// EmailPerIP bounds password-reset and confirmation requests from one
	// client IP without a device cookie, whatever the address. The default
	// is Burst 20, then one every 3 minutes.
	EmailPerIP Limit
	// ChangeEmailPerUser bounds the email changes one user starts (each
	// mails a link to the new address). The default is Burst 5, then one
	// every 12 minutes.
	ChangeEmailPerUser Limit
	// TokensPerIP bounds the mailed tokens (password reset, email
	// confirmation) that one client IP presents, right or wrong. The
	// default is Burst 20, then one every 3 minutes.
	TokensPerIP Limit
	// CodeSendPerUser bounds the two-factor codes sent to one user by
	// email or SMS. The default is Burst 10, then one every 6 minutes.
	CodeSendPerUser Limit
	// SMSPerNumber bounds the text messages sent to one phone number,
	// and SMSPerIP those that one client IP makes authkit send, against
	// SMS pumping. A number has two buckets of SMSPerNumber: the codes
	// that set it up as a factor, and the login codes, which only accounts
	// that proved the number can spend. The defaults are Burst 5, then one
	// every 12 minutes, and Burst 10, then one every 6 minutes.
	SMSPerNumber, SMSPerIP Limit
	// SMSPerCountry bounds the text messages sent to the numbers of one
	// country calling code, together, against pumping that spreads over
	// many numbers and clients of one expensive destination (SEC-E6). The
	// default is Burst 100, then one every 36 seconds.
	SMSPerCountry Limit
	// CodeEntryPerUser bounds the two-factor codes one user's logins may
	// try, across all pending logins (each of which also allows only 5),
	// and, in a bucket of its own, the codes that may be tried to confirm
	// the set-up of a factor. The default is Burst 20, then one every 3
	// minutes.
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
	def(&l.LoginPerAccountIP, 10, 6*time.Minute)
	def(&l.LoginPerDevice, 10, 6*time.Minute)
	def(&l.LoginPerIP, 50, 30*time.Second)
	def(&l.RegisterPerIP, 10, 6*time.Minute)
	def(&l.AnonymousPerIP, 10, 6*time.Minute)
	def(&l.EmailPerAddress, 3, 10*time.Minute)
	def(&l.EmailToAddress, 10, 6*time.Minute)
	def(&l.EmailPerIP, 20, 3*time.Minute)
	def(&l.ChangeEmailPerUser, 5, 12*time.Minute)
	def(&l.TokensPerIP, 20, 3*time.Minute)
	def(&l.CodeSendPerUser, 10, 6*time.Minute)
	def(&l.SMSPerNumber, 5, 12*time.Minute)
	def(&l.SMSPerIP, 10, 6*time.Minute)
	def(&l.SMSPerCountry, 100, 36*time.Second)
	def(&l.CodeEntryPerUser, 20, 3*time.Minute)
	def(&l.APIKeyFailuresPerIP, 20, 30*time.Second)
}

func (l *Limits) validate() error {
	for name, lim := range map[string]Limit{
		"LoginPerAccount": l.LoginPerAccount, "LoginPerAccountIP": l.LoginPerAccountIP,
		"LoginPerDevice": l.LoginPerDevice, "LoginPerIP": l.LoginPerIP, "RegisterPerIP": l.RegisterPerIP,
		"EmailPerAddress": l.EmailPerAddress, "EmailToAddress": l.EmailToAddress, "EmailPerIP": l.EmailPerIP,
		"ChangeEmailPerUser": l.ChangeEmailPerUser, "TokensPerIP": l.TokensPerIP,
		"CodeSendPerUser": l.CodeSendPerUser, "SMSPerNumber": l.SMSPerNumber, "SMSPerIP": l.SMSPerIP,
		"SMSPerCountry":       l.SMSPerCountry,
		"CodeEntryPerUser":    l.CodeEntryPerUser,
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

// take takes a token from every bucket, or from none when one of them is
// empty, and then answers *TooManyRequestsError with the time until all
// of them have a token.
func (k *Kit) take(ctx context.Context, buckets ...bucket) error {
	if len(buckets) == 0 {
		return nil
	}
	keys := make([]string, len(buckets))
	bursts, perSec := make([]float64, len(buckets)), make([]float64, len(buckets))
	for i, b := range buckets {
		keys[i], bursts[i], perSec[i] = b.key, float64(b.limit.Burst), 1/b.limit.Every.Seconds()
	}
	// One statement, which takes from every bucket or from none: a
	// refused attempt costs one round trip and leaves no token spent.
	ok, wait, err := k.store.TakeAll(ctx, keys, bursts, perSec, k.now())
	if err != nil {
		return unavailable("throttle", err)
	}
	if !ok {
		return &TooManyRequestsError{RetryAfter: max(wait, time.Second).Round(time.Second)}
	}
	return nil
}

// giveBack returns the tokens an attempt took, when it turns out not to
// count (a successful login is not a failed one).
//
// The tokens go back even when the request's context has ended: a client
// that gave up after its attempt was judged not to count must not spend
// the budget of everyone behind its address (the store's deadline still
// bounds the statement).
func (k *Kit) giveBack(ctx context.Context, buckets ...bucket) {
	ctx = context.WithoutCancel(ctx)
	keys, bursts := make([]string, len(buckets)), make([]int, len(buckets))
	for i, b := range buckets {
		keys[i], bursts[i] = b.key, b.limit.Burst
	}
	if err := k.store.GiveBack(ctx, keys, bursts); err != nil {
		k.log.WarnContext(ctx, "authkit: returning throttle tokens failed", "error", err)
	}
}

// loginBuckets are the buckets that a failed password check for the
// account whose email key is account spends (see [Limits]): the device's
// own, when this browser holds the account's device cookie; otherwise
// the client IP's, the account and IP's, and the account's.
func (a *Auth) loginBuckets(account string) []bucket {
	l := a.kit.cfg.Limits
	if device, ok := a.knownDevice(account); ok {
		return []bucket{{"login:device:" + device, l.LoginPerDevice}}
	}
	ip := ipKey(a.clientIP())
	return []bucket{
		a.kit.loginIPBucket(a.clientIP()),
		{"login:account-ip:" + ip + " " + account, l.LoginPerAccountIP},
		{"login:account:" + account, l.LoginPerAccount},
	}
}

// loginIPBucket is the bucket of the failed logins from one client IP,
// whatever the account and the way in (a password, a passkey).
func (k *Kit) loginIPBucket(ip string) bucket {
	return bucket{"login:ip:" + ipKey(ip), k.cfg.Limits.LoginPerIP}
}

// emailBuckets are the buckets that a request for a reset or confirmation
// mail to the address whose email key is account spends, in the same way.
func (a *Auth) emailBuckets(account string) []bucket {
	l := a.kit.cfg.Limits
	if device, ok := a.knownDevice(account); ok {
		return []bucket{{"email:device:" + device, l.EmailPerAddress}}
	}
	ip := ipKey(a.clientIP())
	return []bucket{
		{"email:ip:" + ip, l.EmailPerIP},
		{"email:address-ip:" + ip + " " + account, l.EmailPerAddress},
		mailToBucket(account, l),
	}
}

// mailToBucket is the bucket of the mails strangers may have sent to the
// address whose email key is account.
func mailToBucket(account string, l Limits) bucket {
	return bucket{"email:address:" + account, l.EmailToAddress}
}

// ipBucket is a bucket per client IP of the request.
func (a *Auth) ipBucket(kind string, limit Limit) bucket {
	return bucket{kind + ":ip:" + ipKey(a.clientIP()), limit}
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

// giveBackLater is giveBack off the request's path, for an attempt that
// has its answer already (a right password): the login does not wait for
// the write. Close waits for it.
func (k *Kit) giveBackLater(ctx context.Context, buckets ...bucket) {
	ctx = context.WithoutCancel(ctx)
	k.mailWG.Add(1)
	go func() {
		defer k.mailWG.Done()
		k.giveBack(ctx, buckets...)
	}()
}
