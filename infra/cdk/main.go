// Command cdk is paylinks' CDK app (cdk.json runs it): one stack, settings
// from context (cdk.json, -c key=value): stage (dev|prod), assetDir,
// publicBaseUrl, emailFrom, sms, rateLimit, throttling, accessLogs,
// logRetentionDays, domainName (certificateArn, hostedZoneId,
// hostedZoneName), userPoolId and userPoolClientId (an existing pool). Without the CDK CLI (infra/local/cfnlint.sh), pass the
// context as CDK_CONTEXT_JSON and the output directory as CDK_OUTDIR.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/infra/stack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "paylinks cdk:", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	p, err := stack.FromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err != nil {
		return err
	}
	// Environment-agnostic unless the CLI knows the account.
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		p.StackProps.Env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	if _, err := stack.New(app, "paylinks-"+p.Stage, p); err != nil {
		return fmt.Errorf("stack paylinks-%s: %w", p.Stage, err)
	}
	app.Synth(nil)
	return nil
}
