package passkey

import (
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// BeginRegistration starts registering a new passkey for the user logged
// in on r: it writes to w, as JSON, the options for
// navigator.credentials.create ({"publicKey": {...}}, binary fields in
// base64url) and keeps the challenge in the session for five minutes. The
// passkey is discoverable (a resident key), so it can log in without an
// email address, and asks for user verification as
// Config.UserVerification says. Registering needs a cookie session
// ([authkit.ErrCookieSessionRequired] for an API key or access token)
// that is fresh ([authkit.ErrReauthenticationRequired], SEC-W1): a
// passkey is a way into the account. On error nothing is written to w.
func (s *Service) BeginRegistration(w http.ResponseWriter, r *http.Request) error {
	u, err := s.freshUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	handle, err := s.st.handle(ctx, u.ID, newHandle, s.core.Now())
	if err != nil {
		return unavailable("load user handle", err)
	}
	existing, err := s.st.byUser(ctx, u.ID)
	if err != nil {
		return unavailable("load passkeys", err)
	}
	if len(existing) >= MaxPasskeys {
		return ErrTooManyPasskeys
	}
	wu := webauthnUser(handle, u.Email, existing)
	creation, sd, err := s.wa.BeginRegistration(wu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   s.userVerification(),
		}),
		// The user's passkeys already registered: the browser says so
		// instead of making a second one on the same authenticator.
		webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()),
	)
	if err != nil {
		return hide(authkit.ErrInternal, "begin registration", err)
	}
	return s.begin(w, r, purposeRegister, u.ID, creation, sd)
}

// FinishRegistration registers the passkey that response, the browser's
// JSON answer to navigator.credentials.create (PublicKeyCredential's
// toJSON form), proves, under name ("" gives "Passkey"; at most 100
// characters, [ErrInvalidName]), for the user who began the registration
// in this session. It fails with [ErrInvalidChallenge] without a
// challenge of this session's (SEC-W1), [ErrMalformedResponse] for
// garbage, [ErrInvalidPasskey] when the answer does not verify (another
// challenge, origin or RP ID), [ErrUserVerificationRequired] when the
// policy asks for it and the passkey did not verify its user,
// [ErrPasskeyExists] and [ErrTooManyPasskeys]. A revocation (logout
// everywhere, a password change, a ban...) since the session started
// wins: the passkey is not stored and the error is
// [authkit.ErrSessionRevoked] (SEC-S8).
func (s *Service) FinishRegistration(r *http.Request, name string, response []byte) (Passkey, error) {
	u, err := s.freshUser(r)
	if err != nil {
		return Passkey{}, err
	}
	name, err = cleanName(name)
	if err != nil {
		return Passkey{}, err
	}
	sd, err := s.take(r, purposeRegister, u.ID)
	if err != nil {
		return Passkey{}, err
	}
	if len(response) == 0 || len(response) > maxResponse {
		return Passkey{}, ErrMalformedResponse
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, hide(ErrMalformedResponse, "parse attestation", err)
	}
	if s.cfg.UserVerification == VerificationRequired && !parsed.Response.AttestationObject.AuthData.Flags.HasUserVerified() {
		return Passkey{}, ErrUserVerificationRequired
	}
	cred, err := s.wa.CreateCredential(user{handle: sd.UserID}, sd, parsed)
	if err != nil {
		return Passkey{}, hide(ErrInvalidPasskey, "validate attestation", err)
	}
	c := credential{
		ID: newID(), CredentialID: cred.ID, UserID: u.ID, PublicKey: cred.PublicKey,
		AttestationFormat: cred.AttestationFormat, SignCount: int64(cred.Authenticator.SignCount),
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		AAGUID: cred.Authenticator.AAGUID, Name: name, CreatedAt: s.core.Now(),
	}
	for _, t := range cred.Transport {
		c.Transports = append(c.Transports, string(t))
	}
	if c.AAGUID == nil {
		c.AAGUID = []byte{}
	}
	switch err := s.st.insert(r.Context(), c, u.Epoch, MaxPasskeys); {
	case errors.Is(err, errRevoked):
		return Passkey{}, authkit.ErrSessionRevoked
	case errors.Is(err, errFull):
		return Passkey{}, ErrTooManyPasskeys
	case errors.Is(err, errExists):
		return Passkey{}, ErrPasskeyExists
	case err != nil:
		return Passkey{}, unavailable("store passkey", err)
	}
	s.core.Audit(r, core.Event{Event: eventAdded, Outcome: "ok", UserID: u.ID})
	return c.public(), nil
}

// freshUser returns the user logged in on r with a fresh cookie session.
func (s *Service) freshUser(r *http.Request) (core.User, error) {
	if err := s.core.InMiddleware(r); err != nil {
		return core.User{}, err
	}
	u, fresh, err := s.core.LoggedIn(r)
	if err != nil {
		return u, err
	}
	if !fresh {
		return u, authkit.ErrReauthenticationRequired
	}
	return u, nil
}

// loggedIn returns the user logged in on r with a cookie session.
func (s *Service) loggedIn(r *http.Request) (core.User, error) {
	if err := s.core.InMiddleware(r); err != nil {
		return core.User{}, err
	}
	u, _, err := s.core.LoggedIn(r)
	return u, err
}

// List returns the passkeys of the user logged in on r, oldest first.
func (s *Service) List(r *http.Request) ([]Passkey, error) {
	u, err := s.loggedIn(r)
	if err != nil {
		return nil, err
	}
	creds, err := s.st.byUser(r.Context(), u.ID)
	if err != nil {
		return nil, unavailable("load passkeys", err)
	}
	list := make([]Passkey, len(creds))
	for i, c := range creds {
		list[i] = c.public()
	}
	return list, nil
}

// Rename renames one of the logged-in user's passkeys. Another user's
// passkey, or an unknown id, is [authkit.ErrNotFound].
func (s *Service) Rename(r *http.Request, id, name string) error {
	u, err := s.loggedIn(r)
	if err != nil {
		return err
	}
	name, err = cleanName(name)
	if err != nil {
		return err
	}
	if !validID(id) {
		return authkit.ErrNotFound
	}
	if err := s.st.rename(r.Context(), u.ID, id, name); err != nil {
		return notFoundOr("rename passkey", err)
	}
	s.core.Audit(r, core.Event{Event: eventRenamed, Outcome: "ok", UserID: u.ID})
	return nil
}

// Remove deletes one of the logged-in user's passkeys. It needs a fresh
// session ([authkit.ErrReauthenticationRequired], SEC-W1), so that a
// session restored from a remember-me cookie or left open cannot take
// away the owner's way in. Another user's passkey, or an unknown id, is
// [authkit.ErrNotFound]. The authenticator keeps its copy of the passkey,
// which no longer works here.
func (s *Service) Remove(r *http.Request, id string) error {
	u, err := s.freshUser(r)
	if err != nil {
		return err
	}
	if !validID(id) {
		return authkit.ErrNotFound
	}
	if err := s.st.remove(r.Context(), u.ID, id); err != nil {
		return notFoundOr("remove passkey", err)
	}
	s.core.Audit(r, core.Event{Event: eventRemoved, Outcome: "ok", UserID: u.ID})
	return nil
}
