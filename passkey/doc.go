// Package passkey adds WebAuthn passkeys to an authkit Kit, with
// github.com/go-webauthn/webauthn: users register passkeys on their
// devices and then log in without a password, prove the second step of a
// password login, or confirm who they are before a sensitive change.
// Every way in goes through authkit's session core, so a passkey login
// checks the account (confirmed address, status Normal), starts the
// session under a new token, and loses every race against a revocation,
// as a password login does.
//
// # Set-up
//
//	pk, err := passkey.New(kit, passkey.Config{
//		RPID:    "example.com",
//		Origins: []string{"https://example.com"},
//	})
//	mux.Handle("/auth/", pk.Handler("/auth")) // or mount the calls in your own routes
//
// The relying party ID is the domain passkeys belong to; Origins are the
// pages allowed to use them ([Config]). [New] refuses a bad Config with a
// [*ConfigError]. The tables are in authkit's schema (sqlschema), with
// the user handles: 64 random bytes per user, never the user id.
//
// # Ceremonies
//
// Each use of a passkey is two calls. A Begin call writes to the response
// the options for navigator.credentials.create or get, as JSON, and keeps
// the challenge in the request's session; the page passes the options to
// the browser, and posts the browser's answer (the PublicKeyCredential,
// in its toJSON form) to the Finish call. A challenge works once, only in
// the session that asked for it, for five minutes, and only for its own
// ceremony and user ([ErrInvalidChallenge], SEC-W1); the answer must come
// from one of the Origins and be signed for the RP ID.
//
//   - [Service.BeginRegistration] and [Service.FinishRegistration] add a
//     passkey for the logged-in user. It needs a fresh cookie session (a
//     password entered within Config.ReauthenticationWindow of the Kit).
//     [Service.List], [Service.Rename] and [Service.Remove] manage them;
//     removing needs a fresh session too.
//   - [Service.BeginLogin] and [Service.FinishLogin] log in without an
//     email address: the browser offers the passkeys it holds for the
//     site (discoverable credentials).
//   - [Service.BeginSecondFactor] and [Service.FinishSecondFactor] prove
//     the second step of a login waiting for it; then
//     [authkit.Auth.CompleteTwoFactorLogin] finishes the login. The
//     method is [twofactor.Passkey], listed in
//     [authkit.SecondFactorRequiredError] for users who have a passkey and
//     another second factor (a passkey alone does not turn two-step login
//     on).
//   - [Service.BeginReauthentication] and [Service.FinishReauthentication]
//     make the session fresh again, as [authkit.Auth.Reauthenticate] does
//     with the password.
//
// [Service.Handler] serves all of them as JSON routes; package httpapi
// mounts the same calls under its own prefix.
//
// # Policies
//
// User verification (SEC-W1): by default a passwordless login or a
// reauthentication needs a passkey that verified its user (a PIN or
// biometrics); such a passkey proves two factors, so no second step is
// asked. [VerificationPreferred] also accepts passkeys without it, as one
// factor: a user with a second factor is then asked for it, with any
// factor but the same passkey. The second step of a password login never
// needs user verification.
//
// Synced passkeys: WebAuthn says a passkey's backup-eligible (BE) flag
// never changes, and go-webauthn refuses a login whose flag differs from
// the one stored, but iCloud Keychain and some password managers report it
// differently before and after a passkey syncs. This package stores the
// flags each login reports instead of refusing, and audits the change.
//
// Signature counters: a passkey that is not synced and signs with a
// counter that does not go up may have been copied. The login is refused
// with [ErrCloneWarning], the passkey marked ([Passkey.CloneWarning]) and
// the event audited; the genuine authenticator, whose counter is ahead,
// keeps working. Synced passkeys share their key between devices, whose
// counters differ (most say zero), so their counters are not checked.
//
// Replays: an answer is accepted once. Its challenge leaves the session
// when it is used, and each passkey records the challenge it last
// answered, so two requests racing with one answer log in once.
//
// Throttling: each passwordless login and reauthentication takes a token
// from the client IP's bucket of failed logins (the Kit's
// Limits.LoginPerIP) that only success gives back. No bucket is kept per
// account, so a stranger cannot lock the owner out (SEC-E5). The second
// step spends the pending login's tries and the user's code-entry budget,
// as a code does.
//
// Revocations (logout everywhere, a password change or reset, a ban,
// ForceLogout, deleting the account) end the sessions a passkey started,
// like any other; a passkey registration or login that races one stores
// nothing (SEC-S8). They do not delete passkeys, which are ways in like
// the password: a user who finds a passkey they do not know removes it.
package passkey
