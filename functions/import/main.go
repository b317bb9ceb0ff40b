// Command import is the SQS consumer that creates the links of CSV imports, row by row, once.
package main

import (
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
)

func main() { service.MainSQS("import", queue.Imports) }
