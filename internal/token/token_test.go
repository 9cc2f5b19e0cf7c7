package token

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func TestNewSplit_RoundTripsThroughItsString(t *testing.T) { // SEC-T1 SEC-R1
	tok := NewSplit()
	got, err := Parse(tok.String())
	if err != nil || got != tok {
		t.Fatalf("Parse(%q) = %+v, %v", tok.String(), got, err)
	}
	if len(tok.Validator)*6 < 256 || len(tok.Selector)*6 < 128 {
		t.Fatalf("selector %d chars, validator %d chars: too short", len(tok.Selector), len(tok.Validator))
	}
	if NewSplit() == tok {
		t.Fatal("two tokens are equal")
	}
}

func TestSplit_StoresOnlyTheSHA256OfTheValidatorAndComparesIt(t *testing.T) { // SEC-R1
	tok := NewSplit()
	want := sha256.Sum256([]byte(tok.Validator))
	if string(tok.Hash()) != string(want[:]) {
		t.Fatal("Hash is not SHA-256 of the validator")
	}
	if !tok.Matches(want[:]) {
		t.Fatal("a token does not match its own hash")
	}
	other := NewSplit()
	if tok.Matches(other.Hash()) || tok.Matches(nil) || tok.Matches(want[:31]) {
		t.Fatal("a token matched a hash that is not its own")
	}
}

func TestParse_RefusesEveryOtherShape(t *testing.T) {
	valid := NewSplit()
	for _, s := range []string{
		"", ".", valid.Selector, valid.Selector + ".", "." + valid.Validator,
		valid.Selector + valid.Validator, valid.Selector + ".." + valid.Validator,
		valid.Selector + "." + valid.Validator + "x", valid.Selector[1:] + "." + valid.Validator,
		strings.Replace(valid.String(), valid.Validator[:1], "+", 1), // not base64url
		valid.Selector + "." + valid.Validator[:42] + "\x00", "\xff" + valid.String()[1:],
		strings.Repeat("a", 1<<16),
	} {
		if _, err := Parse(s); err != ErrMalformed {
			t.Errorf("Parse(%.30q) = %v, want ErrMalformed", s, err)
		}
	}
}

func TestHashString_IsTheBase64URLOfSHA256(t *testing.T) {
	if got := HashString("abc"); got != "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0" {
		t.Fatalf("HashString = %q", got)
	}
}
