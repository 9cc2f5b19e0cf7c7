package authkittest_test

import (
	"os"
	"testing"

	"github.com/authkit/authkit/authkittest"
)

func TestMain(m *testing.M) { os.Exit(authkittest.Main(m)) }
