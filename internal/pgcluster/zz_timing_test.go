package pgcluster

import (
	"path/filepath"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	dir := serverDir(t)
	for i := range 3 {
		start := time.Now()
		c, err := Start(t.Context(), Options{DataDir: filepath.Join(dir, "data"), Settings: map[string]string{"fsync": "off"}})
		if err != nil {
			t.Fatal(err)
		}
		started := time.Since(start)
		start = time.Now()
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: start %v (first includes initdb), stop %v", i, started, time.Since(start))
	}
}
