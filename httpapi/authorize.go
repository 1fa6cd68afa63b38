package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/registry"
)

// authorize is the one IAM decision of both surfaces: it returns nil when
// p's policies allow each of actions (see iamActions) on resource, else an
// AccessDeniedException that says whether a statement denied it
// explicitly.
func (a *api) authorize(r *http.Request, p *iam.Principal, resource string, actions ...string) error {
	for _, action := range actions {
		d, m, _ := p.AuthorizeMatch(a.iamRequest(r, action, resource))
		if d != iam.Allow {
			noteDenial(r, d, m)
		}
		switch d {
		case iam.Allow:
		case iam.ExplicitDeny:
			return &registry.Error{Kind: registry.KindForbidden, Message: iam.ExplicitDenyMessage(p.ARN, action, resource)}
		default:
			return &registry.Error{Kind: registry.KindForbidden, Message: iam.DenyMessage(p.ARN, action, resource)}
		}
	}
	return nil
}

// iamActions names the IAM actions of operations, such as "GetRegistry";
// handlers name them once, when they are built. An operation given with
// its service ("agent-registry:GetRegistry", the GA API's) is kept as it
// is.
func iamActions(operations ...string) []string {
	actions := make([]string, len(operations))
	for i, op := range operations {
		actions[i] = op
		if !strings.Contains(op, ":") {
			actions[i] = "bedrock-agentcore:" + op
		}
	}
	return actions
}

// resourceFunc names the ARN an operation acts on.
type resourceFunc func(r *http.Request) string

// operation wraps h, a control plane operation of an authenticated caller,
// so that it runs only when the caller may perform it on its resource.
// It authenticates the caller first (authenticate), having noted the
// operation and resource for metrics and the audit trail.
func (a *api) operation(name string, resource resourceFunc, h handlerFunc) http.Handler {
	return a.operationAs(name, iamActions(name), resource, h)
}

// operationAs is operation with IAM actions of its own (agentry's
// operations that are not AWS's, such as reading metrics).
func (a *api) operationAs(name string, actions []string, resource resourceFunc, h handlerFunc) http.Handler {
	authorized := handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		info := requestInfoFrom(r.Context())
		if info == nil || info.principal == nil {
			return registry.Errorf(registry.KindForbidden, "The request is not authenticated.")
		}
		if err := a.authorize(r, info.principal, info.resource, actions...); err != nil {
			return err
		}
		// Lifecycle events name the principal of a change and the API it
		// came through.
		ctx := registry.WithPrincipal(r.Context(), info.principal.ARN)
		if a.arns.Namespace != "" {
			ctx = registry.WithNamespace(ctx, a.arns.Namespace)
		}
		return h(w, r.WithContext(ctx))
	})
	authenticated := a.authenticate(a.maxBody, authorized)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := requestInfoFrom(r.Context()); info != nil {
			info.operation, info.resource = name, resource(r)
		}
		authenticated.ServeHTTP(w, r)
	})
}

// iamRequest builds the request context policies are evaluated against.
// The source address is the peer's: agentry does not trust forwarding
// headers.
func (a *api) iamRequest(r *http.Request, action, resource string) iam.Request {
	req := iam.Request{Action: action, Resource: resource, SecureTransport: r.TLS != nil,
		CurrentTime: a.now(), Region: a.arns.Region}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil {
			req.SourceIP = ip.Unmap()
		}
	}
	return req
}

func (a *api) allRegistries(*http.Request) string { return a.arns.Registry("*") }

// anyResource is the resource of agentry's own operations, which act on
// no registry: policies allow them with "Resource": "*".
func anyResource(*http.Request) string { return "*" }

// registryARN is the ARN of the registry in the path.
func (a *api) registryARN(r *http.Request) string {
	return a.registryResource(r.PathValue("registryId"))
}

// registryResource is the ARN of the registry a request names (an id or an
// ARN), whether or not it exists. An identifier that is not a valid id or
// ARN of this server still yields a (non-matching) resource, so that a
// caller without rights learns nothing from validation.
func (a *api) registryResource(raw string) string {
	if id, err := a.arns.RegistryID("registryId", raw); err == nil {
		return a.arns.Registry(id)
	}
	return a.arns.Registry(raw)
}

func (a *api) recordARN(r *http.Request) string {
	rawReg, rawRec := r.PathValue("registryId"), r.PathValue("recordId")
	reg, err := a.arns.RegistryID("registryId", rawReg)
	if err != nil {
		return a.arns.Record(rawReg, rawRec)
	}
	if rec, err := a.arns.RecordID("recordId", reg, rawRec); err == nil {
		return a.arns.Record(reg, rec)
	}
	return a.arns.Record(reg, rawRec)
}
