// Command genschema writes sqlschema/postgres.sql from the migrations:
// run it with go generate ./sqlschema.
package main

import (
	"log"
	"os"

	"github.com/authkit/authkit/sqlschema"
)

func main() {
	s, err := sqlschema.SQL(sqlschema.DefaultPrefix)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("postgres.sql", []byte(s), 0o644); err != nil {
		log.Fatal(err)
	}
}
