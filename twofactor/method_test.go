package twofactor_test

import (
	"errors"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

func TestMethod_StringAndParseMethodAreInverses(t *testing.T) {
	for _, c := range []struct {
		method twofactor.Method
		name   string
	}{
		{twofactor.TOTP, "totp"},
		{twofactor.Email, "email"},
		{twofactor.SMS, "sms"},
		{twofactor.BackupCode, "backup"},
		{twofactor.Passkey, "passkey"},
	} {
		if got := c.method.String(); got != c.name {
			t.Errorf("%d.String() = %q, want %q", int(c.method), got, c.name)
		}
		if got, err := twofactor.ParseMethod(c.name); err != nil || got != c.method {
			t.Errorf("ParseMethod(%q) = %v, %v; want %v", c.name, got, err, c.method)
		}
	}
}

func TestMethod_ZeroAndUnknownValuesAreNotMethods(t *testing.T) {
	for _, c := range []struct {
		method twofactor.Method
		want   string
	}{{0, "Method(0)"}, {6, "Method(6)"}, {-1, "Method(-1)"}} {
		if got := c.method.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	for _, s := range []string{"", "TOTP", "totp ", "backup code", "Method(0)", "0", "1"} {
		if got, err := twofactor.ParseMethod(s); !errors.Is(err, twofactor.ErrUnknownMethod) || got != 0 {
			t.Errorf("ParseMethod(%q) = %v, %v; want ErrUnknownMethod", s, got, err)
		}
	}
}
