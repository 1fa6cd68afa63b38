package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/agentry/agentry/registry"
)

// Bounds of the approval queue: how many pending records it reads across
// registries, and how many it shows, oldest first.
const (
	maxQueueScan = 5000
	maxQueueShow = pageSize
)

type queueItem struct {
	Registry  registry.Registry
	Record    registry.RecordSummary
	CanDecide bool
}

type queueData struct {
	Items     []queueItem
	Total     int
	Truncated bool
	CanDecide bool // the user may decide at least one shown record
}

// queuePage lists the records pending approval in every registry the user
// may list, oldest submission first.
func (c *Console) queuePage(w http.ResponseWriter, r *http.Request, s *session) (string, view, error) {
	v := view{Title: "Approval queue", Nav: "queue"}
	d, err := c.queue(r, s)
	v.Data = d
	return "queue", v, err
}

func (c *Console) queue(r *http.Request, s *session) (queueData, error) {
	var d queueData
	regs, err := c.allRegistries(r, s)
	if err != nil {
		return d, err
	}
	var items []queueItem
	for _, reg := range regs {
		if !c.allowed(r, s, "ListRegistryRecords", c.arns.Registry(reg.ID)) {
			continue
		}
		n, next := registry.MaxListResults, ""
		for len(items) < maxQueueScan {
			page, err := c.svc.ListRecords(r.Context(), registry.ListRecordsInput{RegistryID: reg.ID,
				Status: registry.StatusPendingApproval, MaxResults: &n, NextToken: next})
			if err != nil {
				if registry.IsNotFound(err) {
					break // deleted meanwhile
				}
				return d, err
			}
			for _, rec := range page.Records {
				items = append(items, queueItem{Registry: reg, Record: rec,
					CanDecide: c.allowed(r, s, "UpdateRegistryRecordStatus", c.arns.Record(reg.ID, rec.ID))})
			}
			if next = page.NextToken; next == "" {
				break
			}
		}
		if len(items) >= maxQueueScan {
			d.Truncated = true
			break
		}
	}
	slices.SortStableFunc(items, func(a, b queueItem) int {
		return cmp.Or(a.Record.UpdatedAt.Compare(b.Record.UpdatedAt), cmp.Compare(a.Record.ID, b.Record.ID))
	})
	d.Total = len(items)
	d.Items = items[:min(len(items), maxQueueShow)]
	for _, it := range d.Items {
		d.CanDecide = d.CanDecide || it.CanDecide
	}
	return d, nil
}

// allRegistries lists every registry (the queue and the pickers need
// them all), bounded.
func (c *Console) allRegistries(r *http.Request, s *session) ([]registry.Registry, error) {
	if err := c.authorize(r, s, "ListRegistries", c.arns.Registry("*")); err != nil {
		return nil, err
	}
	var out []registry.Registry
	n, next := registry.MaxListResults, ""
	for len(out) < 1000 {
		page, err := c.svc.ListRegistries(r.Context(), registry.ListRegistriesInput{MaxResults: &n, NextToken: next})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Registries...)
		if next = page.NextToken; next == "" {
			break
		}
	}
	return out, nil
}

// decideQueue applies one decision (approve, reject, deprecate) to the
// chosen records: the row's own button, or the checked rows. Each record
// is authorized on its own, as the API would.
func (c *Console) decideQueue(w http.ResponseWriter, r *http.Request, s *session) error {
	status := registry.RecordStatus(r.PostFormValue("status"))
	targets := r.PostForm["item"]
	if one := r.PostFormValue("one"); one != "" {
		// A row's own button: "STATUS registryId/recordId".
		st, item, _ := strings.Cut(one, " ")
		status, targets = registry.RecordStatus(st), []string{item}
	}
	if len(targets) == 0 {
		return registry.Errorf(registry.KindInvalid, "Choose at least one record.")
	}
	if len(targets) > maxQueueShow {
		return registry.Errorf(registry.KindInvalid, "Decide at most %d records at once.", maxQueueShow)
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" && status == registry.StatusApproved {
		reason = "Approved by " + s.principal.Name + " in the console."
	}
	var failed []string
	for _, t := range targets {
		regID, recID, ok := strings.Cut(t, "/")
		if !ok {
			failed = append(failed, fmt.Sprintf("%q is not a record.", t))
			continue
		}
		if err := c.authorize(r, s, "UpdateRegistryRecordStatus", c.arns.Record(regID, recID)); err != nil {
			failed = append(failed, errMessage(err))
			continue
		}
		_, err := c.svc.SetRecordStatus(r.Context(), registry.SetRecordStatusInput{RegistryID: regID, RecordID: recID,
			Status: status, Reason: reason})
		if err != nil {
			failed = append(failed, recID+": "+errMessage(err))
		}
	}
	if len(failed) > 0 {
		d, err := c.queue(r, s)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("%d of %d decisions failed: %s", len(failed), len(targets), strings.Join(failed, " "))
		c.render(w, r, http.StatusBadRequest, "queue", view{Title: "Approval queue", Nav: "queue", Session: s, Error: msg, Data: d})
		return nil
	}
	http.Redirect(w, r, Prefix+"queue?done=decided", http.StatusSeeOther)
	return nil
}
