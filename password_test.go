package authkit

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPasswordPolicy_CountsCodePointsAndNeverTruncates(t *testing.T) { // SEC-P2
	t.Parallel()
	p := PasswordPolicy{}
	p.setDefaults()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		password string
		want     error
	}{
		{"7 characters", "kq7#vLm", ErrPasswordTooShort},
		{"7 two-byte characters are still 7", strings.Repeat("é", 7), ErrPasswordTooShort},
		{"8 characters", "kq7#vLmZ", nil},
		{"8 emoji", strings.Repeat("🔑", 8), nil},
		{"256 characters", strings.Repeat("ab", 128), nil},
		{"257 characters", strings.Repeat("ab", 128) + "c", ErrPasswordTooLong},
		{"composition rules do not exist", "all lower case words", nil},
		{"NUL byte", "abc\x00defgh", ErrPasswordMalformed},
		{"invalid UTF-8", "abcdefgh\xff", ErrPasswordMalformed},
	} {
		_, err := p.check(ctx, tc.password)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestPasswordPolicy_NormalisesToNFCBeforeHashing(t *testing.T) { // SEC-P2
	t.Parallel()
	e := newEnv(t)
	decomposed := "cafe\u0301 au lait, s'il vous plai\u0302t"
	composed := "caf\u00e9 au lait, s'il vous pla\u00eet"
	if _, err := e.kit.Admin().CreateUser(context.Background(), "nfc@example.com", decomposed, true); err != nil {
		t.Fatal(err)
	}
	var err error
	e.request(func(a *Auth) { err = a.Login("nfc@example.com", composed, false) })
	if err != nil {
		t.Fatalf("the composed form of the same password must log in: %v", err)
	}
}

func TestPasswordPolicy_RefusesCommonPasswords(t *testing.T) { // SEC-P3
	t.Parallel()
	e := newEnv(t)
	for _, pw := range []string{"password1", "12345678", "qwertyuiop", "PassWord1"} {
		var err error
		e.request(func(a *Auth) { _, err = a.Register("common@example.com", pw) })
		if !errors.Is(err, ErrPasswordTooCommon) {
			t.Errorf("Register with %q: error = %v, want ErrPasswordTooCommon", pw, err)
		}
	}
}

func TestPasswordPolicy_CheckerIsPluggable(t *testing.T) { // SEC-P3
	t.Parallel()
	errNoCats := errors.New("no cats")
	e := newEnv(t, func(c *Config) {
		c.PasswordPolicy.Checker = PasswordCheckerFunc(func(ctx context.Context, pw string) error {
			if strings.Contains(pw, "cat") {
				return errNoCats
			}
			return CommonPasswords.CheckPassword(ctx, pw)
		})
	})
	var err error
	e.request(func(a *Auth) { _, err = a.Register("cats@example.com", "my cat is called Felix") })
	wantErr(t, err, errNoCats)
	e.request(func(a *Auth) { _, err = a.Register("cats@example.com", "password1") })
	wantErr(t, err, ErrPasswordTooCommon)
}
