package blocklist

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// SEC-P3: the passwords attackers try first are refused, whatever their case.
func TestContains_FindsWellKnownPasswordsInAnyCase(t *testing.T) {
	for _, password := range []string{
		"password1",
		"12345678",
		"qwertyuiop",
		"iloveyou",
		"trustno1",
		"PassWord1",
		"QWERTYUIOP",
		"ILoveYou",
	} {
		if !Contains(password) {
			t.Errorf("Contains(%q) = false, want true", password)
		}
	}
}

// SEC-P3: the check must not refuse passwords nobody guesses.
func TestContains_AcceptsUncommonPasswords(t *testing.T) {
	for _, password := range []string{
		"vN7#qT2!mZ9@rL4$",
		"correct horse battery staple ferret",
		"",
		"password1 ",
	} {
		if Contains(password) {
			t.Errorf("Contains(%q) = true, want false", password)
		}
	}
}

// SEC-P3: a list that shrank to a handful of entries would pass the
// well-known cases above while protecting almost nobody.
func TestLen_ReportsAListOfUsefulSize(t *testing.T) {
	if n := Len(); n < 10_000 || n > 100_000 {
		t.Errorf("Len() = %d, want between 10,000 and 100,000", n)
	}
}

// Contains relies on a binary search over lower-case entries, and shorter
// entries would be dead weight; a regenerated file that broke either rule
// would silently miss passwords.
func TestPasswordsFile_IsSortedUniqueLowerCaseAndAtLeastEightCharacters(t *testing.T) {
	list := entries()
	if !slices.IsSorted(list) {
		t.Error("passwords.txt is not sorted bytewise")
	}
	for i, entry := range list {
		if i > 0 && list[i-1] == entry {
			t.Errorf("entry %q appears twice", entry)
		}
		if entry != strings.ToLower(entry) {
			t.Errorf("entry %q is not lower-case", entry)
		}
		if utf8.RuneCountInString(entry) < 8 {
			t.Errorf("entry %q is shorter than 8 characters", entry)
		}
	}
}
