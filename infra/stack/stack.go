// Package stack is paylinks' AWS CDK stack: the single table from the
// shared definition, the queues with their DLQs, one function per trigger
// (no sandbox in prod), the HTTP API with stage throttling and an access log,
// the event source mappings, the sweep's schedule, the signing secrets and
// the merchant-secrets KMS key, the team members' Cognito user pool (or the
// operator's own), least-privilege grants, log groups with
// retention, alarms and a dashboard.
package stack

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/shared/spec"
)

// Functions are the stack's Lambdas, one per trigger (spec.Functions):
// `make build` builds functions/<name> into build/functions/<name>.zip.
var Functions = spec.Functions

// The runtime's configuration contract (read at cold start by shared/config;
// the secrets' values are fetched there with secretsmanager:GetSecretValue,
// never put in the environment).
const (
	envTable             = "TABLE_NAME"
	envPublicBaseURL     = "PUBLIC_BASE_URL"
	envLinkCodeSecretARN = "LINK_CODE_SECRET_ARN" // signs public link codes
	envSandboxSecretARN  = "SANDBOX_SECRET_ARN"   // signs sandbox checkout sessions (not in prod)
	envSandboxEnabled    = "SANDBOX_ENABLED"      // "1" outside prod
	envKMSKeyID          = "KMS_KEY_ID"           // envelope encryption of merchants' PSP credentials and webhook secrets
	envRatePerSecond     = "RATE_LIMIT_PER_SECOND"
	envRateBurst         = "RATE_LIMIT_BURST"
	envEmailFrom         = "EMAIL_FROM"
	envSMSEnabled        = "SMS_ENABLED"
	envAllowLoopback     = "OUTBOUND_ALLOW_LOOPBACK" // "1": outbound webhooks may reach 127.0.0.1 over http (localstack=true only)
)

// route is one path of the HTTP API and the function behind it.
type route struct {
	path    string
	methods []awsapigatewayv2.HttpMethod
	fn      string
}

// routesFor are the HTTP API's routes of the functions deployed.
func routesFor(functions []spec.Function) []route {
	var rs []route
	for _, f := range functions {
		for _, r := range f.Routes {
			var ms []awsapigatewayv2.HttpMethod
			for _, m := range r.Methods {
				ms = append(ms, awsapigatewayv2.HttpMethod(m))
			}
			rs = append(rs, route{r.Path, ms, f.Name})
		}
	}
	return rs
}

// routeKeys are the API Gateway route keys of rs ("GET /l/{proxy+}").
func routeKeys(rs []route) []string {
	var keys []string
	for _, r := range rs {
		for _, m := range r.methods {
			keys = append(keys, string(m)+" "+r.path)
		}
	}
	return keys
}

// accessLogFormat is the stage's JSON access log line: who asked what and
// how it went; no header (Authorization carries API keys) and no body.
var accessLogFormat = map[string]string{
	"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
	"httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
	"protocol": "$context.protocol", "responseLength": "$context.responseLength", "integrationLatency": "$context.integrationLatency",
}

// parts are the stack's shared resources the functions are wired to.
type parts struct {
	st      awscdk.Stack
	p       *Props
	prod    bool
	table   awsdynamodb.Table
	queues  map[string]awssqs.Queue
	dlqs    map[string]awssqs.Queue
	bucket  awss3.Bucket // the bank statements' files
	key     awskms.Key
	secrets map[string]awssecretsmanager.Secret
	users   userPool
	base    string
	logs    awslogs.RetentionDays
}

// New builds the stack.
func New(scope constructs.Construct, id string, p *Props) (awscdk.Stack, error) {
	prod := p.Prod()
	functions := spec.For(prod)
	routes := routesFor(functions)
	if err := p.validate(routeKeys(routes)); err != nil {
		return nil, err
	}
	logRetention, err := retention(p.LogRetentionDays)
	if err != nil {
		return nil, err
	}
	st := awscdk.NewStack(scope, &id, &p.StackProps)
	b := &parts{st: st, p: p, prod: prod, logs: logRetention}
	b.table = newTable(st, prod)
	b.queues, b.dlqs = newQueues(st, prod)
	b.bucket = newStatementsBucket(st, prod, b.queues[spec.Statements])
	api := awsapigatewayv2.NewHttpApi(st, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{ApiName: jsii.String("paylinks-" + p.Stage)})
	b.base = p.PublicBaseURL
	if b.base == "" {
		b.base = *api.ApiEndpoint()
	}
	customDomain(st, api, p.Domain)
	b.key, b.secrets = newSecrets(st, p.Stage, prod)
	b.users = newUserPool(st, p, b.base, prod)

	fns := map[string]awslambda.Function{}
	for _, f := range functions {
		fns[f.Name] = b.function(f)
	}
	b.triggers(functions, fns)
	if err := addRoutes(st, api, p, routes, fns, logRetention); err != nil {
		return nil, err
	}
	alarms(st, functions, b.queues, b.dlqs, fns, api)
	outputs(st, api, b, fns)
	if p.LocalStack {
		localStackOutputs(st, functions, fns)
	}
	return st, nil
}

// newTable is the single table of spec.Table. Its construct id carries the
// key layout (TableV2): a layout change is a new table beside the old one,
// never a replacement of the data in place (docs/data-model.md, Layout versions).
func newTable(st awscdk.Stack, prod bool) awsdynamodb.Table {
	table := awsdynamodb.NewTable(st, jsii.String(fmt.Sprintf("TableV%d", spec.Table.Layout)), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String(spec.Table.PK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:                          &awsdynamodb.Attribute{Name: jsii.String(spec.Table.SK), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute:              jsii.String(spec.Table.TTLAttr),
		Stream:                           awsdynamodb.StreamViewType(spec.Table.StreamView),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		DeletionProtection:               jsii.Bool(prod),
		RemovalPolicy:                    removal(prod),
	})
	awscdk.Tags_Of(table).Add(jsii.String("paylinks:layout"), jsii.String(fmt.Sprint(spec.Table.Layout)), nil)
	for _, ix := range spec.Table.Indexes {
		props := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(ix.PK), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(ix.SK), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		}
		if len(ix.Include) > 0 {
			props.ProjectionType, props.NonKeyAttributes = awsdynamodb.ProjectionType_INCLUDE, jsii.Strings(ix.Include...)
		}
		table.AddGlobalSecondaryIndex(props)
	}
	return table
}

// newQueues makes the work queues and their DLQs, and the stream's failure
// queue (dlqs["stream"]).
func newQueues(st awscdk.Stack, prod bool) (queues, dlqs map[string]awssqs.Queue) {
	queues, dlqs = map[string]awssqs.Queue{}, map[string]awssqs.Queue{}
	for _, d := range spec.Queues {
		consumer, _ := spec.Lookup(spec.Consumer(d.Name))
		def := d
		def.ConsumerTimeout = consumer.Timeout
		dlq := awssqs.NewQueue(st, jsii.String(cdkName(d.Name)+"Dlq"), &awssqs.QueueProps{
			RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), Encryption: awssqs.QueueEncryption_SQS_MANAGED,
			RemovalPolicy: removal(prod), // what failed is kept when a prod stack goes
		})
		q := awssqs.NewQueue(st, jsii.String(cdkName(d.Name)+"Queue"), &awssqs.QueueProps{
			VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(def.Visibility().Seconds())),
			RetentionPeriod:   awscdk.Duration_Seconds(jsii.Number(d.Retention.Seconds())),
			DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(float64(d.MaxReceiveCount))},
			Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		})
		queues[d.Name], dlqs[d.Name] = q, dlq
	}
	dlqs["stream"] = awssqs.NewQueue(st, jsii.String("StreamFailuresDlq"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		RemovalPolicy: removal(prod),
	})
	return queues, dlqs
}

// newSecrets makes the merchant-secrets key and the signing secrets,
// generated here at deploy and read by the functions at cold start.
// Retained in prod: links already sent carry codes signed with the link
// code secret.
func newSecrets(st awscdk.Stack, stage string, prod bool) (awskms.Key, map[string]awssecretsmanager.Secret) {
	// Merchants' PSP credentials and webhook secrets are sealed with data
	// keys of this key (envelope encryption).
	key := awskms.NewKey(st, jsii.String("MerchantSecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("paylinks " + stage + ": envelope encryption of merchants' PSP credentials and webhook secrets"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal(prod),
	})
	secret := func(id, what string) awssecretsmanager.Secret {
		return awssecretsmanager.NewSecret(st, jsii.String(id), &awssecretsmanager.SecretProps{
			Description: jsii.String("paylinks " + stage + ": " + what),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
			},
			RemovalPolicy: removal(prod),
		})
	}
	secrets := map[string]awssecretsmanager.Secret{envLinkCodeSecretARN: secret("LinkCodeSecret", "signs public link codes")}
	if !prod {
		secrets[envSandboxSecretARN] = secret("SandboxSecret", "signs sandbox checkout sessions")
	}
	return key, secrets
}

// environment is what function f is given: exactly the variables of what
// its spec entry uses.
func (b *parts) environment(f spec.Function) map[string]*string {
	env := map[string]*string{}
	set := func(n spec.Need, k string, v *string) {
		if f.Uses(n) && v != nil {
			env[k] = v
		}
	}
	set(spec.NeedTable, envTable, b.table.TableName())
	set(spec.NeedPublicBaseURL, envPublicBaseURL, jsii.String(b.base))
	set(spec.NeedLinkCodes, envLinkCodeSecretARN, b.secrets[envLinkCodeSecretARN].SecretArn())
	if f.Uses(spec.NeedSealer) || f.Uses(spec.NeedSeal) {
		env[envKMSKeyID] = b.key.KeyId()
	}
	if s, ok := b.secrets[envSandboxSecretARN]; ok && f.Uses(spec.NeedPSPs) {
		env[envSandboxEnabled], env[envSandboxSecretARN] = jsii.String("1"), s.SecretArn()
	}
	if !b.prod && f.Uses(spec.NeedPSPNames) {
		env[envSandboxEnabled] = jsii.String("1")
	}
	set(spec.NeedRateLimits, envRatePerSecond, jsii.String(strconv.FormatFloat(b.p.RateLimit.PerSecond, 'f', -1, 64)))
	set(spec.NeedRateLimits, envRateBurst, jsii.String(strconv.FormatFloat(b.p.RateLimit.Burst, 'f', -1, 64)))
	if b.p.EmailFrom != "" {
		set(spec.NeedChannels, envEmailFrom, jsii.String(b.p.EmailFrom))
	}
	if b.p.SMS {
		set(spec.NeedChannels, envSMSEnabled, jsii.String("1"))
	}
	if usesIdentity(f) {
		env[envUserPoolID], env[envClientID] = b.users.id, b.users.clientID
	}
	if b.p.LocalStack && f.Name == "deliver" {
		env[envAllowLoopback] = jsii.String("1")
	}
	b.statementsEnv(f, env)
	for _, q := range f.Sends {
		env[spec.QueueEnv(q)] = b.queues[q].QueueUrl()
	}
	for _, q := range f.DeadLetters {
		env[spec.QueueEnv(q+"-dlq")] = b.dlqs[q].QueueUrl()
	}
	return env
}

// function makes f's Lambda with its environment and its grants, both
// derived from its spec entry.
func (b *parts) function(f spec.Function) awslambda.Function {
	env := b.environment(f)
	logs := awslogs.NewLogGroup(b.st, jsii.String(cdkName(f.Name)+"Logs"), &awslogs.LogGroupProps{
		Retention: b.logs, RemovalPolicy: removal(b.prod),
	})
	fn := awslambda.NewFunction(b.st, jsii.String(cdkName(f.Name)+"Function"), &awslambda.FunctionProps{
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(b.p.AssetDir, f.Name+".zip")), nil),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(f.Timeout.Seconds())),
		MemorySize:    jsii.Number(float64(f.Memory)),
		Environment:   &env,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		LogGroup:      logs,
		Description:   jsii.String("paylinks " + f.Name),
	})
	b.grant(f, fn)
	return fn
}

// grant gives f's role what its spec entry uses, and nothing else.
func (b *parts) grant(f spec.Function, fn awslambda.Function) {
	switch {
	case f.Uses(spec.NeedTable | spec.NeedTableWrite):
		b.table.GrantReadWriteData(fn)
	case f.Uses(spec.NeedTable):
		b.table.GrantReadData(fn)
	}
	for _, q := range f.Sends {
		b.queues[q].GrantSendMessages(fn)
	}
	for _, q := range f.DeadLetters {
		b.dlqs[q].GrantSendMessages(fn)
	}
	// Only GetSecretValue on exactly the secrets it is given.
	env := b.environment(f)
	for _, name := range sortedKeys(b.secrets) {
		if env[name] != nil {
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: &[]*string{b.secrets[name].SecretArn()},
			}))
		}
	}
	switch {
	case f.Uses(spec.NeedSeal):
		b.key.Grant(fn, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))
	case f.Uses(spec.NeedSealer):
		b.key.GrantDecrypt(fn)
	}
	if f.Uses(spec.NeedChannels) {
		b.grantChannels(fn)
	}
	b.grantStatements(f, fn)
	b.users.grantIdentity(f, fn)
}

func (b *parts) grantChannels(fn awslambda.Function) {
	if b.p.EmailFrom != "" {
		domain := b.p.EmailFrom[strings.LastIndex(b.p.EmailFrom, "@")+1:]
		domain = strings.TrimSuffix(domain, ">")
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ses:SendEmail"),
			Resources: jsii.Strings(fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", *b.st.Region(), *b.st.Account(), domain)),
		}))
	}
	if b.p.SMS {
		// Publishing to a phone number has no resource ARN: SNS requires
		// "*" here, and only sns:Publish is allowed.
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sns:Publish"), Resources: jsii.Strings("*"),
		}))
	}
}

// triggers wires the queue consumers, the table stream and the schedule.
func (b *parts) triggers(functions []spec.Function, fns map[string]awslambda.Function) {
	for _, f := range functions {
		switch f.Trigger {
		case spec.TriggerQueue:
			fns[f.Name].AddEventSource(awslambdaeventsources.NewSqsEventSource(b.queues[f.Consumes], &awslambdaeventsources.SqsEventSourceProps{
				BatchSize: jsii.Number(10), ReportBatchItemFailures: jsii.Bool(true),
				MaxBatchingWindow: awscdk.Duration_Seconds(jsii.Number(1)),
			}))
		case spec.TriggerStream:
			b.stream(fns[f.Name])
		case spec.TriggerSchedule:
			rule := awsevents.NewRule(b.st, jsii.String(cdkName(f.Name)+"Schedule"), &awsevents.RuleProps{
				Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
				Description: jsii.String("paylinks: expire due links and hand reminders on"),
			})
			rule.AddTarget(awseventstargets.NewLambdaFunction(fns[f.Name], &awseventstargets.LambdaFunctionProps{RetryAttempts: jsii.Number(0)}))
		}
	}
}

// stream feeds the table's stream, filtered to link items (their
// last_event names the event written with each change), to fn.
func (b *parts) stream(fn awslambda.Function) {
	fn.AddEventSource(awslambdaeventsources.NewDynamoEventSource(b.table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(100),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(1)),
		ReportBatchItemFailures: jsii.Bool(true),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(1000),
		MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(24)),
		OnFailure:               awslambdaeventsources.NewSqsDlq(b.dlqs["stream"]),
		Filters: &[]*map[string]interface{}{awslambda.FilterCriteria_Filter(&map[string]interface{}{
			"dynamodb": map[string]interface{}{"Keys": map[string]interface{}{"SK": map[string]interface{}{"S": awslambda.FilterRule_BeginsWith(jsii.String("L#"))}}},
		})},
	}))
}

// addRoutes puts each route on the HTTP API, integrated with its function,
// and hardens the stage.
func addRoutes(st awscdk.Stack, api awsapigatewayv2.HttpApi, p *Props, routes []route, fns map[string]awslambda.Function, logRetention awslogs.RetentionDays) error {
	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	byKey := map[string]awsapigatewayv2.HttpRoute{}
	for _, r := range routes {
		in, ok := integrations[r.fn]
		if !ok {
			in = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(cdkName(r.fn)+"Integration"), fns[r.fn], nil)
			integrations[r.fn] = in
		}
		added := api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{Path: jsii.String(r.path), Methods: &r.methods, Integration: in})
		for i, k := range routeKeys([]route{r}) {
			byKey[k] = (*added)[i]
		}
	}
	return hardenStage(st, api, p, byKey, logRetention)
}

func outputs(st awscdk.Stack, api awsapigatewayv2.HttpApi, b *parts, fns map[string]awslambda.Function) {
	awscdk.NewCfnOutput(st, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiEndpoint()})
	awscdk.NewCfnOutput(st, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: b.table.TableName()})
	awscdk.NewCfnOutput(st, jsii.String("StatementsBucketName"), &awscdk.CfnOutputProps{Value: b.bucket.BucketName(),
		Description: jsii.String("bank statements: put a camt.053, camt.054 or CODA file at drop/<merchant>/<name> to reconcile it")})
	awscdk.NewCfnOutput(st, jsii.String("AdminFunctionName"), &awscdk.CfnOutputProps{Value: fns["admin"].FunctionName(),
		Description: jsii.String("the operators' function: go run ./infra/admin -function <this> ... (IAM lambda:InvokeFunction only)")})
	awscdk.NewCfnOutput(st, jsii.String("KmsKeyId"), &awscdk.CfnOutputProps{Value: b.key.KeyId(),
		Description: jsii.String("the key sealing merchants' PSP credentials and webhook secrets")})
	awscdk.NewCfnOutput(st, jsii.String("LinkCodeSecretArn"), &awscdk.CfnOutputProps{Value: b.secrets[envLinkCodeSecretARN].SecretArn()})
	awscdk.NewCfnOutput(st, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{Value: b.users.id,
		Description: jsii.String("the team members' Cognito user pool")})
	awscdk.NewCfnOutput(st, jsii.String("UserPoolClientId"), &awscdk.CfnOutputProps{Value: b.users.clientID,
		Description: jsii.String("the pool's dashboard app client")})
	if s, ok := b.secrets[envSandboxSecretARN]; ok {
		awscdk.NewCfnOutput(st, jsii.String("SandboxSecretArn"), &awscdk.CfnOutputProps{Value: s.SecretArn()})
	}
}

// localStackOutputs names every function (for lambda invoke) and gives each
// HTTP function a public function URL (the way in where API Gateway v2 is
// missing, as in LocalStack's free edition), with its URL as an output.
func localStackOutputs(st awscdk.Stack, functions []spec.Function, fns map[string]awslambda.Function) {
	for _, f := range functions {
		n := cdkName(f.Name)
		if n+"FunctionName" != "AdminFunctionName" { // every stack has that one (outputs)
			awscdk.NewCfnOutput(st, jsii.String(n+"FunctionName"), &awscdk.CfnOutputProps{Value: fns[f.Name].FunctionName()})
		}
		if f.Trigger != spec.TriggerHTTP {
			continue
		}
		u := fns[f.Name].AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_NONE})
		awscdk.NewCfnOutput(st, jsii.String(n+"FunctionUrl"), &awscdk.CfnOutputProps{Value: u.Url()})
	}
}

// customDomain serves the HTTP API on the merchant's own domain (links,
// pages, the API): the certificate given, or one the stack validates by DNS
// in the hosted zone, where it also writes the alias record. Without a zone
// the DomainTarget output is what the operator's CNAME points to.
func customDomain(st awscdk.Stack, api awsapigatewayv2.HttpApi, d Domain) {
	if d.Name == "" {
		return
	}
	var zone awsroute53.IHostedZone
	if d.HostedZoneID != "" {
		zone = awsroute53.HostedZone_FromHostedZoneAttributes(st, jsii.String("HostedZone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(d.HostedZoneID), ZoneName: jsii.String(strings.TrimSuffix(d.HostedZoneName, ".")),
		})
	}
	var cert awscertificatemanager.ICertificate
	if d.CertificateArn != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(st, jsii.String("Certificate"), jsii.String(d.CertificateArn))
	} else {
		cert = awscertificatemanager.NewCertificate(st, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(d.Name), Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
		})
	}
	dn := awsapigatewayv2.NewDomainName(st, jsii.String("Domain"), &awsapigatewayv2.DomainNameProps{
		DomainName: jsii.String(d.Name), Certificate: cert, SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
	})
	awsapigatewayv2.NewApiMapping(st, jsii.String("DomainMapping"), &awsapigatewayv2.ApiMappingProps{Api: api, DomainName: dn, Stage: api.DefaultStage()})
	if zone != nil {
		awsroute53.NewARecord(st, jsii.String("DomainAlias"), &awsroute53.ARecordProps{
			Zone: zone, RecordName: jsii.String(d.Name),
			Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(dn.RegionalDomainName(), dn.RegionalHostedZoneId())),
		})
	}
	awscdk.NewCfnOutput(st, jsii.String("DomainTarget"), &awscdk.CfnOutputProps{Value: dn.RegionalDomainName(),
		Description: jsii.String("where " + d.Name + " points (a CNAME, or the alias the stack wrote in the hosted zone)")})
}

// hardenStage sets the default stage's throttling (default and per route)
// and its JSON access log, through the stage's L1 (the L2 HTTP API has no
// properties for either).
func hardenStage(st awscdk.Stack, api awsapigatewayv2.HttpApi, p *Props, byKey map[string]awsapigatewayv2.HttpRoute, logRetention awslogs.RetentionDays) error {
	stage, ok := api.DefaultStage().Node().DefaultChild().(awsapigatewayv2.CfnStage)
	if !ok {
		return fmt.Errorf("the HTTP API's default stage has no CfnStage")
	}
	stage.SetDefaultRouteSettings(&awsapigatewayv2.CfnStage_RouteSettingsProperty{
		ThrottlingRateLimit: jsii.Number(p.Throttling.Default.Rate), ThrottlingBurstLimit: jsii.Number(p.Throttling.Default.Burst),
	})
	if len(p.Throttling.Routes) > 0 {
		settings := map[string]any{}
		for _, k := range sortedKeys(p.Throttling.Routes) {
			t := p.Throttling.Routes[k]
			settings[k] = map[string]any{"ThrottlingRateLimit": t.Rate, "ThrottlingBurstLimit": t.Burst}
			// API Gateway refuses settings for a route it does not have yet.
			stage.Node().AddDependency(byKey[k])
		}
		stage.SetRouteSettings(settings)
	}
	if !p.AccessLogs {
		return nil
	}
	format, err := json.Marshal(accessLogFormat)
	if err != nil {
		return fmt.Errorf("access log format: %w", err)
	}
	logs := awslogs.NewLogGroup(st, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: logRetention, RemovalPolicy: removal(p.Prod()),
	})
	stage.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: logs.LogGroupArn(), Format: jsii.String(string(format)),
	})
	return nil
}

func alarms(st awscdk.Stack, functions []spec.Function, queues, dlqs map[string]awssqs.Queue, fns map[string]awslambda.Function, api awsapigatewayv2.HttpApi) {
	var widgets []awscloudwatch.IWidget
	for _, d := range spec.Queues {
		n := cdkName(d.Name)
		depth := dlqs[d.Name].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))})
		depth.CreateAlarm(st, jsii.String(n+"DlqNotEmpty"), &awscloudwatch.CreateAlarmOptions{
			Threshold: jsii.Number(0), EvaluationPeriods: jsii.Number(1), ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			AlarmDescription: jsii.String("messages in the " + d.Name + " DLQ: inspect and redrive"), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		age := queues[d.Name].MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))})
		age.CreateAlarm(st, jsii.String(n+"OldestMessage"), &awscloudwatch.CreateAlarmOptions{
			Threshold: jsii.Number(600), EvaluationPeriods: jsii.Number(3), ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			AlarmDescription: jsii.String(d.Name + " is falling behind"), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		widgets = append(widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(d.Name + " queue"),
			Left: &[]awscloudwatch.IMetric{age}, Right: &[]awscloudwatch.IMetric{depth}}))
	}
	dlqs["stream"].MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}).
		CreateAlarm(st, jsii.String("StreamFailuresNotEmpty"), &awscloudwatch.CreateAlarmOptions{
			Threshold: jsii.Number(0), EvaluationPeriods: jsii.Number(1), ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			AlarmDescription: jsii.String("stream records the webhook stream function gave up on: replay them"), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/Lambda"), MetricName: jsii.String("IteratorAge"), Statistic: jsii.String("Maximum"),
		DimensionsMap: &map[string]*string{"FunctionName": fns["stream"].FunctionName()}, Period: awscdk.Duration_Minutes(jsii.Number(1))}).
		CreateAlarm(st, jsii.String("StreamIteratorAge"), &awscloudwatch.CreateAlarmOptions{
			Threshold: jsii.Number(60000), EvaluationPeriods: jsii.Number(5), ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			AlarmDescription: jsii.String("outbound webhooks lag the table by more than a minute"), TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	for _, f := range functions {
		fn := fns[f.Name]
		n := cdkName(f.Name)
		errs := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))})
		errs.CreateAlarm(st, jsii.String(n+"Errors"), &awscloudwatch.CreateAlarmOptions{Threshold: jsii.Number(0), EvaluationPeriods: jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING})
		thr := fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))})
		thr.CreateAlarm(st, jsii.String(n+"Throttles"), &awscloudwatch.CreateAlarmOptions{Threshold: jsii.Number(0), EvaluationPeriods: jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING})
		widgets = append(widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(f.Name),
			Left: &[]awscloudwatch.IMetric{fn.MetricInvocations(nil), errs, thr}, Right: &[]awscloudwatch.IMetric{fn.MetricDuration(nil)}}))
	}
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("100 * e5 / MAX([count, 1])"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"e5":    api.MetricServerError(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
			"count": api.MetricCount(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		},
		Label: jsii.String("5xx %"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
	})
	rate.CreateAlarm(st, jsii.String("Api5xxRate"), &awscloudwatch.CreateAlarmOptions{Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, AlarmDescription: jsii.String("more than 1% of API answers are 5xx"),
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING})
	widgets = append(widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("API 5xx %"), Left: &[]awscloudwatch.IMetric{rate}}))
	dash := awscloudwatch.NewDashboard(st, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: jsii.String(*st.StackName() + "-ops")})
	for i := 0; i < len(widgets); i += 3 {
		dash.AddWidgets(widgets[i:min(i+3, len(widgets))]...)
	}
}

func removal(prod bool) awscdk.RemovalPolicy {
	if prod {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// cdkName turns "psp-events" into "PspEvents".
func cdkName(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
