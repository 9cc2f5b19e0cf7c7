package authkit

import (
	"context"
	"errors"
	"time"

	"github.com/authkit/authkit/internal/store"
	"github.com/authkit/authkit/twofactor"
)

// Limits of the second step of a login (SEC-F3).
const (
	maxCodeFailures = 5                // wrong codes before a pending login is void
	codeLifetime    = 10 * time.Minute // how long an email or SMS code works
	codeDigits      = 6
	resendGap       = 30 * time.Second // between two codes sent for one login
	maxSends        = 5                // codes sent for one login
	backupCodeCount = 10
)

// SecondFactor describes one second factor of a user.
type SecondFactor struct {
	Method twofactor.Method
	// Contact is where codes go, masked ("j***@example.com",
	// "+1 *** *** 4567"); empty for TOTP and backup codes.
	Contact string
	// Enabled is false while the factor waits for its first code after
	// set-up ([TwoFactor.Methods] lists such factors; logins ignore them).
	Enabled bool
	// Remaining is the number of unused backup codes, for BackupCode, and
	// of passkeys, for Passkey.
	Remaining int
}

// TwoFactor is two-factor authentication for one request: the second step
// of a login, and the logged-in user's settings. Get it from
// [Auth.TwoFactor].
type TwoFactor struct {
	a *Auth
}

// TwoFactor returns the request's two-factor actions.
func (a *Auth) TwoFactor() *TwoFactor { return &TwoFactor{a: a} }

// userFactors loads the user's factors and the number of unused backup
// codes, as the SecondFactor list shows them.
func (k *Kit) userFactors(ctx context.Context, userID int64) ([]store.Factor, []SecondFactor, error) {
	rows, err := k.store.Factors(ctx, userID)
	if err != nil {
		return nil, nil, unavailable("load second factors", err)
	}
	var list []SecondFactor
	enabled := false
	for _, f := range rows {
		m := twofactor.Method(f.Method)
		contact := ""
		switch m {
		case twofactor.Email:
			contact = twofactor.MaskEmail(f.Contact)
		case twofactor.SMS:
			contact = twofactor.MaskPhone(f.Contact)
		}
		list = append(list, SecondFactor{Method: m, Contact: contact, Enabled: f.Verified})
		enabled = enabled || f.Verified
	}
	if enabled {
		n, err := k.store.CountBackupCodes(ctx, userID)
		if err != nil {
			return nil, nil, unavailable("count backup codes", err)
		}
		if n > 0 {
			list = append(list, SecondFactor{Method: twofactor.BackupCode, Enabled: true, Remaining: n})
		}
	}
	list, err = k.withPasskeys(ctx, userID, list, enabled)
	return rows, list, err
}

func enabledOnly(list []SecondFactor) []SecondFactor {
	var out []SecondFactor
	for _, f := range list {
		if f.Enabled {
			out = append(out, f)
		}
	}
	return out
}

// livePending returns the pending login if it is still running.
func (tf *TwoFactor) livePending() (*pendingLogin, error) {
	a := tf.a
	if err := a.ready(); err != nil {
		return nil, err
	}
	if a.pending == nil {
		if a.pendingExpired {
			return nil, ErrSecondFactorExpired
		}
		return nil, ErrNoPendingLogin
	}
	if !a.kit.now().Before(a.pending.ExpiresAt) {
		a.clearPending()
		return nil, ErrSecondFactorExpired
	}
	return a.pending, nil
}

func (a *Auth) clearPending() {
	a.pending = nil
	a.kit.sessions.Remove(a.ctx(), sessionKey)
}

// SendCode sends a new one-time code for the pending login by email or
// SMS (method twofactor.Email or twofactor.SMS), to the contact the user
// enabled. It voids the previous code of that method. Codes can be sent
// at most once every 30 seconds and five times per login, and within the
// throttles per user and, for SMS, per number and per client IP
// ([Limits]); more gives a [*TooManyRequestsError].
func (tf *TwoFactor) SendCode(method twofactor.Method) error {
	p, err := tf.livePending()
	if err != nil {
		return err
	}
	a, k := tf.a, tf.a.kit
	if method != twofactor.Email && method != twofactor.SMS {
		return ErrMethodNotEnabled
	}
	f, err := k.enabledFactor(a.ctx(), p.UserID, method)
	if err != nil {
		return err
	}
	now := k.now()
	ok, retryAt, err := k.store.CountSend(a.ctx(), p.AttemptID, now, resendGap, maxSends)
	if errors.Is(err, store.ErrNotFound) {
		a.clearPending()
		return ErrSecondFactorExpired
	}
	if err != nil {
		return unavailable("count code sends", err)
	}
	if !ok {
		var wait time.Duration
		if !retryAt.IsZero() {
			wait = max(retryAt.Sub(now), time.Second).Round(time.Second)
		}
		return &TooManyRequestsError{RetryAfter: wait}
	}
	if err := k.take(a.ctx(), a.sendBuckets(p.UserID, method, f.Contact, true)...); err != nil {
		return err
	}
	return k.sendCode(a.ctx(), p.UserID, method, f.Contact, p.AttemptID, "log in")
}

// sendBuckets are the buckets that sending a code to a user's contact
// spends: the user's, and for a text message also the client IP's and the
// destination number's, since each SMS costs money and a number that pays
// its owner for received messages invites pumping (SEC-E6). A number has
// two buckets: one for the codes that set it up, which anyone may ask to
// be sent to any number, and one for login codes, which only the accounts
// that proved the number can spend, so that a stranger who sets up the
// victim's number on an account of their own cannot stop the victim's
// login codes.
func (a *Auth) sendBuckets(userID int64, method twofactor.Method, contact string, login bool) []bucket {
	l := a.kit.cfg.Limits
	buckets := []bucket{userBucket("code-send", userID, l.CodeSendPerUser)}
	if method == twofactor.SMS {
		kind := "sms:setup-number:"
		if login {
			kind = "sms:login-number:"
		}
		buckets = append(buckets, a.ipBucket("sms", l.SMSPerIP), bucket{kind + contact, l.SMSPerNumber},
			bucket{"sms:country:" + twofactor.PhoneCountryCode(contact), l.SMSPerCountry})
	}
	return buckets
}

// sendCode stores a new code for binding and sends it to contact.
func (k *Kit) sendCode(ctx context.Context, userID int64, method twofactor.Method, contact, binding, purpose string) error {
	code, err := k.storeCode(ctx, userID, method, contact, binding)
	if err != nil {
		return err
	}
	return k.deliverCode(ctx, method, contact, code, purpose)
}

// storeCode makes a new code for binding, to be sent to contact, and
// stores its hash, voiding the earlier code of that binding and method.
func (k *Kit) storeCode(ctx context.Context, userID int64, method twofactor.Method, contact, binding string) (string, error) {
	if method == twofactor.SMS && k.cfg.SMS == nil {
		return "", ErrNoSMSSender
	}
	if method == twofactor.Email && k.cfg.Mailer == nil {
		return "", ErrNoMailer
	}
	code := twofactor.NewNumericCode(codeDigits)
	row, err := k.hashNewCode(ctx, binding, code)
	if err != nil {
		return "", err
	}
	now := k.now()
	row.UserID, row.Method, row.Binding, row.Contact = userID, int16(method), binding, contact
	row.CreatedAt, row.ExpiresAt = now, now.Add(codeLifetime)
	if err := k.store.ReplaceOTPCode(ctx, row); err != nil {
		return "", unavailable("store code", err)
	}
	return code, nil
}

// deliverCode sends a stored code to contact.
func (k *Kit) deliverCode(ctx context.Context, method twofactor.Method, contact, code, purpose string) error {
	text := "Your code to " + purpose + " is " + code + ". It expires in " + humanDuration(codeLifetime) +
		". If you did not ask for it, change your password."
	if method == twofactor.SMS {
		if err := k.cfg.SMS.SendSMS(ctx, contact, text); err != nil {
			return k.senderFailed(ctx, ErrSMSNotSent, "SMS", string(MessageSecondFactorCode), err)
		}
		return nil
	}
	return k.sendMail(ctx, Message{To: contact, Subject: "Your code to " + purpose, Text: text + "\n",
		Kind: MessageSecondFactorCode, Code: code, ExpiresIn: codeLifetime, UserEmail: contact})
}

// enabledFactor returns the user's verified factor of method.
func (k *Kit) enabledFactor(ctx context.Context, userID int64, method twofactor.Method) (store.Factor, error) {
	rows, err := k.store.Factors(ctx, userID)
	if err != nil {
		return store.Factor{}, unavailable("load second factors", err)
	}
	for _, f := range rows {
		if f.Method == int16(method) && f.Verified {
			return f, nil
		}
	}
	return store.Factor{}, ErrMethodNotEnabled
}

// PendingMethods lists the second factors the pending login can be
// proved with (masked contacts, as in [SecondFactorRequiredError]), for the
// page of the second step.
func (tf *TwoFactor) PendingMethods() ([]SecondFactor, error) {
	p, err := tf.livePending()
	if err != nil {
		return nil, err
	}
	_, list, err := tf.a.kit.userFactors(tf.a.ctx(), p.UserID)
	return enabledOnly(list), err
}

// Verify proves the pending login with a code of the given method: it
// calls VerifyTOTP, VerifyEmail, VerifySMS or VerifyBackupCode.
func (tf *TwoFactor) Verify(method twofactor.Method, code string) error {
	switch method {
	case twofactor.TOTP:
		return tf.VerifyTOTP(code)
	case twofactor.Email:
		return tf.VerifyEmail(code)
	case twofactor.SMS:
		return tf.VerifySMS(code)
	case twofactor.BackupCode:
		return tf.VerifyBackupCode(code)
	}
	return ErrMethodNotEnabled
}

// VerifyTOTP proves the pending login with a code from the user's
// authenticator app. A code is accepted once: the same code again, or one
// from an earlier time step, is refused (SEC-F2).
func (tf *TwoFactor) VerifyTOTP(code string) error {
	return tf.verify(twofactor.TOTP, numericCode(code), func(p *pendingLogin, code string) (bool, error) {
		return tf.a.kit.checkTOTP(tf.a.ctx(), p.UserID, code)
	})
}

// VerifyEmail proves the pending login with the code sent by email.
func (tf *TwoFactor) VerifyEmail(code string) error {
	return tf.verifySent(code, twofactor.Email)
}

// VerifySMS proves the pending login with the code sent by SMS.
func (tf *TwoFactor) VerifySMS(code string) error {
	return tf.verifySent(code, twofactor.SMS)
}

// VerifyOTP proves the pending login with a code sent by email or by SMS,
// whichever it was, for forms with a single code field.
func (tf *TwoFactor) VerifyOTP(code string) error {
	return tf.verifySent(code, twofactor.Email, twofactor.SMS)
}

func (tf *TwoFactor) verifySent(code string, methods ...twofactor.Method) error {
	ms := make([]int16, len(methods))
	for i, m := range methods {
		ms[i] = int16(m)
	}
	return tf.verify(methods[0], numericCode(code), func(p *pendingLogin, code string) (bool, error) {
		k, ctx := tf.a.kit, tf.a.ctx()
		sent, err := k.store.LiveOTPCodes(ctx, p.AttemptID, ms, k.now())
		if err != nil {
			return false, unavailable("load codes", err)
		}
		_, ok, err := k.matchSentCode(ctx, p.AttemptID, code, sent)
		return ok, err
	})
}

// VerifyBackupCode proves the pending login with one of the user's backup
// codes, which is used up, even when two requests race with it (SEC-F4).
func (tf *TwoFactor) VerifyBackupCode(code string) error {
	norm, err := twofactor.NormalizeBackupCode(code)
	return tf.verify(twofactor.BackupCode, normalized{norm, err}, func(p *pendingLogin, code string) (bool, error) {
		k := tf.a.kit
		salt, err := k.store.BackupCodeSalt(tf.a.ctx(), p.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, unavailable("check backup code", err)
		}
		key, err := k.hasher.Key(tf.a.ctx(), code, salt)
		if err != nil {
			return false, k.hashError(err)
		}
		ok, err := k.store.ConsumeBackupCode(tf.a.ctx(), p.UserID, key)
		return ok, unavailable("check backup code", err)
	})
}

// normalized is a user-typed code in canonical form, or why it is
// malformed.
type normalized struct {
	code string
	err  error
}

func numericCode(code string) normalized {
	norm, err := twofactor.NormalizeNumericCode(code, codeDigits)
	return normalized{norm, err}
}

// verify checks a code for the pending login and records the outcome. A
// malformed code cannot be right: it is refused without costing a try
// (SEC-F6). Any other code first reserves one of the login's tries, so
// parallel requests cannot check more than maxCodeFailures codes between
// them; a right code gives its try back and marks the login verified, so
// CompleteTwoFactorLogin can finish it.
func (tf *TwoFactor) verify(method twofactor.Method, code normalized, check func(p *pendingLogin, code string) (bool, error)) error {
	p, err := tf.livePending()
	if err != nil {
		return err
	}
	if code.err != nil {
		return ErrSecondFactorInvalid
	}
	a, k := tf.a, tf.a.kit
	perUser := userBucket("code-entry", p.UserID, k.cfg.Limits.CodeEntryPerUser)
	if err := k.take(a.ctx(), perUser); err != nil {
		a.audit(auditEvent{event: eventSecondFactor, outcome: outcomeThrottled, userID: p.UserID, detail: method.String()})
		return err
	}
	tries, err := k.store.ReserveTry(a.ctx(), p.AttemptID, k.now(), maxCodeFailures)
	if errors.Is(err, store.ErrNotFound) {
		a.clearPending()
		if out, _ := k.store.OutOfTries(a.ctx(), p.AttemptID, maxCodeFailures); out {
			return ErrTooManyWrongCodes
		}
		return ErrSecondFactorExpired
	}
	if err != nil {
		return unavailable("reserve try", err)
	}
	ok, err := check(p, code.code)
	if err != nil {
		return err
	}
	if !ok {
		a.audit(auditEvent{event: eventSecondFactor, outcome: outcomeFailed, userID: p.UserID, detail: method.String()})
		if tries >= maxCodeFailures {
			if err := k.store.DeleteAttempt(a.ctx(), p.AttemptID); err != nil {
				return unavailable("void pending login", err)
			}
			a.clearPending()
			return ErrTooManyWrongCodes
		}
		return ErrSecondFactorInvalid
	}
	if err := k.store.PassTry(a.ctx(), p.AttemptID); err != nil {
		return unavailable("mark verified", err)
	}
	k.giveBack(a.ctx(), perUser)
	a.audit(auditEvent{event: eventSecondFactor, outcome: outcomeOK, userID: p.UserID, detail: method.String()})
	return nil
}

// checkTOTP checks a normalised TOTP code for the user's enabled TOTP
// factor and records its time step so it cannot be used again.
func (k *Kit) checkTOTP(ctx context.Context, userID int64, code string) (bool, error) {
	f, err := k.enabledFactor(ctx, userID, twofactor.TOTP)
	if errors.Is(err, ErrMethodNotEnabled) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	secret, err := k.openSecret(f)
	if err != nil {
		return false, err
	}
	step, err := twofactor.ValidateTOTP(secret, code, k.now(), f.LastStep)
	if err != nil {
		return false, nil
	}
	ok, err := k.store.AdvanceTOTPStep(ctx, userID, int16(twofactor.TOTP), step)
	return ok, unavailable("record TOTP step", err)
}

// CompleteTwoFactorLogin finishes a login whose second factor was proved
// by a successful Verify call in this same pending login (SEC-F1): it
// starts the session under a new session token (SEC-S2) and, if the login
// asked for it, remembers the device. Without that verification it fails
// with [ErrSecondFactorNotVerified] and logs nobody in; after
// Config.TwoFactorTimeout, or once a revocation (a password reset, logout
// everywhere, a ban) has voided the pending login, it fails with
// [ErrSecondFactorExpired] (SEC-S10).
func (a *Auth) CompleteTwoFactorLogin() error {
	p, err := a.TwoFactor().livePending()
	if err != nil {
		return err
	}
	k := a.kit
	att, err := k.store.FinishAttempt(a.ctx(), p.AttemptID, k.now())
	if errors.Is(err, store.ErrNotFound) {
		if live, err := k.store.LiveAttempt(a.ctx(), p.AttemptID, k.now(), maxCodeFailures); err == nil && !live.Verified {
			return ErrSecondFactorNotVerified
		}
		a.clearPending()
		return ErrSecondFactorExpired
	}
	if err != nil {
		return unavailable("finish pending login", err)
	}
	u, err := k.store.UserByID(a.ctx(), att.UserID)
	if errors.Is(err, store.ErrNotFound) {
		a.clearPending()
		return ErrSecondFactorExpired
	}
	if err != nil {
		return unavailable("load user", err)
	}
	// The session starts under the counter read before the password check,
	// not the one read now: a revocation in between must win.
	u.Epoch = att.Epoch
	if _, err := a.startSession(u, sessionStart{fresh: true, remember: att.Remember, how: "password and second factor"}); err != nil {
		if !errors.Is(err, ErrUnavailable) {
			a.clearPending()
		}
		return err
	}
	return nil
}
