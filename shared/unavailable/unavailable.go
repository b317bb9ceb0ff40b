// Package unavailable tells a dependency that is down, slow or throttling
// (an AWS service, a PSP) from a request that is wrong: the first is a 503
// with Retry-After (the caller retries, with its Idempotency-Key), the
// second keeps its own answer.
package unavailable

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/paylinks/paylinks/shared/domain"
)

// throttling are the AWS error codes of a service shedding load.
var throttling = map[string]bool{
	"ThrottlingException": true, "Throttling": true, "ThrottledException": true, "RequestThrottled": true,
	"RequestThrottledException": true, "ProvisionedThroughputExceededException": true, "RequestLimitExceeded": true,
	"TooManyRequestsException": true, "LimitExceededException": true, "SlowDown": true,
	"ServiceUnavailable": true, "ServiceUnavailableException": true, "InternalError": true, "InternalFailure": true,
	"InternalServerError": true, "KMSInternalException": true, "KeyUnavailableException": true,
	"DependencyTimeoutException": true, "TransactionInProgressException": true,
	"AWS.SimpleQueueService.ServiceUnavailable": true, "RequestTimeout": true, "RequestTimeoutException": true,
}

// Is reports a dependency marked domain.ErrUnavailable, or one that did not answer, answered 5xx, or throttled.
func Is(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, domain.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) && throttling[api.ErrorCode()] {
		return true
	}
	return false
}
