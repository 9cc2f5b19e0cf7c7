package httpapi

import (
	"encoding/json"

	"github.com/authkit/authkit"
)

func (a *api) accountRoutes() []route {
	return []route{
		{"POST", "password/forgot", a.forgotPassword},
		{"POST", "password/reset", a.resetPassword},
		{"POST", "password/change", a.changePassword},
		{"POST", "email/change", a.changeEmail},
		{"POST", "email/change/confirm", a.confirm},
		{"PATCH", "user", a.updateUser},
	}
}

// forgotPassword mails a reset link: 204, whether or not the address has
// an account (SEC-E2).
func (a *api) forgotPassword(c *call) (any, error) {
	var in struct {
		Email string `json:"email"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.ForgotPassword(in.Email)
}

// resetPassword sets a new password with the token of a reset link: 204.
// Every session of the user ends; nobody is logged in.
func (a *api) resetPassword(c *call) (any, error) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.ResetPassword(in.Token, in.Password)
}

// changePassword replaces the logged-in user's password: 204.
func (a *api) changePassword(c *call) (any, error) {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.ChangePassword(in.CurrentPassword, in.NewPassword)
}

// changeEmail mails a confirmation link to the new address, which becomes
// the account's when it is confirmed (POST email/change/confirm): 204.
func (a *api) changeEmail(c *call) (any, error) {
	var in struct {
		Email string `json:"email"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.ChangeEmail(in.Email)
}

// updateUser changes the logged-in user's name or metadata: 200 {user}.
// An absent or null field stays as it is.
func (a *api) updateUser(c *call) (any, error) {
	var in struct {
		Name     *string         `json:"name"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if string(in.Metadata) == "null" {
		in.Metadata = nil
	}
	u, err := c.auth.UpdateUser(authkit.UserUpdate{Name: in.Name, Metadata: in.Metadata})
	if err != nil {
		return nil, err
	}
	return userOf(u), nil
}
