package httpapi

import (
	"errors"

	"github.com/authkit/authkit"
)

func (a *api) passwordlessRoutes() []route {
	return []route{
		{"POST", "login/link", a.sendLoginLink},
		{"POST", "login/link/verify", a.loginWithLink},
	}
}

// sendLoginLink mails a login link: 204, whether or not the address has
// an account (SEC-E2).
func (a *api) sendLoginLink(c *call) (any, error) {
	var in struct {
		Email string `json:"email"`
		Next  string `json:"next"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.SendLoginLink(in.Email, in.Next)
}

// loginWithLink logs in with the token of a login link: 200 {user}, or
// 202 when the second step comes next (SEC-L1).
func (a *api) loginWithLink(c *call) (any, error) {
	var in struct {
		Token string `json:"token"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	err := c.auth.LoginWithLink(in.Token)
	var sf *authkit.SecondFactorRequiredError
	if errors.As(err, &sf) {
		c.status = 202
		return secondFactorOf(sf.Methods), nil
	}
	if err != nil {
		return nil, err
	}
	return a.loggedIn(c, false)
}
