// Command send is the SQS consumer that delivers links by e-mail, SMS and WhatsApp.
package main

import (
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
)

func main() { service.MainSQS("send", queue.Send) }
