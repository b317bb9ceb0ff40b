package deliver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestGuardFromEnvironment: the deployed worker refuses loopback receivers;
// OUTBOUND_ALLOW_LOOPBACK=1 (set only by the stack's localstack=true) lets
// them through, as make dev does.
func TestGuardFromEnvironment(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	for _, c := range []struct {
		env   string
		reach bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Setenv(EnvAllowLoopback, c.env)
		resp, err := Guard().Client().Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		if (err == nil) != c.reach {
			t.Errorf("%s=%q: reached %s: %v (err %v), want %v", EnvAllowLoopback, c.env, srv.URL, err == nil, err, c.reach)
		}
	}
}
