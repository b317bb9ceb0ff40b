// Command admin is the operators' tool: it performs an administration action
// (shared/admin) by invoking a deployed stack's admin function with your
// AWS credentials (-function, the stack's AdminFunctionName output), or,
// without -function, directly on make dev's table with its state
// directory's secrets. It prints the action's JSON answer.
//
//	go run ./infra/admin [-function NAME] create-merchant -merchant acme -name "Acme Ltd" [-mode test|live]
//	go run ./infra/admin [-function NAME] issue-key -merchant acme
//	go run ./infra/admin [-function NAME] invite-owner -merchant acme -email ana@acme.example
//	go run ./infra/admin [-function NAME] list-merchants | get-merchant | suspend-merchant | resume-merchant | list-keys | revoke-key -key ID
//	go run ./infra/admin new-key [-mode test|live]   # prints a new well-formed key, stores nothing (for PAYLINKS_DEV_API_KEY)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/boot"
	composeadmin "github.com/paylinks/paylinks/shared/compose/admin"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/devenv"
	"github.com/paylinks/paylinks/shared/merchant"
)

func main() {
	out, err := run(context.Background(), os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "admin:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

// parse turns the command line into the function's request and the
// function name ("" for make dev).
func parse(args []string, usage io.Writer) (admin.Request, string, error) {
	global := flag.NewFlagSet("admin", flag.ContinueOnError)
	global.SetOutput(usage)
	function := global.String("function", os.Getenv("PAYLINKS_ADMIN_FUNCTION"), "the deployed admin function (the stack's AdminFunctionName output); empty: make dev's table")
	if err := global.Parse(args); err != nil {
		return admin.Request{}, "", err
	}
	rest := global.Args()
	if len(rest) == 0 {
		return admin.Request{}, "", errors.New("an action: create-merchant, list-merchants, get-merchant, suspend-merchant, resume-merchant, issue-key, list-keys, revoke-key, invite-owner, new-key")
	}
	r := admin.Request{Action: strings.ReplaceAll(rest[0], "-", "_")}
	fs := flag.NewFlagSet(rest[0], flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&r.Merchant, "merchant", "", "the merchant's id")
	fs.StringVar(&r.Name, "name", "", "create-merchant: its name")
	fs.StringVar(&r.Mode, "mode", "", "create-merchant, new-key: test (default) or live")
	fs.StringVar(&r.KeyID, "key", "", "revoke-key: the key's id")
	fs.StringVar(&r.Email, "email", "", "invite-owner: the person's e-mail")
	if err := fs.Parse(rest[1:]); err != nil {
		return admin.Request{}, "", err
	}
	return r, *function, nil
}

func run(ctx context.Context, args []string, usage io.Writer) ([]byte, error) {
	r, function, err := parse(args, usage)
	if err != nil {
		return nil, err
	}
	if r.Action == "new_key" {
		secret, _, err := merchant.NewKey("", r.Mode == "live")
		return []byte(secret), err
	}
	if function != "" {
		return invoke(ctx, function, r)
	}
	a, err := local(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := a.Handle(ctx, r)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(resp, "", "  ")
}

// invoke runs the action in the deployed admin function.
func invoke(ctx context.Context, function string, r admin.Request) ([]byte, error) {
	cfg, err := config.AWS(ctx)
	if err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(r)
	out, err := lambda.NewFromConfig(cfg).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", function, err)
	}
	if out.FunctionError != nil {
		var fe struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out.Payload, &fe)
		return nil, fmt.Errorf("%s: %s", aws.ToString(out.FunctionError), fe.ErrorMessage)
	}
	var pretty any
	if err := json.Unmarshal(out.Payload, &pretty); err != nil {
		return out.Payload, nil
	}
	return json.MarshalIndent(pretty, "", "  ")
}

// local is the administration on make dev's table: its emulator endpoint,
// table and sealing key (the state directory's), as the dev server has them.
func local(ctx context.Context) (*admin.Admin, error) {
	defaults := map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:" + env("DDB_PORT", "18000"), "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "TABLE_NAME": "paylinks-dev", "SANDBOX_ENABLED": "1"}
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		delete(defaults, "AWS_ENDPOINT_URL_DYNAMODB")
	}
	for k, v := range defaults {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	if os.Getenv("KMS_KEY_ID") == "" && os.Getenv("LOCAL_SEAL_KEY") == "" {
		sec, err := devenv.LoadSecrets(env("PAYLINKS_RUN_DIR", ".tools/run"))
		if err != nil {
			return nil, fmt.Errorf("make dev's secrets (run make dev once first): %w", err)
		}
		os.Setenv("LOCAL_SEAL_KEY", sec.SealKey)
	}
	if os.Getenv("COGNITO_USER_POOL_ID") == "" {
		os.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:"+env("SQS_PORT", "19324")))
		cfg, err := config.AWS(ctx)
		if err != nil {
			return nil, err
		}
		p, err := devenv.UserPool(ctx, cfg)
		if err != nil {
			return nil, err
		}
		os.Setenv("COGNITO_USER_POOL_ID", p.ID)
		os.Setenv("COGNITO_CLIENT_ID", p.ClientID)
	}
	e, err := boot.FromEnvironment(ctx, "admin")
	if err != nil {
		return nil, err
	}
	// moto mails nothing: the invitation is printed.
	e.InviteMail = func(_ context.Context, email, temporaryPassword string) error {
		fmt.Fprintf(os.Stderr, "invitation to %s: sign in at the dashboard with the temporary password %s\n", email, temporaryPassword)
		return nil
	}
	return composeadmin.New(e), nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
