package httpapi

func (a *api) anonymousRoutes() []route {
	return []route{
		{"POST", "login/anonymous", a.loginAnonymous},
	}
}

// loginAnonymous logs the request in as a new anonymous user, throttled
// per client IP: 200 {user} with "anonymous": true. POST register from the
// same session later upgrades that user in place, keeping its id (SEC-A1).
func (a *api) loginAnonymous(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	if err := c.auth.LoginAnonymous(); err != nil {
		return nil, err
	}
	return a.loggedIn(c, false)
}
