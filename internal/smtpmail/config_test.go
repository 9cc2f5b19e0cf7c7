package smtpmail

import (
	"errors"
	"testing"
	"time"
)

func TestNew_RejectsInvalidConfig(t *testing.T) {
	valid := Config{Host: "smtp.example.com", From: "no-reply@example.com"}
	tests := []struct {
		name   string
		change func(*Config)
		field  string
	}{
		{"host is missing", func(c *Config) { c.Host = "" }, "Host"},
		{"host includes a port", func(c *Config) { c.Host = "smtp.example.com:587" }, "Host"},
		{"host is a unix socket URL", func(c *Config) { c.Host = "unix:///run/smtp.sock" }, "Host"},
		{"host has a line break", func(c *Config) { c.Host = "smtp.example.com\r\nQUIT" }, "Host"},
		{"host is a bracketed IPv6 literal", func(c *Config) { c.Host = "[::1]" }, "Host"},
		{"port is negative", func(c *Config) { c.Port = -1 }, "Port"},
		{"port is above 65535", func(c *Config) { c.Port = 65536 }, "Port"},
		{"timeout is negative", func(c *Config) { c.Timeout = -time.Second }, "Timeout"},
		{"policy is unknown", func(c *Config) { c.TLS = TLSNone + 1 }, "TLS"},
		{"username has no password", func(c *Config) { c.Username = "mailer" }, "Username"},
		{"password has no username", func(c *Config) { c.Password = "secret" }, "Username"},
		{"from is missing", func(c *Config) { c.From = "" }, "From"},
		{"from is malformed", func(c *Config) { c.From = "no-reply" }, "From"},
		{"from is two addresses", func(c *Config) { c.From = "a@example.com, b@example.com" }, "From"},
		{"from has a line break", func(c *Config) { c.From = "no-reply@example.com\r\nBcc: evil@example.net" }, "From"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)

			sender, err := New(cfg)

			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) || cfgErr.Field != tt.field {
				t.Fatalf("New error = %v, want a *ConfigError for %s", err, tt.field)
			}
			if sender != nil {
				t.Errorf("New returned a Sender alongside its error")
			}
		})
	}
}

func TestNew_DefaultsPortByPolicyAndTimeoutToTenSeconds(t *testing.T) {
	tests := []struct {
		name     string
		host     string
		policy   TLSPolicy
		wantAddr string
	}{
		{"STARTTLS required uses 587", "smtp.example.com", TLSMandatory, "smtp.example.com:587"},
		{"STARTTLS if offered uses 587", "smtp.example.com", TLSOpportunistic, "smtp.example.com:587"},
		{"no TLS uses 587", "smtp.example.com", TLSNone, "smtp.example.com:587"},
		{"implicit TLS uses 465", "smtp.example.com", TLSImplicit, "smtp.example.com:465"},
		{"an IPv6 host gets brackets", "::1", TLSMandatory, "[::1]:587"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sender, err := New(Config{Host: tt.host, From: "no-reply@example.com", TLS: tt.policy})
			if err != nil {
				t.Fatal(err)
			}

			if sender.cfg.addr != tt.wantAddr {
				t.Errorf("address = %q, want %q", sender.cfg.addr, tt.wantAddr)
			}
			if sender.cfg.timeout != 10*time.Second {
				t.Errorf("timeout = %v, want 10s", sender.cfg.timeout)
			}
			if sender.cfg.tlsConfig.ServerName != tt.host {
				t.Errorf("TLS server name = %q, want the host", sender.cfg.tlsConfig.ServerName)
			}
		})
	}
}
