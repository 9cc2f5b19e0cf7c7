package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// Options configures a [Service].
type Options struct {
	// Providers are the providers users can sign in with. At least one
	// is required, each with a distinct Name.
	Providers []*Provider

	// Prefix is the path under which the Service's handler is mounted:
	// it serves Prefix + "/oauth/{provider}" and Prefix +
	// "/oauth/{provider}/callback". The default, "", serves /oauth/....
	Prefix string

	// CallbackURL returns the redirect URL registered at the provider for
	// its callback. The default is the Kit's Config.BaseURL + Prefix +
	// "/oauth/{provider}/callback".
	CallbackURL func(provider string) string

	// AllowSignUp lets a provider account that is linked to no account,
	// and whose address has no account either, sign up: a new account is
	// made with the address the provider vouched for (confirmed, with no
	// password). The default, false, answers [ErrSignUpClosed], so only
	// existing accounts can sign in with a provider.
	AllowSignUp bool

	// ReturnTo is where the browser goes after a sign-in that did not ask
	// for a return-to target of its own. The default is "/".
	ReturnTo string

	// SecondFactorURL, when set, is where the handler sends a browser
	// whose sign-in waits for its second factor (SEC-O3), with the
	// return-to target in the "next" query parameter. Unset, the
	// ErrorHandler answers the [*authkit.SecondFactorRequiredError].
	SecondFactorURL string

	// LinkURL, when set, is where the handler sends a browser whose
	// sign-in met an existing account that needs its password first (a
	// [*LinkRequiredError]), with the address in the "email" query
	// parameter, the provider in "provider" and the return-to target in
	// "next". The page logs the user in with the password and calls
	// [Service.CompleteLink]. Unset, the ErrorHandler answers.
	LinkURL string

	// ErrorHandler answers a callback or start of sign-in that failed.
	// The default answers [StatusCode](err) with a short text that holds
	// no secret. A JSON API sets its own.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// KeepTokens keeps the tokens the provider issued at each sign-in,
	// sealed with the Kit's Config.EncryptionKey (which it then requires),
	// so that the app can call the provider's API for the user: see
	// [Service.ProviderToken] and [Service.RefreshProviderToken]. The
	// default, false, keeps none.
	KeepTokens bool

	// HTTPClient reaches the providers. The default is a client with a 10
	// second timeout. Each round trip to a provider gets the client's
	// Timeout (10 seconds if it has none) as a deadline too.
	HTTPClient *http.Client

	// CallbackLimit bounds failed callbacks and id_token sign-ins from one
	// client IP (a wrong state, a refused code, a bad id_token). The
	// default is Burst 30, then one every 20 seconds.
	CallbackLimit authkit.Limit
}

// Service signs users in with OAuth 2.0 and OpenID Connect providers
// through the Kit's session core. Make one with [New]; it is safe for
// concurrent use. It is an http.Handler for the routes described on
// [Options.Prefix].
type Service struct {
	c         core.OAuthKit
	opts      Options
	providers map[string]*conn
	store     *store
	handler   http.Handler
}

// New returns a Service for kit. It fails with an error wrapping
// [authkit.ErrInvalidConfig] for bad Options: no provider, a provider
// without a valid Name, ClientID or (for OpenID Connect) IssuerURL, two
// with one Name, a ReturnTo that is not a local path, or KeepTokens
// without an EncryptionKey. It does not contact the providers: OpenID
// Connect discovery runs at the first sign-in.
func New(kit *authkit.Kit, opts Options) (*Service, error) {
	c, ok := core.Of(kit).(core.OAuthKit)
	if !ok {
		return nil, configError("a Kit made by authkit.New is required")
	}
	if opts.ReturnTo == "" {
		opts.ReturnTo = "/"
	}
	if _, err := localPath(opts.ReturnTo); err != nil {
		return nil, configError("ReturnTo %q must be a local path", opts.ReturnTo)
	}
	if opts.Prefix != "" && (!strings.HasPrefix(opts.Prefix, "/") || strings.HasSuffix(opts.Prefix, "/")) {
		return nil, configError("Prefix %q must start with / and not end with one", opts.Prefix)
	}
	if opts.KeepTokens && len(c.EncryptionKey()) == 0 {
		return nil, configError("KeepTokens needs the Kit's Config.EncryptionKey")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.CallbackURL == nil {
		base := strings.TrimSuffix(c.BaseURL(), "/") + opts.Prefix
		opts.CallbackURL = func(provider string) string { return base + "/oauth/" + provider + "/callback" }
	}
	if opts.ErrorHandler == nil {
		opts.ErrorHandler = defaultErrorHandler
	}
	if opts.CallbackLimit.Burst == 0 {
		opts.CallbackLimit.Burst = 30
	}
	if opts.CallbackLimit.Every == 0 {
		opts.CallbackLimit.Every = 20 * time.Second
	}
	if opts.CallbackLimit.Burst < 0 || opts.CallbackLimit.Every < 0 {
		return nil, configError("CallbackLimit must not be negative")
	}
	if len(opts.Providers) == 0 {
		return nil, configError("at least one provider is required")
	}
	s := &Service{c: c, opts: opts, providers: map[string]*conn{}, store: newStore(c)}
	for _, p := range opts.Providers {
		if err := validProvider(p); err != nil {
			return nil, err
		}
		if _, dup := s.providers[p.Name]; dup {
			return nil, configError("two providers are named %q", p.Name)
		}
		s.providers[p.Name] = &conn{Provider: *p, client: opts.HTTPClient, now: c.Now}
	}
	s.handler = s.routes()
	return s, nil
}

func validProvider(p *Provider) error {
	switch {
	case p == nil:
		return configError("a provider is nil")
	case !providerName.MatchString(p.Name):
		return configError("provider name %q must match %s", p.Name, providerName)
	case p.ClientID == "":
		return configError("provider %q needs a ClientID", p.Name)
	case p.kind == kindOIDC && p.IssuerURL == "":
		return configError("provider %q needs an IssuerURL", p.Name)
	case p.kind == kindOIDC && p.JWKSURL != "" && (p.Endpoint.AuthURL == "" || p.Endpoint.TokenURL == ""):
		return configError("provider %q: JWKSURL needs both Endpoint URLs", p.Name)
	case p.kind == kindGitHub && (p.Endpoint.AuthURL == "" || p.Endpoint.TokenURL == "" || p.APIURL == ""):
		return configError("provider %q needs its Endpoint URLs and APIURL", p.Name)
	}
	return nil
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: oauth: "+format, append([]any{authkit.ErrInvalidConfig}, args...)...)
}

// providerTimeout bounds one round trip to a provider.
func (s *Service) providerTimeout() time.Duration {
	if t := s.opts.HTTPClient.Timeout; t > 0 {
		return t
	}
	return 10 * time.Second
}

// provider returns the configured provider of that name.
func (s *Service) provider(name string) (*conn, error) {
	if p, ok := s.providers[name]; ok {
		return p, nil
	}
	return nil, ErrUnknownProvider
}

// Providers returns the names of the configured providers, in the order
// of Options.Providers, for the buttons of a login page.
func (s *Service) Providers() []string {
	names := make([]string, len(s.opts.Providers))
	for i, p := range s.opts.Providers {
		names[i] = p.Name
	}
	return names
}

// audit records an event of the request in the Kit's audit log.
func (s *Service) audit(r *http.Request, event, outcome string, userID int64, detail string) {
	s.c.Audit(r, core.Event{Event: event, Outcome: outcome, UserID: userID, Detail: detail})
}

// failure is the audit detail of a failed sign-in: the error's fixed
// text, which never holds a secret.
func failure(how string, err error) string {
	var sentinel error = err
	var h *hiddenError
	if errors.As(err, &h) {
		sentinel = h.sentinel
	}
	msg := strings.TrimPrefix(strings.TrimPrefix(sentinel.Error(), "oauth: "), "authkit: ")
	return how + ": " + msg
}
