package passkey

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// BeginReauthentication starts confirming that the user logged in on r
// is still there, with one of their passkeys instead of the password (the
// "elevate" of other kits): it writes the options for
// navigator.credentials.get to w, listing the user's passkeys. It needs a
// cookie session; the user must verify themselves on the authenticator as
// Config.UserVerification says. Like a passwordless login it takes a token
// from the client IP's bucket of failed logins until it succeeds.
func (s *Service) BeginReauthentication(w http.ResponseWriter, r *http.Request) error {
	u, err := s.loggedIn(r)
	if err != nil {
		return err
	}
	creds, err := s.st.byUser(r.Context(), u.ID)
	if err != nil {
		return unavailable("load passkeys", err)
	}
	if len(creds) == 0 {
		return ErrNoPasskey
	}
	if err := s.core.ThrottleLoginIP(r); err != nil {
		return err
	}
	assertion, sd, err := s.wa.BeginLogin(webauthnUser(creds[0].Handle, u.Email, creds),
		webauthn.WithUserVerification(s.userVerification()))
	if err != nil {
		return hide(authkit.ErrInternal, "begin reauthentication", err)
	}
	return s.begin(w, r, purposeReauthenticate, u.ID, assertion, sd)
}

// FinishReauthentication checks the answer to BeginReauthentication's
// challenge and, if it proves one of the user's passkeys, marks the
// session fresh as [authkit.Auth.Reauthenticate] does with the password:
// under a new session token (SEC-S2), and no longer counting as restored
// from a remember-me cookie. Another user's passkey or a bad answer is
// [ErrInvalidPasskey]; no challenge of this session's,
// [ErrInvalidChallenge].
func (s *Service) FinishReauthentication(r *http.Request, response []byte) error {
	u, err := s.loggedIn(r)
	if err != nil {
		return err
	}
	sd, err := s.take(r, purposeReauthenticate, u.ID)
	if err != nil {
		return err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return err
	}
	creds, err := s.st.byUser(r.Context(), u.ID)
	if err != nil {
		return unavailable("load passkeys", err)
	}
	c, ok := find(creds, parsed.RawID)
	if !ok {
		s.core.Audit(r, core.Event{Event: "reauthenticate", Outcome: "failed", UserID: u.ID, Detail: "passkey: not the user's"})
		return ErrInvalidPasskey
	}
	if _, err := s.verify(r, sd, parsed, c, creds, s.cfg.UserVerification == VerificationRequired); err != nil {
		if errors.Is(err, ErrInvalidPasskey) || errors.Is(err, ErrUserVerificationRequired) {
			s.core.Audit(r, core.Event{Event: "reauthenticate", Outcome: "failed", UserID: u.ID, Detail: "passkey: not verified"})
		}
		return err
	}
	s.core.UnthrottleLoginIP(r)
	return s.core.Reauthenticated(r, "passkey")
}
