// Package stack is paylinks' AWS CDK stack: the single table from the
// shared definition, the queues with their DLQs, one function per trigger,
// the HTTP API, the event source mappings, the sweep's schedule,
// least-privilege grants, alarms and a dashboard.
package stack

import (
	"fmt"
	"path/filepath"
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
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
)

// Props are the stack's settings (from CDK context).
type Props struct {
	awscdk.StackProps
	Stage         string // dev or prod
	AssetDir      string // where `make build` put <function>.zip
	PublicBaseURL string // the custom domain in front of the API, if any
	EmailFrom     string // SES identity for e-mail; empty: no e-mail channel
	SMS           bool   // SNS SMS channel
}

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

// consumers maps a queue to its consuming function.
var consumers = map[string]string{queue.PSPEvents: "apply", queue.Refunds: "refund", queue.Send: "send", queue.Imports: "import",
	queue.Webhooks: "deliver"}

// producers maps a function to the queues it sends to.
var producers = map[string][]string{
	"webhook": {queue.PSPEvents}, "api": {queue.Refunds, queue.Send, queue.Imports, queue.Webhooks}, "apply": {queue.Refunds, queue.Send},
	"import": {queue.Send}, "sweep": {queue.Send}, "refund": {queue.Refunds}, "stream": {queue.Webhooks},
}

// New builds the stack.
func New(scope constructs.Construct, id string, p *Props) awscdk.Stack {
	st := awscdk.NewStack(scope, &id, &p.StackProps)
	prod := p.Stage == "prod"

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

	fns := map[string]awslambda.Function{}
	for _, f := range Functions {
		fn := awslambda.NewFunction(st, jsii.String(cdkName(f.Name)+"Function"), &awslambda.FunctionProps{
			Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:  awslambda.Architecture_ARM_64(),
			Handler:       jsii.String("bootstrap"),
			Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(p.AssetDir, f.Name+".zip")), nil),
			Timeout:       awscdk.Duration_Seconds(jsii.Number(f.Timeout)),
			MemorySize:    jsii.Number(f.Memory),
			Environment:   &env,
			LoggingFormat: awslambda.LoggingFormat_JSON,
			Description:   jsii.String("paylinks " + f.Name),
		})
		fns[f.Name] = fn
		table.GrantReadWriteData(fn)
		for _, qn := range producers[f.Name] {
			queues[qn].GrantSendMessages(fn)
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

	routes := []struct {
		path    string
		methods []awsapigatewayv2.HttpMethod
		fn      string
	}{
		{"/v1/{proxy+}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_ANY}, "api"},
		{"/openapi.json", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, "api"},
		{"/healthz", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET}, "api"},
		{"/l/{proxy+}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET, awsapigatewayv2.HttpMethod_HEAD}, "redirect"},
		{"/sandbox/{proxy+}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_GET, awsapigatewayv2.HttpMethod_POST}, "sandbox"},
		{"/webhooks/psp/{provider}/{merchant}", []awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST}, "webhook"},
	}
	integrations := map[string]awsapigatewayv2integrations.HttpLambdaIntegration{}
	for _, r := range routes {
		in, ok := integrations[r.fn]
		if !ok {
			in = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(cdkName(r.fn)+"Integration"), fns[r.fn], nil)
			integrations[r.fn] = in
		}
		api.AddRoutes(&awsapigatewayv2.AddRoutesOptions{Path: jsii.String(r.path), Methods: &r.methods, Integration: in})
	}

	rule := awsevents.NewRule(st, jsii.String("SweepSchedule"), &awsevents.RuleProps{
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Description: jsii.String("paylinks: expire due links and hand reminders on"),
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(fns["sweep"], &awseventstargets.LambdaFunctionProps{RetryAttempts: jsii.Number(0)}))

	alarms(st, queues, dlqs, fns, api)
	awscdk.NewCfnOutput(st, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiEndpoint()})
	awscdk.NewCfnOutput(st, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: table.TableName()})
	return st
}

func alarms(st awscdk.Stack, queues, dlqs map[string]awssqs.Queue, fns map[string]awslambda.Function, api awsapigatewayv2.HttpApi) {
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
	for _, f := range Functions {
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
