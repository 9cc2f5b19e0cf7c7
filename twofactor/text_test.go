package twofactor_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

func TestMethod_MarshalsAsItsNameAndBack(t *testing.T) {
	all := []twofactor.Method{twofactor.TOTP, twofactor.Email, twofactor.SMS, twofactor.BackupCode}
	b, err := json.Marshal(all)
	if err != nil || string(b) != `["totp","email","sms","backup"]` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back []twofactor.Method
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 4 || back[3] != twofactor.BackupCode {
		t.Fatalf("Unmarshal = %v, %v", back, err)
	}
	if _, err := json.Marshal(twofactor.Method(0)); !errors.Is(err, twofactor.ErrUnknownMethod) {
		t.Errorf("Marshal(Method(0)) = %v, want ErrUnknownMethod", err)
	}
	var m twofactor.Method
	if err := json.Unmarshal([]byte(`"TOTP"`), &m); !errors.Is(err, twofactor.ErrUnknownMethod) {
		t.Errorf(`Unmarshal("TOTP") = %v, want ErrUnknownMethod`, err)
	}
}
