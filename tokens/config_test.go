package tokens

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/authkit/authkit"
)

func TestNew_RefusesConfigsOutsideTheSafeRange(t *testing.T) { // SEC-J1
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"an access lifetime over 15 minutes", Config{AccessLifetime: 16 * time.Minute}},
		{"a negative access lifetime", Config{AccessLifetime: -time.Minute}},
		{"a grace over a minute", Config{Grace: 2 * time.Minute}},
		{"a leeway over 2 minutes", Config{Leeway: 5 * time.Minute}},
		{"a key rotation under an hour", Config{KeyRotation: 30 * time.Minute}},
		{"an empty audience", Config{Audiences: []string{"mobile", ""}}},
		{"a throttle without refill", Config{RefreshPerIP: authkit.Limit{Burst: 5, Every: -time.Second}}},
	} {
		if _, err := New(e.kit, c.cfg); !errors.Is(err, authkit.ErrInvalidConfig) {
			t.Errorf("%s: New = %v, want ErrInvalidConfig", c.name, err)
		}
	}
	if _, err := New(nil, Config{}); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("New without a Kit: %v", err)
	}
	noKey, err := authkit.New(authkit.Config{DB: e.db, Mailer: e.mail, BaseURL: "https://auth.example.com", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer noKey.Close()
	if _, err := New(noKey, Config{}); !errors.Is(err, authkit.ErrInvalidConfig) {
		t.Errorf("New on a Kit without EncryptionKey: %v", err)
	}
}

func TestNew_FillsInTheDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Config{}.withDefaults("https://app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Issuer: "https://app.example.com", Audiences: []string{"https://app.example.com"},
		AccessLifetime: 10 * time.Minute, RefreshLifetime: 30 * 24 * time.Hour, Grace: 10 * time.Second,
		Leeway: 30 * time.Second, KeyRotation: 30 * 24 * time.Hour, RefreshPerIP: authkit.Limit{Burst: 50, Every: 10 * time.Second},
	}
	if cfg.Issuer != want.Issuer || len(cfg.Audiences) != 1 || cfg.Audiences[0] != want.Audiences[0] ||
		cfg.AccessLifetime != want.AccessLifetime || cfg.RefreshLifetime != want.RefreshLifetime || cfg.Grace != want.Grace ||
		cfg.Leeway != want.Leeway || cfg.KeyRotation != want.KeyRotation || cfg.RefreshPerIP != want.RefreshPerIP {
		t.Fatalf("defaults %+v, want %+v", cfg, want)
	}
}
