package authkit

import "strconv"

// Status is the state of an account. Only [StatusNormal] accounts can log
// in; every other status refuses the login with a [*StatusError] saying
// which status it is, and setting it through the Admin API ends the user's
// sessions at once.
type Status int16

// The statuses, in the order their values are stored.
const (
	// StatusNormal is an account in good standing.
	StatusNormal Status = iota
	// StatusArchived is an account kept for the record but no longer used.
	StatusArchived
	// StatusBanned is an account shut out for misbehaviour.
	StatusBanned
	// StatusLocked is an account locked, for example after suspected takeover.
	StatusLocked
	// StatusPendingReview is an account waiting for a moderator.
	StatusPendingReview
	// StatusSuspended is an account shut out for a while.
	StatusSuspended
)

var statusNames = [...]string{"normal", "archived", "banned", "locked", "pending review", "suspended"}

// String returns the status in words, for example "banned".
func (s Status) String() string {
	if !s.Valid() {
		return "Status(" + strconv.Itoa(int(s)) + ")"
	}
	return statusNames[s]
}

// Valid reports whether s is one of the six defined statuses.
func (s Status) Valid() bool { return s >= StatusNormal && int(s) < len(statusNames) }
