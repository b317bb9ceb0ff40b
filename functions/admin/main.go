// Command admin is the operators' Lambda: merchants and their API keys. It
// has no route and no event source; it is invoked with IAM credentials
// (`aws lambda invoke`, or `go run ./infra/admin`).
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	sadmin "github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/admin"
)

func compose(e *boot.Env) func(context.Context, sadmin.Request) (sadmin.Response, error) {
	a := admin.New(e)
	return func(ctx context.Context, r sadmin.Request) (sadmin.Response, error) {
		resp, err := a.Handle(ctx, r)
		outcome := "ok"
		if err != nil {
			outcome = err.Error()
		}
		// One line per action; never the issued key's secret.
		e.Log.LogAttrs(ctx, slog.LevelInfo, "admin", slog.String("action", r.Action), slog.String("merchant", r.Merchant),
			slog.String("key_id", r.KeyID), slog.String("outcome", outcome))
		return resp, err
	}
}

func main() { lambda.Start(compose(boot.Start("admin"))) }
