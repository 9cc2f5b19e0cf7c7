// Package authkit adds complete authentication to an existing net/http
// application: registration with email confirmation, login with
// account-status checks, sessions that end on every device at once
// (logout here, everywhere, or everywhere else), bans and an admin API,
// with every piece of state in the application's own PostgreSQL database,
// so any number of app instances can share it.
//
// Set-up is three steps. Apply the schema once (psql -f
// sqlschema/postgres.sql, or [sqlschema.Apply] from Go); make a [Kit] with
// [New]; wrap your handler with [Kit.Middleware]:
//
//	kit, err := authkit.New(authkit.Config{DB: db, Mailer: mailer, BaseURL: "https://app.example.com"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer kit.Close()
//	http.ListenAndServe(addr, kit.Middleware(mux))
//
// Every handler then reaches the request's [Auth] with [From]:
//
//	func login(w http.ResponseWriter, r *http.Request) {
//		a := authkit.From(r)
//		err := a.Login(r.FormValue("email"), r.FormValue("password"), r.FormValue("remember") == "on")
//		switch {
//		case err == nil:
//			http.Redirect(w, r, "/account", http.StatusSeeOther)
//		case errors.Is(err, authkit.ErrInvalidCredentials):
//			// show "wrong email or password"
//		case errors.Is(err, authkit.ErrUnavailable):
//			// 503
//		}
//	}
//
// [Kit.RequireLogin] guards pages for logged-in users, and [Kit.Admin]
// changes users without a request (status, roles, deletion, forced
// logout).
//
// Errors are sentinels with an "authkit: " prefix, such as
// [ErrInvalidCredentials] and [ErrEmailTaken], matched with errors.Is, and
// struct types that carry data, such as [*StatusError], matched with
// errors.As. A database failure is always [ErrUnavailable], never a raw
// driver error.
package authkit
