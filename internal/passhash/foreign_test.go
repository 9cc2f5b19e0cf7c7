package passhash

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Hashes made by the systems' own algorithms and parameters, with Python's
// hashlib, of testPassword unless said otherwise.
const (
	// Django 5.2's PBKDF2PasswordHasher: 1,000,000 iterations of
	// PBKDF2-HMAC-SHA256 under a salt of 22 letters and digits:
	//
	//	key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1_000_000)
	//	"pbkdf2_sha256$%d$%s$%s" % (1_000_000, salt, base64.b64encode(key).decode())
	djangoHash = "pbkdf2_sha256$1000000$nrtL1n5YDiXaMBXmX0j4pG$XqEOQ/dJohUw2Bytx6O/D76UM569jLakLhvxaksPbnk="

	// Better Auth's hashPassword: scrypt with N=16384, r=16, p=1, a 64-byte
	// key, the hex text of 16 random bytes as the salt and the password in
	// NFKC:
	//
	//	salt = secrets.token_bytes(16).hex()
	//	key = hashlib.scrypt(unicodedata.normalize("NFKC", password).encode(), salt=salt.encode(),
	//	                     n=16384, r=16, p=1, dklen=64, maxmem=128*16384*16*2)
	//	salt + ":" + key.hex()
	betterAuthHash = "0bb10b5ad825d7d2c9149cc39dfcdb7c:d14de3a319dc808306ce67296b715b335bcd3e16021ff231b2d5e8fcac7c7a32cf361b1a7afdf52778e04b681454d0458775b85755faed7014b4a681fd9e014f"

	// The same, of ligaturePassword, whose NFKC form is "first horse
	// battery staple".
	betterAuthLigatureHash = "686406f764d0f7b72bbfaa6ee7e9d227:a5a96c596c015751e72334e355e9d5ff1e8d9f7b3b06842382e88ea199092af9bd30f0d2a7eca0e86d140a9f3ce5873350d00868118f8be7e59704b75765933b"
	ligaturePassword       = "ﬁrst horse battery staple"
)

func TestVerify_AcceptsDjangoPBKDF2SHA256HashesAndAsksForARehash(t *testing.T) {
	h := newHasher(t, 0)
	ok, needsRehash, err := h.Verify(t.Context(), djangoHash, testPassword)
	if !ok || !needsRehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, needsRehash, err)
	}
	ok, needsRehash, err = h.Verify(t.Context(), djangoHash, "correct horse battery stapler")
	if ok || needsRehash || err != nil {
		t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, needsRehash, err)
	}
}

func TestVerify_AcceptsBetterAuthScryptHashesAndAsksForARehash(t *testing.T) {
	h := newHasher(t, 0)
	ok, needsRehash, err := h.Verify(t.Context(), betterAuthHash, testPassword)
	if !ok || !needsRehash || err != nil {
		t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, needsRehash, err)
	}
	ok, needsRehash, err = h.Verify(t.Context(), betterAuthHash, "correct horse battery stapler")
	if ok || needsRehash || err != nil {
		t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, needsRehash, err)
	}
}

// Better Auth hashes the NFKC form, so the ligature and its letters are
// one password to it; Verify must agree or the user could not log in.
func TestVerify_NormalisesPasswordsToNFKCForBetterAuthHashes(t *testing.T) {
	h := newHasher(t, 0)
	for _, password := range []string{ligaturePassword, "first horse battery staple"} {
		ok, _, err := h.Verify(t.Context(), betterAuthLigatureHash, password)
		if !ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want true", password, ok, err)
		}
	}
}

func TestCheck_AcceptsEverySchemeVerifyReads(t *testing.T) {
	h := newHasher(t, 0)
	for name, encoded := range map[string]string{
		"argon2id":             mustHash(t, h, testPassword),
		"bcrypt":               "$2y$10$" + strings.Repeat("a", 53),
		"Django pbkdf2_sha256": djangoHash,
		"Better Auth scrypt":   betterAuthHash,
	} {
		if err := Check(encoded); err != nil {
			t.Errorf("Check(%s) = %v", name, err)
		}
	}
}

// SEC-I7: a stored hash that asks for more work than a login may take is
// refused before any hashing, so one planted row cannot stall logins; the
// bounds themselves are allowed.
func TestVerify_RefusesHashParametersThatCostMoreThanALoginMayTake(t *testing.T) {
	const salt, key = wellFormedSalt, wellFormedKey
	bcryptRest := "$" + strings.Repeat("a", 53)
	djangoRest := "$nrtL1n5YDiXaMBXmX0j4pG$XqEOQ/dJohUw2Bytx6O/D76UM569jLakLhvxaksPbnk="
	tests := []struct {
		name    string
		encoded string
		costly  bool
	}{
		{"argon2id with memory above 2 GiB", "$argon2id$v=19$m=2097153,t=1,p=1$" + salt + "$" + key, true},
		{"argon2id with 1 GiB and 5 passes", "$argon2id$v=19$m=1048576,t=5,p=1$" + salt + "$" + key, true},
		{"argon2id with 2^32-1 passes", "$argon2id$v=19$m=19456,t=4294967295,p=1$" + salt + "$" + key, true},
		{"argon2id with 1 GiB and 4 passes, libsodium's sensitive preset", "$argon2id$v=19$m=1048576,t=4,p=1$" + salt + "$" + key, false},
		{"argon2id with 2 GiB and 2 passes", "$argon2id$v=19$m=2097152,t=2,p=1$" + salt + "$" + key, false},
		{"bcrypt with cost 17", "$2b$17" + bcryptRest, true},
		{"bcrypt with cost 31", "$2b$31" + bcryptRest, true},
		{"bcrypt with cost 16", "$2b$16" + bcryptRest, false},
		{"pbkdf2_sha256 with 20,000,001 iterations", "pbkdf2_sha256$20000001" + djangoRest, true},
		{"pbkdf2_sha256 with 2^32-1 iterations", "pbkdf2_sha256$4294967295" + djangoRest, true},
		{"pbkdf2_sha256 with 20,000,000 iterations", "pbkdf2_sha256$20000000" + djangoRest, false},
	}
	h := newHasher(t, 0)
	h.derive = func([]byte, []byte, Params, uint32) []byte {
		t.Error("Verify ran argon2id for a hash it should have refused")
		return nil
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.encoded)
			if !tt.costly {
				if err != nil {
					t.Errorf("Check = %v, want nil at the bound", err)
				}
				return
			}
			if !errors.Is(err, ErrCostTooHigh) {
				t.Errorf("Check = %v, want ErrCostTooHigh", err)
			}
			start := time.Now()
			ok, needsRehash, err := h.Verify(t.Context(), tt.encoded, testPassword)
			if ok || needsRehash || !errors.Is(err, ErrCostTooHigh) {
				t.Errorf("Verify = %v, %v, %v; want false, false, ErrCostTooHigh", ok, needsRehash, err)
			}
			if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
				t.Errorf("Verify took %v to refuse", elapsed)
			}
		})
	}
}

// A corrupt hash of another system's scheme fails closed with a typed
// error, never a panic or a match.
func TestVerify_RefusesMalformedForeignHashesWithATypedError(t *testing.T) {
	djangoSalt, djangoKey := "nrtL1n5YDiXaMBXmX0j4pG", "XqEOQ/dJohUw2Bytx6O/D76UM569jLakLhvxaksPbnk="
	baSalt, baKey, _ := strings.Cut(betterAuthHash, ":")
	tests := []struct{ name, encoded string }{
		{"pbkdf2_sha256 without a key", "pbkdf2_sha256$1000000$" + djangoSalt},
		{"pbkdf2_sha256 with an extra field", djangoHash + "$x"},
		{"pbkdf2_sha256 with zero iterations", "pbkdf2_sha256$0$" + djangoSalt + "$" + djangoKey},
		{"pbkdf2_sha256 with a leading zero", "pbkdf2_sha256$01000000$" + djangoSalt + "$" + djangoKey},
		{"pbkdf2_sha256 with iterations beyond 32 bits", "pbkdf2_sha256$4294967296$" + djangoSalt + "$" + djangoKey},
		{"pbkdf2_sha256 with an empty salt", "pbkdf2_sha256$1000000$$" + djangoKey},
		{"pbkdf2_sha256 with a space in the salt", "pbkdf2_sha256$1000000$a b$" + djangoKey},
		{"pbkdf2_sha256 with a salt of 65 characters", "pbkdf2_sha256$1000000$" + strings.Repeat("a", 65) + "$" + djangoKey},
		{"pbkdf2_sha256 with unpadded base64", "pbkdf2_sha256$1000000$" + djangoSalt + "$" + strings.TrimSuffix(djangoKey, "=")},
		{"pbkdf2_sha256 with a 16-byte key", "pbkdf2_sha256$1000000$" + djangoSalt + "$aGFzaGhhc2hoYXNoaGFzaA=="},
		{"pbkdf2_sha256 with an empty key", "pbkdf2_sha256$1000000$" + djangoSalt + "$"},
		{"pbkdf2_sha1", strings.Replace(djangoHash, "sha256", "sha1", 1)},
		{"Better Auth with upper-case hex", strings.ToUpper(betterAuthHash)},
		{"Better Auth with a short salt", baSalt[2:] + ":" + baKey},
		{"Better Auth with a short key", baSalt + ":" + baKey[2:]},
		{"Better Auth with an empty key", baSalt + ":"},
		{"Better Auth with a second colon", betterAuthHash + ":00"},
		{"Better Auth with a letter beyond f", baSalt + ":" + "g" + baKey[1:]},
		{"a lone colon", ":"},
		{"bcrypt one character short", "$2a$10$" + strings.Repeat("a", 52)},
		{"bcrypt with a space in the cost", "$2a$ 4$" + strings.Repeat("a", 53)},
		{"bcrypt with cost 3", "$2a$03$" + strings.Repeat("a", 53)},
	}
	wantMalformed(t, tests)
}

// FuzzCheck checks that no input makes decoding panic, and that every
// refusal carries one of the two typed errors.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{wellFormed, djangoHash, betterAuthHash, "$2b$10$" + strings.Repeat("a", 53), ":", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		if err := Check(encoded); err != nil && !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrCostTooHigh) {
			t.Fatalf("Check(%q) = %v, which wraps neither ErrMalformedHash nor ErrCostTooHigh", encoded, err)
		}
	})
}
