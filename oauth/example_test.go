package oauth_test

import (
	"errors"
	"log"
	"net/http"
	"os"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/oauth"
)

// A web app signs in with GitHub and Google: the routes go under /auth,
// beside the rest of the app, and the callbacks come back to
// https://example.com/auth/oauth/github/callback and .../google/callback.
func ExampleNew() {
	kit, err := authkit.New(authkit.Config{DB: db, Mailer: mailer, BaseURL: "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	google := oauth.Google(os.Getenv("GOOGLE_CLIENT_ID"), os.Getenv("GOOGLE_CLIENT_SECRET"))
	google.Audiences = []string{os.Getenv("GOOGLE_IOS_CLIENT_ID")} // for SignInIDToken
	social, err := oauth.New(kit, oauth.Options{
		Prefix:          "/auth",
		Providers:       []*oauth.Provider{oauth.GitHub(os.Getenv("GITHUB_CLIENT_ID"), os.Getenv("GITHUB_CLIENT_SECRET")), google},
		AllowSignUp:     true,
		SecondFactorURL: "/login/second-factor",
		LinkURL:         "/link-account",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /auth/oauth/", social) // <a href="/auth/oauth/github?next=/account">Sign in with GitHub</a>
	mux.HandleFunc("POST /link-account", func(w http.ResponseWriter, r *http.Request) {
		// The user just logged in with the password of the account the
		// provider's address belongs to.
		if _, err := social.CompleteLink(r); err != nil {
			http.Error(w, err.Error(), oauth.StatusCode(err))
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	log.Fatal(http.ListenAndServe(":8080", kit.Middleware(mux)))
}

// A native app sends the id_token it got from Google's SDK, with the
// nonce it asked for.
func ExampleService_SignInIDToken() {
	var social *oauth.Service // from oauth.New
	http.HandleFunc("POST /auth/id-token", func(w http.ResponseWriter, r *http.Request) {
		_, err := social.SignInIDToken(r, oauth.IDTokenSignIn{
			Provider: "google", IDToken: r.FormValue("id_token"), Nonce: r.FormValue("nonce"),
		})
		var sf *authkit.SecondFactorRequiredError
		switch {
		case errors.As(err, &sf):
			w.WriteHeader(http.StatusAccepted) // ask for the second factor next
		case err != nil:
			http.Error(w, err.Error(), oauth.StatusCode(err))
		}
	})
}

// db and mailer stand for the app's database and Mailer.
var (
	db     *sqlx.DB
	mailer authkit.Mailer
)
