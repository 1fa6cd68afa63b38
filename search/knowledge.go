package search

import "strings"

// products says what well-known products are, for records that name one
// without saying what it is: "Neon" is a Postgres database, "Playwright"
// drives a browser. A record whose name, title or description has one of
// these words gets the phrase as description text, for both legs: a query
// for "postgres" then finds the Neon server, and "take a screenshot of a
// web page" the browser automation servers. Keep it to products whose
// name is unambiguous in a registry of agents and tools; a loose
// association belongs to the semantic leg. "github" is not here: it is
// the namespace of most server names (io.github.owner/name).
var products = map[string]string{
	"neon":         "Postgres (PostgreSQL) database",
	"neondatabase": "Postgres (PostgreSQL) database",
	"supabase":     "Postgres (PostgreSQL) database",
	"cockroachdb":  "Postgres-compatible SQL database",
	"planetscale":  "MySQL database",
	"mariadb":      "MySQL database",
	"mssql":        "Microsoft SQL Server database",
	"playwright":   "browser automation: open web pages, click, fill in forms, take screenshots",
	"puppeteer":    "browser automation: open web pages, click, fill in forms, take screenshots",
	"selenium":     "browser automation: open web pages, click, fill in forms, take screenshots",
	"browserbase":  "browser automation: open web pages, click, fill in forms, take screenshots",
	"hyperbrowser": "browser automation: open web pages, click, fill in forms, take screenshots",
	"firecrawl":    "web scraping: crawl websites and extract their text",
	"neo4j":        "graph database, Cypher queries",
	"memgraph":     "graph database, Cypher queries",
	"qdrant":       "vector database for embeddings",
	"chroma":       "vector database for embeddings",
	"pinecone":     "vector database for embeddings",
	"milvus":       "vector database for embeddings",
	"weaviate":     "vector database for embeddings",
	"slack":        "team chat: messages and channels",
	"discord":      "chat: messages and channels",
	"gmail":        "email",
	"jira":         "issue tracker: tickets",
	"gitlab":       "Git hosting: repositories, issues, merge requests",
	"gitee":        "Git hosting: repositories, issues, pull requests",
	"stripe":       "payments",
	"spotify":      "music: play songs and playlists",
	"openweather":  "weather forecasts",
}

// addProductKnowledge adds what products the record names are.
func addProductKnowledge(d *docText) {
	var found []string
	for _, f := range []Field{FieldName, FieldTitle, FieldDescription} {
		for _, s := range d.fields[f] {
			for _, w := range strings.FieldsFunc(strings.ToLower(s), notAlnum) {
				if p, ok := products[w]; ok && !containsString(found, p) {
					found = append(found, p)
				}
			}
		}
	}
	for _, p := range found {
		d.add(FieldDescription, p)
	}
}

func notAlnum(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
