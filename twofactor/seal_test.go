package twofactor_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

var (
	sealKey   = bytes.Repeat([]byte{7}, 32)
	sealPlain = []byte(testSecret)
	sealAD    = []byte("user:42")
)

func mustSeal(t *testing.T) []byte {
	t.Helper()
	sealed, err := twofactor.Seal(sealKey, sealPlain, sealAD)
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

func TestSeal_OpenReturnsThePlaintext(t *testing.T) { // SEC-F5
	got, err := twofactor.Open(sealKey, mustSeal(t), sealAD)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sealPlain) {
		t.Errorf("Open = %q, want %q", got, sealPlain)
	}
}

func TestSeal_HidesThePlaintextAndDiffersEachTime(t *testing.T) { // SEC-F5
	a, b := mustSeal(t), mustSeal(t)
	if bytes.Contains(a, sealPlain) {
		t.Error("sealed data contains the plaintext")
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are equal: the nonce is not random")
	}
}

func TestOpen_RefusesAlteredData(t *testing.T) { // SEC-F5
	sealed := mustSeal(t)
	for i := range sealed {
		altered := bytes.Clone(sealed)
		altered[i] ^= 1
		if _, err := twofactor.Open(sealKey, altered, sealAD); !errors.Is(err, twofactor.ErrDecrypt) {
			t.Errorf("byte %d altered: err = %v, want ErrDecrypt", i, err)
		}
	}
}

func TestOpen_RefusesTruncatedData(t *testing.T) { // SEC-F5
	sealed := mustSeal(t)
	for n := range len(sealed) {
		if _, err := twofactor.Open(sealKey, sealed[:n], sealAD); !errors.Is(err, twofactor.ErrDecrypt) {
			t.Errorf("first %d bytes: err = %v, want ErrDecrypt", n, err)
		}
	}
}

func TestOpen_RefusesAnotherKey(t *testing.T) { // SEC-F5
	other := bytes.Repeat([]byte{8}, 32)
	if _, err := twofactor.Open(other, mustSeal(t), sealAD); !errors.Is(err, twofactor.ErrDecrypt) {
		t.Errorf("err = %v, want ErrDecrypt", err)
	}
}

func TestOpen_RefusesDataCopiedToAnotherRow(t *testing.T) { // SEC-F5
	for _, ad := range [][]byte{[]byte("user:43"), nil} {
		if _, err := twofactor.Open(sealKey, mustSeal(t), ad); !errors.Is(err, twofactor.ErrDecrypt) {
			t.Errorf("additional data %q: err = %v, want ErrDecrypt", ad, err)
		}
	}
}

func TestSeal_RefusesKeysThatAreNot32Bytes(t *testing.T) { // SEC-F5
	sealed := mustSeal(t)
	for _, n := range []int{0, 16, 31, 33, 64} {
		key := make([]byte, n)
		if _, err := twofactor.Seal(key, sealPlain, sealAD); !errors.Is(err, twofactor.ErrInvalidKey) {
			t.Errorf("Seal with %d-byte key: err = %v, want ErrInvalidKey", n, err)
		}
		if _, err := twofactor.Open(key, sealed, sealAD); !errors.Is(err, twofactor.ErrInvalidKey) {
			t.Errorf("Open with %d-byte key: err = %v, want ErrInvalidKey", n, err)
		}
	}
}
