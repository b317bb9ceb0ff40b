// Package stack is paylinks' AWS CDK stack: the single table from the
// shared definition, the queues with their DLQs, one function per trigger
// (no sandbox in prod), the HTTP API with stage throttling and an access log,
// the event source mappings, the sweep's schedule, the signing secrets and
// the merchant-secrets KMS key, least-privilege grants, log groups with
// retention, alarms and a dashboard.
package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
)

// Function is one Lambda of the stack.
type Function struct {
	Name    string
	Timeout float64 // seconds
	Memory  float64
}

// Functions are the stack's Lambdas, one per trigger; `make build` builds
// functions/<name> into <name>.zip.
var Functions = []Function{
	{"api", 10, 256}, {"redirect", 10, 256}, {"sandbox", 10, 256}, {"webhook", 10, 256},
	{"apply", 30, 256}, {"refund", 30, 256}, {"send", 30, 256}, {"sweep", 120, 512}, {"import", 120, 512},
	{"stream", 60, 256}, {"deliver", 30, 256},
}

// FunctionsFor are the functions deployed in stage: all but the sandbox PSP
// in prod.
func FunctionsFor(stage string) []Function {
	return slices.DeleteFunc(slices.Clone(Functions), func(f Function) bool { return stage == "prod" && f.Name == "sandbox" })
}

// The runtime's configuration contract (read at cold start by the functions'
// configuration, shared/config; the secrets' values are fetched there with
// secretsmanager:GetSecretValue, never put in the environment).
const (
	envLinkCodeSecretARN = "LINK_CODE_SECRET_ARN" // signs public link codes
	envSandboxSecretARN  = "SANDBOX_SECRET_ARN"   // signs sandbox checkout sessions (not in prod)
	envSandboxEnabled    = "SANDBOX_ENABLED"      // "1" outside prod
	envKMSKeyID          = "KMS_KEY_ID"           // envelope encryption of merchants' PSP credentials and webhook secrets
	envRatePerSecond     = "RATE_LIMIT_PER_SECOND"
	envRateBurst         = "RATE_LIMIT_BURST"
)

var (
	// Which functions read which secret follows from what each needs to
	// start (service.Needs): the runtime's table, not a list kept here.
	// merchantEncrypters seal merchants' secrets (PUT /v1/settings); every
	// other function only opens them when it loads a merchant.
	merchantEncrypters = []string{"api"}
)

// route is one path of the HTTP API and the function behind it.
type route struct {
	path    string
	methods []awsapigatewayv2.HttpMethod
	fn      string
}

// routesFor are the HTTP API's routes in stage: no sandbox pages in prod.
func routesFor(prod bool) []route {
	rs := []route{
		{"/v1/{proxy+}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY}, "api"},
		{"/openapi.json", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, "api"},
		{"/healthz", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, "api"},
		{"/l/{proxy+}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET, awsapigatewayv2.HttpMethod_HEAD}, "redirect"},
		{"/webhooks/psp/{provider}/{merchant}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST}, "webhook"},
	}
	if !prod {
		rs = append(rs, route{"/sandbox/{proxy+}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET, awsapigatewayv2.HttpMethod_POST}, "sandbox"})
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

// consumers maps a queue to its consuming function.
var consumers = map[string]string{queue.PSPEvents: "apply", queue.Refunds: "refund", queue.Send: "send", queue.Imports: "import",
	queue.Webhooks: "deliver"}

// producers maps a function to the queues it sends to.
var producers = map[string][]string{
	"webhook": {queue.PSPEvents}, "api": {queue.Refunds, queue.Send, queue.Imports, queue.Webhooks}, "apply": {queue.Refunds, queue.Send},
	"import": {queue.Send}, "sweep": {queue.Send}, "refund": {queue.Refunds}, "stream": {queue.Webhooks},
}

// New builds the stack.
func New(scope constructs.Construct, id string, p *Props) (awscdk.Stack, error) {
	prod := p.Prod()
	functions, routes := FunctionsFor(p.Stage), routesFor(prod)
	if err := p.validate(routeKeys(routes)); err != nil {
		return nil, err
	}
	logRetention, err := retention(p.LogRetentionDays)
	if err != nil {
		return nil, err
	}
	st := awscdk.NewStack(scope, &id, &p.StackProps)

	table := awsdynamodb.NewTable(st, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String(store.Table.PK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:                          &awsdynamodb.Attribute{Name: jsii.String(store.Table.SK), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute:              jsii.String(store.Table.TTLAttr),
		Stream:                           awsdynamodb.StreamViewType(string(store.Table.StreamView)),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		DeletionProtection:               jsii.Bool(prod),
		RemovalPolicy:                    removal(prod),
	})
	for _, ix := range store.Table.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(ix.PK), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(ix.SK), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}

	fnDefs := map[string]Function{}
	for _, f := range Functions {
		fnDefs[f.Name] = f
	}
	queues := map[string]awssqs.Queue{}
	dlqs := map[string]awssqs.Queue{}
	env := map[string]*string{"TABLE_NAME": table.TableName(), "STAGE": jsii.String(p.Stage)}
	for _, d := range queue.Defs {
		consumer := fnDefs[consumers[d.Name]]
		def := d
		def.ConsumerTimeout = secs(consumer.Timeout)
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
		env[service.QueueEnv(d.Name)] = q.QueueUrl()
	}
	// The delivery worker puts what it gave up on in its DLQ itself.
	env[service.QueueEnv(queue.Webhooks+"-dlq")] = dlqs[queue.Webhooks].QueueUrl()

	api := awsapigatewayv2.NewHttpApi(st, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{ApiName: jsii.String("paylinks-" + p.Stage)})
	base := p.PublicBaseURL
	if base == "" {
		base = *api.ApiEndpoint()
	}
	env["PUBLIC_BASE_URL"] = jsii.String(base)
	if p.EmailFrom != "" {
		env["EMAIL_FROM"] = jsii.String(p.EmailFrom)
	}
	if p.SMS {
		env["SMS_ENABLED"] = jsii.String("1")
	}
	if !prod {
		env[envSandboxEnabled] = jsii.String("1")
	}

	// Merchants' PSP credentials and webhook secrets are sealed with data
	// keys of this key (envelope encryption).
	key := awskms.NewKey(st, jsii.String("MerchantSecretsKey"), &awskms.KeyProps{
		Description:       jsii.String("paylinks " + p.Stage + ": envelope encryption of merchants' PSP credentials and webhook secrets"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal(prod),
	})
	env[envKMSKeyID] = key.KeyId()

	// Signing secrets are generated here, at deploy, and read by the
	// functions at cold start. Retained in prod: links already sent carry
	// codes signed with the link code secret.
	secret := func(id, what string) awssecretsmanager.Secret {
		return awssecretsmanager.NewSecret(st, jsii.String(id), &awssecretsmanager.SecretProps{
			Description: jsii.String("paylinks " + p.Stage + ": " + what),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
			},
			RemovalPolicy: removal(prod),
		})
	}
	secrets := map[string]awssecretsmanager.Secret{envLinkCodeSecretARN: secret("LinkCodeSecret", "signs public link codes")}
	needs := map[string]config.Need{envLinkCodeSecretARN: config.NeedLinkCodes, envSandboxSecretARN: config.NeedSandboxSecret}
	if !prod {
		secrets[envSandboxSecretARN] = secret("SandboxSecret", "signs sandbox checkout sessions")
	}
	reads := func(fn, name string) bool { return service.Needs[fn]&needs[name] != 0 }

	fns := map[string]awslambda.Function{}
	for _, f := range functions {
		fnEnv := maps.Clone(env)
		for _, name := range sortedKeys(secrets) {
			if reads(f.Name, name) {
				fnEnv[name] = secrets[name].SecretArn()
			}
		}
		if f.Name == "api" {
			fnEnv[envRatePerSecond] = jsii.String(strconv.FormatFloat(p.RateLimit.PerSecond, 'f', -1, 64))
			fnEnv[envRateBurst] = jsii.String(strconv.FormatFloat(p.RateLimit.Burst, 'f', -1, 64))
		}
		logs := awslogs.NewLogGroup(st, jsii.String(cdkName(f.Name)+"Logs"), &awslogs.LogGroupProps{
			Retention: logRetention, RemovalPolicy: removal(prod),
		})
		fn := awslambda.NewFunction(st, jsii.String(cdkName(f.Name)+"Function"), &awslambda.FunctionProps{
			Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:  awslambda.Architecture_ARM_64(),
			Handler:       jsii.String("bootstrap"),
			Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(p.AssetDir, f.Name+".zip")), nil),
			Timeout:       awscdk.Duration_Seconds(jsii.Number(f.Timeout)),
			MemorySize:    jsii.Number(f.Memory),
			Environment:   &fnEnv,
			LoggingFormat: awslambda.LoggingFormat_JSON,
			LogGroup:      logs,
			Description:   jsii.String("paylinks " + f.Name),
		})
		fns[f.Name] = fn
		table.GrantReadWriteData(fn)
		for _, qn := range producers[f.Name] {
			queues[qn].GrantSendMessages(fn)
		}
		// Only GetSecretValue on exactly the secrets it is given.
		for _, name := range sortedKeys(secrets) {
			if reads(f.Name, name) {
				fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions: jsii.Strings("secretsmanager:GetSecretValue"), Resources: &[]*string{secrets[name].SecretArn()},
				}))
			}
		}
		// Every function loads merchants and opens their secrets; the api
		// also seals new ones.
		if slices.Contains(merchantEncrypters, f.Name) {
			key.Grant(fn, jsii.String("kms:GenerateDataKey"), jsii.String("kms:Decrypt"))
		} else {
			key.GrantDecrypt(fn)
		}
	}
	// The sandbox reads links; the webhook ingest reads merchants and
	// writes its records: both are on the table grant above.

	for qn, fn := range consumers {
		fns[fn].AddEventSource(awslambdaeventsources.NewSqsEventSource(queues[qn], &awslambdaeventsources.SqsEventSourceProps{
			BatchSize: jsii.Number(10), ReportBatchItemFailures: jsii.Bool(true),
			MaxBatchingWindow: awscdk.Duration_Seconds(jsii.Number(1)),
		}))
	}
	dlqs[queue.Webhooks].GrantSendMessages(fns["deliver"])

	// The table's stream, filtered to link items (their last_event names
	// the event written with each change), into the outbound webhooks.
	streamFailures := awssqs.NewQueue(st, jsii.String("StreamFailuresDlq"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		RemovalPolicy: removal(prod),
	})
	dlqs["stream"] = streamFailures
	fns["stream"].AddEventSource(awslambdaeventsources.NewDynamoEventSource(table, &awslambdaeventsources.DynamoEventSourceProps{
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(100),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(1)),
		ReportBatchItemFailures: jsii.Bool(true),
		BisectBatchOnError:      jsii.Bool(true),
		RetryAttempts:           jsii.Number(1000),
		MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(24)),
		OnFailure:               awslambdaeventsources.NewSqsDlq(streamFailures),
		Filters: &[]*map[string]interface{}{awslambda.FilterCriteria_Filter(&map[string]interface{}{
			"dynamodb": map[string]interface{}{"Keys": map[string]interface{}{"SK": map[string]interface{}{"S": awslambda.FilterRule_BeginsWith(jsii.String("L#"))}}},
		})},
	}))

	if p.EmailFrom != "" {
		domain := p.EmailFrom[strings.LastIndex(p.EmailFrom, "@")+1:]
		domain = strings.TrimSuffix(domain, ">")
		fns["send"].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("ses:SendEmail"),
			Resources: jsii.Strings(fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", *st.Region(), *st.Account(), domain)),
		}))
	}
	if p.SMS {
		// Publishing to a phone number has no resource ARN: SNS requires
		// "*" here, and only sns:Publish is allowed.
		fns["send"].AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sns:Publish"), Resources: jsii.Strings("*"),
		}))
	}

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
	if err := hardenStage(st, api, p, byKey, logRetention); err != nil {
		return nil, err
	}

	rule := awsevents.NewRule(st, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Description: jsii.String("paylinks: expire due links and hand reminders on"),
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(fns["sweep"], &awseventstargets.LambdaFunctionProps{RetryAttempts: jsii.Number(0)}))

	alarms(st, functions, queues, dlqs, fns, api)
	awscdk.NewCfnOutput(st, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiEndpoint()})
	awscdk.NewCfnOutput(st, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: table.TableName()})
	awscdk.NewCfnOutput(st, jsii.String("KmsKeyId"), &awscdk.CfnOutputProps{Value: key.KeyId(),
		Description: jsii.String("the key sealing merchants' PSP credentials and webhook secrets")})
	awscdk.NewCfnOutput(st, jsii.String("LinkCodeSecretArn"), &awscdk.CfnOutputProps{Value: secrets[envLinkCodeSecretARN].SecretArn()})
	if s, ok := secrets[envSandboxSecretARN]; ok {
		awscdk.NewCfnOutput(st, jsii.String("SandboxSecretArn"), &awscdk.CfnOutputProps{Value: s.SecretArn()})
	}
	return st, nil
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

func alarms(st awscdk.Stack, functions []Function, queues, dlqs map[string]awssqs.Queue, fns map[string]awslambda.Function, api awsapigatewayv2.HttpApi) {
	var widgets []awscloudwatch.IWidget
	for _, d := range queue.Defs {
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

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

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
