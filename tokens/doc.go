// Package tokens gives mobile apps and other API clients what cookies do
// not serve: short-lived JWT access tokens, opaque rotating refresh
// tokens, and a JWKS for services that verify the access tokens
// themselves. It works on an [authkit.Kit] and its database, and its
// logins obey the same session core as the Kit's cookie sessions.
//
// Make an [Issuer] after the Kit (which needs a Config.EncryptionKey, to
// seal the signing keys):
//
//	iss, err := tokens.New(kit, tokens.Config{Audiences: []string{"mobile"}})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer iss.Close()
//
// From then on the Kit's middleware accepts Authorization: Bearer <access
// token>: [authkit.From] gives the token's user, [authkit.Auth.Via] says
// [authkit.ViaAccessToken], [authkit.Auth.HasScope] allows what the user's
// roles allow, and cookie-only actions (changing the password or address,
// managing factors and keys) answer [authkit.ErrCookieSessionRequired]
// (SEC-K2). Verifying a token runs no database query.
//
// # Getting tokens
//
// A login handler that was asked for tokens calls [Issuer.ExchangeSession]
// right after Login (or CompleteTwoFactorLogin, after the second factor)
// succeeded on the request: the cookie session it started becomes a token
// login and no session cookie is left. An app that authenticates users its
// own way calls [Issuer.IssueTokens]. [Issuer.TokenHandler] serves the
// refresh grant (POST token) and [Issuer.JWKSHandler] the public keys;
// package httpapi mounts them as
//
//	POST {prefix}/token                  iss.TokenHandler()
//	GET  {prefix}/.well-known/jwks.json  iss.JWKSHandler()
//
// and answers POST {prefix}/login with "token": true by calling
// iss.ExchangeSession(r, "") after a successful Login and writing the
// [Tokens] as JSON (the same after POST login/second-factor). An app
// without httpapi mounts the two handlers the same way, inside
// kit.Middleware.
//
// # Access tokens (SEC-J1)
//
// Access tokens are JWTs signed with EdDSA (Ed25519), typ "at+jwt", with
// the claims sub (the user id), iss, aud, exp, iat, jti, email, roles and
// sid (the login: its refresh-token family). They live
// Config.AccessLifetime, 10 minutes by default and never more than 15.
// Verification accepts EdDSA only, whatever the token's header says, so
// neither "none" nor an HS256 token keyed with the public key passes; it
// checks iss, aud (one of Config.Audiences), exp and iat with
// Config.Leeway, and finds the key by kid among the keys held in memory.
//
// The signing keys live in the database, their private halves sealed with
// the Kit's EncryptionKey. Each signs for Config.KeyRotation; the next key
// is written several minutes before it signs, and every app instance
// reloads the keys every minute, so every verifier and every JWKS cache
// knows a key before its first token. A retired key stays published until
// the last token it signed has expired, then is deleted; a token that
// claims to be signed by a key outside the time that key signed is
// refused.
//
// # Refresh tokens (SEC-J2)
//
// A refresh token ("rt_…") is an opaque split token of which only a
// SHA-256 is stored. It belongs to a family — one login of one client,
// bound to the audience it was issued for — and works once: each refresh
// replaces it. For Config.Grace (10 seconds) after its first use it still
// works, so concurrent refreshes of one client all succeed; presented
// after that it is reuse, and the whole family is revoked and the event
// audited, since a stolen copy is the likely cause.
//
// # Revocation
//
// Every revocation of the session core — LogoutEverywhere and
// LogoutEverywhereElse, a ban or other status change, a password change or
// reset, Admin.ForceLogout, Admin.DeleteUser — deletes every refresh token
// of the user in the same statement, and a refresh racing it cannot write
// a working one (SEC-S8): refresh tokens stop at once. Access tokens are
// verified without the database, so one already handed out stays valid
// until it expires: a revocation reaches access tokens within one
// AccessLifetime (plus Leeway). Keep AccessLifetime short where that
// matters; it is the price of verifying without a query.
package tokens
