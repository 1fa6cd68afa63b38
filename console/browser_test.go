package console_test

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive headless Chromium (Debian's chromium package,
// which .ci/run installs) through the console's real pages. Without a
// browser they are skipped, unless CI is set: then they fail.
//
//	go test ./console/ -run TestBrowser -update-console-docs
//
// also rewrites the screenshots in docs/console/.
var phoneDocs = map[string]bool{"queue": true, "record": true}

var updateDocs = flag.Bool("update-console-docs", false, "rewrite docs/console/*.png from the browser test's screenshots")

// findBrowser returns the Chromium to drive, or skips (fails under CI).
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if inCI() {
		t.Fatal("no Chromium on PATH (apt-get install -y chromium); CI is set, so the browser tests must run")
	}
	t.Skip("no Chromium on PATH (apt-get install -y chromium): the console's browser tests are skipped")
	return ""
}

// inCI reports whether CI is set (as interop's tests read it).
func inCI() bool {
	ci := os.Getenv("CI")
	return ci != "" && ci != "false" && ci != "0"
}

// axeSource is axe-core, installed by scripts/install-node-tools into
// console/testdata/js.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "js", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		if inCI() {
			t.Fatalf("axe-core is not installed (scripts/install-node-tools): %v", err)
		}
		t.Skipf("axe-core is not installed (run scripts/install-node-tools): %v", err)
	}
	return string(b)
}

// browser is one signed-in person: a tab in its own browser context (its
// own cookies).
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string

	mu       sync.Mutex
	messages []string // console errors and exceptions, CSP violations included
}

func newBrowser(t *testing.T, alloc context.Context, base, axe string) *browser {
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx, base: base, axe: axe}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.messages = append(b.messages, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// click clicks and waits for the page it leads to.
func (b *browser) click(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.60q: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, for at most 10 s.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !eval[bool](b, cond) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: still not true after 10 s: %s\npage:\n%s", what, cond, b.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) text() string { return eval[string](b, "document.body.innerText") }

func (b *browser) wantText(what string, subs ...string) {
	b.t.Helper()
	text := b.text()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			b.t.Fatalf("%s: the page does not say %q; it says:\n%s", what, s, text)
		}
	}
}

func (b *browser) path() string {
	loc := eval[string](b, "location.pathname + location.search")
	return loc
}

// check runs axe-core in the page (WCAG 2.1 A and AA) and fails on any
// serious or critical violation; it also fails on console errors, which
// include Content-Security-Policy violations.
func (b *browser) check(page string) {
	b.t.Helper()
	if !eval[bool](b, "typeof axe !== 'undefined'") {
		eval[bool](b, b.axe+"\n;true")
	}
	found := eval[[]string](b, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
  .then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))`)
	for _, f := range found {
		b.t.Errorf("accessibility, page %s: %s", page, f)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.messages {
		b.t.Errorf("console, page %s: %s", page, m)
	}
	b.messages = nil
}

// shoot saves the page at desktop and phone widths, into the git-ignored
// testdata/screenshots; with -update-console-docs the desktop one, and the
// phone one of the pages in phoneDocs, also into docs/console (few, so that
// the repository stays small).
func (b *browser) shoot(name string) {
	b.t.Helper()
	for _, size := range []struct {
		suffix string
		w, h   int64
	}{{"", 1280, 800}, {"-phone", 390, 844}} {
		b.do("resize", chromedp.EmulateViewport(size.w, size.h))
		shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := name + size.suffix + ".png"
		dirs := []string{filepath.Join("testdata", "screenshots")}
		if *updateDocs && (size.suffix == "" || phoneDocs[name]) {
			dirs = append(dirs, filepath.Join("..", "docs", "console"))
		}
		for i, dir := range dirs {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.t.Fatal(err)
			}
			data := shot
			if i > 0 {
				data = smallPNG(b.t, shot)
			}
			if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
				b.t.Fatal(err)
			}
		}
	}
	b.do("resize", chromedp.EmulateViewport(1280, 900))
}

// forget drops the console messages seen so far.
func (b *browser) forget() {
	b.mu.Lock()
	b.messages = nil
	b.mu.Unlock()
}

// smallPNG re-encodes a screenshot for docs/ with the 256 most frequent
// colours (others map to the nearest): a page has few colours besides
// the anti-aliasing of its text, and the file is about 60% smaller.
func smallPNG(t *testing.T, data []byte) []byte {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	count := map[color.RGBA]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	colors := slices.Collect(maps.Keys(count))
	slices.SortFunc(colors, func(a, b color.RGBA) int {
		return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a.R, b.R), cmp.Compare(a.G, b.G), cmp.Compare(a.B, b.B))
	})
	var pal color.Palette
	for _, c := range colors[:min(256, len(colors))] {
		pal = append(pal, c)
	}
	p := image.NewPaletted(bounds, pal)
	draw.Draw(p, bounds, img, bounds.Min, draw.Src)
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, p); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func (b *browser) signIn(k principalKey) {
	b.t.Helper()
	b.open("/console/")
	b.do("fill the sign-in form",
		chromedp.WaitVisible(chromedp.ID("accessKeyId")),
		chromedp.SendKeys(chromedp.ID("accessKeyId"), k.id),
		chromedp.SendKeys(chromedp.ID("secretAccessKey"), k.secret))
	b.click(`form[action="/console/signin"] button[type=submit]`)
	if p := b.path(); p != "/console/registries" {
		b.t.Fatalf("after sign-in the browser is at %s", p)
	}
}

func TestBrowser(t *testing.T) {
	exe := findBrowser(t)
	axe := axeSource(t)
	ts := startServer(t, nil)
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("hide-scrollbars", true))
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	// The first tab starts the browser; each person then gets a browser
	// context of their own (separate cookies).
	alloc, cancelFirst := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelFirst)
	if err := chromedp.Do(alloc); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}

	// The curator signs in and creates a registry.
	cur := newBrowser(t, alloc, ts.URL, axe)
	cur.open("/console/")
	cur.check("sign-in")
	cur.shoot("signin")
	cur.signIn(curator)
	cur.do("fill the registry form",
		chromedp.SendKeys(chromedp.ID("name"), "team-tools"),
		chromedp.SendKeys(chromedp.ID("description"), "MCP servers and agents of the platform team"))
	cur.click(`form[action="/console/registries"] button[type=submit]`)
	cur.wantText("the new registry", "team-tools", "Created.")
	regPath := cur.path()
	regPath, _, _ = strings.Cut(regPath, "?")
	regID := strings.TrimPrefix(regPath, "/console/registries/")

	// The publisher writes a record; the form is checked as it is typed,
	// with the server's messages.
	pub := newBrowser(t, alloc, ts.URL, axe)
	pub.signIn(publisher)
	pub.check("registries")
	pub.open(regPath + "/new")
	pub.do("type a record",
		chromedp.SendKeys(chromedp.ID("name"), "weather"),
		chromedp.SetValue(chromedp.ID("content"), `{"name": "io.example/weather"}`),
		chromedp.SendKeys(chromedp.ID("content"), " "))
	// An answer about the form as it was (the name typed, no document yet)
	// may come first: wait for the one about the document.
	pub.waitFor("validation as you type", `document.getElementById("validation").innerText.includes("missing property 'description'")`)
	pub.wantText("validation as you type", "descriptors.mcp.server.inlineContent", "missing property 'description'")
	pub.check("new record")
	pub.shoot("record-form")
	pub.do("fix the record",
		chromedp.SetValue(chromedp.ID("content"), serverJSON),
		chromedp.SetValue(chromedp.ID("tools"), toolsJSON),
		chromedp.SendKeys(chromedp.ID("content"), " "))
	pub.do("wait for the validation", chromedp.WaitVisible(chromedp.CSS(`#validation.ok`)))
	pub.click(`#record-form button[type=submit]`)
	pub.wantText("the new record", "weather", "DRAFT", "get_forecast")
	pub.click(`form[action$="/submit"] button`)
	pub.wantText("the submitted record", "PENDING_APPROVAL", "Submitted for approval.")
	recPath, _, _ := strings.Cut(pub.path(), "?")
	if n := eval[int](pub, `document.querySelectorAll('button[value="APPROVED"], button[value="REJECTED"]').length`); n != 0 {
		t.Errorf("the publisher's record page has %d decision buttons", n)
	}
	pub.open("/console/queue")
	pub.wantText("the publisher's queue", "weather")
	if n := eval[int](pub, `document.querySelectorAll('#queue-form button').length`); n != 0 {
		t.Errorf("the publisher's queue has %d decision buttons", n)
	}

	// A forged approval from the publisher's own session, with its valid
	// CSRF token: the server refuses it whatever the page showed.
	pub.open(recPath)
	forge := fmt.Sprintf(`(() => {
  const f = document.createElement("form");
  f.method = "post"; f.action = %q;
  for (const [k, v] of [["csrf", document.querySelector('meta[name="csrf-token"]').content], ["status", "APPROVED"], ["reason", "self-approved"]]) {
    const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
  }
  document.body.appendChild(f); f.submit(); return true; })()`, recPath+"/status")
	eval[bool](pub, forge)
	pub.do("wait for the refusal", chromedp.WaitVisible(chromedp.CSS(`p.error`)))
	pub.wantText("the forged approval", "is not authorized to perform: bedrock-agentcore:UpdateRegistryRecordStatus")
	pub.forget() // the refusal's 403 is the expected console error

	// The curator finds it in the queue and approves it with one click.
	cur.open("/console/queue")
	cur.wantText("the curator's queue", "weather", "team-tools")
	cur.check("queue")
	cur.shoot("queue")
	cur.click(fmt.Sprintf(`button[name="one"][value^="APPROVED %s/"]`, regID))
	cur.wantText("after approving", "Decisions recorded.", "Nothing is waiting for approval.")
	cur.open(recPath)
	cur.wantText("the approved record", "APPROVED", "get_forecast", "city")

	// The publisher edits the approved record: a new draft, while the
	// approved revision stays live; the curator sees both and the diff.
	pub.open(recPath + "/edit")
	pub.do("edit the record", chromedp.SetValue(chromedp.ID("content"), strings.Replace(serverJSON, "1.2.0", "1.3.0", 1)))
	pub.click(`#record-form button[type=submit]`)
	pub.wantText("the edited record", "DRAFT", "Approved and latest revisions")
	cur.open(recPath)
	cur.wantText("the record with a draft", "Approved and latest revisions", "What changed in the descriptor", "version 1.3.0")
	if n := eval[int](cur, `document.querySelectorAll('.diff .dadd, .diff .ddel').length`); n != 2 {
		t.Errorf("the diff shows %d changed lines, want 2 (the version):\n%s", n, eval[string](cur, `document.querySelector('.diff').innerText`))
	}
	cur.check("record")
	cur.shoot("record")
	cur.open(regPath)
	cur.check("records")
	cur.shoot("records")
	cur.open("/console/registries")
	cur.shoot("registries")

	// It is found in the playground, with why it ranked.
	cur.open("/console/search?registry=" + regID)
	cur.do("search", chromedp.SendKeys(chromedp.ID("q"), "weather forecast for a city"))
	cur.click(`form[action="/console/search"] button[type=submit]`)
	cur.wantText("the search", "1 result", "weather", "#1")
	cur.check("search")
	cur.shoot("search")

	cur.open("/console/connect?registry=" + regID)
	cur.wantText("connect", "/registry/"+regID+"/mcp", "agentry mcp-proxy", "Claude Code", "Kiro", "VS Code", "MCP Inspector")
	cur.check("connect")
	cur.shoot("connect")

	// The publisher's view after approval: still no decisions, and the
	// pages pass the same checks.
	pub.open(recPath)
	pub.check("record (publisher)")
	if n := eval[int](pub, `document.querySelectorAll('form.decide').length`); n != 0 {
		t.Errorf("the publisher sees the decision form")
	}
	cur.click(`form.signout button`)
	cur.wantText("signed out", "You are signed out.")
	cur.open("/console/queue")
	if p := cur.path(); !strings.HasPrefix(p, "/console/signin") {
		t.Errorf("after sign-out the queue is at %s, not the sign-in page", p)
	}
}
