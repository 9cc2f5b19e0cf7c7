package httpapi

import (
	_ "embed"
	"encoding/json"
)

// openAPIDocument is the OpenAPI 3.1 document of the API, with its server
// URL "/auth".
//
//go:embed openapi.json
var openAPIDocument []byte

// document returns the OpenAPI document with its server URL set to
// prefix, so that clients generated from it call the API where it is
// mounted.
func document(prefix string) []byte {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		panic("httpapi: the embedded openapi.json is not JSON: " + err.Error())
	}
	url := prefix
	if url == "" {
		url = "/"
	}
	doc["servers"] = []map[string]string{{"url": url}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("httpapi: " + err.Error())
	}
	return append(b, '\n')
}
