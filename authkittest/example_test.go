package authkittest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/authkittest"
	"github.com/authkit/authkit/sqlschema"
)

// A development server for `go run`: a private PostgreSQL whose data stays
// in a folder between runs, with a Kit on it whose mail a Mailer keeps.
// The app here is a few forms (routes) that call authkit.
func ExampleDevDatabase() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authkittest-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// Run as root, the server runs as the OS user postgres, which must be
	// able to reach the folder; a folder in the app's tree usually is.
	if err := os.Chmod(dir, 0o711); err != nil {
		log.Fatal(err)
	}

	dbURL, stop, err := authkittest.DevDatabase(ctx, filepath.Join(dir, "postgres"))
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	db, err := sqlx.ConnectContext(ctx, "postgres", dbURL)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := sqlschema.Apply(ctx, db, sqlschema.DefaultPrefix); err != nil {
		log.Fatal(err)
	}

	mail := &authkittest.Mailer{}
	srv := httptest.NewUnstartedServer(nil)
	kit, err := authkit.New(authkit.Config{DB: db, Mailer: mail, BaseURL: "https://" + srv.Listener.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	defer kit.Close()
	srv.Config.Handler = kit.Middleware(routes())
	srv.StartTLS()
	defer srv.Close()

	b := newBrowser(srv, log.Fatal)
	fmt.Println("register:", b.post("/register", url.Values{"email": {"ada@example.com"}, "password": {password}}))
	msg, err := mail.Wait(ctx, "ada@example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("mailed:", msg.Subject)
	fmt.Println("confirm:", b.post("/confirm-email", url.Values{"token": {token(msg.Link, log.Fatal)}}))
	fmt.Println("login:", b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {password}}))
	fmt.Println("logged in as", b.get("/me"))
	// Output:
	// register: ok
	// mailed: Confirm your email address
	// confirm: ok
	// login: ok
	// logged in as ada@example.com
}

// Wait hands out the messages to one address in the order they were sent,
// each once, waiting for one that is still to come.
func ExampleMailer_Wait() {
	ctx := context.Background()
	var mail authkittest.Mailer
	mail.Send(ctx, authkit.Message{To: "ada@example.com", Subject: "Confirm your email address"})
	go func() {
		// As authkit sends some mail: after the call that caused it.
		time.Sleep(10 * time.Millisecond)
		mail.Send(ctx, authkit.Message{To: "ada@example.com", Subject: "Reset your password"})
	}()

	for range 2 {
		msg, err := mail.Wait(ctx, "ada@example.com")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(msg.Subject)
	}
	// Both are taken: a third Wait waits for a third message.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := mail.Wait(ctx, "ada@example.com")
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// Confirm your email address
	// Reset your password
	// true
}
