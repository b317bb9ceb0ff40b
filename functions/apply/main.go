// Command apply is the SQS consumer that applies PSP events to links.
package main

import (
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
)

func main() { service.MainSQS("apply", queue.PSPEvents) }
