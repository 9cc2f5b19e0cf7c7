package authkit

import (
	"context"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/authkit/authkit/internal/store"
)

// normalizeEmail trims and NFC-normalises an address and checks that it is
// a plain addr-spec (no display name) of sane length (SEC-I1). It refuses
// what would let one address pass for another (SEC-I5): Unicode format
// characters — zero-width spaces and joiners, bidi overrides and isolates,
// the soft hyphen, the byte order mark (category Cf) — which are invisible
// or reorder the text around them, so that an account could look like a
// victim's in a list; and domain literals (a@[127.0.0.1]), which no
// mailbox of a real user needs and which aim mail at a bare IP.
func normalizeEmail(email string) (string, error) {
	if !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		return "", ErrInvalidEmail
	}
	email = norm.NFC.String(strings.TrimSpace(email))
	if email == "" || len(email) > 254 || strings.IndexFunc(email, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
	}) >= 0 {
		return "", ErrInvalidEmail
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	if len(local) > 64 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(domain, "[]") {
		return "", ErrInvalidEmail
	}
	return email, nil
}

// emailKey is what two addresses share when authkit treats them as one
// (SEC-I5): the compatibility normal form (NFKC) with full Unicode case
// folding, so "Émile@" and "émile@", "STRASSE@" and "straße@", and a
// fullwidth "ｅ" and an "e" give the same key, whatever the database's
// collation. The users table keeps it in email_key, which is unique and
// which every lookup by address uses; throttles key their buckets by it.
// For an address of ASCII only it is the ASCII lower case, which is how
// the migration that added the column computed it for existing rows.
func emailKey(email string) string {
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(email)))
}

// sameEmail reports whether two addresses are one for authkit.
func sameEmail(a, b string) bool { return emailKey(a) == emailKey(b) }

// userByEmail finds the account of an address, compared by [emailKey].
func (k *Kit) userByEmail(ctx context.Context, email string) (store.User, error) {
	return k.store.UserByEmail(ctx, email, emailKey(email))
}

// fillEmailKeys gives the accounts that have no email_key yet theirs (see
// store.FillEmailKeys), at start-up. Two accounts whose addresses the fold
// makes one cannot both have it: the older keeps the address, and the log
// names the other for an administrator to give it a new address.
func (k *Kit) fillEmailKeys(ctx context.Context) error {
	clashes, err := k.store.FillEmailKeys(ctx, emailKey)
	if err != nil {
		return unavailable("fill email keys", err)
	}
	for _, id := range clashes {
		k.log.Warn("authkit: an account's address differs from another account's only in case or Unicode form; "+
			"logins with it reach the older account: give this one a new address", "user_id", id)
	}
	return nil
}
