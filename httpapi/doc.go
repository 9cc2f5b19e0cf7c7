// Package httpapi serves authkit as a JSON API, for single-page apps and
// mobile clients: every flow of an [authkit.Kit] — registration, login
// with a second factor, logout, passwords, email changes, the profile
// and two-factor settings — behind one http.Handler.
//
//	kit, err := authkit.New(authkit.Config{DB: db, Mailer: mailer})
//	...
//	mux.Handle("/auth/", httpapi.New(kit, httpapi.Options{Prefix: "/auth"}))
//
// [New]'s handler runs each request inside the Kit's middleware, applying
// it itself unless the app already wraps the mux in [authkit.Kit.Middleware].
//
// # Routes
//
// Under the prefix (the OpenAPI document at GET openapi.json describes
// each request and response):
//
//	POST   register                      {email, password, name?}  → 201 {user}
//	POST   confirm                       {token}                   → 204
//	POST   confirm/resend                {email}                   → 204
//	POST   login                         {email, password, remember?}
//	                                     → 200 {user} | 202 {"second_factor":{"methods":[…]}}
//	POST   login/link                    {email, next?}            → 204
//	POST   login/link/verify             {token}                   → 200 {user} | 202 {"second_factor":…}
//	POST   login/anonymous                                         → 200 {user}  (a guest; register upgrades it)
//	POST   login/second-factor/send      {method}                  → 204
//	POST   login/second-factor           {method, code}            → 200 {user}
//	POST   logout · logout/everywhere · logout/others              → 204
//	POST   reauthenticate                {password}                → 204
//	GET    session                                                 → 200 {user, session}
//	POST   password/forgot               {email}                   → 204
//	POST   password/reset                {token, password}         → 204
//	POST   password/change               {current_password, new_password} → 204
//	POST   email/change                  {email}                   → 204
//	POST   email/change/confirm          {token}                   → 204
//	PATCH  user                          {name?, metadata?}        → 200 {user}
//	GET    two-factor                    → 200 {"methods":[…],"backup_codes_left":10}
//	POST   two-factor/{method}/enroll    {phone?} → 200 {secret, uri, qr_png} (totp) | 204
//	POST   two-factor/{method}/confirm   {code}                    → 200 {backup_codes?}
//	DELETE two-factor/{method}           {password}                → 204
//	POST   two-factor/backup-codes                                 → 200 {backup_codes}
//	GET    sessions                      → 200 {"sessions":[{id, user_agent, ip, created_at, last_seen_at, current, remembered}]}
//	DELETE sessions/{id}                                           → 204
//	POST   sessions/revoke-others                                  → 204
//	GET    api-keys                      → 200 {"api_keys":[{id, name, prefix, scopes, created_at, expires_at, last_used_at}]}
//	POST   api-keys                      {name, scopes?, expires_in_days?} → 201 {api_key, secret}
//	DELETE api-keys/{id}                                           → 204
//	POST   token                         {grant_type:"refresh_token", refresh_token} → 200 {access_token, …}  (Options.Tokens)
//	GET    .well-known/jwks.json                                   → 200 {keys}           (Options.Tokens)
//	GET    oauth/{provider} · oauth/{provider}/callback           → redirects            (Options.OAuth)
//	POST   passkeys/register/begin|finish · login/passkey/begin|finish ·
//	       login/second-factor/passkey/begin|finish · reauthenticate/passkey/begin|finish;
//	GET    passkeys · PATCH/DELETE passkeys/{id}                                         (Options.Passkeys)
//	GET    health · version · openapi.json
//
// POST login and POST login/second-factor take "token": true to answer
// with an access and a refresh token instead of the session cookie, when
// Options.Tokens is set.
//
// A user is {"id","email","name","metadata","email_verified",
// "two_factor_enabled","roles","created_at","anonymous"}; roles is never null and
// times are RFC 3339 in UTC. Methods are "totp", "email", "sms" and
// "backup". Codes are never part of a response.
//
// # Conventions
//
// Bodies are JSON: another content type is refused with 415, a body larger
// than [Options.MaxBodyBytes] with 413, and unknown fields, several values
// or wrong types with 400 invalid_request. No response may be cached
// (Cache-Control: no-store). Errors are
//
//	{"error":{"code":"invalid_credentials","message":"invalid email or password"}}
//
// with the status of [authkit.StatusCode] and the code of
// [authkit.ErrorCode] — the snake_case name of the error, stable for
// clients to branch on, where the message is for people. A
// too_many_requests error adds "retry_after" (seconds, also sent as
// Retry-After), an account_status error the account's "status"
// ("banned"). Unknown routes answer 404 not_found and wrong methods 405
// method_not_allowed, with Allow, in JSON too. Failures on the server's
// side (503 unavailable, 502 mail_not_sent) never show the database's or
// the mailer's text; the Kit's logger gets it.
//
// # Cookies, bearer credentials and CSRF
//
// A browser is logged in by the session cookie the login sets. Requests
// that carry cookies are checked by [http.CrossOriginProtection]: a
// browser's POST, PATCH or DELETE from another origin is refused with 403
// cross_origin, so another site can neither act for a logged-in user nor
// log a victim into the attacker's account (login CSRF). Serve the front
// end from the API's origin, or trust its origin through
// Options.CrossOrigin. Requests with an Authorization: Bearer header (API
// keys, access tokens) carry no cookie session and need no such check;
// they cannot change credentials (403 cookie_session_required).
//
// # HTML pages
//
// [Pages] serves the same flows as server-rendered HTML pages for a plain
// web app — log in with the second step, register, confirm an address,
// forgot and reset a password, and an account page with the profile,
// two-factor settings and logouts — with a small stylesheet and
// html/template templates that PagesOptions.Templates overrides one file
// at a time:
//
//	mux.Handle("/account/", httpapi.Pages(kit, httpapi.PagesOptions{Prefix: "/account"}))
//
// Point Config.ConfirmEmailPath and Config.ResetPasswordPath at its
// confirm and password/reset pages so that the mailed links open them.
//
// # Projects
//
// Several projects can share one database and one site: give each its own
// Kit, with its own Config.TablePrefix (its tables, made with
// sqlschema.Apply(ctx, db, prefix)) and cookie names
// (Config.SessionCookieName, Config.RememberCookieName), and mount each
// API under its own prefix, outside any Kit's middleware:
//
//	for name, kit := range map[string]*authkit.Kit{"main": mainKit, "shop": shopKit} {
//		prefix := "/auth/" + name
//		mux.Handle(prefix+"/", httpapi.New(kit, httpapi.Options{Prefix: prefix}))
//	}
//
// The projects then share no users, sessions, cookies, tokens or
// throttles.
package httpapi
