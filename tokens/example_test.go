package tokens_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/sqlschema"
	"github.com/authkit/authkit/tokens"
)

// A mobile app's login: the password login answers with tokens instead of
// a cookie, the access token authenticates API calls, the refresh token
// gets new tokens, and presenting a used refresh token again revokes the
// login.
func Example() {
	ctx := context.Background()
	db, stop := exampleDatabase(ctx) // your app's *sqlx.DB, with sqlschema.Apply run
	defer stop()

	key := make([]byte, 32) // in production: 32 random bytes kept out of the database
	rand.Read(key)
	kit, err := authkit.New(authkit.Config{DB: db, Mailer: &authkittest.Mailer{}, EncryptionKey: key, BaseURL: "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()
	iss, err := tokens.New(kit, tokens.Config{
		Audiences: []string{"mobile"},
		Grace:     time.Millisecond, // only so that the example need not wait; keep the default
	})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	if _, err := kit.Admin().CreateUser(ctx, "ada@example.com", "correct horse battery staple", true); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := authkit.From(r).Login(r.FormValue("email"), r.FormValue("password"), false); err != nil {
			http.Error(w, "wrong email or password", authkit.StatusCode(err))
			return
		}
		t, err := iss.ExchangeSession(r, "mobile") // tokens instead of the session cookie
		if err != nil {
			http.Error(w, err.Error(), authkit.StatusCode(err))
			return
		}
		json.NewEncoder(w).Encode(t)
	})
	mux.Handle("POST /token", iss.TokenHandler())
	mux.Handle("GET /.well-known/jwks.json", iss.JWKSHandler())
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		a := authkit.From(r)
		fmt.Fprintf(w, "%s via %s", a.Email(), a.Via())
	})
	srv := httptest.NewTLSServer(kit.Middleware(mux))
	defer srv.Close()
	client := srv.Client()

	resp, err := client.PostForm(srv.URL+"/login", map[string][]string{"email": {"ada@example.com"}, "password": {"correct horse battery staple"}})
	if err != nil {
		log.Fatal(err)
	}
	var first tokens.Tokens
	json.NewDecoder(resp.Body).Decode(&first)
	resp.Body.Close()
	fmt.Println("login:", first.TokenType, first.ExpiresIn)

	req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+first.AccessToken)
	fmt.Println("me:", send(client, req))

	refresh := func(refreshToken string) string {
		req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(
			`{"grant_type":"refresh_token","refresh_token":"`+refreshToken+`"}`))
		req.Header.Set("Content-Type", "application/json")
		return send(client, req)
	}
	var second tokens.Tokens
	json.Unmarshal([]byte(refresh(first.RefreshToken)), &second)
	fmt.Println("refreshed:", second.AccessToken != first.AccessToken && second.RefreshToken != first.RefreshToken)
	time.Sleep(10 * time.Millisecond) // past the grace
	fmt.Println("replayed:", refresh(first.RefreshToken))
	fmt.Println("newest after the replay:", refresh(second.RefreshToken))
	// Output:
	// login: Bearer 600
	// me: ada@example.com via access_token
	// refreshed: true
	// replayed: {"error":{"code":"refresh_token_reused","message":"authkit: refresh token was already used; the login is revoked"}}
	// newest after the replay: {"error":{"code":"refresh_token_invalid","message":"authkit: invalid refresh token"}}
}

// send sends req and returns the answer's body.
func send(client *http.Client, req *http.Request) string {
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// exampleDatabase starts a throwaway PostgreSQL with authkit's tables, as
// authkittest.DevDatabase does for `go run`.
func exampleDatabase(ctx context.Context) (*sqlx.DB, func()) {
	dir, err := os.MkdirTemp("", "tokens-example-")
	if err != nil {
		log.Fatal(err)
	}
	// Run as root, the server runs as the OS user postgres, which must be
	// able to reach the folder.
	if err := os.Chmod(dir, 0o711); err != nil {
		log.Fatal(err)
	}
	url, stopServer, err := authkittest.DevDatabase(ctx, filepath.Join(dir, "postgres"))
	if err != nil {
		log.Fatal(err)
	}
	db, err := sqlx.ConnectContext(ctx, "postgres", url)
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(10)
	if err := sqlschema.Apply(ctx, db, sqlschema.DefaultPrefix); err != nil {
		log.Fatal(err)
	}
	return db, func() {
		db.Close()
		stopServer()
		os.RemoveAll(dir)
	}
}
