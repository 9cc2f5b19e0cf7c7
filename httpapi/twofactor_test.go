package httpapi_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

type twoFactorStatus struct {
	Methods []struct {
		Method  string
		Enabled bool
		Contact string
	}
	BackupCodesLeft int `json:"backup_codes_left"`
}

func TestTwoFactor_TOTPEnrolConfirmListAndDisable(t *testing.T) { // SEC-F5
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	var st twoFactorStatus
	c.get("two-factor").want(200).decode(&st)
	if len(st.Methods) != 0 || st.BackupCodesLeft != 0 {
		t.Fatalf("before: %+v", st)
	}

	var e struct {
		Secret, URI string
		QRPNG       string `json:"qr_png"`
	}
	c.post("two-factor/totp/enroll", map[string]any{}).want(200).decode(&e)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(e.QRPNG, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") || !strings.Contains(e.URI, e.Secret) {
		t.Fatalf("enrolment %+v: %v", e, err)
	}
	c.get("two-factor").want(200).decode(&st)
	if len(st.Methods) != 1 || st.Methods[0].Method != "totp" || st.Methods[0].Enabled {
		t.Fatalf("while enrolling: %+v", st)
	}
	c.post("two-factor/totp/confirm", map[string]any{"code": "000000"}).wantError(401, "second_factor_invalid")
	var codes struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.post("two-factor/totp/confirm", map[string]any{"code": s.totp(e.Secret)}).want(200).decode(&codes)
	if len(codes.BackupCodes) != 10 {
		t.Fatalf("backup codes = %v", codes.BackupCodes)
	}
	c.get("two-factor").want(200).decode(&st)
	if len(st.Methods) != 1 || !st.Methods[0].Enabled || st.BackupCodesLeft != 10 {
		t.Fatalf("after confirming: %+v", st)
	}
	c.post("two-factor/totp/enroll", nil).wantError(409, "method_already_enabled")

	c.do("DELETE", "/auth/two-factor/totp", map[string]any{"password": "wrong password"}).wantError(401, "invalid_credentials")
	c.do("DELETE", "/auth/two-factor/totp", map[string]any{"password": password}).want(204)
	c.get("two-factor").want(200).decode(&st)
	if len(st.Methods) != 0 || st.BackupCodesLeft != 0 {
		t.Fatalf("after disabling: %+v", st)
	}
	c.do("DELETE", "/auth/two-factor/totp", map[string]any{"password": password}).wantError(400, "method_not_enabled")
}

func TestTwoFactor_EmailAndSMSAreConfirmedByTheCodeSent(t *testing.T) { // SEC-E6
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")

	c.post("two-factor/email/enroll", map[string]any{"phone": "+15551234567"}).wantError(400, "invalid_request")
	c.post("two-factor/email/enroll", nil).want(204)
	var codes struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.post("two-factor/email/confirm", map[string]any{"code": s.mailCode("ada@example.com")}).want(200).decode(&codes)
	if len(codes.BackupCodes) != 10 {
		t.Fatalf("first factor's backup codes = %v", codes.BackupCodes)
	}

	c.post("two-factor/sms/enroll", map[string]any{"phone": "555"}).wantError(400, "invalid_phone")
	c.post("two-factor/sms/enroll", map[string]any{"phone": "+1 555 123 4567"}).want(204)
	msg, err := s.sms.Wait(t.Context(), "+15551234567")
	if err != nil {
		t.Fatal(err)
	}
	r := c.post("two-factor/sms/confirm", map[string]any{"code": sixDigits.FindString(msg.Text)}).want(200)
	if string(r.body) != "{}\n" {
		t.Fatalf("the second factor gave backup codes again: %s", r.body)
	}
	var st twoFactorStatus
	c.get("two-factor").want(200).decode(&st)
	if len(st.Methods) != 2 || st.Methods[1].Method != "sms" || st.Methods[1].Contact == "" || strings.Contains(st.Methods[1].Contact, "4567") && strings.Contains(st.Methods[1].Contact, "555 123") {
		t.Fatalf("factors = %+v", st)
	}
	c.post("two-factor/backup/enroll", nil).wantError(400, "method_not_enabled")
	c.post("two-factor/passkey/enroll", nil).wantError(400, "method_not_enabled")
}

func TestTwoFactor_RegeneratingBackupCodesVoidsTheOldSet(t *testing.T) { // SEC-F4
	t.Parallel()
	s := newServer(t)
	c := s.loggedIn("ada@example.com")
	c.post("two-factor/backup-codes", nil).wantError(400, "method_not_enabled")
	_, old := c.withTOTP()

	var fresh struct {
		BackupCodes []string `json:"backup_codes"`
	}
	c.post("two-factor/backup-codes", nil).want(200).decode(&fresh)

	if len(fresh.BackupCodes) != 10 || fresh.BackupCodes[0] == old[0] {
		t.Fatalf("new codes %v, old %v", fresh.BackupCodes, old)
	}
	other := s.client()
	login(other, "ada@example.com").want(202)
	other.post("login/second-factor", map[string]any{"method": "backup", "code": old[0]}).wantError(401, "second_factor_invalid")
	other.post("login/second-factor", map[string]any{"method": "backup", "code": fresh.BackupCodes[0]}).want(200)
}

func TestTwoFactor_SettingsNeedALogin(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.client()
	c.get("two-factor").wantError(401, "not_logged_in")
	c.post("two-factor/totp/enroll", nil).wantError(401, "not_logged_in")
	c.post("two-factor/totp/confirm", map[string]any{"code": "123456"}).wantError(401, "not_logged_in")
	c.do("DELETE", "/auth/two-factor/totp", map[string]any{"password": password}).wantError(401, "not_logged_in")
	c.post("two-factor/backup-codes", nil).wantError(401, "not_logged_in")
}
