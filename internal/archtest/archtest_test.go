package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/spreadwatch/spreadwatch"

func TestCoreDependencies(t *testing.T) {
	forbidden := []string{
		module + "/bot",
		module + "/storage",
		module + "/config",
		module + "/cmd",
		"github.com/slack-go/slack",
		"github.com/bwmarrin/discordgo",
		"go.etcd.io/bbolt",
		"net/http",
	}
	for _, pkg := range []string{module + "/market", module + "/rules"} {
		for _, dep := range deps(t, pkg) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s imports %s; the domain core must not depend on adapters, storage or the network", pkg, dep)
				}
			}
		}
	}
	for _, dep := range deps(t, module+"/config") {
		if dep != module+"/config" && strings.HasPrefix(dep, module+"/") {
			t.Errorf("config imports %s; config must import no spreadwatch package", dep)
		}
	}
}

func TestAdaptersDoNotImportEachOther(t *testing.T) {
	adapters := []string{module + "/bot/slack", module + "/bot/discord", module + "/bot/console", module + "/storage/bolt"}
	for _, a := range adapters {
		for _, dep := range deps(t, a) {
			for _, other := range adapters {
				if other != a && dep == other {
					t.Errorf("%s imports %s; adapters depend on the core only", a, other)
				}
			}
			if dep == module+"/config" {
				t.Errorf("%s imports config; adapters take their own Options", a)
			}
		}
	}
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
