package main

import "testing"

func TestPasskeyConfig_BelongsToTheAppsHostAndOffersLocalhostForAddresses(t *testing.T) {
	for base, want := range map[string]string{
		"http://localhost:8080":     "localhost http://localhost:8080",
		"http://127.0.0.1:8080":     "localhost http://localhost:8080",
		"http://0.0.0.0:8080":       "localhost http://localhost:8080",
		"http://[::1]:8080":         "localhost http://localhost:8080",
		"https://auth.Example.com":  "auth.example.com https://auth.example.com",
		"https://example.com:8443/": "example.com https://example.com:8443",
	} {
		cfg, err := passkeyConfig(base)
		if err != nil || len(cfg.Origins) != 1 || cfg.RPID+" "+cfg.Origins[0] != want {
			t.Errorf("passkeyConfig(%s) = %+v, %v; want %s", base, cfg, err, want)
		}
	}
}
