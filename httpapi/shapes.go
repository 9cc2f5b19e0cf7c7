package httpapi

import (
	"encoding/json"
	"time"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/internal/core"
	"github.com/authkit/authkit/twofactor"
)

// The JSON shapes of the responses. Every field is always present unless
// it says omitempty; lists are never null; times are RFC 3339 in UTC.

type userResponse struct {
	User userJSON `json:"user"`
}

type userJSON struct {
	ID               int64           `json:"id"`
	Email            string          `json:"email"`
	Name             string          `json:"name"`
	Metadata         json.RawMessage `json:"metadata"`
	EmailVerified    bool            `json:"email_verified"`
	TwoFactorEnabled bool            `json:"two_factor_enabled"`
	Roles            []string        `json:"roles"`
	CreatedAt        time.Time       `json:"created_at"`
	Anonymous        bool            `json:"anonymous"`
}

func userOf(u authkit.User) userResponse {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return userResponse{userJSON{
		ID: u.ID, Email: u.Email, Name: u.Name, Metadata: u.Metadata,
		EmailVerified: u.EmailVerified, TwoFactorEnabled: u.TwoFactorEnabled,
		Roles: roles, CreatedAt: u.CreatedAt.UTC(), Anonymous: u.Anonymous,
	}}
}

type sessionResponse struct {
	User    userJSON    `json:"user"`
	Session sessionJSON `json:"session"`
}

type sessionJSON struct {
	ID        string      `json:"id,omitempty"`
	Via       authkit.Via `json:"via"`
	Fresh     bool        `json:"fresh"`
	CreatedAt time.Time   `json:"created_at"`
	ExpiresAt time.Time   `json:"expires_at,omitzero"`
}

func sessionOf(s core.Session, via authkit.Via, fresh bool) sessionJSON {
	j := sessionJSON{ID: s.ID, Via: via, Fresh: fresh, CreatedAt: s.CreatedAt.UTC()}
	if !s.ExpiresAt.IsZero() {
		j.ExpiresAt = s.ExpiresAt.UTC()
	}
	return j
}

// secondFactorResponse is the 202 answer of a login that needs its second
// step: {"second_factor":{"methods":[{"method":"totp"}, ...]}}.
type secondFactorResponse struct {
	SecondFactor struct {
		Methods []pendingMethodJSON `json:"methods"`
	} `json:"second_factor"`
}

type pendingMethodJSON struct {
	Method  twofactor.Method `json:"method"`
	Contact string           `json:"contact,omitempty"`
}

func secondFactorOf(methods []authkit.SecondFactor) secondFactorResponse {
	var r secondFactorResponse
	r.SecondFactor.Methods = []pendingMethodJSON{}
	for _, m := range methods {
		r.SecondFactor.Methods = append(r.SecondFactor.Methods, pendingMethodJSON{Method: m.Method, Contact: m.Contact})
	}
	return r
}

// twoFactorResponse is the user's second factors:
// {"methods":[{"method":"totp","enabled":true}],"backup_codes_left":10}.
type twoFactorResponse struct {
	Methods         []methodJSON `json:"methods"`
	BackupCodesLeft int          `json:"backup_codes_left"`
}

type methodJSON struct {
	Method  twofactor.Method `json:"method"`
	Enabled bool             `json:"enabled"`
	Contact string           `json:"contact,omitempty"`
}

func twoFactorOf(factors []authkit.SecondFactor) twoFactorResponse {
	r := twoFactorResponse{Methods: []methodJSON{}}
	for _, f := range factors {
		if f.Method == twofactor.BackupCode {
			r.BackupCodesLeft = f.Remaining
			continue
		}
		r.Methods = append(r.Methods, methodJSON{Method: f.Method, Enabled: f.Enabled, Contact: f.Contact})
	}
	return r
}

type totpEnrollmentResponse struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	QRPNG  string `json:"qr_png"` // a data: URL
}

type backupCodesResponse struct {
	BackupCodes []string `json:"backup_codes,omitempty"`
}

type versionResponse struct {
	Version       string `json:"version"`
	SchemaVersion int    `json:"schema_version"`
}
