package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/paylinks/paylinks/shared/spec"
)

// Prices are testdata/perf/prices.json: us-east-1 on-demand list prices in
// USD, dated, with their sources.
type Prices struct {
	Region   string `json:"region"`
	AsOf     string `json:"as_of"`
	DynamoDB struct {
		WRUPerMillion float64 `json:"write_request_unit_per_million"`
		RRUPerMillion float64 `json:"read_request_unit_per_million"`
	} `json:"dynamodb_on_demand"`
	SQSPerMillion   float64 `json:"sqs_standard_per_million_requests"`
	APIGWPerMillion float64 `json:"api_gateway_http_api_per_million_requests"`
	LambdaARM64     struct {
		GBSecond           float64 `json:"gb_second"`
		RequestsPerMillion float64 `json:"requests_per_million"`
	} `json:"lambda_arm64"`
	SESPerThousand float64             `json:"ses_per_thousand_emails"`
	Sources        map[string][]string `json:"sources"`
}

// LoadPrices reads a prices file; every price must be set.
func LoadPrices(path string) (Prices, error) {
	var p Prices
	raw, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("prices: %w", err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("prices %s: %w", path, err)
	}
	for name, v := range map[string]float64{"dynamodb WRU": p.DynamoDB.WRUPerMillion, "dynamodb RRU": p.DynamoDB.RRUPerMillion, "sqs": p.SQSPerMillion,
		"api gateway": p.APIGWPerMillion, "lambda GB-s": p.LambdaARM64.GBSecond, "lambda requests": p.LambdaARM64.RequestsPerMillion} {
		if v <= 0 {
			return p, fmt.Errorf("prices %s: %s price missing", path, name)
		}
	}
	if p.AsOf == "" || p.Region == "" {
		return p, fmt.Errorf("prices %s: region and as_of are required", path)
	}
	return p, nil
}

// step is one operation of a paid link's life: the measured op (make
// bench's Ops), how many times, and the function that runs it.
type step struct {
	op       string
	times    int
	function string
}

// recipe is one paid link: created with a send, sent, clicked once, paid
// (the PSP's webhook ingested, then applied), four outbound webhooks (a
// stream record each, then a delivery each).
var recipe = []step{
	{"create with send", 1, "create"},
	{"send", 1, "send"},
	{"first click", 1, "redirect"},
	{"webhook ingest", 1, "webhook"},
	{"webhook apply", 1, "apply"},
	{"stream record", 4, "stream"},
	{"webhook delivery", 4, "deliver"},
}

// Messages a paid link consumes from SQS (the send, the PSP event, four
// webhooks), each received and deleted by Lambda's poller: counted one
// ReceiveMessage and one DeleteMessage each (batch size 1, an upper
// bound). API Gateway requests: create, click, PSP webhook.
const (
	consumedMessages = 6
	apiRequests      = 3
)

// CostLine is one service's share of a paid link.
type CostLine struct {
	Service  string  `json:"service"`
	Quantity float64 `json:"quantity_per_link"`
	Unit     string  `json:"unit"`
	USD1000  float64 `json:"usd_per_1000_paid_links"`
}

// Cost is the cost of 1,000 paid links.
type Cost struct {
	Region       string     `json:"region"`
	PricesAsOf   string     `json:"prices_as_of"`
	Lines        []CostLine `json:"lines"`
	TotalUSD1000 float64    `json:"total_usd_per_1000_paid_links"`
	NotIncluded  string     `json:"not_included"`
}

// CostOf prices a paid link from the per-operation results (averages per
// run, names as in the report: "create with send", ...), each function's
// memory from spec.Functions.
func CostOf(ops []Result, p Prices) (Cost, error) {
	by := map[string]Result{}
	for _, r := range ops {
		by[r.Name] = r
	}
	var missing []string
	var wcu, rcu, sqsCalls, invocations, gbs float64
	for _, s := range recipe {
		r, ok := by[s.op]
		if !ok {
			missing = append(missing, s.op)
			continue
		}
		fn, ok := spec.Lookup(s.function)
		if !ok {
			return Cost{}, fmt.Errorf("cost: no function %q in spec.Functions", s.function)
		}
		for _, unit := range []string{"WCU/op", "RCU/op", "sqs/op", "p50-ms"} {
			if _, ok := r.Metrics[unit]; !ok {
				return Cost{}, fmt.Errorf("cost: %s has no %s", s.op, unit)
			}
		}
		n := float64(s.times)
		wcu += n * r.Metrics["WCU/op"]
		rcu += n * r.Metrics["RCU/op"]
		sqsCalls += n * r.Metrics["sqs/op"]
		invocations += n
		gbs += n * r.Metrics["p50-ms"] / 1000 * float64(fn.Memory) / 1024
	}
	if len(missing) > 0 {
		return Cost{}, fmt.Errorf("cost: operations not measured: %s", strings.Join(missing, ", "))
	}
	sqsRequests := sqsCalls + 2*consumedMessages
	per := func(q, perMillion float64) float64 { return q * perMillion / 1e6 * 1000 }
	c := Cost{Region: p.Region, PricesAsOf: p.AsOf, Lines: []CostLine{
		{"DynamoDB writes", wcu, "WRU", per(wcu, p.DynamoDB.WRUPerMillion)},
		{"DynamoDB reads", rcu, "RRU", per(rcu, p.DynamoDB.RRUPerMillion)},
		{"SQS", sqsRequests, "requests", per(sqsRequests, p.SQSPerMillion)},
		{"API Gateway", apiRequests, "requests", per(apiRequests, p.APIGWPerMillion)},
		{"Lambda requests", invocations, "invocations", per(invocations, p.LambdaARM64.RequestsPerMillion)},
		{"Lambda duration", gbs, "GB-s", gbs * p.LambdaARM64.GBSecond * 1000},
	}}
	for _, l := range c.Lines {
		c.TotalUSD1000 += l.USD1000
	}
	ses := "SES e-mail"
	if p.SESPerThousand > 0 {
		ses = fmt.Sprintf("SES e-mail (about $%.2f per 1,000)", p.SESPerThousand)
	}
	c.NotIncluded = ses + ", SMS, storage, data transfer, CloudWatch Logs, free tiers; the stream's second hand-off of a create's send " +
		"(1 SQS message, 1 send invocation that drops it); Lambda reads of the stream are free"
	return c, nil
}
