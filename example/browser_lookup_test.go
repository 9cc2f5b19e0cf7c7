package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests set environment variables and chromeApps, so they cannot run
// in parallel.

func TestFindChrome_PrefersCHROME_PATH(t *testing.T) {
	browser := fakeExecutable(t, t.TempDir(), "my-chrome")
	t.Setenv("PATH", filepath.Dir(fakeExecutable(t, t.TempDir(), "chromium")))
	t.Setenv("CHROME_PATH", browser)

	if got, err := findChrome(); got != browser || err != nil {
		t.Errorf("findChrome = %q, %v; want %s", got, err, browser)
	}
}

func TestFindChrome_RefusesACHROME_PATHThatIsNoExecutable(t *testing.T) {
	t.Setenv("CHROME_PATH", filepath.Join(t.TempDir(), "missing"))

	if _, err := findChrome(); err == nil || !strings.Contains(err.Error(), "CHROME_PATH") {
		t.Errorf("findChrome error %v, want one that names CHROME_PATH", err)
	}
}

func TestFindChrome_LooksForChromeUnderItsLinuxNamesOnPATH(t *testing.T) {
	t.Setenv("CHROME_PATH", "")
	for _, name := range chromeNames {
		t.Run(name, func(t *testing.T) {
			browser := fakeExecutable(t, t.TempDir(), name)
			t.Setenv("PATH", filepath.Dir(browser))

			if got, err := findChrome(); got != browser || err != nil {
				t.Errorf("findChrome = %q, %v; want %s", got, err, browser)
			}
		})
	}
}

func TestFindChrome_FailsNamingCHROME_PATHWhenThereIsNoBrowser(t *testing.T) {
	t.Setenv("CHROME_PATH", "")
	t.Setenv("PATH", t.TempDir())
	// As on a Mac without Chrome, whatever this machine has.
	apps := chromeApps
	chromeApps = []string{filepath.Join(t.TempDir(), "Chromium.app", "Contents", "MacOS", "Chromium")}
	t.Cleanup(func() { chromeApps = apps })

	_, err := findChrome()

	if err == nil || !strings.Contains(err.Error(), "CHROME_PATH") || !strings.Contains(err.Error(), "chromium") {
		t.Errorf("findChrome error %v, want one that names CHROME_PATH and what it looked for", err)
	}
}

func TestFindChrome_FindsChromeWhereMacOSKeepsIt(t *testing.T) {
	t.Setenv("CHROME_PATH", "")
	t.Setenv("PATH", t.TempDir())
	app := fakeExecutable(t, t.TempDir(), "Google Chrome")
	apps := chromeApps
	chromeApps = []string{filepath.Join(t.TempDir(), "missing"), app}
	t.Cleanup(func() { chromeApps = apps })

	if got, err := findChrome(); got != app || err != nil {
		t.Errorf("findChrome = %q, %v; want %s", got, err, app)
	}
}

func fakeExecutable(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
