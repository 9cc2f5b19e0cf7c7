package oauth

import (
	"context"
	"net/http"

	"github.com/authkit/authkit"
)

// IDTokenSignIn is an id_token that a native app obtained from an OpenID
// Connect provider itself (Sign in with Google on Android, Sign in with
// Apple on iOS), for [Service.SignInIDToken].
type IDTokenSignIn struct {
	// Provider names the provider that issued the token.
	Provider string
	// IDToken is the raw id_token (a JWT).
	IDToken string
	// Nonce is the nonce the app asked the provider to put in the token,
	// which must be there; "" only for a token that carries none. A nonce
	// the app made fresh for the sign-in keeps a stolen token from being
	// replayed.
	Nonce string
	// Remember issues a remember-me token with the session.
	Remember bool
}

// SignInIDToken signs in with an id_token a native app obtained itself:
// it verifies the token as a callback's (signature, issuer, expiry,
// nonce), accepting the provider's ClientID or one of its Audiences as
// audience, then finds, links or makes the account and logs in by the
// same rules as [Service.Finish]. Failures count against
// Options.CallbackLimit per client IP. [ErrIDTokensUnsupported] for
// GitHub.
func (s *Service) SignInIDToken(r *http.Request, in IDTokenSignIn) (Result, error) {
	p, err := s.provider(in.Provider)
	if err != nil {
		return Result{}, err
	}
	how := "oauth:" + p.Name + " id_token"
	return s.throttled(r, how, func() (Result, error) {
		res := Result{Provider: p.Name, ReturnTo: s.opts.ReturnTo}
		cl, err := s.verifyNative(r.Context(), p, in)
		if err == nil {
			res, err = s.signIn(r, p, cl, nil, in.Remember, res)
		}
		s.auditFailure(r, how, res, err)
		return res, err
	})
}

// LinkIDToken links the provider account of an id_token a native app
// obtained itself to the logged-in user, who needs a fresh session
// ([authkit.ErrReauthenticationRequired]); [ErrIdentityTaken] when it is
// linked to another account.
func (s *Service) LinkIDToken(r *http.Request, in IDTokenSignIn) (Result, error) {
	p, err := s.provider(in.Provider)
	if err != nil {
		return Result{}, err
	}
	how := "oauth:" + p.Name + " id_token link"
	return s.throttled(r, how, func() (Result, error) {
		res := Result{Provider: p.Name, ReturnTo: s.opts.ReturnTo}
		u, err := s.linkingUser(r, authkit.From(r).UserID())
		if err != nil {
			return res, err
		}
		cl, err := s.verifyNative(r.Context(), p, in)
		if err == nil {
			res, err = s.linkTo(r, p, cl, u, nil, res)
		}
		s.auditFailure(r, how, res, err)
		return res, err
	})
}

// verifyNative verifies an id_token of a native app.
func (s *Service) verifyNative(ctx context.Context, p *conn, in IDTokenSignIn) (claims, error) {
	ctx, cancel := context.WithTimeout(ctx, s.providerTimeout())
	defer cancel()
	cl, err := p.verifyIDToken(withClient(ctx, s.opts.HTTPClient), in.IDToken, in.Nonce, append([]string{p.ClientID}, p.Audiences...))
	if err != nil {
		return claims{}, err
	}
	return cl, validClaims(cl)
}
