package main

import (
	"os"
	"strings"
	"testing"
)

// clearLogEnv unsets every TF_LOG* variable for the test, restoring them after.
func clearLogEnv(t *testing.T) {
	names := []string{"TF_LOG", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") {
			names = append(names, name)
		}
	}
	for _, name := range names {
		t.Setenv(name, "")
		_ = os.Unsetenv(name)
	}
}

func TestQuietUnlessLoggingSilencesUnreadLogs(t *testing.T) {
	clearLogEnv(t)
	quietUnlessLogging()
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"} {
		if got := os.Getenv(name); got != "off" {
			t.Errorf("with no TF_LOG* set, %s = %q, want off", name, got)
		}
	}
}

func TestQuietUnlessLoggingKeepsRequestedLogs(t *testing.T) {
	clearLogEnv(t)
	t.Setenv("TF_LOG", "debug")
	quietUnlessLogging()
	if got, set := os.LookupEnv("TF_LOG_SDK"); set {
		t.Fatalf("with TF_LOG=debug, TF_LOG_SDK was set to %q; logs must stay as asked", got)
	}
}
