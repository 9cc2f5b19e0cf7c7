package httpapi

import (
	"time"

	"github.com/authkit/authkit"
)

func (a *api) deviceRoutes() []route {
	return []route{
		{"GET", "sessions", a.listSessions},
		{"DELETE", "sessions/{id}", a.revokeSession},
		{"POST", "sessions/revoke-others", a.logoutOthers},
		{"GET", "api-keys", a.listAPIKeys},
		{"POST", "api-keys", a.createAPIKey},
		{"DELETE", "api-keys/{id}", a.revokeAPIKey},
	}
}

type sessionsResponse struct {
	Sessions []deviceJSON `json:"sessions"`
}

type deviceJSON struct {
	ID         string    `json:"id"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
	Remembered bool      `json:"remembered"`
}

// listSessions lists where the user is logged in: 200 {sessions}.
func (a *api) listSessions(c *call) (any, error) {
	list, err := c.auth.Sessions()
	if err != nil {
		return nil, err
	}
	out := sessionsResponse{Sessions: make([]deviceJSON, len(list))}
	for i, d := range list {
		out.Sessions[i] = deviceJSON{
			ID: d.ID, UserAgent: d.UserAgent, IP: d.IP, CreatedAt: d.CreatedAt.UTC(), LastSeenAt: d.LastSeenAt.UTC(),
			ExpiresAt: d.ExpiresAt.UTC(), Current: d.Current, Remembered: d.Remembered,
		}
	}
	return out, nil
}

// revokeSession logs one of the user's devices out, with its remember-me
// token: 204; 404 not_found for an id that is not the user's.
func (a *api) revokeSession(c *call) (any, error) {
	return nil, c.auth.RevokeSession(c.param("id"))
}

type apiKeysResponse struct {
	APIKeys []apiKeyJSON `json:"api_keys"`
}

type apiKeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func apiKeyOf(k authkit.APIKey) apiKeyJSON {
	j := apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, CreatedAt: k.CreatedAt.UTC()}
	if j.Scopes == nil {
		j.Scopes = []string{}
	}
	if !k.ExpiresAt.IsZero() {
		t := k.ExpiresAt.UTC()
		j.ExpiresAt = &t
	}
	if !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt.UTC()
		j.LastUsedAt = &t
	}
	return j
}

// listAPIKeys lists the user's API keys, without secrets: 200 {api_keys}.
func (a *api) listAPIKeys(c *call) (any, error) {
	keys, err := c.auth.APIKeys().List()
	if err != nil {
		return nil, err
	}
	out := apiKeysResponse{APIKeys: make([]apiKeyJSON, len(keys))}
	for i, k := range keys {
		out.APIKeys[i] = apiKeyOf(k)
	}
	return out, nil
}

type newAPIKeyResponse struct {
	APIKey apiKeyJSON `json:"api_key"`
	Secret string     `json:"secret"`
}

// createAPIKey makes an API key: 201 {api_key, secret}, the secret shown
// this once. It needs a fresh password check in a cookie session.
func (a *api) createAPIKey(c *call) (any, error) {
	var in struct {
		Name          string   `json:"name"`
		Scopes        []string `json:"scopes"`
		ExpiresInDays int      `json:"expires_in_days"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 3650 {
		return nil, authkit.ErrInvalidAPIKeySpec
	}
	key, secret, err := c.auth.APIKeys().Create(authkit.APIKeySpec{
		Name: in.Name, Scopes: in.Scopes, ExpiresIn: time.Duration(in.ExpiresInDays) * 24 * time.Hour,
	})
	if err != nil {
		return nil, err
	}
	c.status = 201
	return newAPIKeyResponse{APIKey: apiKeyOf(key), Secret: secret}, nil
}

// revokeAPIKey deletes one of the user's API keys: 204; 404 not_found for
// an id that is not the user's.
func (a *api) revokeAPIKey(c *call) (any, error) {
	return nil, c.auth.APIKeys().Revoke(c.param("id"))
}
