package main

import (
	"errors"
	"net/http"
	"os"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

// Sign-in with providers (package oauth): a "Sign in with …" button on
// the login page for each provider, GitHub and Google when their client
// credentials are in the environment (GITHUB_CLIENT_ID and
// GITHUB_CLIENT_SECRET, GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET; the
// callback URLs to register are http://ADDR/oauth/github/callback and
// .../google/callback), and in development mode the built-in dev provider.

// envProviders returns the providers whose credentials the environment
// holds.
func envProviders() []*oauth.Provider {
	var providers []*oauth.Provider
	if id := os.Getenv("GITHUB_CLIENT_ID"); id != "" {
		providers = append(providers, oauth.GitHub(id, os.Getenv("GITHUB_CLIENT_SECRET")))
	}
	if id := os.Getenv("GOOGLE_CLIENT_ID"); id != "" {
		providers = append(providers, oauth.Google(id, os.Getenv("GOOGLE_CLIENT_SECRET")))
	}
	return providers
}

// providerTitles name the providers on the buttons.
var providerTitles = map[string]string{"github": "GitHub", "google": "Google", "dev": "Dev provider"}

func providerTitle(name string) string {
	if t, ok := providerTitles[name]; ok {
		return t
	}
	return name
}

// newSocial returns the sign-in with providers, or nil without any.
func (h *handlers) newSocial(kit *authkit.Kit, providers []*oauth.Provider) (*oauth.Service, error) {
	if len(providers) == 0 {
		return nil, nil
	}
	return oauth.New(kit, oauth.Options{
		Providers:       providers,
		AllowSignUp:     true,
		ReturnTo:        "/account",
		SecondFactorURL: "/login/second-factor",
		LinkURL:         "/link-account",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			h.fail(w, r, "login", page{Next: "/account"}, err)
		},
	})
}

// providerNames are the names of the providers users can sign in with.
func (h *handlers) providerNames() []string {
	if h.social == nil {
		return nil
	}
	return h.social.Providers()
}

// linkAccountForm is where a sign-in whose address belongs to an
// existing account lands: it asks for that account's password, then
// offers to link the provider account.
func (h *handlers) linkAccountForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "link-account", page{Next: "/link-account"})
}

// linkAccount links the provider account waiting in the session to the
// account just logged in to.
func (h *handlers) linkAccount(w http.ResponseWriter, r *http.Request) {
	if _, err := h.social.CompleteLink(r); err != nil {
		h.fail(w, r, "link-account", page{Next: "/link-account"}, err)
		return
	}
	http.Redirect(w, r, "/account?done=linked", http.StatusSeeOther)
}

// describeSocial explains package oauth's errors to the user.
func describeSocial(err error) (status int, message string, ok bool) {
	if _, isLink := errors.AsType[*oauth.LinkRequiredError](err); isLink {
		return http.StatusConflict, "An account with that email address exists. Log in with its password to link the provider.", true
	}
	for _, d := range []struct {
		err error
		msg string
	}{
		{oauth.ErrInvalidState, "That sign-in expired or was started in another browser. Please try again."},
		{oauth.ErrProviderRefused, "The provider did not let you sign in."},
		{oauth.ErrProviderUnavailable, "The provider cannot be reached right now. Please try again in a moment."},
		{oauth.ErrInvalidIDToken, "The provider's answer could not be verified. Please try again."},
		{oauth.ErrNoVerifiedEmail, "The provider did not confirm an email address, which a new account needs."},
		{oauth.ErrSignUpClosed, "No account is linked to that provider account."},
		{oauth.ErrIdentityTaken, "That provider account is linked to another account."},
		{oauth.ErrNoPendingLink, "There is no provider account to link, or it waited too long. Please sign in with the provider again."},
		{oauth.ErrInvalidReturnTo, "That sign-in link is not valid."},
		{oauth.ErrUnknownProvider, "There is no such provider."},
	} {
		if errors.Is(err, d.err) {
			return oauth.StatusCode(err), d.msg, true
		}
	}
	return 0, "", false
}
