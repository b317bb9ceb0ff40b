package statements_test

import (
	"io"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
)

// writeCamt writes a camt.053.001.08 statement of account acct with n
// entries, entry(i) each, streaming (camtgen.Write).
func writeCamt(w io.Writer, acct string, n int, entry func(i int) bank.Entry) error {
	return camtgen.Write(w, acct, n, entry)
}

// camtOf is a statement of the entries.
func camtOf(acct string, entries []bank.Entry) []byte { return camtgen.Of(acct, entries) }
