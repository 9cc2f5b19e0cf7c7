package twofactor_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authkit/authkit/twofactor"
)

// Example enrols a user in TOTP and validates their codes, refusing a
// replay.
func Example() {
	// Enrolment: create a key, show TOTPQRCode(key.URI, 256) to the user,
	// and store the secret encrypted, bound to the user's row.
	key, err := twofactor.NewTOTP("Example App", "alice@example.com")
	if err != nil {
		panic(err)
	}
	encryptionKey := make([]byte, 32) // in an app: from its configuration
	rand.Read(encryptionKey)
	userID := []byte("user:42")
	stored, err := twofactor.Seal(encryptionKey, []byte(key.Secret), userID)
	if err != nil {
		panic(err)
	}

	// Login: the user types the code their app shows.
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	typed, _ := twofactor.TOTPCode(key.Secret, now)

	secret, err := twofactor.Open(encryptionKey, stored, userID)
	if err != nil {
		panic(err)
	}
	var lastStep int64 // stored with the secret; 0 before the first login
	lastStep, err = twofactor.ValidateTOTP(string(secret), typed, now, lastStep)
	fmt.Println("first use accepted:", err == nil)

	// An attacker who saw the code replays it a few seconds later.
	_, err = twofactor.ValidateTOTP(string(secret), typed, now.Add(10*time.Second), lastStep)
	fmt.Println("replay refused:", errors.Is(err, twofactor.ErrInvalidCode))

	// Output:
	// first use accepted: true
	// replay refused: true
}

// ExampleNewBackupCodes shows backup codes stored only as hashes and
// redeemed from what the user typed.
func ExampleNewBackupCodes() {
	const binding = "backup:user:42"
	codes := twofactor.NewBackupCodes(10) // shown to the user once
	stored := make([][]byte, len(codes))
	for i, code := range codes {
		stored[i] = twofactor.HashCode(binding, code)
	}

	// The user types a code in upper case without its hyphen.
	typed := strings.ToUpper(codes[3][:5] + codes[3][6:])
	normalized, err := twofactor.NormalizeBackupCode(typed)
	if err != nil {
		panic(err)
	}
	for i, hash := range stored {
		if twofactor.CodeMatches(hash, binding, normalized) {
			fmt.Println("matched code", i+1, "of", len(stored))
		}
	}
	// Output: matched code 4 of 10
}
