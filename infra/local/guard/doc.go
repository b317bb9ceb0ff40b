// Package guard holds no Go code: beside it are the launchers that
// infra/local/emulators.sh and infra/local/localstack.sh run the local
// emulators under (DynamoDBLocal.java and ElasticMQ.java with the rule in
// Refusal.java; python/paylinks_guard for moto and LocalStack), which bind
// every emulator to loopback only and answer 403, without CORS headers, to
// what a web page's browser sends (a CORS preflight, an Origin header, a
// cross-site Sec-Fetch-Site, a Host that is not a loopback name). Its test
// lists the listening sockets of the running emulators and of a set it
// starts itself, and sends each one a web page's requests.
package guard
