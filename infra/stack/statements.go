package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/shared/spec"
)

// The statements bucket's contract with the code (shared/statements).
const (
	envStatementsBucket = "STATEMENTS_BUCKET"
	// statementsUploads is where the api keeps uploaded files; statementsDrop
	// where files are dropped (drop/<merchant>/<name>), announced on the
	// statements queue.
	statementsUploads = "statements/"
	statementsDrop    = "drop/"
	// statementsKeptDays is how long a file is kept: its statement is
	// processed within minutes; a re-run needs it no longer than this.
	statementsKeptDays = 30
)

// newStatementsBucket is the bank statements' bucket: private (every public
// access blocked, the bucket owner owns every object), encrypted at rest
// (S3-managed keys) and reached over TLS only, each object expiring after
// statementsKeptDays. A file put under drop/ is announced on the
// statements queue by S3's ObjectCreated notification, written on the
// bucket itself (no custom resource, no Lambda of the CDK's): the queue
// lets S3 send from this account, and the bucket is made after that
// permission.
func newStatementsBucket(st awscdk.Stack, prod bool, q awssqs.Queue) awss3.Bucket {
	b := awss3.NewBucket(st, jsii.String("StatementsBucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-statement-files"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(statementsKeptDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: removal(prod),
	})
	added := q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("S3DropNotifications"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{q.QueueArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": st.Account()}},
	}))
	cfn := b.Node().DefaultChild().(awss3.CfnBucket)
	cfn.SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
		QueueConfigurations: &[]interface{}{&awss3.CfnBucket_QueueConfigurationProperty{
			Event: jsii.String("s3:ObjectCreated:*"),
			Queue: q.QueueArn(),
			Filter: &awss3.CfnBucket_NotificationFilterProperty{S3Key: &awss3.CfnBucket_S3KeyFilterProperty{
				Rules: &[]interface{}{&awss3.CfnBucket_FilterRuleProperty{Name: jsii.String("prefix"), Value: jsii.String(statementsDrop)}},
			}},
		}},
	})
	b.Node().AddDependency(added.PolicyDependable)
	return b
}

// statementsEnv names the bucket to a function that uses it.
func (b *parts) statementsEnv(f spec.Function, env map[string]*string) {
	if f.Uses(spec.NeedStatementFiles) || f.Uses(spec.NeedStatementUpload) {
		env[envStatementsBucket] = b.bucket.BucketName()
	}
}

// grantStatements gives a function what it does with the bucket: the api
// puts uploads under statements/ (and nothing else), the reconcile worker
// reads objects; neither lists, deletes or changes the bucket.
func (b *parts) grantStatements(f spec.Function, fn awslambda.Function) {
	if f.Uses(spec.NeedStatementUpload) {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:PutObject"), Resources: &[]*string{b.bucket.ArnForObjects(jsii.String(statementsUploads + "*"))},
		}))
	}
	if f.Uses(spec.NeedStatementFiles) {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:GetObject"), Resources: &[]*string{b.bucket.ArnForObjects(jsii.String("*"))},
		}))
	}
}
