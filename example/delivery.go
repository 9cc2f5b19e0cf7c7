package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/authkit/authkit"
)

// senders returns what sends the app's email and text messages. In
// development mode that is an outbox, shown at /dev/outbox, that also
// prints every message to stdout. Otherwise email goes through the SMTP
// server the environment names, and there is no SMS: an app that wants
// codes by text message plugs its SMS provider in as an
// authkit.SMSSender.
func senders(dev bool) (authkit.Mailer, authkit.SMSSender, *devOutbox, error) {
	if dev {
		outbox := newDevOutbox(os.Stdout)
		return outbox.mail, outbox.sms, outbox, nil
	}
	mailer, err := smtpMailerFromEnv()
	if err != nil {
		return nil, nil, nil, err
	}
	return mailer, nil, nil, nil
}

// smtpMailerFromEnv configures an SMTP mailer from SMTP_HOST, SMTP_PORT
// (587 if unset, with STARTTLS required), SMTP_USERNAME, SMTP_PASSWORD and
// SMTP_FROM.
func smtpMailerFromEnv() (*authkit.SMTPMailer, error) {
	host := os.Getenv("SMTP_HOST")
	if host == "" {
		return nil, errors.New("development mode is off (DATABASE_URL is set, or -dev=false), so email goes through SMTP: " +
			"set SMTP_HOST and SMTP_FROM (and SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD as needed), or run with -dev")
	}
	var port int
	if s := os.Getenv("SMTP_PORT"); s != "" {
		p, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("SMTP_PORT %q is not a port number", s)
		}
		port = p
	}
	mailer, err := authkit.NewSMTPMailer(authkit.SMTPConfig{
		Host:     host,
		Port:     port,
		Username: os.Getenv("SMTP_USERNAME"),
		Password: os.Getenv("SMTP_PASSWORD"),
		From:     os.Getenv("SMTP_FROM"),
	})
	if err != nil {
		return nil, fmt.Errorf("SMTP settings from the environment: %w", err)
	}
	return mailer, nil
}
