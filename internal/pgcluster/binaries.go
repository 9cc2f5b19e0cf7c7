package pgcluster

import (
	"cmp"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoBinaries is returned by [FindBinaries], and so by [Start], when the
// machine has no PostgreSQL server binaries.
var ErrNoBinaries = errors.New("pgcluster: no PostgreSQL server binaries found " +
	"(looked on PATH and in /usr/lib/postgresql/*/bin): install them " +
	"(Debian: apt-get install postgresql) or set DATABASE_URL to an existing server")

// versionedBinDirs is where Debian and Ubuntu install the server binaries,
// one directory per major version, off PATH.
const versionedBinDirs = "/usr/lib/postgresql/*/bin"

// FindBinaries returns the directory that holds the server binaries initdb
// and postgres: the one on PATH if there is one, otherwise the highest
// version under /usr/lib/postgresql/*/bin. It returns [ErrNoBinaries] if
// there is neither.
func FindBinaries() (binDir string, err error) {
	return findBinaries(versionedBinDirs)
}

func findBinaries(versionedGlob string) (string, error) {
	// initdb locates postgres next to itself, so both must be in one
	// directory; a PATH that has them in different ones is no use.
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, err := filepath.Glob(versionedGlob)
	if err != nil {
		return "", err
	}
	dirs = slices.DeleteFunc(dirs, func(dir string) bool {
		return !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres"))
	})
	if len(dirs) == 0 {
		return "", ErrNoBinaries
	}
	return slices.MaxFunc(dirs, func(a, b string) int {
		return cmp.Or(slices.Compare(majorVersion(a), majorVersion(b)), strings.Compare(a, b))
	}), nil
}

// majorVersion parses the version directory above binDir, such as 9.6 or 15,
// into its numbers, so that 15 sorts above 9.6.
func majorVersion(binDir string) []int {
	var version []int
	for part := range strings.SplitSeq(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		version = append(version, n)
	}
	return version
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
