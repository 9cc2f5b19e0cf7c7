package passkey

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// BeginSecondFactor starts proving the second step of the login pending
// on r ([authkit.Auth.AwaitingSecondFactor]) with a passkey of that
// login's user: it writes the options for navigator.credentials.get to w,
// listing the user's passkeys, and keeps the challenge in the session.
// The passkey need not verify its user: the password was the first
// factor. It fails with [authkit.ErrNoPendingLogin] or
// [authkit.ErrSecondFactorExpired] without a pending login, and with
// [authkit.ErrMethodNotEnabled] when the user has no passkey to offer (the
// one that proved the first factor does not count).
func (s *Service) BeginSecondFactor(w http.ResponseWriter, r *http.Request) error {
	if err := s.core.InMiddleware(r); err != nil {
		return err
	}
	userID, attempt, err := s.core.PendingLogin(r)
	if err != nil {
		return err
	}
	creds, err := s.st.byUser(r.Context(), userID)
	if err != nil {
		return unavailable("load passkeys", err)
	}
	creds = s.withoutFirst(r, attempt, creds)
	if len(creds) == 0 {
		return authkit.ErrMethodNotEnabled
	}
	assertion, sd, err := s.wa.BeginLogin(webauthnUser(creds[0].Handle, "", creds),
		webauthn.WithUserVerification(protocol.VerificationDiscouraged))
	if err != nil {
		return hide(authkit.ErrInternal, "begin second factor", err)
	}
	return s.begin(w, r, purposeSecondFactor, userID, assertion, sd)
}

// FinishSecondFactor proves the pending login's second factor with the
// passkey that response (the browser's answer to
// navigator.credentials.get) proves. Like a code, it spends one of the
// login's tries and counts against the user's throttle on second-factor
// entry; success marks the login verified, and
// [authkit.Auth.CompleteTwoFactorLogin] then finishes it (SEC-F1). A
// passkey of another user, a bad answer, or the passkey that proved the
// first factor gives [authkit.ErrSecondFactorInvalid] (or
// [authkit.ErrTooManyWrongCodes] once the tries are spent);
// [ErrInvalidChallenge] is returned without a challenge of this login.
func (s *Service) FinishSecondFactor(r *http.Request, response []byte) error {
	if err := s.core.InMiddleware(r); err != nil {
		return err
	}
	userID, attempt, err := s.core.PendingLogin(r)
	if err != nil {
		return err
	}
	sd, err := s.take(r, purposeSecondFactor, userID)
	if err != nil {
		return err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return err
	}
	return s.core.ProveSecondFactor(r, twofactor.Passkey, func(userID int64) (bool, error) {
		creds, err := s.st.byUser(r.Context(), userID)
		if err != nil {
			return false, unavailable("load passkeys", err)
		}
		c, ok := find(s.withoutFirst(r, attempt, creds), parsed.RawID)
		if !ok {
			return false, nil
		}
		_, err = s.verify(r, sd, parsed, c, creds, false)
		if errors.Is(err, ErrInvalidPasskey) {
			return false, nil
		}
		return err == nil, err
	})
}

// withoutFirst leaves out of creds the passkey that proved the first
// factor of the pending login attempt, if one did.
func (s *Service) withoutFirst(r *http.Request, attempt string, creds []credential) []credential {
	first, ok := s.core.Get(r, firstKey).(firstFactor)
	if !ok || first.AttemptID != attempt {
		return creds
	}
	var out []credential
	for _, c := range creds {
		if c.ID != first.PasskeyID {
			out = append(out, c)
		}
	}
	return out
}
