package registry

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// URL synchronization: a record whose content is fetched from a live
// source (an MCP server, an A2A agent card, a SKILL.md) instead of given
// inline.
//
//	create with sync   -> CREATING -> DRAFT | CREATE_FAILED
//	triggerSynchronization (any editable status)
//	                   -> UPDATING -> DRAFT (a new revision, when the content
//	                                  changed; the approved one stays served)
//	                              | the status it had (content unchanged)
//	                              | UPDATE_FAILED (content unchanged)
//
// The work is a SyncJob in the store, written in the transaction that moves
// the record to CREATING or UPDATING, so it survives a restart; a worker
// (RunSync) claims jobs with a lease, so on a shared store one replica runs
// each job, and a replica that dies mid-fetch leaves the job to another
// once the lease has expired.

// SyncURL is the one synchronizationType.
const SyncURL = "URL"

// SyncConfig is the wire shape of synchronizationConfiguration.
type SyncConfig struct {
	FromURL *FromURLSync `json:"fromUrl,omitempty"`
}

// FromURLSync names the source of a record's content and how to
// authenticate to it.
type FromURLSync struct {
	URL                              string               `json:"url"`
	CredentialProviderConfigurations []CredentialProvider `json:"credentialProviderConfigurations,omitempty"`
}

// Credential provider types.
const (
	CredentialOAuth = "OAUTH"
	CredentialIAM   = "IAM"
)

// CredentialProvider says how to authenticate to a source. The ARNs name
// entries of the server's credential-provider file; no secret is ever part
// of a record.
type CredentialProvider struct {
	CredentialProviderType string                  `json:"credentialProviderType"`
	CredentialProvider     CredentialProviderUnion `json:"credentialProvider"`
}

// CredentialProviderUnion has the member of its type set.
type CredentialProviderUnion struct {
	OAuth *OAuthCredentialProvider `json:"oauthCredentialProvider,omitempty"`
	IAM   *IAMCredentialProvider   `json:"iamCredentialProvider,omitempty"`
}

// OAuthCredentialProvider asks for an OAuth access token (client
// credentials grant) from the provider providerArn names.
type OAuthCredentialProvider struct {
	ProviderARN      string            `json:"providerArn"`
	GrantType        string            `json:"grantType,omitempty"`
	Scopes           []string          `json:"scopes,omitempty"`
	CustomParameters map[string]string `json:"customParameters,omitempty"`
}

// IAMCredentialProvider asks for SigV4 signing with the keys roleArn names.
type IAMCredentialProvider struct {
	RoleARN string `json:"roleArn,omitempty"`
	Service string `json:"service,omitempty"`
	Region  string `json:"region,omitempty"`
}

// Limits of a synchronization configuration.
const (
	MaxSyncURLLen = 2048
	maxSyncScopes = 20
	maxSyncParams = 20
)

// SyncJob is a pending synchronization of one record.
type SyncJob struct {
	RegistryID string
	RecordID   string
	// PriorStatus and PriorReason are what an UPDATING record returns to
	// when its source has not changed; "" for a create.
	PriorStatus RecordStatus
	PriorReason string
	// Periodic marks a re-synchronization the server started on its own:
	// the record stays in its status meanwhile, a failure is only logged,
	// and only changed content makes a new DRAFT revision.
	Periodic bool
	// Namespace is the ARN namespace of the API that started the job
	// ("" = the preview's, NamespaceGA): its events are that API's.
	Namespace  string
	Attempts   int       // claims so far
	LeaseUntil time.Time // a claim holds the job until then; zero = unclaimed
	CreatedAt  time.Time
}

// Fetcher fills a record's descriptors from its source. The message of its
// error becomes the record's statusReason: it says which step failed and
// what the source answered, and never carries a secret.
type Fetcher interface {
	Fetch(ctx context.Context, typ DescriptorType, src FromURLSync) (Descriptors, error)
}

// maxSyncAttempts bounds the claims of one job: a job whose worker died
// this often (a crash while fetching, say) fails instead of looping.
const maxSyncAttempts = 3

func checkSyncConfig(fe *fieldErrors, typ DescriptorType, syncType string, cfg *SyncConfig, urlPolicy func(string) error) {
	const f = "synchronizationConfiguration"
	if syncType != SyncURL {
		fe.add("synchronizationType", "must be %s", SyncURL)
		return
	}
	switch typ {
	case DescriptorMCP, DescriptorA2A, DescriptorAgentSkills:
	default:
		fe.add("synchronizationType", "is not available for descriptorType %s: only MCP, A2A and AGENT_SKILLS records can be synchronized", typ)
	}
	if cfg == nil || cfg.FromURL == nil {
		fe.add(f+".fromUrl", "is required with synchronizationType URL")
		return
	}
	src := cfg.FromURL
	checkLength(fe, f+".fromUrl.url", src.URL, 1, MaxSyncURLLen)
	if src.URL != "" {
		if err := checkURL(src.URL, urlPolicy); err != nil {
			fe.add(f+".fromUrl.url", "%v", err)
		}
	}
	if len(src.CredentialProviderConfigurations) > 1 {
		fe.add(f+".fromUrl.credentialProviderConfigurations", "must hold at most one configuration, got %d", len(src.CredentialProviderConfigurations))
	}
	for i, c := range src.CredentialProviderConfigurations {
		p := fmt.Sprintf("%s.fromUrl.credentialProviderConfigurations[%d]", f, i)
		u := c.CredentialProvider
		switch c.CredentialProviderType {
		case CredentialOAuth:
			if u.OAuth == nil || u.IAM != nil {
				fe.add(p+".credentialProvider", "must set exactly oauthCredentialProvider for credentialProviderType OAUTH")
				continue
			}
			checkLength(fe, p+".credentialProvider.oauthCredentialProvider.providerArn", u.OAuth.ProviderARN, 1, 2048)
			if g := u.OAuth.GrantType; g != "" && g != "CLIENT_CREDENTIALS" {
				fe.add(p+".credentialProvider.oauthCredentialProvider.grantType", "must be CLIENT_CREDENTIALS")
			}
			if len(u.OAuth.Scopes) > maxSyncScopes {
				fe.add(p+".credentialProvider.oauthCredentialProvider.scopes", "must hold at most %d scopes", maxSyncScopes)
			}
			checkStrings(fe, p+".credentialProvider.oauthCredentialProvider.scopes", u.OAuth.Scopes)
			if len(u.OAuth.CustomParameters) > maxSyncParams {
				fe.add(p+".credentialProvider.oauthCredentialProvider.customParameters", "must hold at most %d parameters", maxSyncParams)
			}
		case CredentialIAM:
			if u.IAM == nil || u.OAuth != nil {
				fe.add(p+".credentialProvider", "must set exactly iamCredentialProvider for credentialProviderType IAM")
				continue
			}
			checkLength(fe, p+".credentialProvider.iamCredentialProvider.roleArn", u.IAM.RoleARN, 1, 2048)
			checkLength(fe, p+".credentialProvider.iamCredentialProvider.service", u.IAM.Service, 1, 64)
		default:
			fe.add(p+".credentialProviderType", "must be OAUTH or IAM")
		}
	}
}

// checkURL applies the server's URL policy to a URL it will fetch.
func checkURL(raw string, policy func(string) error) error {
	if policy != nil {
		return policy(raw)
	}
	if !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "http://") {
		return errors.New("must be an absolute http or https URL")
	}
	return nil
}

// startSync moves r to CREATING or UPDATING and queues its job, in tx.
func (s *Service) startSync(ctx context.Context, tx Tx, r *Record, creating bool) error {
	now := s.clock()
	job := SyncJob{RegistryID: r.RegistryID, RecordID: r.ID, CreatedAt: now, Namespace: namespaceOf(ctx)}
	if creating {
		r.Latest.Status = StatusCreating
	} else {
		job.PriorStatus, job.PriorReason = r.Latest.Status, r.Latest.StatusReason
		r.Latest.Status = StatusUpdating
	}
	r.Latest.StatusReason = "Synchronizing from " + r.Latest.Sync.FromURL.URL + "."
	r.Latest.UpdatedAt = now
	return tx.PutSyncJob(job)
}

// kickSync wakes the worker after a job was queued.
func (s *Service) kickSync() {
	select {
	case s.syncKick <- struct{}{}:
	default:
	}
}

// SyncOptions configure RunSync.
type SyncOptions struct {
	Fetcher     Fetcher
	Concurrency int           // jobs at once; default 8
	Timeout     time.Duration // per fetch; default 60 s
	Poll        time.Duration // how often to look for jobs queued by other replicas; default 2 s
	Logger      *slog.Logger  // nil = slog.Default()
	// Interval, when set, re-synchronizes every settled synchronized
	// record this often (one replica starts each round); a round makes a
	// new DRAFT revision only where the content changed.
	Interval time.Duration
}

// RunSync runs synchronization jobs until ctx ends: those this replica
// queues (at once) and those in the store (polled), at most
// o.Concurrency at a time. On return, jobs it had not finished are
// released for the next run.
func (s *Service) RunSync(ctx context.Context, o SyncOptions) {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// A claim outlives the fetch and its completion.
	lease := o.Timeout + 30*time.Second
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, o.Concurrency)
	var periodic <-chan time.Time
	if o.Interval > 0 {
		// Check often enough that a round starts close to its time; the
		// setting in the store decides whether one is due.
		t := time.NewTicker(min(o.Interval, time.Minute))
		defer t.Stop()
		periodic = t.C
	}
	for {
		if free := o.Concurrency - len(slots); free > 0 {
			jobs, err := s.claimSyncJobs(ctx, free, lease)
			if err != nil && ctx.Err() == nil {
				o.Logger.ErrorContext(ctx, "sync: claiming jobs failed", "err", err)
			}
			for _, j := range jobs {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots; s.kickSync() }()
					s.runSyncJob(ctx, j, o)
				})
			}
			if len(jobs) == free {
				continue // there may be more
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.syncKick:
		case <-time.After(o.Poll):
		case <-periodic:
			if n, err := s.schedulePeriodic(ctx, o.Interval); err != nil && ctx.Err() == nil {
				o.Logger.ErrorContext(ctx, "sync: scheduling periodic re-synchronization failed", "err", err)
			} else if n > 0 {
				o.Logger.InfoContext(ctx, "sync: periodic re-synchronization queued", "records", n)
			}
		}
	}
}

// periodicSetting is the server-wide setting that holds when the last
// periodic round began (Unix milliseconds, big-endian).
const periodicSetting = "sync-periodic-at"

// schedulePeriodic queues a periodic job for each settled synchronized
// record without one, when a round is due, and returns how many.
func (s *Service) schedulePeriodic(ctx context.Context, every time.Duration) (int, error) {
	due := false
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.clock()
		v, ok, err := tx.Setting(periodicSetting)
		if err != nil {
			return err
		}
		if due = !ok || len(v) != 8 || now.Sub(time.UnixMilli(int64(binary.BigEndian.Uint64(v)))) >= every; !due {
			return nil
		}
		return tx.PutSetting(periodicSetting, binary.BigEndian.AppendUint64(nil, uint64(now.UnixMilli())))
	})
	if err != nil || !due {
		return 0, err
	}
	const page = 100
	queued := 0
	var regQ = RegistryQuery{Limit: page}
	for {
		var regs []Registry
		if err := s.store.View(ctx, func(tx Tx) (err error) { regs, err = tx.ListRegistries(regQ); return err }); err != nil {
			return queued, err
		}
		for _, reg := range regs {
			recQ := RecordQuery{RegistryID: reg.ID, Limit: page}
			for {
				var rs []Record
				n := 0
				err := s.store.Update(ctx, func(tx Tx) (err error) {
					n = 0
					if rs, err = tx.ListRecords(recQ); err != nil {
						return err
					}
					for _, r := range rs {
						if r.Latest.SyncType == "" || !periodicStatus(r.Latest.Status) {
							continue
						}
						if _, ok, err := tx.SyncJob(r.RegistryID, r.ID); err != nil || ok {
							if err != nil {
								return err
							}
							continue
						}
						if err := tx.PutSyncJob(SyncJob{RegistryID: r.RegistryID, RecordID: r.ID, Periodic: true, CreatedAt: s.clock()}); err != nil {
							return err
						}
						n++
					}
					return nil
				})
				if err != nil {
					return queued, err
				}
				queued += n
				if len(rs) < page {
					break
				}
				recQ.AfterName, recQ.AfterID = rs[len(rs)-1].Latest.Name, rs[len(rs)-1].ID
			}
		}
		if len(regs) < page {
			break
		}
		regQ.AfterName, regQ.AfterID = regs[len(regs)-1].Name, regs[len(regs)-1].ID
	}
	if queued > 0 {
		s.kickSync()
	}
	return queued, nil
}

// periodicStatus reports whether a record in status st is re-synchronized
// periodically: settled, and not failed (a failed record waits for its
// publisher) nor final.
func periodicStatus(st RecordStatus) bool {
	switch st {
	case StatusDraft, StatusPendingApproval, StatusApproved, StatusRejected:
		return true
	}
	return false
}

func (s *Service) claimSyncJobs(ctx context.Context, limit int, lease time.Duration) ([]SyncJob, error) {
	var jobs []SyncJob
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		now := s.clock()
		jobs, err = tx.ClaimSyncJobs(now, now.Add(lease), limit)
		return err
	})
	return jobs, err
}

// runSyncJob fetches a job's source and completes it.
func (s *Service) runSyncJob(ctx context.Context, j SyncJob, o SyncOptions) {
	var (
		rec Record
		err error
	)
	err = s.store.View(ctx, func(tx Tx) error {
		rec, err = tx.Record(j.RegistryID, j.RecordID)
		return err
	})
	switch {
	case IsNotFound(err):
		s.finishSync(ctx, j, nil, nil, o) // deleted meanwhile: drops the job
		return
	case err != nil:
		o.Logger.ErrorContext(ctx, "sync: reading record failed", "registryId", j.RegistryID, "recordId", j.RecordID, "err", err)
		return // the lease expires and the job runs again
	}
	if j.Attempts > maxSyncAttempts {
		s.finishSync(ctx, j, nil, fmt.Errorf("the synchronization was interrupted %d times (a server restart or crash while fetching); trigger it again", j.Attempts-1), o)
		return
	}
	if rec.Latest.Sync == nil || rec.Latest.Sync.FromURL == nil {
		s.finishSync(ctx, j, nil, nil, o)
		return
	}
	fctx, cancel := context.WithTimeout(ctx, o.Timeout)
	d, ferr := o.Fetcher.Fetch(fctx, rec.Latest.DescriptorType, *rec.Latest.Sync.FromURL)
	timedOut := fctx.Err() != nil
	cancel()
	if ctx.Err() != nil {
		// Shutting down: hand the job back for the next run.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.store.Update(rctx, func(tx Tx) error {
			cur, ok, err := tx.SyncJob(j.RegistryID, j.RecordID)
			if err != nil || !ok || !cur.LeaseUntil.Equal(j.LeaseUntil) {
				return err
			}
			cur.LeaseUntil = time.Time{}
			cur.Attempts--
			return tx.PutSyncJob(cur)
		})
		return
	}
	if ferr != nil && timedOut {
		ferr = fmt.Errorf("the source did not answer within %s: %w", o.Timeout, ferr)
	}
	if ferr != nil {
		d = Descriptors{}
	}
	s.finishSync(ctx, j, &d, ferr, o)
}

// finishSync completes a job: with d the fetched content, with ferr the
// reason it failed, with neither it only drops the job.
func (s *Service) finishSync(ctx context.Context, j SyncJob, d *Descriptors, ferr error, o SyncOptions) {
	var outcome string
	if j.Namespace != "" {
		ctx = WithNamespace(ctx, j.Namespace) // the events are those of the API that started the job
	}
	err := s.update(ctx, func(tx Tx) (int64, error) {
		cur, ok, err := tx.SyncJob(j.RegistryID, j.RecordID)
		if err != nil || !ok || !cur.LeaseUntil.Equal(j.LeaseUntil) {
			outcome = "superseded"
			return 0, err // deleted, or claimed again by another worker after our lease expired
		}
		if err := tx.DeleteSyncJob(j.RegistryID, j.RecordID); err != nil {
			return 0, err
		}
		r, err := tx.Record(j.RegistryID, j.RecordID)
		if IsNotFound(err) {
			outcome = "record deleted"
			return 0, nil
		} else if err != nil {
			return 0, err
		}
		previous := r.Latest.Status
		if j.Periodic {
			var changed bool
			if outcome, changed = s.applyPeriodic(&r, d, ferr); !changed {
				return 0, nil
			}
			if err := s.recordEvent(ctx, tx, r, previous); err != nil {
				return 0, err
			}
			return s.putRecord(tx, r)
		}
		if st := r.Latest.Status; st != StatusCreating && st != StatusUpdating {
			outcome = "record settled"
			return 0, nil
		}
		if ferr == nil && d == nil {
			ferr = errors.New("the record has no synchronization configuration")
		}
		if ferr == nil {
			var fe fieldErrors
			checkDescriptors(&fe, r.Latest.DescriptorType, *d)
			if err := fe.err(); err != nil {
				ferr = fmt.Errorf("the fetched content is not a valid %s descriptor: %s", r.Latest.DescriptorType, errorMessage(err))
			}
		}
		s.applySync(&r, j, d, ferr)
		outcome = string(r.Latest.Status)
		// A synchronization that ends in a new DRAFT or a failure sends its
		// event; one that returns a record to the status it had sends none
		// (it was not approved, say, again).
		if st := r.Latest.Status; st == StatusDraft || st == StatusCreateFailed || st == StatusUpdateFailed {
			if err := s.recordEvent(ctx, tx, r, previous); err != nil {
				return 0, err
			}
		}
		return s.putRecord(tx, r)
	})
	if err != nil {
		o.Logger.ErrorContext(ctx, "sync: completing job failed", "registryId", j.RegistryID, "recordId", j.RecordID, "err", err)
		return
	}
	o.Logger.InfoContext(ctx, "sync: job done", "registryId", j.RegistryID, "recordId", j.RecordID, "outcome", outcome)
}

// applySync moves a CREATING or UPDATING record to where its fetch led.
func (s *Service) applySync(r *Record, j SyncJob, d *Descriptors, ferr error) {
	now := s.clock()
	src := r.Latest.Sync.FromURL.URL
	r.Latest.UpdatedAt = now
	if ferr != nil {
		r.Latest.StatusReason = truncate("Synchronization from "+src+" failed: "+ferr.Error(), MaxReasonLen)
		if r.Latest.Status == StatusCreating {
			r.Latest.Status = StatusCreateFailed
		} else {
			r.Latest.Status = StatusUpdateFailed // the last good content stays
		}
		return
	}
	next := r.Latest
	next.Descriptors = *d
	if next.Version == "" || next.Version == descriptorVersion(r.Latest.DescriptorType, r.Latest.Descriptors) {
		next.Version = descriptorVersion(next.DescriptorType, next.Descriptors)
	}
	switch {
	case r.Latest.Status == StatusUpdating && sameContent(r.Latest, next) &&
		j.PriorStatus != StatusCreateFailed && j.PriorStatus != StatusUpdateFailed && j.PriorStatus != "":
		r.Latest.Status, r.Latest.StatusReason = j.PriorStatus, j.PriorReason
		return
	case r.Latest.Status == StatusCreating:
		next.StatusReason = "Synchronized from " + src + "."
	default:
		next.StatusReason = "Synchronized from " + src + ": a new DRAFT revision; submit it for approval to replace the approved one."
	}
	next.Status = StatusDraft
	r.Latest = next
}

// applyPeriodic makes a new DRAFT revision of r from a periodic fetch when
// its content changed. A failure changes nothing: it is only logged, and
// the next round tries again.
func (s *Service) applyPeriodic(r *Record, d *Descriptors, ferr error) (outcome string, changed bool) {
	if !periodicStatus(r.Latest.Status) || r.Latest.Sync == nil || r.Latest.Sync.FromURL == nil {
		return "record no longer re-synchronized", false
	}
	if ferr == nil && d != nil {
		var fe fieldErrors
		checkDescriptors(&fe, r.Latest.DescriptorType, *d)
		if err := fe.err(); err != nil {
			ferr = fmt.Errorf("the fetched content is not a valid %s descriptor: %s", r.Latest.DescriptorType, errorMessage(err))
		}
	}
	if ferr != nil || d == nil {
		return fmt.Sprintf("periodic re-synchronization failed; the record is unchanged: %v", ferr), false
	}
	next := r.Latest
	next.Descriptors = *d
	if next.Version == descriptorVersion(r.Latest.DescriptorType, r.Latest.Descriptors) {
		next.Version = descriptorVersion(next.DescriptorType, next.Descriptors)
	}
	if sameContent(r.Latest, next) {
		return "unchanged", false
	}
	if err := r.BeginEdit(s.clock()); err != nil {
		return err.Error(), false
	}
	next.Status, next.UpdatedAt = StatusDraft, r.Latest.UpdatedAt
	next.StatusReason = "Synchronized from " + r.Latest.Sync.FromURL.URL + " (periodic re-synchronization): the source changed; submit this DRAFT for approval to replace the approved revision."
	r.Latest = next
	return "new DRAFT revision", true
}

// errorMessage is the public message of a domain error.
func errorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return strings.TrimPrefix(e.Message, "Invalid request: ")
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-3], "") + "..."
}

// SourceSync is the synchronization a GA descriptor source asks for: the
// source of the descriptor a record of type typ is fetched into (MCP
// mcpServer, A2A a2aAgentCard, AGENT_SKILLS skillMd), or nil when that
// descriptor has none. Sources of other descriptors (http, agui, a
// gateway's) describe where a resource lives; nothing is fetched from them.
func SourceSync(typ DescriptorType, d Descriptors) (*SyncConfig, error) {
	var src *DescriptorSource
	switch {
	case typ == DescriptorMCP && d.MCP != nil:
		src = d.MCP.Source
	case typ == DescriptorA2A && d.A2A != nil:
		src = d.A2A.Source
	case typ == DescriptorAgentSkills && d.AgentSkills != nil && d.AgentSkills.SkillMd != nil:
		src = d.AgentSkills.SkillMd.Source
	}
	if src == nil {
		return nil, nil
	}
	f := &FromURLSync{URL: src.URL}
	if len(src.CredentialProviders) > 0 {
		if err := json.Unmarshal(src.CredentialProviders, &f.CredentialProviderConfigurations); err != nil {
			var fe fieldErrors
			fe.add("synchronizationConfiguration.fromUrl.credentialProviderConfigurations", "must be a list of credential provider configurations")
			return nil, fe.err()
		}
	}
	return &SyncConfig{FromURL: f}, nil
}
