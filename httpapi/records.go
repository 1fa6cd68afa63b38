package httpapi

import (
	"net/http"

	"github.com/agentry/agentry/registry"
)

func (a *api) createRecord(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                         string                  `json:"name"`
		Description                  *string                 `json:"description"`
		DescriptorType               registry.DescriptorType `json:"descriptorType"`
		Descriptors                  *registry.Descriptors   `json:"descriptors"`
		RecordVersion                *string                 `json:"recordVersion"`
		SynchronizationType          string                  `json:"synchronizationType"`
		SynchronizationConfiguration *registry.SyncConfig    `json:"synchronizationConfiguration"`
		ClientToken                  string                  `json:"clientToken"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	syncType := in.SynchronizationType
	if syncType == "" && in.SynchronizationConfiguration != nil {
		syncType = registry.SyncURL
	}
	regID := r.PathValue("registryId")
	out, err := a.svc.CreateRecord(r.Context(), registry.CreateRecordInput{
		RegistryID: regID, Name: in.Name, Description: in.Description,
		DescriptorType: in.DescriptorType, Descriptors: in.Descriptors, Version: in.RecordVersion,
		SynchronizationType: syncType, Sync: in.SynchronizationConfiguration, ClientToken: in.ClientToken,
		CreatedBy: creatorOf(r), // shown by the GA API
	})
	if err != nil {
		return err
	}
	id, _ := a.arns.RegistryID("registryId", regID)
	writeJSON(w, http.StatusAccepted, map[string]string{"recordArn": a.arns.Record(id, out.ID), "status": out.Status})
	return nil
}

func (a *api) getRecord(w http.ResponseWriter, r *http.Request) error {
	rec, err := a.svc.GetRecord(r.Context(), r.PathValue("registryId"), r.PathValue("recordId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.recordJSON(rec))
	return nil
}

func (a *api) listRecords(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	maxResults, err := intQuery(q, "maxResults")
	if err != nil {
		return err
	}
	page, err := a.svc.ListRecords(r.Context(), registry.ListRecordsInput{
		RegistryID: r.PathValue("registryId"), Name: q.Get("name"),
		Status: registry.RecordStatus(q.Get("status")), DescriptorType: registry.DescriptorType(q.Get("descriptorType")),
		MaxResults: maxResults, NextToken: q.Get("nextToken"),
	})
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet && acceptsGzip(r.Header.Values("Accept-Encoding")) {
		if key, ok := a.pageKey(page); a.listPages != nil && ok {
			a.writeCachedPage(w, key, page)
			return nil
		}
	}
	a.writeRecordSummaries(w, page)
	return nil
}

func (a *api) updateRecord(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                         *string                          `json:"name"`
		Description                  optional[string]                 `json:"description"`
		DescriptorType               *registry.DescriptorType         `json:"descriptorType"`
		Descriptors                  optional[updatedDescriptorsJSON] `json:"descriptors"`
		RecordVersion                *string                          `json:"recordVersion"`
		SynchronizationType          optional[string]                 `json:"synchronizationType"`
		SynchronizationConfiguration optional[registry.SyncConfig]    `json:"synchronizationConfiguration"`
		TriggerSynchronization       bool                             `json:"triggerSynchronization"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	syncType := update(in.SynchronizationType, same)
	if !syncType.Set && in.SynchronizationConfiguration.value != nil {
		syncType = registry.Set(registry.SyncURL)
	}
	rec, err := a.svc.UpdateRecord(r.Context(), registry.UpdateRecordInput{
		RegistryID: r.PathValue("registryId"), RecordID: r.PathValue("recordId"),
		Name: in.Name, Description: update(in.Description, same), DescriptorType: in.DescriptorType,
		Descriptors: update(in.Descriptors, updatedDescriptorsJSON.domain), Version: in.RecordVersion,
		SynchronizationType: syncType, Sync: update(in.SynchronizationConfiguration, same),
		TriggerSync: in.TriggerSynchronization,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, a.recordJSON(rec))
	return nil
}

func (a *api) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	if err := a.svc.DeleteRecord(r.Context(), r.PathValue("registryId"), r.PathValue("recordId")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// recordStatusJSON answers the submit and status operations.
type recordStatusJSON struct {
	RegistryArn  string                `json:"registryArn"`
	RecordArn    string                `json:"recordArn"`
	RecordID     string                `json:"recordId"`
	Status       registry.RecordStatus `json:"status"`
	StatusReason string                `json:"statusReason,omitempty"`
	UpdatedAt    timestamp             `json:"updatedAt"`
}

func (a *api) recordStatusJSON(rec registry.Record) recordStatusJSON {
	return recordStatusJSON{
		RegistryArn: a.arns.Registry(rec.RegistryID), RecordArn: a.arns.Record(rec.RegistryID, rec.ID),
		RecordID: rec.ID, Status: rec.Latest.Status, StatusReason: rec.Latest.StatusReason,
		UpdatedAt: timestamp(rec.Latest.UpdatedAt),
	}
}

func (a *api) submitRecord(w http.ResponseWriter, r *http.Request) error {
	rec, err := a.svc.SubmitRecord(r.Context(), r.PathValue("registryId"), r.PathValue("recordId"))
	if err != nil {
		return err
	}
	out := a.recordStatusJSON(rec)
	out.StatusReason = "" // not a member of SubmitRegistryRecordForApproval's output
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

func (a *api) updateRecordStatus(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status       registry.RecordStatus `json:"status"`
		StatusReason string                `json:"statusReason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	rec, err := a.svc.SetRecordStatus(r.Context(), registry.SetRecordStatusInput{
		RegistryID: r.PathValue("registryId"), RecordID: r.PathValue("recordId"),
		Status: in.Status, Reason: in.StatusReason,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, a.recordStatusJSON(rec))
	return nil
}
