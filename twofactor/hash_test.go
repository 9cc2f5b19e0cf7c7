package twofactor_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/authkit/authkit/twofactor"
)

func TestCodeMatches_AcceptsTheCodeAndBindingItWasHashedFrom(t *testing.T) {
	stored := twofactor.HashCode("email-login:42", "123456")
	if !twofactor.CodeMatches(stored, "email-login:42", "123456") {
		t.Error("the hashed code does not match")
	}
}

func TestCodeMatches_RefusesAnotherCode(t *testing.T) {
	stored := twofactor.HashCode("email-login:42", "123456")
	if twofactor.CodeMatches(stored, "email-login:42", "123457") {
		t.Error("another code matches")
	}
}

func TestCodeMatches_RefusesTheHashUnderAnotherBinding(t *testing.T) { // SEC-F3
	stored := twofactor.HashCode("email-login:42", "123456")
	for _, binding := range []string{"email-login:43", "sms-login:42", "", "email-login:42 "} {
		if twofactor.CodeMatches(stored, binding, "123456") {
			t.Errorf("hash for binding email-login:42 matches binding %q", binding)
		}
	}
}

func TestCodeMatches_RefusesABindingAndCodeShiftedIntoEachOther(t *testing.T) {
	stored := twofactor.HashCode("backup:4", "2abcde-fghjk")
	if twofactor.CodeMatches(stored, "backup:42", "abcde-fghjk") {
		t.Error("moving a character from code to binding gives the same hash")
	}
}

func TestCodeMatches_RefusesEmptyOrTruncatedHashes(t *testing.T) {
	stored := twofactor.HashCode("backup:42", "0a1b2-c3d4e")
	for _, bad := range [][]byte{nil, {}, stored[:len(stored)-1]} {
		if twofactor.CodeMatches(bad, "backup:42", "0a1b2-c3d4e") {
			t.Errorf("hash %x matches", bad)
		}
	}
}

func TestHashCode_DoesNotContainTheCode(t *testing.T) { // SEC-F3, SEC-F4
	for _, code := range []string{"123456", "0a1b2-c3d4e"} {
		stored := twofactor.HashCode("binding", code)
		if len(stored) != 32 {
			t.Errorf("hash is %d bytes, want a SHA-256", len(stored))
		}
		if bytes.Contains(stored, []byte(code)) || bytes.Contains([]byte(hex.EncodeToString(stored)), []byte(code)) {
			t.Errorf("hash %x contains the code %q", stored, code)
		}
	}
}

func TestHashCodeKeyed_CannotBeInvertedWithoutTheKey(t *testing.T) { // SEC-F3
	key := bytes.Repeat([]byte{7}, 32)
	stored := twofactor.HashCodeKeyed(key, "attempt-1", "123456")
	if bytes.Equal(stored, twofactor.HashCode("attempt-1", "123456")) {
		t.Fatal("the keyed hash is the unkeyed one")
	}
	if !bytes.Equal(stored, twofactor.HashCodeKeyed(key, "attempt-1", "123456")) {
		t.Fatal("the keyed hash is not deterministic")
	}
	// Whoever reads the database has the hash and the binding but not the
	// key: trying every code under any other key finds nothing.
	other := bytes.Repeat([]byte{8}, 32)
	for _, guess := range []string{"123456", "000000", "999999"} {
		if bytes.Equal(stored, twofactor.HashCodeKeyed(other, "attempt-1", guess)) ||
			bytes.Equal(stored, twofactor.HashCode("attempt-1", guess)) {
			t.Errorf("guess %s matches without the key", guess)
		}
	}
	if bytes.Equal(stored, twofactor.HashCodeKeyed(key, "attempt-2", "123456")) {
		t.Error("the hash does not depend on the binding")
	}
}
