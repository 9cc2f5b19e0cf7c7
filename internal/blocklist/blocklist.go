// Package blocklist reports whether a password is one of the common or
// breached passwords that attackers try first (SEC-P3).
//
// The list ships inside the binary, so the check works offline and costs no
// request to a third party. It holds only entries of 8 or more code points,
// because shorter passwords are refused by the length rule before the
// blocklist is consulted. README.md names the source and how to regenerate it.
package blocklist

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// passwords is sorted bytewise (LC_ALL=C sort -u) and lower-case, one entry
// a line, so a binary search over its lines needs no further preparation.
//
//go:embed passwords.txt
var passwords string

// entries is split lazily so that programs which never check a password,
// such as a migration tool linking the package, pay nothing at start-up.
var entries = sync.OnceValue(func() []string {
	return strings.Split(strings.TrimSuffix(passwords, "\n"), "\n")
})

// Contains reports whether password is on the list, ignoring case. The caller
// normalises the password (NFC) first; the list itself is plain ASCII.
func Contains(password string) bool {
	_, found := slices.BinarySearch(entries(), strings.ToLower(password))
	return found
}

// Len returns the number of passwords on the list.
func Len() int {
	return len(entries())
}
