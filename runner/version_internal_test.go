package runner

import (
	"runtime/debug"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"v1.2.3", vcs, "v1.2.3"}, // -ldflags wins
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"}, // go install …@v0.4.0
		{"", vcs, "devel+0123456789ab-dirty"},                                   // a build from a checkout
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"", nil, "dev"},
	} {
		if got := versionFrom(c.stamped, c.bi); got != c.want {
			t.Errorf("versionFrom(%q, …) = %q, want %q", c.stamped, got, c.want)
		}
	}
}
