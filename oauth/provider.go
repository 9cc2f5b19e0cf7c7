package oauth

import (
	"context"
	"net/http"
	"regexp"
	"slices"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/github"
)

// Provider is an identity provider users sign in with. Make one with
// [GitHub], [Google] or [OIDC], adjust its fields if needed (more scopes,
// a private provider's endpoints), and pass it to [New], which copies it.
type Provider struct {
	// Name identifies the provider in URLs (oauth/{Name}), in the
	// identities table and in the audit log: lower-case letters, digits,
	// "-" and "_", at most 32 bytes. Renaming a provider unlinks every
	// account linked through it.
	Name string

	// ClientID and ClientSecret are the app's credentials at the
	// provider. Keep the secret out of the source.
	ClientID     string
	ClientSecret string

	// Scopes are asked for at sign-in. The defaults are "read:user" and
	// "user:email" for GitHub, "openid", "email" and "profile" for OpenID
	// Connect providers; an OpenID Connect provider always gets "openid".
	Scopes []string

	// Endpoint holds the authorization and token URLs. GitHub's are preset
	// (replace them for GitHub Enterprise Server); an OpenID Connect
	// provider's come from discovery, and one set here wins over it.
	Endpoint oauth2.Endpoint

	// IssuerURL is an OpenID Connect provider's issuer: discovery reads
	// IssuerURL + "/.well-known/openid-configuration", and every id_token
	// must name it as "iss".
	IssuerURL string

	// JWKSURL is where an OpenID Connect provider publishes its signing
	// keys. Set it together with both Endpoint URLs for a provider without
	// discovery; left empty, discovery finds everything.
	JWKSURL string

	// APIURL is GitHub's REST API, where the user and their addresses are
	// read. The default is "https://api.github.com"; GitHub Enterprise
	// Server has it at "https://HOST/api/v3".
	APIURL string

	// AuthParams are added to the authorization URL, for example
	// {"access_type": "offline"} for Google to issue refresh tokens, or
	// {"prompt": "select_account"}.
	AuthParams map[string]string

	// Audiences are further client IDs whose id_tokens
	// [Service.SignInIDToken] accepts from an OpenID Connect provider:
	// those of the app's native (iOS, Android) clients. ClientID is always
	// accepted. The default is none.
	Audiences []string

	kind kind
}

// kind is how a provider tells who signed in.
type kind int

const (
	kindOIDC   kind = iota // an id_token (OpenID Connect)
	kindGitHub             // GitHub's REST API (plain OAuth 2.0)
)

// GitHub returns the GitHub provider, named "github". GitHub speaks plain
// OAuth 2.0: the user is read from its REST API (/user), and only an
// address GitHub lists as both primary and verified (/user/emails) counts
// as the user's.
func GitHub(clientID, clientSecret string) *Provider {
	return &Provider{
		Name: "github", ClientID: clientID, ClientSecret: clientSecret,
		Scopes:   []string{"read:user", "user:email"},
		Endpoint: github.Endpoint,
		APIURL:   "https://api.github.com",
		kind:     kindGitHub,
	}
}

// Google returns Google's OpenID Connect provider, named "google". Google
// issues refresh tokens only when asked: set AuthParams to
// {"access_type": "offline", "prompt": "consent"} if the app keeps
// provider tokens.
func Google(clientID, clientSecret string) *Provider {
	return OIDC("google", "https://accounts.google.com", clientID, clientSecret)
}

// OIDC returns an OpenID Connect provider found by discovery at issuerURL
// (Microsoft Entra ID, Okta, Auth0, Keycloak, GitLab, Apple, ...). name is
// its [Provider.Name].
func OIDC(name, issuerURL, clientID, clientSecret string) *Provider {
	return &Provider{
		Name: name, ClientID: clientID, ClientSecret: clientSecret,
		Scopes:    []string{"openid", "email", "profile"},
		IssuerURL: issuerURL,
		kind:      kindOIDC,
	}
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// scopes returns the scopes to ask for.
func (p *Provider) scopes() []string {
	if p.kind == kindOIDC && !slices.Contains(p.Scopes, "openid") {
		return append([]string{"openid"}, p.Scopes...)
	}
	return p.Scopes
}

// claims is who a provider says signed in.
type claims struct {
	Subject       string
	Email         string
	EmailVerified bool
}

// oauthConfig is the x/oauth2 configuration of p with its endpoint
// endpoint and redirect URL.
func (p *Provider) oauthConfig(endpoint oauth2.Endpoint, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Endpoint: endpoint, RedirectURL: redirectURL, Scopes: p.scopes(),
	}
}

// authParams are the extra parameters of the authorization URL.
func (p *Provider) authParams() []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	for k, v := range p.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return opts
}

// withClient makes x/oauth2 send the requests of ctx through client.
func withClient(ctx context.Context, client *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, client)
}
