package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/importer"
)

// importCommand runs "agentry import": it reads the sources and publishes
// them into a registry of a running agentry through its public API,
// signed with the credentials of the AWS chain.
func importCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", env("AGENTRY_ENDPOINT", "http://127.0.0.1:8080"), "base URL of the agentry server")
	registryID := fs.String("registry", "", "registry id or ARN to import into (required)")
	region := fs.String("region", "", "signing region (default: from the AWS configuration, else us-east-1)")
	profile := fs.String("profile", "", "AWS profile for the credentials")
	dryRun := fs.Bool("dry-run", false, "report what would change, change nothing")
	submit := fs.Bool("submit", false, "submit created and updated records for approval")
	approve := fs.Bool("approve", false, "submit and approve them (needs UpdateRegistryRecordStatus)")
	include := fs.String("include", "", "only names matching one of these comma-separated patterns (* and ?, as path.Match)")
	exclude := fs.String("exclude", "", "skip names matching one of these comma-separated patterns")
	concurrency := fs.Int("concurrency", 8, "records in flight at once, 1 to 64")
	statePath := fs.String("state", defaultStatePath(), "file remembering, per registry URL, where the last import stopped (\"\" for none)")
	full := fs.Bool("full", false, "read registry URLs from the start, not from where the last import stopped")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: agentry import --registry ID [flags] SOURCE...")
		fmt.Fprintln(stderr, "A SOURCE is an MCP Registry v0.1 base URL (https://registry.modelcontextprotocol.io),")
		fmt.Fprintln(stderr, "a server.json, a seed.json array (current or 2025-05 shape), an A2A agent card,")
		fmt.Fprintln(stderr, "a SKILL.md, or a directory of them. Credentials come from the standard AWS chain.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *registryID == "" || fs.NArg() == 0 {
		fs.Usage()
		return errors.New("--registry and at least one SOURCE are required")
	}
	if *concurrency < 1 || *concurrency > 64 {
		return fmt.Errorf("--concurrency must be 1 to 64, got %d", *concurrency)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	state := loadState(*statePath)
	positions := map[string]time.Time{}
	var items []importer.Item
	for _, src := range fs.Args() {
		if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
			since := time.Time{}
			if !*full {
				since = state[src]
			}
			got, pos, err := importer.ReadRegistry(ctx, &http.Client{Timeout: time.Minute}, src, since)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "agentry: %s: %d servers", src, len(got))
			if !since.IsZero() {
				fmt.Fprintf(stderr, " updated since %s", since.Format(time.RFC3339))
			}
			fmt.Fprintln(stderr)
			positions[src] = pos
			items = append(items, got...)
			continue
		}
		got, err := importer.ReadFile(src)
		if err != nil {
			return err
		}
		items = append(items, got...)
	}

	cfg, err := loadAWSConfig(ctx, *region, *profile)
	if err != nil {
		return err
	}
	client := ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(strings.TrimSuffix(*endpoint, "/")) })
	progress := newProgress(stderr, len(items))
	start := time.Now()
	sum, err := importer.Run(ctx, client, items, importer.Options{
		Registry: *registryID, DryRun: *dryRun, Submit: *submit, Approve: *approve,
		Include: splitComma(*include), Exclude: splitComma(*exclude), Concurrency: *concurrency, Progress: progress.done,
	})
	progress.finish()
	if err != nil {
		return err
	}
	printSummary(stdout, sum, *dryRun, time.Since(start))
	if sum.Counts[importer.Failed] > 0 {
		return fmt.Errorf("%d records failed; run again to retry them", sum.Counts[importer.Failed])
	}
	if !*dryRun && *statePath != "" && len(positions) > 0 {
		for src, pos := range positions {
			if !pos.IsZero() {
				state[src] = pos
			}
		}
		if err := saveState(*statePath, state); err != nil {
			return fmt.Errorf("remembering where the import stopped: %w", err)
		}
	}
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printSummary(w io.Writer, s importer.Summary, dryRun bool, took time.Duration) {
	verb := ""
	if dryRun {
		verb = " (dry run: nothing changed)"
	}
	fmt.Fprintf(w, "imported in %.1fs%s: %d created, %d updated, %d unchanged, %d skipped, %d failed\n", took.Seconds(), verb,
		s.Counts[importer.Created], s.Counts[importer.Updated], s.Counts[importer.Unchanged], s.Counts[importer.Skipped], s.Counts[importer.Failed])
	if reasons := s.SortedReasons(); len(reasons) > 0 {
		fmt.Fprintln(w, "skipped and failed:")
		for _, r := range reasons {
			fmt.Fprintln(w, r)
		}
	}
	conv := map[string]int{}
	for _, r := range s.Results {
		if r.Outcome == importer.Created || r.Outcome == importer.Updated {
			for _, c := range r.Item.Conversions {
				conv[c]++
			}
		}
	}
	if len(conv) > 0 {
		keys := make([]string, 0, len(conv))
		for k := range conv {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return conv[keys[i]] > conv[keys[j]] || (conv[keys[i]] == conv[keys[j]] && keys[i] < keys[j])
		})
		fmt.Fprintln(w, "conversions (records):")
		for _, k := range keys {
			fmt.Fprintf(w, "%4d  %s\n", conv[k], k)
		}
	}
}

// progress shows a bar on a terminal and one line per record otherwise.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	total int
	n     int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) done(r importer.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.tty {
		const width = 40
		fill := width * p.n / max(1, p.total)
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.n, p.total)
		return
	}
	line := fmt.Sprintf("%-9s %s", r.Outcome, r.Item.RecordName())
	if r.Item.RecordName() == "" {
		line = fmt.Sprintf("%-9s %s", r.Outcome, r.Item.Source)
	}
	if r.Reason != "" {
		line += ": " + r.Reason
	}
	if len(r.Item.Conversions) > 0 && (r.Outcome == importer.Created || r.Outcome == importer.Updated) {
		line += " (converted: " + strings.Join(r.Item.Conversions, "; ") + ")"
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func defaultStatePath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "agentry", "import-state.json")
}

// loadState reads the import positions; a missing or unreadable file is
// no position (a full import).
func loadState(path string) map[string]time.Time {
	state := map[string]time.Time{}
	if path == "" {
		return state
	}
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &state)
	}
	return state
}

func saveState(path string, state map[string]time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
