package httpapi

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/agentry/agentry/registry"
)

// The GA AWS Agent Registry API (signing name and ARN namespace
// agent-registry) over the same registries as the preview API.
//
// Routing (docs/api.md, "The GA API"): both control planes share paths
// (POST /registries is CreateRegistry in both, with different bodies), so
// a signed control-plane request goes to the GA route table when its SigV4
// credential scope names the service agent-registry, and to the preview's
// otherwise. The data-plane operations have paths of their own, so they
// are told apart by path, which is what lets a bearer-token caller of a
// CUSTOM_JWT registry (no credential scope) reach them.

// gaAPI serves the GA API; arns are in the agent-registry namespace.
type gaAPI struct {
	*api
	arns registry.ARNs
}

// gaAPI returns the GA API over a's service. Its api is a copy of a
// whose ARNs are the GA namespace's, so that what a's methods do for it
// (authorizing consumers, naming resources in refusals) speaks of GA ARNs.
func (a *api) gaAPI() *gaAPI {
	core := *a
	core.arns = a.arns.GA()
	return &gaAPI{api: &core, arns: core.arns}
}

// gaAction is the IAM action of a GA operation.
func gaAction(operation string) string { return "agent-registry:" + operation }

// routes is the GA control plane's route table: method and path, the
// operation (its IAM action is agent-registry:<operation>) and the
// resource it acts on.
func (g *gaAPI) routes(mux *http.ServeMux) {
	op := func(pattern, name string, resource resourceFunc, h handlerFunc) {
		mux.Handle(pattern, g.operation(gaAction(name), resource, h))
	}
	op("POST /registries", "CreateRegistry", g.allRegistries, g.createRegistry)
	op("POST /registries-list", "ListRegistries", g.allRegistries, g.listRegistries)
	op("GET /registries/{registryId}", "GetRegistry", g.registryARN, g.getRegistry)
	op("PATCH /registries/{registryId}", "UpdateRegistry", g.registryARN, g.updateRegistry)
	op("DELETE /registries/{registryId}", "DeleteRegistry", g.registryARN, g.deleteRegistry)
	op("POST /registries/{registryId}/records", "CreateRegistryRecord", g.registryARN, g.createRecord)
	op("POST /registries/{registryId}/records-list", "ListRegistryRecords", g.registryARN, g.listRecords)
	op("GET /registries/{registryId}/records/{recordId}", "GetRegistryRecord", g.recordARN, g.getRecord)
	op("PATCH /registries/{registryId}/records/{recordId}", "UpdateRegistryRecord", g.recordARN, g.updateRecord)
	op("DELETE /registries/{registryId}/records/{recordId}", "DeleteRegistryRecord", g.recordARN, g.deleteRecord)
	op("POST /registries/{registryId}/records/{recordId}/submit-for-approval", "SubmitRegistryRecordForApproval",
		g.recordARN, g.submitRecord)
	op("PATCH /registries/{registryId}/records/{recordId}/status", "UpdateRegistryRecordStatus", g.recordARN, g.updateRecordStatus)
	op("POST /tags/{resourceArn...}", "TagResource", g.taggedARN, g.tagResource)
	op("DELETE /tags/{resourceArn...}", "UntagResource", g.taggedARN, g.untagResource)
	op("GET /tags/{resourceArn...}", "ListTagsForResource", g.taggedARN, g.listTags)
	mux.Handle("/", g.authenticate(g.maxBody, handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return registry.Errorf(registry.KindNotFound, "No operation of the agent-registry API matches %s %s.", r.Method, r.URL.Path)
	})))
}

// dataRoutes adds the GA data plane to the unsigned-first mux: its
// callers authenticate as their registry says (SigV4 and IAM, or a bearer
// token).
func (g *gaAPI) dataRoutes(mux *http.ServeMux) {
	noChallenge := func(string) string { return "" }
	mux.Handle("POST /discoverable-records-search", g.bodyConsumerAuth([]string{gaAction("SearchDiscoverableRegistryRecords")},
		g.searchRegistryOf, handlerFunc(g.searchDiscoverable)))
	mux.Handle("POST /discoverable-records-batch", g.bodyConsumerAuth([]string{gaAction("GetDiscoverableRegistryRecord")},
		g.batchRegistryOf, handlerFunc(g.batchGetDiscoverable)))
	list := g.pathConsumerAuth([]string{gaAction("ListDiscoverableRegistryRecords")}, noChallenge, handlerFunc(g.listDiscoverable))
	mux.Handle("POST /registries/{registryId}/discoverable-records-list", g.withRegistryID(list))
}

// withRegistryID resolves the registryId path label (an id or a GA ARN) to
// an id for the consumer surfaces, which look registries up by id.
func (g *gaAPI) withRegistryID(next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := g.arns.RegistryID("registryId", r.PathValue("registryId"))
		if err != nil {
			return err
		}
		r.SetPathValue("registryId", id)
		next.ServeHTTP(w, r)
		return nil
	})
}

// routeAPIs passes a control-plane request to the GA route table when its
// SigV4 credential scope names agent-registry, else to the preview's. It
// reads only the scope; the operation then authenticates the caller
// (operation, authenticate.go), and a request without a valid credential
// gets the preview's answer.
func (a *api) routeAPIs(preview, ga http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := a.verifier.ParseCredential(r); err == nil && c.Service() == registry.NamespaceGA {
			ga.ServeHTTP(w, r)
			return
		}
		preview.ServeHTTP(w, r)
	})
}

// ---- resources ----

func (g *gaAPI) allRegistries(*http.Request) string { return g.arns.Registry("*") }

func (g *gaAPI) registryARN(r *http.Request) string {
	raw := r.PathValue("registryId")
	if id, err := g.arns.RegistryID("registryId", raw); err == nil {
		return g.arns.Registry(id)
	}
	return g.arns.Registry(raw)
}

func (g *gaAPI) recordARN(r *http.Request) string {
	rawReg, rawRec := r.PathValue("registryId"), r.PathValue("recordId")
	reg, err := g.arns.RegistryID("registryId", rawReg)
	if err != nil {
		return g.arns.Record(rawReg, rawRec)
	}
	if rec, err := g.arns.RecordID("recordId", reg, rawRec); err == nil {
		return g.arns.Record(reg, rec)
	}
	return g.arns.Record(reg, rawRec)
}

// taggedARN is the resource of the tagging operations: the ARN in the
// path, as given.
func (g *gaAPI) taggedARN(r *http.Request) string { return r.PathValue("resourceArn") }

// ids resolves the path's registry and, when the route has one, record
// identifiers (ids or GA ARNs) to ids.
func (g *gaAPI) ids(r *http.Request) (regID, recID string, err error) {
	if regID, err = g.arns.RegistryID("registryId", r.PathValue("registryId")); err != nil {
		return "", "", err
	}
	if raw := r.PathValue("recordId"); raw != "" {
		recID, err = g.arns.RecordID("recordId", regID, raw)
	}
	return regID, recID, err
}

var (
	gaRegistryARNPattern = regexp.MustCompile(`^arn:aws(-[^:]+)?:agent-registry:[a-z0-9-]+:[0-9]{12}:registry/([a-zA-Z0-9]{12,16})(/record/([a-zA-Z0-9]{12}))?$`)
	clientTokenPattern   = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$`)
)

// taggedIDs resolves a tagging ARN to the registry and record (or "") it
// names. An ARN of another region or account names nothing here.
func (g *gaAPI) taggedIDs(arn string) (regID, recID string, err error) {
	var f gaFields
	f.length("resourceArn", arn, 1, 1011)
	if err := f.err(); err != nil {
		return "", "", err
	}
	m := gaRegistryARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return "", "", invalidField("resourceArn", "must be the ARN of a registry or a registry record: "+g.arns.Registry("{registryId}")+"[/record/{recordId}]")
	}
	if m[4] != "" {
		if arn != g.arns.Record(m[2], m[4]) {
			return "", "", registry.Errorf(registry.KindNotFound, "No resource %s exists in this registry's region and account.", arn)
		}
		return m[2], m[4], nil
	}
	if arn != g.arns.Registry(m[2]) {
		return "", "", registry.Errorf(registry.KindNotFound, "No resource %s exists in this registry's region and account.", arn)
	}
	return m[2], "", nil
}

func invalidField(name, msg string) error {
	return &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
		Message: name + ": " + msg, Fields: []registry.FieldError{{Name: name, Message: msg}}}
}

// creatorOf is the account id of r's authenticated caller, "" if none.
func creatorOf(r *http.Request) string {
	if info := requestInfoFrom(r.Context()); info != nil && info.principal != nil {
		return accountOf(info.principal.ARN)
	}
	return ""
}

// accountOf is the account id of a principal ARN (arn:aws:iam::{account}:...).
func accountOf(principalARN string) string {
	parts := strings.SplitN(principalARN, ":", 6)
	if len(parts) == 6 && len(parts[4]) == 12 {
		return parts[4]
	}
	return ""
}
