// Command people is the members' Lambda: /v1/members (invite, list, change
// role, remove), the only API function that calls the user pool.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/people"
)

func compose(e *boot.Env) http.Handler { return people.Handler(people.New(e)) }

func main() {
	e := boot.Start("people")
	boot.ServeHTTP(e, compose(e))
}
