// Command example is a small web app that shows authkit at work:
// registration with email confirmation, login with remember-me and
// two-step login (authenticator app, email or SMS codes, backup codes), a
// page only logged-in users see with their two-factor settings, and logout
// on this device, on every device or on every other device.
//
//	go run ./example
//
// With DATABASE_URL unset it starts a private PostgreSQL that keeps its
// data in .authkit-example/postgres under the current directory, and keeps
// the key that encrypts TOTP secrets in .authkit-example/encryption.key
// (AUTHKIT_ENCRYPTION_KEY, 64 hex digits, overrides it). Emails and text
// messages, with their links and codes, are printed to the terminal.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authkit/authkit"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "host:port to listen on; links in emails point there")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(*addr); err != nil {
		slog.Error("example stopped", "error", err)
		os.Exit(1)
	}
}

// run serves the app on addr until the process is interrupted, then shuts
// everything down in reverse order of starting it.
func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dbURL := os.Getenv("DATABASE_URL")
	db, closeDB, err := openDatabase(ctx, dbURL)
	if err != nil {
		return err
	}
	defer closeDB()
	keyFile := "" // no place to keep a key for someone else's database
	if dbURL == "" {
		keyFile = encryptionKeyFile
	}
	key, err := encryptionKey(keyFile)
	if err != nil {
		return err
	}

	handler, kit, err := newApp(ctx, authkit.Config{
		DB: db,
		// Confirmation links and login codes are printed here, to be
		// copied by hand.
		Mailer:        authkit.NewDevMailer(os.Stdout),
		SMS:           authkit.NewDevSMS(os.Stdout),
		BaseURL:       "http://" + addr,
		EncryptionKey: key,
	})
	if err != nil {
		return err
	}
	defer kit.Close()

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(listener) }()
	fmt.Printf("authkit example: open http://%s/ (Ctrl-C to stop)\n", addr)

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C ends the process at once
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
