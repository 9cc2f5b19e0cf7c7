package pgcluster

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindBinaries_FindsTheMachinesServer(t *testing.T) {
	binDir, err := FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if !isExecutable(filepath.Join(binDir, name)) {
			t.Errorf("%s has no executable %s", binDir, name)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	tests := []struct {
		name      string
		onPath    string   // bin dir, under the test's root, put on PATH
		versioned []string // version dirs under root/lib, each with both binaries
		want      string   // under root; empty for ErrNoBinaries
	}{
		{
			name:      "prefers the binaries on PATH",
			onPath:    "local/bin",
			versioned: []string{"15"},
			want:      "local/bin",
		},
		{
			name:      "picks the highest version when PATH has none",
			versioned: []string{"9.6", "15", "13"},
			want:      "lib/15/bin",
		},
		{
			name:      "reports how to install them when there are none",
			versioned: nil,
			want:      "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, "empty")
			if tt.onPath != "" {
				path = filepath.Join(root, tt.onPath)
				fakeBinaries(t, path)
			}
			t.Setenv("PATH", path)
			for _, version := range tt.versioned {
				fakeBinaries(t, filepath.Join(root, "lib", version, "bin"))
			}

			got, err := findBinaries(filepath.Join(root, "lib", "*", "bin"))

			if tt.want == "" {
				if !errors.Is(err, ErrNoBinaries) {
					t.Fatalf("got %q, %v; want ErrNoBinaries", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func fakeBinaries(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
