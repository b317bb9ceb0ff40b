// Command webhook is the Lambda that takes PSP webhooks in: verify, record, enqueue, answer.
package main

import "github.com/paylinks/paylinks/shared/service"

func main() { service.MainHTTP("webhook", (*service.Service).WebhookHandler) }
