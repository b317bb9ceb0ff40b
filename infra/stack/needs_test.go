package stack

import (
	"testing"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/service"
)

// Every function is given what its runtime refuses to start without
// (service.Needs, read by config.Load at cold start): a stack that forgot a
// variable would deploy functions that never start.
func TestEveryFunctionGetsWhatItNeeds(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, doc := synthProps(t, contextProps(t, stage, nil))
		fns := functionsOf(t, doc)
		for name, need := range service.Needs {
			f, ok := fns[name]
			if !ok {
				if name != "sandbox" || stage != "prod" {
					t.Errorf("%s: no function %s", stage, name)
				}
				continue
			}
			want := []string{}
			if need&config.NeedTable != 0 {
				want = append(want, "TABLE_NAME")
			}
			if need&config.NeedPublicBaseURL != 0 {
				want = append(want, "PUBLIC_BASE_URL")
			}
			if need&config.NeedLinkCodes != 0 {
				want = append(want, "LINK_CODE_SECRET_ARN")
			}
			if need&config.NeedSealer != 0 {
				want = append(want, "KMS_KEY_ID")
			}
			if need&config.NeedSandboxSecret != 0 && stage != "prod" {
				want = append(want, "SANDBOX_SECRET_ARN", "SANDBOX_ENABLED")
			}
			for _, v := range want {
				if f.env[v] == nil {
					t.Errorf("%s: function %s lacks %s", stage, name, v)
				}
			}
			if stage == "prod" && (f.env["SANDBOX_ENABLED"] != nil || f.env["SANDBOX_SECRET_ARN"] != nil) {
				t.Errorf("prod: function %s has the sandbox", name)
			}
		}
	}
}
