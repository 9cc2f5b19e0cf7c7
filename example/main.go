// Command example is a small web app that shows authkit at work:
// registration with email confirmation, login with remember-me and
// two-step login (authenticator app, email or SMS codes, backup codes,
// passkeys), passwordless login with a passkey,
// forgotten passwords, an account page (password, email address,
// two-factor settings, logout on this device, on every device or on
// every other device) and admin pages (users, bans, roles, logging in as a
// user, the audit log).
//
//	go run ./example
//	go run ./example -admin you@example.com   # after registering: make yourself an administrator
//
// With DATABASE_URL unset it starts a private PostgreSQL that keeps its
// data in .authkit-example/postgres under the current directory, and keeps
// the key that encrypts TOTP secrets in .authkit-example/encryption.key
// (AUTHKIT_ENCRYPTION_KEY, 64 hex digits, overrides it). It then runs in
// development mode (-dev): emails and text messages, with their links and
// codes, are kept for the outbox page, /dev/outbox, and printed to the
// terminal (the outbox page answers requests from this machine only).
// With DATABASE_URL set, development mode is off unless asked for: email
// goes through the SMTP server in SMTP_HOST, SMTP_PORT, SMTP_USERNAME,
// SMTP_PASSWORD and SMTP_FROM, codes by text message are not offered, and
// cookies are Secure, so serve the app behind a TLS proxy and give its
// address with -base-url.
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
	"strings"
	"syscall"
	"time"

	"github.com/authkit/authkit"
)

// options are the command-line flags.
type options struct {
	addr    string
	baseURL string
	dev     bool
	admin   string
}

func main() {
	var opts options
	flag.StringVar(&opts.addr, "addr", "localhost:8080", "host:port to listen on; links in emails point there")
	flag.BoolVar(&opts.dev, "dev", os.Getenv("DATABASE_URL") == "",
		"development mode: keep emails and text messages in memory, show them at /dev/outbox and print them to the terminal.\n"+
			"On by default when the example runs its own database, off when DATABASE_URL is set;\n"+
			"when off, email goes through SMTP (SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM)\n"+
			"and codes by text message are unavailable")
	flag.StringVar(&opts.baseURL, "base-url", "",
		"the address users reach the app at, which links in emails point to; outside development mode\n"+
			"an https:// address of the proxy that terminates TLS in front of the app, since its cookies are Secure\n"+
			"(default http:// and -addr)")
	flag.StringVar(&opts.admin, "admin", "",
		"give the existing account with this email address the admin role at start-up, for the admin pages at /admin\n"+
			"(register the account first, then restart with this flag)")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(opts); err != nil {
		slog.Error("example stopped", "error", err)
		os.Exit(1)
	}
}

// run serves the app until the process is interrupted, then shuts
// everything down in reverse order of starting it.
func run(opts options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	mailer, sms, outbox, err := senders(opts.dev)
	if err != nil {
		return err
	}
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

	providers := envProviders()
	if opts.dev {
		dev, err := startDevProvider()
		if err != nil {
			return err
		}
		defer dev.stop()
		providers = append(providers, dev.provider())
	}
	baseURL := opts.baseURL
	if baseURL == "" {
		baseURL = "http://" + opts.addr
	}
	if !opts.dev && !strings.HasPrefix(baseURL, "https://") {
		slog.Warn("outside development mode the app's cookies are Secure, which browsers send over https only: serve it behind a TLS proxy and pass its address in -base-url", "base_url", baseURL)
	}
	handler, kit, err := newApp(ctx, authkit.Config{
		DB:            db,
		Mailer:        mailer,
		SMS:           sms,
		BaseURL:       baseURL,
		EncryptionKey: key,
	}, outbox, providers)
	if err != nil {
		return err
	}
	defer kit.Close()
	if opts.admin != "" {
		if err := grantAdmin(ctx, kit.Admin(), opts.admin); err != nil {
			return err
		}
	}

	listener, err := net.Listen("tcp", opts.addr)
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
	fmt.Printf("authkit example: open http://%s/ (Ctrl-C to stop)\n", opts.addr)
	if outbox != nil {
		fmt.Printf("development mode: emails and text messages are at http://%s/dev/outbox (from this machine only)\n", opts.addr)
	}

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
