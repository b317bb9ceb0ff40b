// Command redirect is the Lambda behind the public links /l/{code}.
package main

import "github.com/paylinks/paylinks/shared/service"

func main() { service.MainHTTP("redirect", (*service.Service).PublicHandler) }
