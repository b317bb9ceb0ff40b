// Command api is the integrator API's Lambda (with /openapi.json and /healthz).
package main

import "github.com/paylinks/paylinks/shared/service"

func main() { service.MainHTTP("api", (*service.Service).APIFunctionHandler) }
