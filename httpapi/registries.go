package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/agentry/agentry/registry"
)

func (a *api) createRegistry(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                    string                     `json:"name"`
		Description             *string                    `json:"description"`
		AuthorizerType          registry.AuthorizerType    `json:"authorizerType"`
		AuthorizerConfiguration *registry.AuthorizerConfig `json:"authorizerConfiguration"`
		ApprovalConfiguration   *approvalJSON              `json:"approvalConfiguration"`
		ClientToken             string                     `json:"clientToken"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := a.svc.CreateRegistry(r.Context(), registry.CreateRegistryInput{
		Name: in.Name, Description: in.Description, AuthorizerType: in.AuthorizerType,
		Authorizer: in.AuthorizerConfiguration, AutoApproval: in.ApprovalConfiguration != nil && in.ApprovalConfiguration.AutoApproval,
		ClientToken: in.ClientToken,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"registryArn": a.arns.Registry(out.ID)})
	return nil
}

func (a *api) getRegistry(w http.ResponseWriter, r *http.Request) error {
	reg, err := a.svc.GetRegistry(r.Context(), r.PathValue("registryId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.registryJSON(reg))
	return nil
}

func (a *api) listRegistries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	maxResults, err := intQuery(q, "maxResults")
	if err != nil {
		return err
	}
	page, err := a.svc.ListRegistries(r.Context(), registry.ListRegistriesInput{
		MaxResults: maxResults, NextToken: q.Get("nextToken"),
		Status: registry.RegistryStatus(q.Get("status")), AuthorizerType: registry.AuthorizerType(q.Get("authorizerType")),
	})
	if err != nil {
		return err
	}
	out := struct {
		Registries []registrySummaryJSON `json:"registries"`
		NextToken  string                `json:"nextToken,omitempty"`
	}{Registries: []registrySummaryJSON{}, NextToken: page.NextToken}
	for _, reg := range page.Registries {
		j := a.registryJSON(reg)
		out.Registries = append(out.Registries, registrySummaryJSON{
			Name: j.Name, Description: j.Description, RegistryID: j.RegistryID, RegistryArn: j.RegistryArn,
			AuthorizerType: j.AuthorizerType, Status: j.Status, StatusReason: j.StatusReason,
			CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *api) updateRegistry(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                    *string                             `json:"name"`
		Description             optional[string]                    `json:"description"`
		AuthorizerConfiguration optional[registry.AuthorizerConfig] `json:"authorizerConfiguration"`
		ApprovalConfiguration   optional[approvalJSON]              `json:"approvalConfiguration"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	reg, err := a.svc.UpdateRegistry(r.Context(), registry.UpdateRegistryInput{
		RegistryID: r.PathValue("registryId"), Name: in.Name,
		Description: update(in.Description, same),
		Authorizer:  update(in.AuthorizerConfiguration, same),
		AutoApproval: update(in.ApprovalConfiguration, func(a approvalJSON) bool {
			return a.AutoApproval
		}),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, a.registryJSON(reg))
	return nil
}

func (a *api) deleteRegistry(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteRegistry(r.Context(), r.PathValue("registryId")); err != nil {
		return err
	}
	// The deletion is complete already; DELETING is what the contract
	// answers, and the SDK's waiter then sees ResourceNotFoundException.
	writeJSON(w, http.StatusAccepted, map[string]string{"status": string(registry.RegistryDeleting)})
	return nil
}

// intQuery parses an optional integer query parameter: nil when absent.
func intQuery(q url.Values, name string) (*int, error) {
	if !q.Has(name) {
		return nil, nil
	}
	n, err := strconv.Atoi(q.Get(name))
	if err != nil || n < -1<<31 || n > 1<<31-1 {
		return nil, &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
			Message: name + ": must be an integer", Fields: []registry.FieldError{{Name: name, Message: "must be an integer"}}}
	}
	return &n, nil
}
