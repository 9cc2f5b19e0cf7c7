// Package oauth signs users in with OAuth 2.0 and OpenID Connect
// providers — [GitHub], [Google] and any OpenID Connect issuer ([OIDC]) —
// through authkit's session core, so a provider sign-in obeys the same
// rules as a password login: the account must be eligible (confirmed,
// status Normal), a local second factor is still asked (SEC-O3), the
// session gets a new token, and every revocation wins.
//
// # Setting up
//
//	social, err := oauth.New(kit, oauth.Options{
//		Providers:   []*oauth.Provider{oauth.GitHub(os.Getenv("GITHUB_CLIENT_ID"), os.Getenv("GITHUB_CLIENT_SECRET"))},
//		AllowSignUp: true,
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("/oauth/", social) // GET /oauth/github starts, /oauth/github/callback finishes
//	http.ListenAndServe(addr, kit.Middleware(mux))
//
// Register Config.BaseURL + "/oauth/github/callback" as the callback URL
// at the provider; a link to /oauth/github?next=/account is the "Sign in
// with GitHub" button. [Options.Prefix] moves the routes, for mounting
// beside package httpapi (see [Service.ServeHTTP]).
//
// # The flow (SEC-O1)
//
// [Service.Begin] keeps a random state, a PKCE verifier and an OpenID
// Connect nonce in the browser's session, for ten minutes and one use, and
// sends the browser to the provider with the S256 challenge. The callback
// ([Service.Finish]) accepts only a state this session is waiting for,
// exchanges the code with the verifier, and checks the id_token's
// signature, issuer, audience, expiry and nonce (GitHub, which has no
// id_token, is asked who the user is). Return-to targets are local paths
// only.
//
// # Accounts and linking (SEC-O2)
//
// A provider account is known by (provider, subject), never by its email
// address. The first sign-in with one links it:
//
//   - to the account with its address, if the provider vouches for the
//     address (email_verified is JSON true; GitHub: primary and verified)
//     and the account confirmed it;
//   - to nothing, if an account has the address but either side is
//     unconfirmed: a [*LinkRequiredError] asks for that account's password
//     first, then [Service.CompleteLink] links. An account a stranger
//     registered with someone else's address thus never absorbs the real
//     owner's sign-in;
//   - to a new account with that confirmed address and no password, when
//     [Options.AllowSignUp] is set and no account has it.
//
// A logged-in user with a fresh session links more providers
// ([Start.Link]) and unlinks them ([Service.Unlink]); an account without a
// password keeps its last one. Native apps sign in with an id_token they
// obtained themselves ([Service.SignInIDToken], [Service.LinkIDToken]).
//
// # Provider tokens
//
// With [Options.KeepTokens] the tokens of each sign-in are kept sealed
// with the Kit's EncryptionKey: [Service.ProviderToken] hands the access
// token to the app once, [Service.RefreshProviderToken] gets a new one. A
// revocation of the user's sessions deletes them.
package oauth
