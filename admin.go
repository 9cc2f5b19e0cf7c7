package authkit

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/authkit/authkit/internal/store"
)

// Admin performs operations on users without a request, for back offices,
// scripts and support tools. Get it from [Kit.Admin]. Its actions are
// audited, with the acting user if [Admin.WithActor] named one. It does no
// authorisation of its own, so guard the pages that call it (for example
// with [Kit.RequireRole]).
type Admin struct {
	kit     *Kit
	actorID int64
}

// Admin returns the Kit's Admin API.
func (k *Kit) Admin() *Admin { return &Admin{kit: k} }

// WithActor returns an Admin whose actions the audit log attributes to the
// user actorID, typically the logged-in administrator.
func (ad *Admin) WithActor(actorID int64) *Admin { return &Admin{kit: ad.kit, actorID: actorID} }

// audit records an admin action on the user.
func (ad *Admin) audit(ctx context.Context, event string, userID int64, detail string) {
	ad.kit.audit(ctx, nil, auditEvent{event: event, outcome: outcomeOK, userID: userID, actorID: ad.actorID, detail: detail})
}

// User returns the user with this id, or [ErrUserNotFound].
func (ad *Admin) User(ctx context.Context, id int64) (User, error) {
	return userResult(ad.kit.store.ProfileByID(ctx, id))
}

// UserByEmail returns the user with this email, compared
// case-insensitively, or [ErrUserNotFound].
func (ad *Admin) UserByEmail(ctx context.Context, email string) (User, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	return userResult(ad.kit.store.ProfileByEmail(ctx, email, emailKey(email)))
}

// Users returns up to limit users (at most 1000) whose id is greater than
// afterID, in id order. Pass 0 for the first page and the last id seen for
// the next.
func (ad *Admin) Users(ctx context.Context, afterID int64, limit int) ([]User, error) {
	limit = min(max(limit, 1), 1000)
	rows, err := ad.kit.store.ListProfiles(ctx, afterID, limit)
	if err != nil {
		return nil, unavailable("list users", err)
	}
	users := make([]User, len(rows))
	for i, u := range rows {
		users[i] = publicUser(u)
	}
	return users, nil
}

// CreateUser creates an account with the given password (checked against
// the password policy) and returns its id. A verified account can log in
// at once; an unverified one is sent a confirmation link first.
func (ad *Admin) CreateUser(ctx context.Context, email, password string, verified bool) (int64, error) {
	k := ad.kit
	email, err := normalizeEmail(email)
	if err != nil {
		return 0, err
	}
	hash, err := k.hashNewPassword(ctx, password)
	if err != nil {
		return 0, err
	}
	verified = verified || k.cfg.DisableEmailVerification
	id, err := k.createUser(ctx, email, hash, verified, nil, k.now())
	if err != nil {
		return 0, err
	}
	ad.audit(ctx, eventUserCreated, id, "")
	if verified {
		return id, nil
	}
	msg, err := k.confirmationMessage(ctx, id, 0, email)
	if err != nil {
		return id, err
	}
	return id, k.sendMail(ctx, msg)
}

// DeleteUser deletes an account and ends its sessions everywhere; every
// row that belongs to the user goes with it.
func (ad *Admin) DeleteUser(ctx context.Context, id int64) error {
	if _, err := ad.kit.revoke(ctx, store.Revocation{UserID: id, Delete: true}); err != nil {
		return err
	}
	ad.audit(ctx, eventUserDeleted, id, "")
	return nil
}

// SetStatus changes an account's status. Any status but [StatusNormal]
// ends the user's sessions on every device at once.
func (ad *Admin) SetStatus(ctx context.Context, id int64, status Status) error {
	if !status.Valid() {
		return ErrInvalidStatus
	}
	k := ad.kit
	if status == StatusNormal {
		if err := k.store.SetStatus(ctx, id, int16(status)); err != nil {
			return notFoundOr(err, "set status")
		}
	} else {
		s := int16(status)
		if _, err := k.revoke(ctx, store.Revocation{UserID: id, Status: &s}); err != nil {
			return err
		}
	}
	ad.audit(ctx, eventStatusChange, id, status.String())
	return nil
}

// ForceLogout ends every session of the user on every device.
func (ad *Admin) ForceLogout(ctx context.Context, id int64) error {
	if _, err := ad.kit.revoke(ctx, store.Revocation{UserID: id}); err != nil {
		return err
	}
	ad.audit(ctx, eventForceLogout, id, "")
	return nil
}

var roleName = regexp.MustCompile(`^[!-~]{1,64}$`)

// AddRole gives the user a role. Sessions of the user see the change on
// their next request, not later. Adding a role the user has is not an error.
func (ad *Admin) AddRole(ctx context.Context, id int64, role string) error {
	return ad.changeRoles(ctx, id, role, func(roles []string) []string {
		if slices.Contains(roles, role) {
			return roles
		}
		return append(roles, role)
	})
}

// RemoveRole takes a role from the user. Sessions of the user see the
// change on their next request, not later. Removing a role the user lacks is not an
// error.
func (ad *Admin) RemoveRole(ctx context.Context, id int64, role string) error {
	return ad.changeRoles(ctx, id, role, func(roles []string) []string {
		return slices.DeleteFunc(roles, func(r string) bool { return r == role })
	})
}

func (ad *Admin) changeRoles(ctx context.Context, id int64, role string, change func([]string) []string) error {
	if !roleName.MatchString(role) {
		return ErrInvalidRole
	}
	k := ad.kit
	roles, err := k.store.UpdateRoles(ctx, id, change)
	if err != nil {
		return notFoundOr(err, "update roles")
	}
	ad.audit(ctx, eventRoleChange, id, joinRoles(roles))
	return nil
}

func notFoundOr(err error, op string) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrUserNotFound
	}
	return unavailable(op, err)
}

func joinRoles(roles []string) string { return strings.Join(roles, ",") }

// SetPassword gives the user a new password (checked against the policy)
// and ends every session and remember-me token of the user.
func (ad *Admin) SetPassword(ctx context.Context, id int64, password string) error {
	k := ad.kit
	hash, err := k.hashNewPassword(ctx, password)
	if err != nil {
		return err
	}
	if _, err := k.revoke(ctx, store.Revocation{UserID: id, PasswordHash: hash}); err != nil {
		return err
	}
	ad.audit(ctx, eventPasswordChange, id, "set by admin")
	return nil
}

// StartPasswordReset mails the user a password-reset link, as
// ForgotPassword would, even if the account is not resettable.
func (ad *Admin) StartPasswordReset(ctx context.Context, id int64) error {
	k := ad.kit
	u, err := k.store.UserByID(ctx, id)
	if err != nil {
		return notFoundOr(err, "load user")
	}
	msg, err := k.resetMessage(ctx, u)
	if err != nil {
		return err
	}
	if err := k.sendMail(ctx, msg); err != nil {
		return err
	}
	ad.audit(ctx, eventPasswordReset, id, "link sent by admin")
	return nil
}

// SetResettable sets whether the user may reset a forgotten password
// with ForgotPassword. Accounts are resettable by default; turn it off
// for accounts whose mailbox may not be theirs alone (shared or
// privileged accounts).
func (ad *Admin) SetResettable(ctx context.Context, id int64, resettable bool) error {
	if err := ad.kit.store.SetResettable(ctx, id, resettable); err != nil {
		return notFoundOr(err, "set resettable")
	}
	ad.audit(ctx, eventResettableChange, id, strconv.FormatBool(resettable))
	return nil
}

// AuditLog returns up to limit audit entries (at most 1000), newest first
// by time: the user's when userID is not 0, everyone's otherwise. Pass 0
// as beforeID for the newest page and the ID of the last entry seen for
// the next. Entries of refused attempts reach the table in batches, a
// fraction of a second late; this instance's are written before it reads.
func (ad *Admin) AuditLog(ctx context.Context, userID, beforeID int64, limit int) ([]AuditEntry, error) {
	ad.kit.flushAudit(ctx) // this instance's queued entries first
	rows, err := ad.kit.store.AuditEntries(ctx, userID, beforeID, min(max(limit, 1), 1000))
	if err != nil {
		return nil, unavailable("read audit log", err)
	}
	entries := make([]AuditEntry, len(rows))
	for i, r := range rows {
		entries[i] = AuditEntry{
			ID: r.ID, At: r.At, Event: r.Event, Outcome: r.Outcome, UserID: r.UserID.Int64, ActorID: r.ActorID.Int64,
			IP: r.IP, UserAgent: r.UserAgent, Detail: r.Detail,
		}
	}
	return entries, nil
}
