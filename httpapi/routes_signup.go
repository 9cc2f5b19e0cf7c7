package httpapi

import "github.com/authkit/authkit"

func (a *api) signupRoutes() []route {
	return []route{
		{"POST", "register", a.register},
		{"POST", "confirm", a.confirm},
		{"POST", "confirm/resend", a.resendConfirmation},
	}
}

// register creates an account: 201 {user}. It does not log the user in;
// unless verification is off, the address must confirm first.
func (a *api) register(c *call) (any, error) {
	var in struct {
		Email    string  `json:"email"`
		Password string  `json:"password"`
		Name     *string `json:"name"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	profile := authkit.UserUpdate{Name: in.Name}
	if err := profile.Validate(); err != nil {
		return nil, err // before the account exists, so a bad name leaves none behind
	}
	id, err := c.auth.Register(in.Email, in.Password)
	if err != nil {
		return nil, err
	}
	ctx, admin := c.r.Context(), a.kit.Admin()
	var u authkit.User
	if in.Name != nil {
		u, err = admin.UpdateUser(ctx, id, profile)
	} else {
		u, err = admin.User(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	c.status = 201
	return userOf(u), nil
}

// confirm confirms an address with the token of the mailed link: 204.
func (a *api) confirm(c *call) (any, error) {
	var in struct {
		Token string `json:"token"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.ConfirmEmail(in.Token)
}

// resendConfirmation mails a new confirmation link: 204, whether or not
// the address has an account that needs one (SEC-E2).
func (a *api) resendConfirmation(c *call) (any, error) {
	var in struct {
		Email string `json:"email"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	return nil, c.auth.ResendConfirmation(in.Email)
}
