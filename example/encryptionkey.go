package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

const (
	// encryptionKeyEnv names the environment variable that holds the key
	// encrypting TOTP secrets at rest, as 64 hex digits.
	encryptionKeyEnv = "AUTHKIT_ENCRYPTION_KEY"
	// encryptionKeyFile keeps the key beside the private PostgreSQL when
	// the environment variable is unset. Like dataDir it is git-ignored.
	encryptionKeyFile = ".authkit-example/encryption.key"
	encryptionKeySize = 32
)

// encryptionKey returns the key that encrypts TOTP secrets at rest
// (SEC-F5): the one in AUTHKIT_ENCRYPTION_KEY if set; otherwise, when the
// example runs its own database, the one kept in keyFile, made on the
// first run. On a database of someone else's (keyFile empty) there is no
// safe place to keep a key, so each process makes its own, and the TOTP
// factors set up under it stop working when the process ends.
func encryptionKey(keyFile string) ([]byte, error) {
	if s := os.Getenv(encryptionKeyEnv); s != "" {
		key, err := parseKey(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", encryptionKeyEnv, err)
		}
		return key, nil
	}
	if keyFile == "" {
		slog.Warn("no " + encryptionKeyEnv + " set: using a key for this process only, so authenticator apps set up now stop working after a restart")
		return newKey(), nil
	}
	return keyFromFile(keyFile)
}

// keyFromFile reads the key in path, or makes one and keeps it there,
// readable by the owner only.
func keyFromFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := newKey()
		if err := writeNewFile(path, []byte(hex.EncodeToString(key)+"\n")); err != nil {
			return nil, fmt.Errorf("keep the encryption key: %w", err)
		}
		slog.Info("made a new encryption key for TOTP secrets", "file", path)
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the encryption key: %w", err)
	}
	key, err := parseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// writeNewFile creates path with mode 0600, failing if it exists, so that
// a key once made is never overwritten.
func writeNewFile(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(path) // a half-written key would fail every later start
	}
	return err
}

func parseKey(s string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != encryptionKeySize {
		return nil, fmt.Errorf("want %d hex digits (a %d-byte key)", 2*encryptionKeySize, encryptionKeySize)
	}
	return key, nil
}

func newKey() []byte {
	key := make([]byte, encryptionKeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}
