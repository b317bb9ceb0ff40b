// Command cdk is paylinks' CDK app (cdk.json runs it): one stack, settings
// from context: stage (dev|prod), publicBaseUrl, emailFrom, sms.
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	str := func(k, def string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(k)).(string); ok && v != "" {
			return v
		}
		return def
	}
	stage := str("stage", "dev")
	var env *awscdk.Environment // environment-agnostic unless the CLI knows the account
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	stack.New(app, "paylinks-"+stage, &stack.Props{
		StackProps: awscdk.StackProps{Env: env},
		Stage:      stage, AssetDir: str("assetDir", "build"), PublicBaseURL: str("publicBaseUrl", ""),
		EmailFrom: str("emailFrom", ""), SMS: str("sms", "") == "true",
	})
	app.Synth(nil)
}
