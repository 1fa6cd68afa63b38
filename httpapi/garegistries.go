package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/agentry/agentry/registry"
)

// The GA control plane's registry and tagging operations (§4.1-4.5,
// §4.13-4.15).

// checkClientToken checks the GA ClientToken shape (§2.3).
func (f *gaFields) clientToken(token string) {
	if token != "" {
		f.length("clientToken", token, 33, 256)
		if !clientTokenPattern.MatchString(token) {
			f.add("clientToken", "must be letters and digits, optionally separated by hyphens")
		}
	}
}

func (f *gaFields) approval(a *gaApprovalJSON, path string) bool {
	if a == nil {
		return false
	}
	if len(a.AutoApprovalRules) > 10 {
		f.add(path+".autoApprovalRules", "must have at most 10 rules, got %d", len(a.AutoApprovalRules))
	}
	for i, rule := range a.AutoApprovalRules {
		f.enum(path+".autoApprovalRules["+itoa(i)+"]", rule, []string{"APPROVE_ALL"})
	}
	return slices.Contains(a.AutoApprovalRules, "APPROVE_ALL")
}

func (f *gaFields) autoDetection(a *gaAutoDetectionConfigJSON, path string) *registry.AutoDetectionConfig {
	if a == nil {
		return nil
	}
	if a.Enabled == nil {
		f.add(path+".enabled", "is required")
		return nil
	}
	return &registry.AutoDetectionConfig{Scope: a.Scope, Enabled: *a.Enabled}
}

func (g *gaAPI) createRegistry(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                       *string                    `json:"name"`
		Description                *string                    `json:"description"`
		DiscoveryConfiguration     *gaDiscoveryJSON           `json:"discoveryConfiguration"`
		EncryptionConfiguration    *gaEncryptionJSON          `json:"encryptionConfiguration"`
		ApprovalConfiguration      *gaApprovalJSON            `json:"approvalConfiguration"`
		AutoDetectionConfiguration *gaAutoDetectionConfigJSON `json:"autoDetectionConfiguration"`
		ClientToken                string                     `json:"clientToken"`
		Tags                       map[string]string          `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	var f gaFields
	if in.Name == nil {
		f.add("name", "is required")
	}
	f.clientToken(in.ClientToken)
	auto := f.approval(in.ApprovalConfiguration, "approvalConfiguration")
	detection := f.autoDetection(in.AutoDetectionConfiguration, "autoDetectionConfiguration")
	if in.Tags != nil && len(in.Tags) == 0 {
		f.add("tags", "must have 1 to 50 entries when given")
	}
	authType, authCfg := registry.AuthorizerAWSIAM, (*registry.AuthorizerConfig)(nil)
	if d := in.DiscoveryConfiguration; d != nil {
		if d.AuthorizerType == "" {
			f.add("discoveryConfiguration.authorizerType", "is required")
		}
		authType, authCfg = d.AuthorizerType, gaAuthorizer(d.AuthorizerConfiguration)
	}
	if err := f.err(); err != nil {
		return err
	}
	if len(in.Tags) > 0 {
		// Tags at creation need the right to tag as well (§12).
		if err := g.authorize(r, requestInfoFrom(r.Context()).principal, g.allRegistries(r), gaAction("TagResource")); err != nil {
			return err
		}
	}
	var enc *registry.EncryptionConfig
	if in.EncryptionConfiguration != nil {
		enc = &registry.EncryptionConfig{KMSKeyARN: in.EncryptionConfiguration.KMSKeyARN}
	}
	out, err := g.svc.CreateRegistry(r.Context(), registry.CreateRegistryInput{
		Name: *in.Name, Description: in.Description, AuthorizerType: authType, Authorizer: authCfg,
		AutoApproval: auto, ClientToken: in.ClientToken,
		Tags: in.Tags, Encryption: enc, AutoDetection: detection,
	})
	if err != nil {
		return gaFieldNames(err, map[string]string{"authorizerType": "discoveryConfiguration.authorizerType",
			"authorizerConfiguration": "discoveryConfiguration.authorizerConfiguration"})
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"registryArn": g.arns.Registry(out.ID)})
	return nil
}

func (g *gaAPI) getRegistry(w http.ResponseWriter, r *http.Request) error {
	id, _, err := g.ids(r)
	if err != nil {
		return err
	}
	reg, err := g.svc.GetRegistry(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g.registryJSON(reg, false))
	return nil
}

func (g *gaAPI) listRegistries(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		MaxResults *int           `json:"maxResults"`
		NextToken  *string        `json:"nextToken"`
		Filters    []gaFilterJSON `json:"filters"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	var f gaFields
	token := f.paging(in.MaxResults, in.NextToken, 2048)
	filters := f.filters(in.Filters, []string{"status", "discoveryConfiguration.authorizerType"}, 1)
	if err := f.err(); err != nil {
		return err
	}
	page, err := g.svc.ListRegistries(r.Context(), registry.ListRegistriesInput{
		MaxResults: in.MaxResults, NextToken: token,
		Status:         registry.RegistryStatus(first(filters["status"])),
		AuthorizerType: registry.AuthorizerType(first(filters["discoveryConfiguration.authorizerType"])),
	})
	if err != nil {
		return gaFieldNames(err, map[string]string{"status": "filters.status", "authorizerType": "filters.discoveryConfiguration.authorizerType"})
	}
	out := struct {
		Registries []gaRegistryJSON `json:"registries"`
		NextToken  string           `json:"nextToken,omitempty"`
	}{Registries: []gaRegistryJSON{}, NextToken: page.NextToken}
	for _, reg := range page.Registries {
		out.Registries = append(out.Registries, g.registryJSON(reg, true))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (g *gaAPI) updateRegistry(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                   *string          `json:"name"`
		Description            optional[string] `json:"description"`
		DiscoveryConfiguration *struct {
			AuthorizerConfiguration optional[registry.AuthorizerConfig] `json:"authorizerConfiguration"`
		} `json:"discoveryConfiguration"`
		ApprovalConfiguration      optional[gaApprovalJSON]            `json:"approvalConfiguration"`
		AutoDetectionConfiguration optional[gaAutoDetectionConfigJSON] `json:"autoDetectionConfiguration"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	id, _, err := g.ids(r)
	if err != nil {
		return err
	}
	var f gaFields
	auto := registry.Update[bool]{}
	if in.ApprovalConfiguration.present {
		auto = registry.Set(f.approval(in.ApprovalConfiguration.value, "approvalConfiguration.optionalValue"))
	}
	detection := registry.Update[registry.AutoDetectionConfig]{Set: in.AutoDetectionConfiguration.present}
	if in.AutoDetectionConfiguration.value != nil {
		detection.Value = f.autoDetection(in.AutoDetectionConfiguration.value, "autoDetectionConfiguration.optionalValue")
	}
	if err := f.err(); err != nil {
		return err
	}
	upd := registry.UpdateRegistryInput{RegistryID: id, Name: in.Name, Description: update(in.Description, same),
		AutoApproval: auto, AutoDetection: detection, KeepPreviewFields: true}
	if d := in.DiscoveryConfiguration; d != nil {
		upd.Authorizer = update(d.AuthorizerConfiguration, same)
		if upd.Authorizer.Value != nil {
			upd.Authorizer.Value = gaAuthorizer(upd.Authorizer.Value)
		}
	}
	reg, err := g.svc.UpdateRegistry(r.Context(), upd)
	if err != nil {
		return gaFieldNames(err, map[string]string{"authorizerConfiguration": "discoveryConfiguration.authorizerConfiguration"})
	}
	writeJSON(w, http.StatusAccepted, g.registryJSON(reg, false))
	return nil
}

func (g *gaAPI) deleteRegistry(w http.ResponseWriter, r *http.Request) error {
	id, _, err := g.ids(r)
	if err != nil {
		return err
	}
	if err := g.svc.DeleteRegistryAndRecords(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": string(registry.RegistryDeleting)})
	return nil
}

// ---- tags ----

func (g *gaAPI) tagResource(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	reg, rec, err := g.taggedIDs(r.PathValue("resourceArn"))
	if err != nil {
		return err
	}
	if err := g.svc.TagResource(r.Context(), reg, rec, in.Tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *gaAPI) untagResource(w http.ResponseWriter, r *http.Request) error {
	reg, rec, err := g.taggedIDs(r.PathValue("resourceArn"))
	if err != nil {
		return err
	}
	if err := g.svc.UntagResource(r.Context(), reg, rec, r.URL.Query()["tagKeys"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *gaAPI) listTags(w http.ResponseWriter, r *http.Request) error {
	reg, rec, err := g.taggedIDs(r.PathValue("resourceArn"))
	if err != nil {
		return err
	}
	tags, err := g.svc.ListTags(r.Context(), reg, rec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]map[string]string{"tags": tags})
	return nil
}

// ---- helpers ----

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// gaFieldNames renames the fields of a domain ValidationException to the
// GA members they came from.
func gaFieldNames(err error, names map[string]string) error {
	e, ok := err.(*registry.Error)
	if !ok || e.Kind != registry.KindInvalid || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]registry.FieldError, len(e.Fields))
	for i, fe := range e.Fields {
		best := ""
		for from := range names {
			if (fe.Name == from || strings.HasPrefix(fe.Name, from+".")) && len(from) > len(best) {
				best = from
			}
		}
		if best != "" {
			fe.Name = names[best] + fe.Name[len(best):]
		}
		out.Fields[i] = fe
	}
	return &out
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
