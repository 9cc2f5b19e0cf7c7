package twofactor

import "crypto/rand"

// randomString returns n characters drawn uniformly and independently from
// alphabet, which has at most 256 characters, using crypto/rand.
func randomString(alphabet string, n int) string {
	// A byte at or above limit is drawn again: mapping it with % would make
	// the first 256 % len(alphabet) characters more likely than the rest.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		rand.Read(buf) // never fails: the runtime crashes instead
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
