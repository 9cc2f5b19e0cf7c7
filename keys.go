package authkit

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// The purposes authkit derives keys from Config.EncryptionKey for. Each
// gets its own key (HKDF-SHA256 with the purpose as info), so no key
// serves two purposes.
const (
	keyPurposeCodes   = "authkit one-time codes v1"
	keyPurposeDevices = "authkit device cookies v1"
)

// derivedKey returns the 32-byte key for purpose, derived from
// Config.EncryptionKey, or nil when no EncryptionKey is set.
func (k *Kit) derivedKey(purpose string) []byte {
	if k.cfg.EncryptionKey == nil {
		return nil
	}
	key, err := hkdf.Key(sha256.New, k.cfg.EncryptionKey, nil, purpose, 32)
	if err != nil {
		// HKDF-SHA256 fails only for a key length above 8160 bytes.
		panic("authkit: " + err.Error())
	}
	return key
}
