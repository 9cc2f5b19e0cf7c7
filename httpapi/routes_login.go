package httpapi

import (
	"errors"

	"github.com/authkit/authkit"
	"github.com/authkit/authkit/twofactor"
)

func (a *api) loginRoutes() []route {
	return []route{
		{"POST", "login", a.login},
		{"POST", "login/second-factor/send", a.sendCode},
		{"POST", "login/second-factor", a.secondFactor},
		{"POST", "logout", a.logout},
		{"POST", "logout/everywhere", a.logoutEverywhere},
		{"POST", "logout/others", a.logoutOthers},
		{"POST", "reauthenticate", a.reauthenticate},
		{"GET", "session", a.session},
	}
}

// login checks the email and password: 200 {user} with the session
// cookie, or 202 {"second_factor":{"methods":[…]}} when the second step
// comes next. No code is ever part of the answer.
//
// With "token": true (and Options.Tokens set) a login that succeeds
// answers with tokens instead of the session cookie: 200 {user,
// access_token, refresh_token, token_type, expires_in}. A login that waits
// for its second factor keeps the pending login in the cookie, and POST
// login/second-factor with "token": true answers with the tokens.
func (a *api) login(c *call) (any, error) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Remember bool   `json:"remember"`
		Token    bool   `json:"token"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Token && a.opts.Tokens == nil {
		return nil, ErrTokensDisabled
	}
	err := c.auth.Login(in.Email, in.Password, in.Remember && !in.Token)
	var sf *authkit.SecondFactorRequiredError
	if errors.As(err, &sf) {
		c.status = 202
		return secondFactorOf(sf.Methods), nil
	}
	if err != nil {
		return nil, err
	}
	return a.loggedIn(c, in.Token)
}

// tokenLogin is the answer to a login that asked for tokens.
type tokenLogin struct {
	User         userJSON `json:"user"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
	TokenType    string   `json:"token_type"`
	ExpiresIn    int      `json:"expires_in"`
}

// loggedIn answers a login that succeeded: the user, and the tokens that
// replace the session when the login asked for them.
func (a *api) loggedIn(c *call, token bool) (any, error) {
	u, err := c.auth.User()
	if err != nil {
		return nil, err
	}
	if !token {
		return userOf(u), nil
	}
	t, err := a.opts.Tokens.ExchangeSession(c.r, "")
	if err != nil {
		return nil, err
	}
	return tokenLogin{User: userOf(u).User, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		TokenType: t.TokenType, ExpiresIn: t.ExpiresIn}, nil
}

// method parses the name of a second-factor method, from a path or a
// body; an unknown one is a method the user does not have enabled.
func method(name string) (twofactor.Method, error) {
	m, err := twofactor.ParseMethod(name)
	if err != nil {
		return 0, authkit.ErrMethodNotEnabled
	}
	return m, nil
}

// sendCode sends a code for the pending login by email or SMS: 204.
func (a *api) sendCode(c *call) (any, error) {
	var in struct {
		Method string `json:"method"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	m, err := method(in.Method)
	if err != nil {
		return nil, err
	}
	return nil, c.auth.TwoFactor().SendCode(m)
}

// secondFactor verifies the pending login's code and completes the login:
// 200 {user}, as login.
func (a *api) secondFactor(c *call) (any, error) {
	var in struct {
		Method string `json:"method"`
		Code   string `json:"code"`
		Token  bool   `json:"token"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Token && a.opts.Tokens == nil {
		return nil, ErrTokensDisabled
	}
	m, err := method(in.Method)
	if err != nil {
		return nil, err
	}
	if err := c.auth.TwoFactor().Verify(m, in.Code); err != nil {
		return nil, err
	}
	if err := c.auth.CompleteTwoFactorLogin(); err != nil {
		return nil, err
	}
	return a.loggedIn(c, in.Token)
}

// logout ends this session: 204, also when nobody was logged in.
func (a *api) logout(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	return nil, c.auth.Logout()
}

// logoutEverywhere ends every session of the user, this one included: 204.
func (a *api) logoutEverywhere(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	return nil, c.auth.LogoutEverywhere()
}

// logoutOthers ends every session of the user but this one: 204.
func (a *api) logoutOthers(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	return nil, c.auth.LogoutEverywhereElse()
}

// reauthenticate checks the password again, so that the session counts as
// fresh for sensitive changes: 204.
func (a *api) reauthenticate(c *call) (any, error) {
	var in struct {
		Password string `json:"password"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.Reauthenticate(in.Password)
}

// session describes the request's user and session: 200 {user, session},
// or 401 not_logged_in.
func (a *api) session(c *call) (any, error) {
	u, err := c.auth.User()
	if err != nil {
		return nil, err
	}
	s, ok := a.core.Session(c.r)
	if !ok {
		return nil, authkit.ErrNotLoggedIn
	}
	return sessionResponse{User: userOf(u).User, Session: sessionOf(s, c.auth.Via(), c.auth.IsFresh())}, nil
}
