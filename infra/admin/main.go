// Command admin is the operators' tool: it performs an administration action
// (shared/admin) by invoking a deployed stack's admin function with your
// AWS credentials (-function, the stack's AdminFunctionName output), or,
// without -function, directly on the table of the stack make dev recorded
// in its state directory (PAYLINKS_RUN_DIR, .tools/run by default:
// stack.json, shared/devkit/devstack), with that directory's secrets. With
// neither, or when the recorded stack's table does not answer, it refuses
// and names what it tried; it never falls back to an emulator on a default
// port (on a shared machine, another stack's). It prints the action's JSON
// answer, and on stderr the stack it acts on.
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
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/boot"
	composeadmin "github.com/paylinks/paylinks/shared/compose/admin"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/devenv"
	"github.com/paylinks/paylinks/shared/devkit/devstack"
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
	function := global.String("function", os.Getenv("PAYLINKS_ADMIN_FUNCTION"), "the deployed admin function (the stack's AdminFunctionName output); empty: the table of the stack make dev recorded in PAYLINKS_RUN_DIR")
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

func run(ctx context.Context, args []string, stderr io.Writer) ([]byte, error) {
	r, function, err := parse(args, stderr)
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
	a, err := local(ctx, stderr)
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

// local is the administration on the table of the stack make dev recorded
// in its state directory: the recorded endpoints, table and region, the
// directory's sealing key, as the dev server has them. It refuses, naming
// what it tried, when no stack is recorded or its table does not answer.
func local(ctx context.Context, stderr io.Writer) (*admin.Admin, error) {
	rec, where, err := recorded()
	if err != nil {
		return nil, err
	}
	useStack(rec)
	if err := reachTable(ctx, rec); err != nil {
		return nil, fmt.Errorf("make dev's stack recorded in %s: %w (start it again with make dev under the same PAYLINKS_RUN_DIR and ports)", where, err)
	}
	fmt.Fprintf(stderr, "admin: make dev's stack recorded in %s: %s\n", where, rec)
	if os.Getenv("KMS_KEY_ID") == "" && os.Getenv("LOCAL_SEAL_KEY") == "" {
		sec, err := devenv.LoadSecrets(rec.RunDir)
		if err != nil {
			return nil, fmt.Errorf("make dev's secrets: %w", err)
		}
		os.Setenv("LOCAL_SEAL_KEY", sec.SealKey)
	}
	if os.Getenv("COGNITO_USER_POOL_ID") == "" {
		cfg, err := config.AWS(ctx)
		if err != nil {
			return nil, err
		}
		p, err := devenv.UserPool(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("make dev's user pool at %s: %w", rec.Cognito, err)
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

// recorded is the stack make dev recorded in the state directory
// (PAYLINKS_RUN_DIR, else .tools/run) and the record's path; an error
// naming both ways of naming a stack when there is none.
func recorded() (devstack.Stack, string, error) {
	dir, err := filepath.Abs(env("PAYLINKS_RUN_DIR", ".tools/run"))
	if err != nil {
		return devstack.Stack{}, "", fmt.Errorf("the state directory: %w", err)
	}
	rec, err := devstack.Read(dir)
	if errors.Is(err, devstack.ErrNone) {
		return devstack.Stack{}, "", fmt.Errorf("no stack named: no -function (or PAYLINKS_ADMIN_FUNCTION: a deployed stack's AdminFunctionName output), "+
			"and no make dev stack at %s (make dev records its stack there; PAYLINKS_RUN_DIR names another state directory)", devstack.Path(dir))
	}
	if err != nil {
		return devstack.Stack{}, "", err
	}
	if rec.RunDir == "" {
		rec.RunDir = dir
	}
	return rec, devstack.Path(dir), nil
}

// useStack points the SDK and the admin function's configuration at the
// recorded stack, whatever the shell's variables say of another one.
func useStack(rec devstack.Stack) {
	set := func(k, v string) {
		if v == "" {
			os.Unsetenv(k)
			return
		}
		os.Setenv(k, v)
	}
	set("TABLE_NAME", rec.Table)
	set("AWS_REGION", rec.Region)
	set("AWS_ENDPOINT_URL_DYNAMODB", rec.DynamoDB)
	set("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", rec.Cognito)
	set("SANDBOX_ENABLED", "1")
	// The emulators take any credentials; make dev's are these.
	if rec.DynamoDB != "" {
		for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"} {
			if os.Getenv(k) == "" {
				os.Setenv(k, v)
			}
		}
	}
}

// reachTable checks that the recorded stack's table answers (10 s at most).
func reachTable(ctx context.Context, rec devstack.Stack) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg, err := config.AWS(ctx)
	if err != nil {
		return err
	}
	_, err = config.DynamoDB(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(rec.Table)})
	var missing *ddbtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return fmt.Errorf("%s: the table does not exist", rec)
	case err != nil:
		return fmt.Errorf("%s: not reachable: %w", rec, err)
	}
	return nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
