package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/agentry/agentry/registry"
)

// pageSize is how many rows a list page shows; with one row about 400
// bytes, a page stays far below 50 KB.
const pageSize = 50

type registriesData struct {
	Registries []registry.Registry
	Next       string
	CanCreate  bool
	Form       registryForm
}

// registryForm is the create and edit form of a registry.
type registryForm struct {
	ID              string
	Name            string
	Description     string
	AuthorizerType  string
	AutoApproval    bool
	DiscoveryURL    string
	AllowedAudience string
	AllowedClients  string
	AllowedScopes   string
}

func (c *Console) registriesPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Registries", Nav: "registries"}
	d, err := c.registriesData(r, s)
	v.Data = d
	return "registries", v, err
}

func (c *Console) registriesData(r *http.Request, s *session) (registriesData, error) {
	d := registriesData{CanCreate: c.allowed(r, s, "CreateRegistry", c.arns.Registry("*")),
		Form: registryForm{AuthorizerType: string(registry.AuthorizerAWSIAM)}}
	if err := c.authorize(r, s, "ListRegistries", c.arns.Registry("*")); err != nil {
		return d, err
	}
	n := pageSize
	page, err := c.svc.ListRegistries(r.Context(), registry.ListRegistriesInput{MaxResults: &n, NextToken: r.URL.Query().Get("next")})
	d.Registries, d.Next = page.Registries, page.NextToken
	return d, err
}

func (c *Console) createRegistry(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "CreateRegistry", c.arns.Registry("*")); err != nil {
		return err
	}
	f := readRegistryForm(r)
	in := registry.CreateRegistryInput{Name: f.Name, Description: optional(f.Description),
		AuthorizerType: registry.AuthorizerType(f.AuthorizerType), AutoApproval: f.AutoApproval}
	if in.AuthorizerType == registry.AuthorizerCustomJWT {
		in.Authorizer = &registry.AuthorizerConfig{CustomJWT: f.jwt(nil)}
	}
	created, err := c.svc.CreateRegistry(r.Context(), in)
	if err != nil {
		if fieldMessages(err) == nil {
			return err
		}
		d, _ := c.registriesData(r, s)
		d.Form = f
		c.render(w, r, http.StatusBadRequest, "registries", view{Title: "Registries", Nav: "registries", Session: s,
			Error: errMessage(err), Fields: fieldMessages(err), Data: d})
		return nil
	}
	http.Redirect(w, r, Prefix+"registries/"+created.ID+"?done=created", http.StatusSeeOther)
	return nil
}

func readRegistryForm(r *http.Request) registryForm {
	return registryForm{
		Name:            strings.TrimSpace(r.PostFormValue("name")),
		Description:     strings.TrimSpace(r.PostFormValue("description")),
		AuthorizerType:  r.PostFormValue("authorizerType"),
		AutoApproval:    r.PostFormValue("autoApproval") == "on",
		DiscoveryURL:    strings.TrimSpace(r.PostFormValue("discoveryUrl")),
		AllowedAudience: r.PostFormValue("allowedAudience"),
		AllowedClients:  r.PostFormValue("allowedClients"),
		AllowedScopes:   r.PostFormValue("allowedScopes"),
	}
}

// jwt is the form's CUSTOM_JWT authorizer; what the form does not edit
// (custom claims, the scope mapping) is kept from cur.
func (f registryForm) jwt(cur *registry.CustomJWTAuthorizer) *registry.CustomJWTAuthorizer {
	j := &registry.CustomJWTAuthorizer{}
	if cur != nil {
		*j = *cur
	}
	j.DiscoveryURL = f.DiscoveryURL
	j.AllowedAudience, j.AllowedClients, j.AllowedScopes = list(f.AllowedAudience), list(f.AllowedClients), list(f.AllowedScopes)
	return j
}

// list splits a comma- or line-separated input.
func list(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func errMessage(err error) string {
	_, msg := errorStatus(err)
	return msg
}

func formOf(reg registry.Registry) registryForm {
	f := registryForm{ID: reg.ID, Name: reg.Name, Description: reg.Description,
		AuthorizerType: string(reg.AuthorizerType), AutoApproval: reg.AutoApproval}
	if reg.Authorizer != nil && reg.Authorizer.CustomJWT != nil {
		j := reg.Authorizer.CustomJWT
		f.DiscoveryURL = j.DiscoveryURL
		f.AllowedAudience = strings.Join(j.AllowedAudience, ", ")
		f.AllowedClients = strings.Join(j.AllowedClients, ", ")
		f.AllowedScopes = strings.Join(j.AllowedScopes, ", ")
	}
	return f
}

type editRegistryData struct {
	Registry  registry.Registry
	Form      registryForm
	CanDelete bool
}

func (c *Console) editRegistryPage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Edit registry", Nav: "registries"}
	if err := c.authorize(r, s, "UpdateRegistry", c.registryARN(r)); err != nil {
		return "", v, err
	}
	reg, err := c.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return "", v, err
	}
	v.Data = editRegistryData{Registry: reg, Form: formOf(reg), CanDelete: c.allowed(r, s, "DeleteRegistry", c.registryARN(r))}
	return "registry_edit", v, nil
}

func (c *Console) updateRegistry(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "UpdateRegistry", c.registryARN(r)); err != nil {
		return err
	}
	id := r.PathValue("registryId")
	reg, err := c.svc.GetRegistry(r.Context(), id)
	if err != nil {
		return err
	}
	f := readRegistryForm(r)
	f.ID, f.AuthorizerType = reg.ID, string(reg.AuthorizerType)
	in := registry.UpdateRegistryInput{RegistryID: id, Name: &f.Name, AutoApproval: registry.Set(f.AutoApproval)}
	if f.Description == "" {
		in.Description = registry.Clear[string]()
	} else {
		in.Description = registry.Set(f.Description)
	}
	if reg.AuthorizerType == registry.AuthorizerCustomJWT {
		var cur *registry.CustomJWTAuthorizer
		if reg.Authorizer != nil {
			cur = reg.Authorizer.CustomJWT
		}
		next := f.jwt(cur)
		if cur == nil || next.DiscoveryURL != cur.DiscoveryURL || !slices.Equal(next.AllowedAudience, cur.AllowedAudience) ||
			!slices.Equal(next.AllowedClients, cur.AllowedClients) || !slices.Equal(next.AllowedScopes, cur.AllowedScopes) {
			in.Authorizer = registry.Set(registry.AuthorizerConfig{CustomJWT: next})
		}
	}
	if _, err := c.svc.UpdateRegistry(r.Context(), in); err != nil {
		if fieldMessages(err) == nil {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "registry_edit", view{Title: "Edit registry", Nav: "registries", Session: s,
			Error: errMessage(err), Fields: fieldMessages(err),
			Data: editRegistryData{Registry: reg, Form: f, CanDelete: c.allowed(r, s, "DeleteRegistry", c.registryARN(r))}})
		return nil
	}
	http.Redirect(w, r, Prefix+"registries/"+reg.ID+"?done=updated", http.StatusSeeOther)
	return nil
}

func (c *Console) deleteRegistry(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.authorize(r, s, "DeleteRegistry", c.registryARN(r)); err != nil {
		return err
	}
	if err := c.svc.DeleteRegistry(r.Context(), r.PathValue("registryId")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"registries?done=deleted", http.StatusSeeOther)
	return nil
}
