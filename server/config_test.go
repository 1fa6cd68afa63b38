package server_test

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/server"
)

// loadConfig is server.LoadConfig for agentry serve with the given
// environment only.
func loadConfig(args []string, env map[string]string) (server.Config, error) {
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	return server.LoadConfig("agentry serve", server.Settings, args, lookup, io.Discard)
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./agentry-data" || c.Region != "us-east-1" || c.AccountID != "000000000000" ||
		c.PublicURL != "" || c.DatabaseURL != "" || c.DBMaxConns != 16 || c.ReplayProtection || c.AllowPrivateURLs ||
		!c.BuiltinModel || c.EmbedderURL != "" || c.LogFormat != "json" || c.Logger == nil {
		t.Errorf("defaults: %+v", c)
	}
	if c.Fusion != (search.Fusion{Method: search.FusionConvex}) || c.ApproxThreshold != search.DefaultApproxThreshold {
		t.Errorf("search defaults: fusion %+v, approx threshold %d", c.Fusion, c.ApproxThreshold)
	}
	want := httpapi.TransferLimits{InFlightBytes: httpapi.DefaultInFlightBytes, ClientBytes: httpapi.DefaultClientBytes,
		MinRate: httpapi.DefaultMinRate, Grace: httpapi.DefaultTransferGrace}
	if c.Transfers != want {
		t.Errorf("transfer limits %+v, want %+v", c.Transfers, want)
	}
}

// A flag wins over its variable; an empty variable counts as unset.
func TestLoadConfigSources(t *testing.T) {
	c, err := loadConfig([]string{"--region", "eu-west-1", "--allow-private-urls", "--sigv4-replay-protection=false", "--semantic", "off"},
		map[string]string{
			"AGENTRY_REGION":                  "us-west-2",
			"AGENTRY_ACCOUNT_ID":              "123456789012",
			"AGENTRY_SIGV4_REPLAY_PROTECTION": "true",
			"AGENTRY_LISTEN":                  "",
			"AGENTRY_DB_MAX_CONNS":            "",
			"AGENTRY_ALLOWED_HOSTS":           "a.example, ,b.example",
			"AGENTRY_TRANSFER_GRACE":          "30s",
			"AGENTRY_LEXICAL_WEIGHT":          "0.7",
			"AGENTRY_FUSION":                  "rrf",
		})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-1" || c.AccountID != "123456789012" || !c.AllowPrivateURLs || c.ReplayProtection || c.BuiltinModel {
		t.Errorf("flags and environment: %+v", c)
	}
	if c.Listen != "127.0.0.1:8080" || c.DBMaxConns != 16 {
		t.Errorf("empty variables: listen %q, db max conns %d", c.Listen, c.DBMaxConns)
	}
	if !slices.Equal(c.AllowedHosts, []string{"a.example", "b.example"}) || c.Transfers.Grace != 30*time.Second ||
		c.Fusion != (search.Fusion{Method: search.FusionRRF, LexicalWeight: 0.7}) {
		t.Errorf("hosts %q, grace %v, fusion %+v", c.AllowedHosts, c.Transfers.Grace, c.Fusion)
	}
	for v, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "0": false, "false": false} {
		c, err := loadConfig(nil, map[string]string{"AGENTRY_SIGV4_REPLAY_PROTECTION": v})
		if err != nil || c.ReplayProtection != want {
			t.Errorf("AGENTRY_SIGV4_REPLAY_PROTECTION=%s: %v, %v", v, c.ReplayProtection, err)
		}
	}
}

// Every bad value is reported at once, each with its flag and variable,
// and nothing is taken for a default in its place.
func TestLoadConfigReportsEveryBadValue(t *testing.T) {
	_, err := loadConfig([]string{"--fusion", "rank", "--max-inflight-mib", "8", "--max-client-inflight-mib", "9", "--listen", "8080"},
		map[string]string{
			"AGENTRY_DB_MAX_CONNS":              "many",
			"AGENTRY_SIGV4_REPLAY_PROTECTION":   "yes",
			"AGENTRY_SEMANTIC_APPROX_THRESHOLD": "lots",
			"AGENTRY_LEXICAL_WEIGHT":            "0",
			"AGENTRY_ACCOUNT_ID":                "12345",
			"AGENTRY_TRANSFER_GRACE":            "soon",
			"AGENTRY_EMBEDDER_URL":              "http://localhost:11434/v1",
		})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`--fusion (AGENTRY_FUSION): must be convex or rrf, got "rank"` + "\n",
		`--listen (AGENTRY_LISTEN): must be host:port, got "8080"` + "\n",
		`--db-max-conns (AGENTRY_DB_MAX_CONNS): must be 1 to 1000, got "many" from the environment`,
		`--sigv4-replay-protection (AGENTRY_SIGV4_REPLAY_PROTECTION): must be true or false, got "yes" from the environment`,
		`--semantic-approx-threshold (AGENTRY_SEMANTIC_APPROX_THRESHOLD): must be an integer, got "lots" from the environment`,
		`--lexical-weight (AGENTRY_LEXICAL_WEIGHT): must be a number more than 0 and at most 1, got "0" from the environment`,
		`--account-id (AGENTRY_ACCOUNT_ID): must be 12 digits, got "12345" from the environment`,
		`--transfer-grace (AGENTRY_TRANSFER_GRACE): must be 1s to 10m, got "soon" from the environment`,
		`--max-client-inflight-mib (AGENTRY_MAX_CLIENT_INFLIGHT_MIB): must be 1 to --max-inflight-mib (8), got 9`,
		`--embedder-url (AGENTRY_EMBEDDER_URL) needs --embedder-model (AGENTRY_EMBEDDER_MODEL)`,
	} {
		if !strings.Contains(err.Error()+"\n", want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 10 {
		t.Errorf("%d errors, want 10:\n%v", n, err)
	}
}

func TestLoadConfigCombinations(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AGENTRY_EMBEDDER_URL": "http://e.example/v1", "AGENTRY_EMBEDDER_MODEL": "m", "AGENTRY_EMBEDDER_MODEL_DIR": "/models/m"},
			"choose one embedder: --embedder-url (AGENTRY_EMBEDDER_URL) or --embedder-model-dir (AGENTRY_EMBEDDER_MODEL_DIR)"},
		{map[string]string{"AGENTRY_ROOT_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12"},
			"set both AGENTRY_ROOT_ACCESS_KEY_ID and AGENTRY_ROOT_SECRET_ACCESS_KEY, or neither"},
		{map[string]string{"AGENTRY_ROOT_ACCESS_KEY_ID": "lower-case", "AGENTRY_ROOT_SECRET_ACCESS_KEY": "a-secret-of-enough-length"},
			"AGENTRY_ROOT_ACCESS_KEY_ID, AGENTRY_ROOT_SECRET_ACCESS_KEY: access key id must be"},
	} {
		_, err := loadConfig(nil, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.env, err, c.want)
		}
	}
	c, err := loadConfig(nil, map[string]string{"AGENTRY_EMBEDDER_URL": "http://e.example/v1", "AGENTRY_EMBEDDER_MODEL": "m",
		"AGENTRY_EMBEDDER_API_KEY": "k", "AGENTRY_ROOT_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12", "AGENTRY_ROOT_SECRET_ACCESS_KEY": "a-secret-of-enough-length"})
	if err != nil || c.EmbedderURL != "http://e.example/v1" || c.EmbedderModel != "m" || c.EmbedderAPIKey != "k" ||
		c.Root.AccessKeyID != "AKIAEXAMPLEEXAMPLE12" || c.Root.SecretAccessKey != "a-secret-of-enough-length" {
		t.Errorf("embedder and root from the environment: %+v, %v", c, err)
	}
}

// Values that may hold a secret are never repeated in a message.
func TestLoadConfigKeepsSecretsOut(t *testing.T) {
	_, err := loadConfig([]string{"--embedder-url", "ftp://user:hunter2@e.example/"},
		map[string]string{"AGENTRY_ROOT_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12", "AGENTRY_ROOT_SECRET_ACCESS_KEY": "hunter3"})
	if err == nil || strings.Contains(err.Error(), "hunter") {
		t.Fatalf("error: %v", err)
	}
	if !strings.Contains(err.Error(), "--embedder-url (AGENTRY_EMBEDDER_URL): must be an absolute http or https URL without user information") {
		t.Errorf("error: %v", err)
	}
}

func TestLoadConfigArguments(t *testing.T) {
	if _, err := loadConfig([]string{"-h"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if _, err := loadConfig([]string{"--no-such-flag"}, nil); err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Errorf("unknown flag: %v", err)
	}
	if _, err := loadConfig([]string{"extra"}, nil); err == nil || !strings.Contains(err.Error(), "takes no arguments") {
		t.Errorf("argument: %v", err)
	}
	// A command that takes some settings ignores the others' variables.
	c, err := server.LoadConfig("agentry migrate", server.SettingsNamed("database-url", "data-dir"), []string{"--data-dir", "d"},
		func(name string) (string, bool) { return "bad", true }, io.Discard)
	if err != nil || c.DataDir != "d" || c.DatabaseURL != "bad" {
		t.Errorf("migrate: %+v, %v", c, err)
	}
	if _, err := server.LoadConfig("agentry migrate", server.SettingsNamed("database-url", "data-dir"), []string{"--listen", ":1"},
		func(string) (string, bool) { return "", false }, io.Discard); err == nil {
		t.Error("migrate took --listen")
	}
}

// docs/configuration.md documents every setting of server.Settings, and
// nothing else, with its default.
func TestConfigurationDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	flagRE, envRE := regexp.MustCompile(`--[a-z0-9-]+`), regexp.MustCompile(`AGENTRY_[A-Z0-9_]+`)
	defaults := map[string]string{} // by flag or variable: the row's default cell
	inTable := false
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| flag | environment | default |") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break // the end of the table
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			t.Fatalf("row %q", line)
		}
		for _, f := range flagRE.FindAllString(cells[1], -1) {
			defaults[f] = cells[3]
		}
		for _, e := range envRE.FindAllString(cells[2], -1) {
			defaults[e] = cells[3]
		}
	}
	documented := map[string]bool{}
	for name := range defaults {
		documented[name] = true
	}
	for _, s := range server.Settings {
		names := []string{s.Env}
		if s.Flag != "" {
			names = append(names, "--"+s.Flag)
		}
		for _, name := range names {
			cell, ok := defaults[name]
			if !ok {
				t.Errorf("%s is not in docs/configuration.md", name)
				continue
			}
			delete(documented, name)
			if s.Default != "" && !strings.Contains(cell, s.Default) {
				t.Errorf("docs/configuration.md gives %s the default %q, want %s", name, strings.TrimSpace(cell), s.Default)
			}
		}
	}
	for name := range documented {
		t.Errorf("docs/configuration.md names %s, which is no setting of agentry serve", name)
	}
}
