package twofactor

import (
	"crypto/rand"

	"golang.org/x/crypto/chacha20poly1305"
)

// Seal encrypts plaintext, such as a TOTP secret, for storage (SEC-F5) with
// XChaCha20-Poly1305 under a 32-byte key and returns the random 24-byte
// nonce followed by the ciphertext. The nonce is long enough to be drawn at
// random for every seal without risk of reuse, so sealing the same
// plaintext twice gives different results.
//
// additionalData is authenticated but not stored: pass something that
// identifies the row, such as the user's id, and Open fails for a ciphertext
// copied to another row. A key of another length returns ErrInvalidKey.
func Seal(key, plaintext, additionalData []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, ErrInvalidKey
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce) // never fails: the runtime crashes instead
	return aead.Seal(nonce, nonce, plaintext, additionalData), nil
}

// Open decrypts what Seal returned, given the same key and additional
// data. It returns ErrDecrypt if sealed is too short, was altered, or was
// sealed under another key or other additional data, and ErrInvalidKey for
// a key that is not 32 bytes long.
func Open(key, sealed, additionalData []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, ErrInvalidKey
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrDecrypt
	}
	nonce, ciphertext := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	plaintext, err := aead.Open(nil, nonce, ciphertext, additionalData)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}
