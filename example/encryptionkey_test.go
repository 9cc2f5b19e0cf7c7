package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests set an environment variable, so they cannot run in
// parallel.

func TestEncryptionKey_ComesFromTheEnvironmentFirst(t *testing.T) { // SEC-F5
	t.Setenv(encryptionKeyEnv, strings.Repeat("ab", 32))
	key, err := encryptionKey(filepath.Join(t.TempDir(), "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, bytes.Repeat([]byte{0xab}, 32)) {
		t.Errorf("key = %x, want the one in %s", key, encryptionKeyEnv)
	}
}

func TestEncryptionKey_RefusesAMalformedKeyInTheEnvironment(t *testing.T) {
	for _, bad := range []string{"abc", strings.Repeat("ab", 31), strings.Repeat("zz", 32)} {
		t.Setenv(encryptionKeyEnv, bad)
		if _, err := encryptionKey(""); err == nil {
			t.Errorf("%s=%q: no error", encryptionKeyEnv, bad)
		}
	}
}

func TestEncryptionKey_IsKeptInAPrivateFileAndReused(t *testing.T) {
	t.Setenv(encryptionKeyEnv, "")
	file := filepath.Join(t.TempDir(), ".authkit-example", "encryption.key")
	first, err := encryptionKey(file)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode = %v, want 0600", mode)
	}
	again, err := encryptionKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 || !bytes.Equal(first, again) {
		t.Errorf("keys %x and %x: want the same 32 bytes twice", first, again)
	}
}

func TestEncryptionKey_WithoutAFileIsNewForEachProcess(t *testing.T) {
	t.Setenv(encryptionKeyEnv, "")
	a, errA := encryptionKey("")
	b, errB := encryptionKey("")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Errorf("keys %x and %x: want two different random 32-byte keys", a, b)
	}
}
