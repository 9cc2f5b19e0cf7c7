package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// flowLifetime is how long a started sign-in waits for its callback
// (SEC-O1).
const flowLifetime = 10 * time.Minute

// maxFlows bounds the sign-ins one session waits for at once (several
// tabs); starting another forgets the oldest.
const maxFlows = 5

// flowsKey is the session key of the sign-ins a session waits for.
const flowsKey = "authkit.oauth.flows"

// flow is a started sign-in, kept in the browser's session until its
// callback: the state that names it, the PKCE verifier, the OpenID
// Connect nonce, and what to do afterwards.
type flow struct {
	State     string
	Provider  string
	Verifier  string
	Nonce     string
	ReturnTo  string
	Remember  bool
	LinkUser  int64 // set when a logged-in user links the provider account
	ExpiresAt time.Time
}

// flows are the sign-ins a session waits for, oldest first.
type flows []flow

func init() {
	// scs encodes session values with encoding/gob, which must know the
	// concrete types; fixed names keep stored sessions readable when the
	// Go types are renamed.
	gob.RegisterName("authkit/oauth.flows", flows{})
	gob.RegisterName("authkit/oauth.pendingLink", pendingLink{})
}

// Start says what a sign-in is for.
type Start struct {
	// ReturnTo is where the browser goes after the sign-in: a local path
	// ([ErrInvalidReturnTo] otherwise). The default is Options.ReturnTo.
	ReturnTo string
	// Remember issues a remember-me token at the sign-in, as
	// [authkit.Auth.Login] does with remember set.
	Remember bool
	// Link links the provider account to the logged-in user instead of
	// signing in. It needs a fresh session ([authkit.Auth.IsFresh]), or
	// [authkit.ErrReauthenticationRequired].
	Link bool
}

// random returns n random bytes from crypto/rand, base64url-encoded.
func random(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: the runtime crashes instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthURL starts a sign-in with the provider on the request r (inside
// kit.Middleware) and returns the provider's authorization URL to send
// the browser to. It keeps in the browser's session, for ten minutes and
// one callback, a random state (256 bits) that binds the callback to this
// browser, a PKCE verifier whose S256 challenge the URL carries, and an
// OpenID Connect nonce (SEC-O1).
func (s *Service) AuthURL(r *http.Request, provider string, st Start) (string, error) {
	p, err := s.provider(provider)
	if err != nil {
		return "", err
	}
	f := flow{
		State: random(32), Provider: p.Name, Verifier: oauth2.GenerateVerifier(), Nonce: random(32),
		ReturnTo: s.opts.ReturnTo, Remember: st.Remember, ExpiresAt: s.c.Now().Add(flowLifetime),
	}
	if st.ReturnTo != "" {
		if f.ReturnTo, err = localPath(st.ReturnTo); err != nil {
			return "", err
		}
	}
	if st.Link {
		a := authkit.From(r)
		if !a.IsLoggedIn() {
			return "", authkit.ErrNotLoggedIn
		}
		if !a.IsFresh() {
			return "", authkit.ErrReauthenticationRequired
		}
		f.LinkUser = a.UserID()
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.providerTimeout())
	defer cancel()
	endpoint, err := p.endpoint(withClient(ctx, s.opts.HTTPClient))
	if err != nil {
		return "", err
	}
	opts := append(p.authParams(), oauth2.S256ChallengeOption(f.Verifier))
	if p.kind == kindOIDC {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", f.Nonce))
	}
	s.keepFlow(r, f)
	return p.oauthConfig(endpoint, s.opts.CallbackURL(p.Name)).AuthCodeURL(f.State, opts...), nil
}

// Begin starts a sign-in as AuthURL does and redirects the browser to the
// provider (302 Found).
func (s *Service) Begin(w http.ResponseWriter, r *http.Request, provider string, st Start) error {
	u, err := s.AuthURL(r, provider, st)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// keepFlow adds a started sign-in to the session, forgetting expired ones
// and, past maxFlows, the oldest.
func (s *Service) keepFlow(r *http.Request, f flow) {
	kept, _ := s.c.Pop(r, flowsKey).(flows)
	now := s.c.Now()
	live := flows{}
	for _, k := range kept {
		if now.Before(k.ExpiresAt) {
			live = append(live, k)
		}
	}
	live = append(live, f)
	if len(live) > maxFlows {
		live = live[len(live)-maxFlows:]
	}
	s.c.Put(r, flowsKey, live)
}

// takeFlow removes the sign-in named state from the session and returns
// it if it is unexpired and for provider: a state is used once, whatever
// the outcome.
func (s *Service) takeFlow(r *http.Request, provider, state string) (flow, error) {
	kept, _ := s.c.Pop(r, flowsKey).(flows)
	var found *flow
	rest := flows{}
	for i := range kept {
		if found == nil && state != "" && kept[i].State == state {
			found = &kept[i]
			continue
		}
		rest = append(rest, kept[i])
	}
	if len(rest) > 0 {
		s.c.Put(r, flowsKey, rest)
	}
	if found == nil || found.Provider != provider || !s.c.Now().Before(found.ExpiresAt) {
		return flow{}, ErrInvalidState
	}
	return *found, nil
}

// Result is what a sign-in did.
type Result struct {
	// Provider names the provider.
	Provider string
	// UserID is the account signed in or linked to; 0 when the sign-in
	// waits for a second factor or a password.
	UserID int64
	// ReturnTo is the local path to send the browser to.
	ReturnTo string
	// SignedUp is set when the sign-in made a new account.
	SignedUp bool
	// Linked is set when the provider account was linked now.
	Linked bool

	admitted bool // the session core decided, and audited, the outcome
}

// Finish completes the sign-in whose callback r is: it takes the state
// from the session (missing, foreign, used or expired: [ErrInvalidState]),
// exchanges the code with the PKCE verifier, verifies the id_token (its
// signature, issuer, audience, expiry and the nonce, SEC-O1) or reads
// GitHub's API, finds or links the account (SEC-O2), and logs the user in
// through the Kit's session core: the eligibility rule, the local second
// factor ([*authkit.SecondFactorRequiredError] when one is enabled,
// SEC-O3; [authkit.Auth.CompleteTwoFactorLogin] finishes), a new session
// token. The session is fresh (the user just authenticated), for
// [Start.Link] and other sensitive changes.
//
// The Result has ReturnTo whenever the state was valid, also with an
// error. Failures count against Options.CallbackLimit per client IP.
func (s *Service) Finish(r *http.Request, provider string) (Result, error) {
	p, err := s.provider(provider)
	if err != nil {
		return Result{}, err
	}
	how := "oauth:" + p.Name
	return s.throttled(r, how, func() (Result, error) {
		res, err := s.finish(r, p)
		s.auditFailure(r, how, res, err)
		return res, err
	})
}

// auditFailure records a sign-in that failed before it reached the
// session core, which audits the rest itself.
func (s *Service) auditFailure(r *http.Request, how string, res Result, err error) {
	if err != nil && !res.admitted {
		s.audit(r, "login", "failed", 0, failure(how, err))
	}
}

// throttled runs a sign-in attempt under Options.CallbackLimit: the token
// it takes is given back unless the attempt failed for a reason an
// attacker could be probing.
func (s *Service) throttled(r *http.Request, how string, attempt func() (Result, error)) (Result, error) {
	lim := s.opts.CallbackLimit
	giveBack, err := s.c.Throttle(r, "oauth", lim.Burst, lim.Every)
	if err != nil {
		s.audit(r, "login", "throttled", 0, how)
		return Result{}, err
	}
	res, err := attempt()
	var sf *authkit.SecondFactorRequiredError
	var link *LinkRequiredError
	if err == nil || errors.As(err, &sf) || errors.As(err, &link) {
		giveBack()
	}
	return res, err
}

func (s *Service) finish(r *http.Request, p *conn) (Result, error) {
	q := r.URL.Query()
	f, err := s.takeFlow(r, p.Name, q.Get("state"))
	if err != nil {
		return Result{}, err
	}
	res := Result{Provider: p.Name, ReturnTo: f.ReturnTo}
	var linkUser core.User
	if f.LinkUser != 0 {
		// Read before the code is exchanged, so that a revocation while
		// the provider answers wins (SEC-S8).
		if linkUser, err = s.linkingUser(r, f.LinkUser); err != nil {
			return res, err
		}
	}
	if e := q.Get("error"); e != "" {
		return res, hide(ErrProviderRefused, "provider said "+cleanCode(e), errors.New("authorization error"))
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return res, hide(ErrProviderRefused, "no code", errors.New("missing or oversized code"))
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*s.providerTimeout())
	defer cancel()
	ctx = withClient(ctx, s.opts.HTTPClient)
	endpoint, err := p.endpoint(ctx)
	if err != nil {
		return res, err
	}
	tok, err := p.oauthConfig(endpoint, s.opts.CallbackURL(p.Name)).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return res, hide(ErrProviderRefused, "code exchange", err)
		}
		return res, hide(ErrProviderUnavailable, "code exchange", err)
	}
	cl, err := p.identify(ctx, tok, f.Nonce)
	if err != nil {
		return res, err
	}
	if err := validClaims(cl); err != nil {
		return res, err
	}
	if f.LinkUser != 0 {
		return s.linkTo(r, p, cl, linkUser, tok, res)
	}
	return s.signIn(r, p, cl, tok, f.Remember, res)
}

// validClaims refuses a subject that cannot be stored as it is.
func validClaims(cl claims) error {
	if cl.Subject == "" || len(cl.Subject) > 255 || !isText(cl.Subject) {
		return hide(ErrInvalidIDToken, "subject", errors.New("empty, oversized or not text"))
	}
	return nil
}

// isText reports whether s is valid UTF-8 without NUL bytes, as
// PostgreSQL's text columns need.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cleanCode keeps an OAuth error code (error=access_denied) for the
// audit log if it looks like one.
func cleanCode(code string) string {
	if len(code) > 40 {
		return "an error"
	}
	for _, r := range code {
		if (r < 'a' || r > 'z') && r != '_' {
			return "an error"
		}
	}
	return code
}
