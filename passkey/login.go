package passkey

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// BeginLogin starts a passwordless login: it writes to w, as JSON, the
// options for navigator.credentials.get ({"publicKey": {...}}) with no
// list of credentials, so the browser offers the passkeys it has for the
// site (discoverable credentials), and keeps the challenge in the session
// for five minutes. Each login takes a token from the client IP's bucket
// of failed logins (Config.Limits.LoginPerIP of the Kit) that a
// successful FinishLogin gives back, so a client that keeps failing is
// throttled ([*authkit.TooManyRequestsError]) without any account being
// locked (SEC-E5). On error nothing is written to w.
func (s *Service) BeginLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.core.ThrottleLoginIP(r); err != nil {
		return err
	}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(s.userVerification()))
	if err != nil {
		return hide(authkit.ErrInternal, "begin login", err)
	}
	return s.begin(w, r, purposeLogin, 0, assertion, sd)
}

// FinishLogin logs in the owner of the passkey that response (the
// browser's JSON answer to navigator.credentials.get) proves, through the
// session core: the account's eligibility (confirmed address, status
// Normal), then the session under a new token (SEC-S2), with a remember-me
// token if remember is set, and fresh.
//
// With user verification the passkey proves two factors and no second
// step is asked. Without it (only when Config.UserVerification is
// [VerificationPreferred]; otherwise [ErrUserVerificationRequired]) it is
// one factor: a user with a second factor gets a
// [*authkit.SecondFactorRequiredError] and finishes the login as after a
// password, with any factor but this same passkey.
//
// It fails with [ErrInvalidChallenge] without a login challenge of this
// session (SEC-W1), [ErrMalformedResponse] for garbage and
// [ErrInvalidPasskey] for an answer that does not verify: an unknown
// passkey, a bad signature, another challenge, origin or RP ID, or a
// user handle that is not the passkey's owner's. A revocation that ran
// while the login was checked wins ([authkit.ErrSessionRevoked], SEC-S8).
func (s *Service) FinishLogin(r *http.Request, response []byte, remember bool) error {
	sd, err := s.take(r, purposeLogin, 0)
	if err != nil {
		return err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.st.byCredentialID(ctx, parsed.RawID)
	if errors.Is(err, errNotFound) {
		s.core.Audit(r, core.Event{Event: "login", Outcome: "failed", Detail: "passkey: unknown passkey"})
		return ErrInvalidPasskey
	}
	if err != nil {
		return unavailable("load passkey", err)
	}
	// The revocation counter is read before the passkey is checked, so
	// that a revocation in between wins (SEC-S8). The account's other
	// checks are the core's, in LogIn.
	u, err := s.core.User(ctx, c.UserID)
	if errors.Is(err, authkit.ErrUserNotFound) || errors.Is(err, authkit.ErrUnavailable) {
		return err
	}
	uv, err := s.verify(r, sd, parsed, c, nil, s.cfg.UserVerification == VerificationRequired)
	if err != nil {
		if errors.Is(err, ErrInvalidPasskey) || errors.Is(err, ErrUserVerificationRequired) {
			s.core.Audit(r, core.Event{Event: "login", Outcome: "failed", UserID: c.UserID, Detail: "passkey: not verified"})
		}
		return err
	}
	s.core.UnthrottleLoginIP(r)
	err = s.core.LogIn(r, c.UserID, core.Start{How: "passkey", TwoFactors: uv, Fresh: true, Remember: remember, Epoch: u.Epoch})
	if _, pending := errors.AsType[*authkit.SecondFactorRequiredError](err); pending {
		if _, attempt, perr := s.core.PendingLogin(r); perr == nil {
			s.core.Put(r, firstKey, firstFactor{AttemptID: attempt, PasskeyID: c.ID})
		}
	}
	return err
}
