package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
)

// MaxPasskeys is the most passkeys one user can register.
const MaxPasskeys = 50

// maxResponse bounds the size of a browser's answer: real ones are a few
// kilobytes.
const maxResponse = 64 << 10

// Service is passkeys for the users of one Kit. Make one with [New] at
// start-up and share it; it is safe for concurrent use. Its methods must
// be called inside the Kit's middleware.
type Service struct {
	core core.PasskeyKit
	cfg  Config
	wa   *webauthn.WebAuthn
	st   *store
}

// New returns the passkeys of kit's users, for the relying party cfg
// describes. It refuses a Config it cannot use with a [*ConfigError]. From
// then on, users with passkeys and another second factor are offered
// "passkey" for the second step of their logins.
func New(kit *authkit.Kit, cfg Config) (*Service, error) {
	c, ok := core.Of(kit).(core.PasskeyKit)
	if !ok {
		return nil, &ConfigError{"kit", "New needs the *authkit.Kit that authkit.New returned"}
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             cfg.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
	})
	if err != nil {
		return nil, &ConfigError{"RPID", err.Error()}
	}
	s := &Service{core: c, cfg: cfg, wa: wa, st: newStore(c)}
	c.OfferPasskeys(func(ctx context.Context, userID int64) (int, error) {
		n, err := s.st.count(ctx, userID)
		return n, unavailable("count passkeys", err)
	})
	return s, nil
}

// Passkey is one of a user's passkeys as they may see it.
type Passkey struct {
	// ID names the passkey for Rename and Remove.
	ID string
	// Name is what the user called it ("Laptop", "Phone").
	Name string
	// CreatedAt is when it was registered; LastUsedAt when it last logged
	// in, proved a second factor or reauthenticated (zero if never).
	CreatedAt  time.Time
	LastUsedAt time.Time
	// Synced is set for a passkey that can be copied between the user's
	// devices (the backup-eligible flag, as iCloud Keychain and Google
	// Password Manager set it); BackedUp for one that has been.
	Synced   bool
	BackedUp bool
	// AAGUID names the authenticator's model, as a UUID (all zeros when
	// the authenticator does not say).
	AAGUID string
	// Transports are how the browser can reach the authenticator
	// ("internal", "usb", "hybrid", ...), as it said at registration.
	Transports []string
	// CloneWarning is set once the passkey signed with a counter that went
	// backwards (see [ErrCloneWarning]): remove it unless the user knows
	// why.
	CloneWarning bool
}

func (c credential) public() Passkey {
	p := Passkey{
		ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt, Synced: c.BackupEligible, BackedUp: c.BackupState,
		Transports: slices.Clone([]string(c.Transports)), CloneWarning: c.CloneWarning, AAGUID: formatUUID(c.AAGUID),
	}
	if c.LastUsedAt.Valid {
		p.LastUsedAt = c.LastUsedAt.Time
	}
	return p
}

func formatUUID(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// user is a user as go-webauthn sees one: the handle and the passkeys.
type user struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u user) WebAuthnID() []byte                         { return u.handle }
func (u user) WebAuthnName() string                       { return u.name }
func (u user) WebAuthnDisplayName() string                { return u.name }
func (u user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// webauthnUser builds the go-webauthn user of stored passkeys.
func webauthnUser(handle []byte, name string, creds []credential) user {
	u := user{handle: handle, name: name}
	for _, c := range creds {
		u.creds = append(u.creds, c.webauthn())
	}
	return u
}

func (c credential) webauthn() webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.CredentialID, PublicKey: c.PublicKey, AttestationFormat: c.AttestationFormat, Transport: transports,
		Flags: webauthn.CredentialFlags{
			UserPresent: true, UserVerified: c.UserVerified, BackupEligible: c.BackupEligible, BackupState: c.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: uint32(c.SignCount)},
	}
}

// purpose names the ceremony a challenge was made for.
type purpose string

const (
	purposeRegister       purpose = "register"
	purposeLogin          purpose = "login"
	purposeSecondFactor   purpose = "second-factor"
	purposeReauthenticate purpose = "reauthenticate"
)

// ceremonyKey is the session key of the ceremony under way; firstKey the
// one of the passkey that proved the first factor of a pending login.
const (
	ceremonyKey = "authkit.passkey.ceremony"
	firstKey    = "authkit.passkey.first"
)

// ceremony is a challenge waiting for its answer, kept in the session
// that asked for it: only that session can answer it, once, within
// challengeLifetime (SEC-W1). A new ceremony replaces the one before.
type ceremony struct {
	Purpose   purpose
	UserID    int64  // the user it is for; 0 for a passwordless login
	Data      []byte // go-webauthn's SessionData, as JSON
	ExpiresAt time.Time
}

// firstFactor is the passkey that logged a user in as one factor, so that
// the login's second step cannot use the same passkey again.
type firstFactor struct {
	AttemptID string
	PasskeyID string
}

func init() {
	// Session values are encoded with gob; the names are fixed so that
	// renaming the Go types does not break stored sessions.
	gob.RegisterName("authkit/passkey.ceremony", ceremony{})
	gob.RegisterName("authkit/passkey.firstFactor", firstFactor{})
}

// begin keeps the ceremony's challenge in r's session and writes the
// options for navigator.credentials to w as JSON.
func (s *Service) begin(w http.ResponseWriter, r *http.Request, p purpose, userID int64, options any, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return hide(authkit.ErrInternal, "encode ceremony", err)
	}
	body, err := json.Marshal(options)
	if err != nil {
		return hide(authkit.ErrInternal, "encode options", err)
	}
	s.core.Put(r, ceremonyKey, ceremony{Purpose: p, UserID: userID, Data: data, ExpiresAt: s.core.Now().Add(challengeLifetime)})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(body, '\n'))
	return nil
}

// take removes the ceremony from r's session and returns its data if it
// is one of purpose p for userID that has not expired.
func (s *Service) take(r *http.Request, p purpose, userID int64) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if err := s.core.InMiddleware(r); err != nil {
		return sd, err
	}
	c, ok := s.core.Pop(r, ceremonyKey).(ceremony)
	if !ok || c.Purpose != p || c.UserID != userID || !s.core.Now().Before(c.ExpiresAt) {
		return sd, ErrInvalidChallenge
	}
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return sd, ErrInvalidChallenge
	}
	return sd, nil
}

// parseAssertion parses the browser's answer to navigator.credentials.get.
func parseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(response) == 0 || len(response) > maxResponse {
		return nil, ErrMalformedResponse
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, hide(ErrMalformedResponse, "parse assertion", err)
	}
	return parsed, nil
}

// verify checks an answer to an assertion challenge sd against the
// stored passkey c and the user's other passkeys all (for a challenge
// that listed them), applies the package's policies, and records the use.
// It reports whether the passkey verified its user.
//
// The policies:
//   - needUV: without the UV flag the answer is refused with
//     [ErrUserVerificationRequired].
//   - The backup-eligible flag may change: WebAuthn says it never does,
//     but synced passkeys (iCloud Keychain, password managers) report it
//     inconsistently, before and after they sync. Refusing them would lock
//     their owners out, so the flag the authenticator reports now is
//     stored instead, and the change audited.
//   - A signature counter that does not go up is a sign of a copied key
//     only for a passkey that is not synced: synced passkeys share their
//     key between devices, whose counters differ (most report zero). For
//     such a passkey the answer is refused with [ErrCloneWarning], the
//     passkey marked and the event audited; the stored counter stays at
//     its highest, so the authenticator that is ahead keeps working.
//   - The same answer is accepted once, even by racing requests: the
//     passkey records the challenge it answered.
func (s *Service) verify(r *http.Request, sd webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData, c credential, all []credential, needUV bool) (bool, error) {
	ctx := r.Context()
	flags := parsed.Response.AuthenticatorData.Flags
	uv := flags.HasUserVerified()
	if needUV && !uv {
		return false, ErrUserVerificationRequired
	}
	if len(all) == 0 {
		all = []credential{c}
	}
	u := webauthnUser(c.Handle, "", all)
	for i := range u.creds {
		if string(u.creds[i].ID) == string(c.CredentialID) {
			u.creds[i].Flags.BackupEligible = flags.HasBackupEligible()
		}
	}
	var got *webauthn.Credential
	var err error
	if len(sd.UserID) == 0 {
		_, got, err = s.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return u, nil }, sd, parsed)
	} else {
		got, err = s.wa.ValidateLogin(u, sd, parsed)
	}
	if err != nil {
		return false, hide(ErrInvalidPasskey, "validate assertion", err)
	}
	if got.Authenticator.CloneWarning && !flags.HasBackupEligible() {
		if err := s.st.markCloned(ctx, c.ID); err != nil {
			return false, unavailable("mark passkey", err)
		}
		s.core.Audit(r, core.Event{Event: eventCloneWarning, Outcome: "failed", UserID: c.UserID, Detail: "signature counter went backwards"})
		return false, ErrCloneWarning
	}
	sum := sha256.Sum256([]byte(sd.Challenge))
	ok, err := s.st.used(ctx, c.ID, use{
		SignCount: parsed.Response.AuthenticatorData.Counter, UserVerified: uv,
		BackupEligible: flags.HasBackupEligible(), BackupState: flags.HasBackupState(),
		Challenge: sum[:], At: s.core.Now(),
	})
	if err != nil {
		return false, unavailable("record passkey use", err)
	}
	if !ok {
		return false, ErrInvalidChallenge
	}
	if c.BackupEligible != flags.HasBackupEligible() {
		s.core.Audit(r, core.Event{Event: eventBackupChanged, Outcome: "ok", UserID: c.UserID, Detail: "backup-eligible flag changed"})
	}
	return uv, nil
}

// Audit events of the package, besides the core's.
const (
	eventAdded         = "passkey_added"
	eventRenamed       = "passkey_renamed"
	eventRemoved       = "passkey_removed"
	eventCloneWarning  = "passkey_clone_warning"
	eventBackupChanged = "passkey_backup_changed"
)

// find returns the passkey among list whose credential id is id.
func find(list []credential, id []byte) (credential, bool) {
	for _, c := range list {
		if string(c.CredentialID) == string(id) {
			return c, true
		}
	}
	return credential{}, false
}

// userVerification is the requirement the options of a passwordless
// login or a reauthentication carry.
func (s *Service) userVerification() protocol.UserVerificationRequirement {
	return protocol.UserVerificationRequirement(s.cfg.UserVerification)
}

// newID returns a passkey's public id.
func newID() string { return hex.EncodeToString(randomBytes(16)) }

// newHandle returns a WebAuthn user handle: 64 random bytes (SEC-W1).
func newHandle() []byte { return randomBytes(64) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// cleanName checks a passkey's name; "" becomes "Passkey".
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 {
		return "", ErrInvalidName
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", ErrInvalidName
		}
	}
	if name == "" {
		name = "Passkey"
	}
	return name, nil
}

// validID reports whether id can be a passkey's id, so that garbage
// costs no query.
func validID(id string) bool {
	_, err := hex.DecodeString(id)
	return err == nil && len(id) == 32
}

// notFoundOr turns the store's errNotFound into authkit.ErrNotFound and
// hides other errors.
func notFoundOr(what string, err error) error {
	if errors.Is(err, errNotFound) {
		return authkit.ErrNotFound
	}
	return unavailable(what, err)
}
