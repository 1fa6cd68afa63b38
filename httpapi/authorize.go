package httpapi

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/registry"
)

// resourceFunc names the ARN an operation acts on.
type resourceFunc func(r *http.Request) string

// operation wraps h so that it runs only when the caller's policies allow
// bedrock-agentcore:<name> on the operation's resource.
func (a *api) operation(name string, resource resourceFunc, h handlerFunc) http.Handler {
	action := "bedrock-agentcore:" + name
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		info := requestInfoFrom(r.Context())
		if info == nil || info.principal == nil {
			return registry.Errorf(registry.KindForbidden, "The request is not authenticated.")
		}
		res := resource(r)
		decision := info.principal.Authorize(a.iamRequest(r, action, res))
		switch decision {
		case iam.Allow:
			return h(w, r)
		case iam.ExplicitDeny:
			return &registry.Error{Kind: registry.KindForbidden, Message: iam.ExplicitDenyMessage(info.principal.ARN, action, res)}
		default:
			return &registry.Error{Kind: registry.KindForbidden, Message: iam.DenyMessage(info.principal.ARN, action, res)}
		}
	})
}

// iamRequest builds the request context policies are evaluated against.
// The source address is the peer's: agentry does not trust forwarding
// headers.
func (a *api) iamRequest(r *http.Request, action, resource string) iam.Request {
	req := iam.Request{Action: action, Resource: resource, SecureTransport: r.TLS != nil,
		CurrentTime: a.now(), Region: a.region}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if ip, err := netip.ParseAddr(host); err == nil {
			req.SourceIP = ip.Unmap()
		}
	}
	return req
}

func (a *api) allRegistries(*http.Request) string { return a.svc.ARNs.Registry("*") }

// registryARN is the ARN of the registry in the path.
func (a *api) registryARN(r *http.Request) string {
	return a.registryResource(r.PathValue("registryId"))
}

// registryResource is the ARN of the registry a request names (an id or an
// ARN), whether or not it exists. An identifier that is not a valid id or
// ARN of this server still yields a (non-matching) resource, so that a
// caller without rights learns nothing from validation.
func (a *api) registryResource(raw string) string {
	if id, err := a.svc.ARNs.RegistryID("registryId", raw); err == nil {
		return a.svc.ARNs.Registry(id)
	}
	return a.svc.ARNs.Registry(raw)
}

func (a *api) recordARN(r *http.Request) string {
	rawReg, rawRec := r.PathValue("registryId"), r.PathValue("recordId")
	reg, err := a.svc.ARNs.RegistryID("registryId", rawReg)
	if err != nil {
		return a.svc.ARNs.Record(rawReg, rawRec)
	}
	if rec, err := a.svc.ARNs.RecordID("recordId", reg, rawRec); err == nil {
		return a.svc.ARNs.Record(reg, rec)
	}
	return a.svc.ARNs.Record(reg, rawRec)
}
