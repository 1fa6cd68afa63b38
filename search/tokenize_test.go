package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"snake_case", "github_list_issues", []string{"github", "list", "issu"}},
		{"camelCase", "listIssues", []string{"list", "issu", "listissu"}},
		{"PascalCase", "GitHub", []string{"git", "hub", "github"}},
		{"acronym then word", "HTMLParser", []string{"html", "parser", "htmlparser"}},
		{"digit then upper", "getV2Data", []string{"get", "v2", "data", "getv2data"}},
		{"letters and digits stay", "k8s ec2 mp3 oauth2", []string{"k8s", "ec2", "mp3", "oauth2"}},
		{"registry name", "io.github.owner/weather-mcp", []string{"io", "github", "owner", "weather", "mcp"}},
		{"package", "@modelcontextprotocol/server-filesystem", []string{"modelcontextprotocol", "server", "filesystem"}},
		{"url", "https://api.example.com/v1/search?q=x", []string{"https", "api", "exampl", "com", "v1", "search", "q", "x"}},
		{"stemming", "running ponies generalization searches", []string{"run", "poni", "general", "search"}},
		{"stop words", "Can you please find me the weather in Paris?", []string{"find", "weather", "pari"}},
		{"possessive and contraction", "today's forecast doesn't", []string{"today", "forecast"}},
		{"curly apostrophe", "today’s", []string{"today"}},
		{"accents", "Café CRÈME naïve", []string{"cafe", "creme", "naiv"}},
		{"full width", "ｗｅａｔｈｅｒ", []string{"weather"}},
		{"german", "Straße Größe", []string{"strass", "gross"}},
		{"cyrillic", "Погода Москва", []string{"погода", "москва"}},
		{"greek", "Καιρός", []string{"καιρός"}},
		{"chinese bigrams", "中文搜索", []string{"中文", "文搜", "搜索"}},
		{"one han character", "书", []string{"书"}},
		{"mixed scripts", "MCP服务器", []string{"mcp", "服务", "务器"}},
		{"japanese", "天気予報", []string{"天気", "気予", "予報"}},
		{"quotes and operators", `"exact phrase" AND -not +must OR (group) field:value*`, []string{"exact", "phrase", "group", "field", "valu"}},
		{"emoji and symbols", "🚀 launch ✨ $100 #tag", []string{"launch", "100", "tag"}},
		{"long blob dropped", strings.Repeat("a", maxTokenBytes+1) + " kept", []string{"kept"}},
		{"empty", "", nil},
		{"only punctuation", "!!! ??? ...", nil},
		{"only stop words", "what is this", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tokenize(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIdentifierSplitting(t *testing.T) {
	a := defaultAnalyzer
	a.stem, a.stopWords = false, false
	tests := []struct{ in, want string }{
		{"github_list_issues", "github list issues"},
		{"listIssues", "list issues listissues"},
		{"get-weread-rank", "get weread rank"},
		{"io.github.owner/name", "io github owner name"},
		{"XMLHttpRequest", "xml http request xmlhttprequest"},
		{"S3Bucket", "s3 bucket s3bucket"},
		{"iPhone", "i phone iphone"},
		{"ALLCAPS", "allcaps"},
		{"snake_CASE_mixed", "snake case mixed"},
		{"v1.2.3", "v1 2 3"},
	}
	for _, tt := range tests {
		var got []string
		a.each(tt.in, func(b []byte) bool { got = append(got, string(b)); return true })
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q -> %q, want %q", tt.in, strings.Join(got, " "), tt.want)
		}
	}
}

// TestStem checks Porter2 on the examples of the algorithm's description
// and on its special cases. The full vocabulary of the evaluation sets
// (16,376 words) was compared with github.com/kljensen/snowball/english
// while writing it, with no difference.
func TestStem(t *testing.T) {
	tests := map[string]string{
		"consign": "consign", "consigned": "consign", "consigning": "consign", "consignment": "consign",
		"consist": "consist", "consisted": "consist", "consistency": "consist", "consistent": "consist",
		"knack": "knack", "knackeries": "knackeri", "knaves": "knave", "knightly": "knight",
		"generate": "generat", "generously": "generous", "communism": "communism", "arsenal": "arsenal",
		"skies": "sky", "dying": "die", "news": "news", "succeed": "succeed", "inning": "inning",
		"cries": "cri", "ties": "tie", "gaps": "gap", "gas": "gas", "kiwis": "kiwi",
		"hopping": "hop", "hoped": "hope", "sized": "size", "happy": "happi", "say": "say",
		"repositories": "repositori", "repository": "repositori", "databases": "databas",
		"kubernetes": "kubernet", "searching": "search", "weather": "weather", "forecasts": "forecast",
		"by": "by", "a": "a", "yelled": "yell", "cayenne": "cayenn",
	}
	for in, want := range tests {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
	// Words it does not handle pass through.
	for _, w := range []string{"café", "mp3", "München", ""} {
		if got := Stem(w); got != w {
			t.Errorf("Stem(%q) = %q, want it unchanged", w, got)
		}
	}
}

func TestSynonymsExpandQueries(t *testing.T) {
	syn := buildSynonyms(&defaultAnalyzer)
	for _, pair := range [][2]string{{"k8s", "kubernet"}, {"repo", "repositori"}, {"db", "databas"}, {"mail", "email"}} {
		if g := syn[pair[0]]; !slices.Contains(g, pair[1]) {
			t.Errorf("synonyms of %q = %q, want %q among them", pair[0], g, pair[1])
		}
		if g := syn[pair[1]]; !slices.Contains(g, pair[0]) {
			t.Errorf("synonyms of %q = %q, want %q among them", pair[1], g, pair[0])
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"github_list_issues listIssues io.github.owner/name", "HTMLParser getV2Data", "Café ｃａｆｅ",
		"中文搜索 MCP服务器", "today's don't ’’ ''", "\xff\xfe invalid utf8", strings.Repeat("aB", 300),
		`"quoted" AND (x OR y) -z +w field:value* ~fuzzy^2`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokenize(s)
		for _, tok := range toks {
			if tok == "" || len(tok) > maxTokenBytes+1 {
				t.Fatalf("Tokenize(%q): bad token %q", s, tok)
			}
			if !utf8.ValidString(tok) {
				t.Fatalf("Tokenize(%q): token %q is not UTF-8", s, tok)
			}
		}
		if again := Tokenize(s); !slices.Equal(again, toks) {
			t.Fatalf("Tokenize(%q) is not deterministic: %q then %q", s, toks, again)
		}
	})
}
