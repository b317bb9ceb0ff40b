// Command sandbox is the Lambda of the sandbox PSP's hosted checkout.
package main

import "github.com/paylinks/paylinks/shared/service"

func main() { service.MainHTTP("sandbox", (*service.Service).SandboxHandler) }
