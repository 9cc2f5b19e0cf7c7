package authkit_test

import (
	"errors"
	"log"
	"net/http"
	"os"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

// This example wires authkit into an app: one Kit for the process, its
// middleware around the app's routes, and From(r) in the handlers.
func Example() {
	db := sqlx.MustConnect("postgres", os.Getenv("DATABASE_URL"))
	kit, err := authkit.New(authkit.Config{
		DB:      db,
		Mailer:  authkit.NewDevMailer(os.Stdout), // authkit.NewSMTPMailer in production
		BaseURL: "https://example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", login)
	mux.HandleFunc("POST /login/code", secondStep)
	mux.Handle("GET /account", kit.RequireLogin(http.HandlerFunc(account)))
	mux.Handle("GET /admin", kit.RequireRole("admin")(http.HandlerFunc(account)))
	log.Fatal(http.ListenAndServe(":8080", kit.Middleware(mux)))
}

func login(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	err := a.Login(r.FormValue("email"), r.FormValue("password"), r.FormValue("remember") == "on")
	var second *authkit.SecondFactorRequiredError
	var slow *authkit.TooManyRequestsError
	switch {
	case err == nil:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case errors.As(err, &second):
		// Nobody is logged in yet: ask for a code of one of second.Methods.
		http.Redirect(w, r, "/login/code", http.StatusSeeOther)
	case errors.As(err, &slow):
		http.Error(w, "Too many attempts, try again later.", http.StatusTooManyRequests)
	case errors.Is(err, authkit.ErrUnavailable):
		http.Error(w, "Please try again in a moment.", http.StatusServiceUnavailable)
	default: // ErrInvalidCredentials, ErrEmailNotVerified, *StatusError, ...
		http.Error(w, "Wrong email or password.", http.StatusUnauthorized)
	}
}

func secondStep(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	method, err := twofactor.ParseMethod(r.FormValue("method"))
	if err == nil {
		err = a.TwoFactor().Verify(method, r.FormValue("code"))
	}
	if err == nil {
		err = a.CompleteTwoFactorLogin()
	}
	if err != nil {
		http.Error(w, "That code did not work.", http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func account(w http.ResponseWriter, r *http.Request) {
	a := authkit.From(r)
	w.Write([]byte("Hello " + a.Email()))
}
