package oauth

import (
	"net/url"
	"strings"
	"unicode"
)

// maxReturnTo bounds a return-to target.
const maxReturnTo = 2048

// localPath checks that target is a path on this site, so that sending the
// browser there after the sign-in is no open redirect (SEC-O1). Browsers
// read "//host" and "/\host" as another site, and some servers decode
// "%2F" and "%5C" before redirecting, so those are refused in every
// spelling, as are schemes, hosts, control characters and backslashes.
func localPath(target string) (string, error) {
	if target == "" || len(target) > maxReturnTo || target[0] != '/' {
		return "", ErrInvalidReturnTo
	}
	if strings.ContainsRune(target, '\\') || strings.IndexFunc(target, unicode.IsControl) >= 0 {
		return "", ErrInvalidReturnTo
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return "", ErrInvalidReturnTo
	}
	// Decoding twice finds what a double-encoded target becomes.
	for s, i := target, 0; i < 2; i++ {
		if s, err = url.PathUnescape(s); err != nil {
			return "", ErrInvalidReturnTo
		}
		if len(s) > 1 && (s[1] == '/' || s[1] == '\\') || strings.ContainsRune(s, '\\') ||
			strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return "", ErrInvalidReturnTo
		}
	}
	return target, nil
}
