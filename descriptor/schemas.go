package descriptor

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

// schemaBase is the base URL the embedded files are registered under. Nothing
// is ever fetched from it: every $ref is internal and the loader refuses URLs.
const schemaBase = "https://agentry.invalid/descriptor/schemas/"

// compiledSchemas holds every schema the validators use, keyed by the
// normalised version they serve.
type compiledSchemas struct {
	mcpServer       map[string]*jsonschema.Schema
	mcpTools        map[string]*jsonschema.Schema
	a2aCard         map[string]*jsonschema.Schema
	skillDefinition *jsonschema.Schema
}

// loadSchemas compiles all schemas on first use; afterwards it returns the
// cached result. Compiled schemas are immutable and safe for concurrent use.
var loadSchemas = sync.OnceValues(compileSchemas)

func compileSchemas() (*compiledSchemas, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	// The published MCP schemas are draft-07, where "format" is an assertion;
	// ours are 2020-12, so ask for the same behaviour explicitly.
	c.AssertFormat()

	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := schemaFiles.ReadFile("schemas/" + e.Name())
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("descriptor: schema %s: %w", e.Name(), err)
		}
		if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
			return nil, fmt.Errorf("descriptor: schema %s: %w", e.Name(), err)
		}
	}

	s := &compiledSchemas{
		mcpServer: map[string]*jsonschema.Schema{},
		mcpTools:  map[string]*jsonschema.Schema{},
		a2aCard:   map[string]*jsonschema.Schema{},
	}
	compile := func(loc string) (*jsonschema.Schema, error) {
		sch, err := c.Compile(schemaBase + loc)
		if err != nil {
			return nil, fmt.Errorf("descriptor: compile %s: %w", loc, err)
		}
		return sch, nil
	}
	for v, file := range mcpServerSchemaFiles {
		if s.mcpServer[v], err = compile(file); err != nil {
			return nil, err
		}
	}
	for _, v := range mcpProtocolVersions {
		if s.mcpTools[v], err = compile("mcp-tools.schema.json#/$defs/ListToolsResult-" + v); err != nil {
			return nil, err
		}
	}
	for v, file := range a2aSchemaFiles {
		if s.a2aCard[v], err = compile(file); err != nil {
			return nil, err
		}
	}
	if s.skillDefinition, err = compile("agent-skill-definition.schema.json"); err != nil {
		return nil, err
	}
	return s, nil
}

// noLoader refuses to load anything: all schemas are embedded, and a schema
// that reached for the network or the file system would be a bug.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("descriptor: refusing to load %s", url)
}

// validateJSON is the common path of the JSON validators: size and emptiness
// checks, parsing, then the schema chosen by pick from the parsed document.
func validateJSON(content string, pick func(s *compiledSchemas, doc any) *jsonschema.Schema) error {
	content, cerr := checkContent(content)
	if cerr != nil {
		return cerr
	}
	doc, jerr := decodeJSON(content)
	if jerr != nil {
		return jerr
	}
	schemas, err := loadSchemas()
	if err != nil {
		return err
	}
	if err := pick(schemas, doc).Validate(doc); err != nil {
		return schemaError(doc, err)
	}
	return nil
}
