package pgcluster

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUserName is the OS user the server runs as when this process is
// root, as initdb and postgres refuse to run as root.
const serverUserName = "postgres"

// serverAccount is the OS account initdb and the server run as. A nil
// *serverAccount stands for this process's own account, which needs no
// switching, chowning or checking.
type serverAccount struct {
	uid, gid uint32
}

// accountForServer returns the account to run the server as: postgres when
// this process is root, nil otherwise.
func accountForServer() (*serverAccount, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUserName)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, which PostgreSQL refuses, "+
			"and found no OS user %q to run it as (%v): create that user (useradd --system %s) or run as a non-root user",
			serverUserName, err, serverUserName)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: OS user %s: uid %q: %w", serverUserName, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: OS user %s: gid %q: %w", serverUserName, u.Gid, err)
	}
	return &serverAccount{uid: uint32(uid), gid: uint32(gid)}, nil
}

// credential returns the identity for initdb and the server: a's, or nil
// to keep this process's own. It sets no supplementary groups, so that
// checkCanReach may judge by the primary group alone.
func (a *serverAccount) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid}
}

// chown hands dir to a.
func (a *serverAccount) chown(dir string) error {
	if a == nil {
		return nil
	}
	if err := os.Chown(dir, int(a.uid), int(a.gid)); err != nil {
		return fmt.Errorf("pgcluster: handing %s to OS user %s: %w", dir, serverUserName, err)
	}
	return nil
}

// checkCanReach reports an error naming the first directory above path that
// a may not traverse, since the server would otherwise fail with a bare
// "permission denied" on its data or socket directory.
func (a *serverAccount) checkCanReach(path string) error {
	if a == nil {
		return nil
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if !a.mayTraverse(info) {
			return fmt.Errorf("pgcluster: %s is not traversable by OS user %s, which runs the server "+
				"because PostgreSQL refuses to run as root: use a directory elsewhere, or chmod o+x %s",
				dir, serverUserName, dir)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// mayTraverse applies the Unix permission rule: only the owner bits count
// for the owner, only the group bits for the group, the rest for others.
func (a *serverAccount) mayTraverse(info os.FileInfo) bool {
	perm := info.Mode().Perm()
	stat, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !ok:
		return perm&0o001 != 0
	case stat.Uid == a.uid:
		return perm&0o100 != 0
	case stat.Gid == a.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
