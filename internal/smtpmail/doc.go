// Package smtpmail sends plain-text mail over SMTP. It is the engine behind
// authkit's public SMTPMailer and builds on github.com/wneessen/go-mail, so
// that no SMTP or MIME is written by hand here.
//
// Build a [Sender] once from a [Config] and share it:
//
//	sender, err := smtpmail.New(smtpmail.Config{
//		Host:     "smtp.example.com",
//		Username: "postmaster@example.com",
//		Password: os.Getenv("SMTP_PASSWORD"),
//		From:     "Example <no-reply@example.com>",
//	})
//	if err != nil {
//		return err
//	}
//	err = sender.Send(ctx, "user@example.com", "Confirm your address", body)
//
// The defaults are the safe ones: STARTTLS is required ([TLSMandatory]) and
// credentials are never sent over an unencrypted connection unless
// [TLSNone] was chosen explicitly. The recipient must be a single address;
// anything that could smuggle a header or a second recipient is refused
// with an [*InvalidAddressError] before a connection is made.
package smtpmail
