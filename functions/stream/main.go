// Command stream is the Lambda of the table's DynamoDB stream: each change of
// a link that wrote an event becomes an outbound webhook delivery.
package main

import "github.com/paylinks/paylinks/shared/service"

func main() { service.MainStream() }
