// Command openapi30 reads an OpenAPI 3.1 document (JSON) on its standard
// input and writes the 3.0.3 document oapi-codegen reads on its standard
// output (see package openapi30).
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/paylinks/paylinks/clients/go/internal/openapi30"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi30:", err)
		os.Exit(1)
	}
	out, err := openapi30.Convert(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, "openapi30:", err)
		os.Exit(1)
	}
}
