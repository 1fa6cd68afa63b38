package synchronize

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/agentry/agentry/registry"
)

// The credential-provider file maps the ARNs that records name in
// credentialProviderConfigurations to the secrets the server uses for
// them (in AWS, AgentCore Identity holds these):
//
//	{
//	  "oauth": {
//	    "<providerArn>": {"tokenEndpoint": "https://idp.example.com/token",
//	                      "clientId": "...", "clientSecret": "...",
//	                      "tokenEndpointAuthMethod": "client_secret_basic"}
//	  },
//	  "iam": {
//	    "<roleArn>": {"accessKeyId": "...", "secretAccessKey": "...",
//	                  "sessionToken": "...", "region": "us-east-1"}
//	  }
//	}
//
// It is read strictly (unknown members are errors), must be readable by
// its owner only, and is reloaded when it changes; a file that fails to
// load leaves the previous one in force. Its secrets are never logged nor
// put in a statusReason.

// maxCredentialsFile bounds the file's size.
const maxCredentialsFile = 1 << 20

// reloadCheck is how often a lookup may stat the file for changes.
const reloadCheck = time.Second

type credentialFile struct {
	OAuth map[string]oauthClient `json:"oauth"`
	IAM   map[string]iamKeys     `json:"iam"`
}

type oauthClient struct {
	TokenEndpoint string `json:"tokenEndpoint"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret"`
	// AuthMethod is how the client authenticates to the token endpoint:
	// client_secret_basic (default) or client_secret_post.
	AuthMethod string `json:"tokenEndpointAuthMethod,omitempty"`
}

type iamKeys struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
	Region          string `json:"region,omitempty"`
}

// Credentials is the loaded credential-provider file and the OAuth tokens
// obtained with it, cached until they expire.
type Credentials struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	cur     *credentialFile
	stat    [2]int64 // modification time (ns) and size of the file in force
	checked time.Time
	lastErr string
	tokens  map[string]*token
}

type token struct {
	mu      sync.Mutex
	value   string
	expires time.Time
}

// LoadCredentials reads the credential-provider file at path; the first
// load must succeed.
func LoadCredentials(path string, log *slog.Logger) (*Credentials, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &Credentials{path: path, log: log, tokens: map[string]*token{}}
	f, st, err := readCredentials(path)
	if err != nil {
		return nil, err
	}
	c.cur, c.stat, c.checked = f, st, time.Now()
	return c, nil
}

func readCredentials(path string) (*credentialFile, [2]int64, error) {
	var st [2]int64
	fh, err := os.Open(path)
	if err != nil {
		return nil, st, fmt.Errorf("credential-provider file: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, st, fmt.Errorf("credential-provider file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, st, fmt.Errorf("credential-provider file %s holds secrets but is accessible to other users (mode %s): chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxCredentialsFile+1))
	if err != nil {
		return nil, st, fmt.Errorf("credential-provider file %s: %w", path, err)
	}
	if len(data) > maxCredentialsFile {
		return nil, st, fmt.Errorf("credential-provider file %s: larger than %d bytes", path, maxCredentialsFile)
	}
	f, err := parseCredentials(data)
	if err != nil {
		return nil, st, fmt.Errorf("credential-provider file %s: %w", path, err)
	}
	return f, [2]int64{fi.ModTime().UnixNano(), fi.Size()}, nil
}

func parseCredentials(data []byte) (*credentialFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f credentialFile
	if err := dec.Decode(&f); err != nil {
		return nil, err // encoding/json errors name fields and offsets, never values
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	var problems []string
	for _, arn := range sortedKeys(f.OAuth) {
		o := f.OAuth[arn]
		if u, err := url.Parse(o.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("oauth %q: tokenEndpoint must be an absolute http(s) URL", arn))
		}
		if o.ClientID == "" || o.ClientSecret == "" {
			problems = append(problems, fmt.Sprintf("oauth %q: clientId and clientSecret are required", arn))
		}
		if m := o.AuthMethod; m != "" && m != "client_secret_basic" && m != "client_secret_post" {
			problems = append(problems, fmt.Sprintf("oauth %q: tokenEndpointAuthMethod must be client_secret_basic or client_secret_post", arn))
		}
	}
	for _, arn := range sortedKeys(f.IAM) {
		if k := f.IAM[arn]; k.AccessKeyID == "" || k.SecretAccessKey == "" {
			problems = append(problems, fmt.Sprintf("iam %q: accessKeyId and secretAccessKey are required", arn))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &f, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// current returns the file in force, reloading it first if it changed.
func (c *Credentials) current() *credentialFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < reloadCheck {
		return c.cur
	}
	c.checked = time.Now()
	fi, err := os.Stat(c.path)
	if err == nil && [2]int64{fi.ModTime().UnixNano(), fi.Size()} == c.stat {
		return c.cur
	}
	f, st, err := readCredentials(c.path)
	if err != nil {
		if msg := err.Error(); msg != c.lastErr {
			c.lastErr = msg
			c.log.Error("sync: credential-provider file rejected; keeping the previous one", "err", err)
		}
		return c.cur
	}
	c.cur, c.stat, c.lastErr = f, st, ""
	c.log.Info("sync: credential-provider file reloaded", "path", c.path, "oauth", len(f.OAuth), "iam", len(f.IAM))
	return c.cur
}

// authenticator returns what authenticates requests for cp.
func (c *Credentials) authenticator(ctx context.Context, cp registry.CredentialProvider, client *http.Client) (func(*http.Request) error, error) {
	f := c.current()
	switch u := cp.CredentialProvider; {
	case u.OAuth != nil:
		oc, ok := f.OAuth[u.OAuth.ProviderARN]
		if !ok {
			return nil, fmt.Errorf("the OAuth credential provider %s is not in this server's credential-provider file", u.OAuth.ProviderARN)
		}
		tok, err := c.token(ctx, client, u.OAuth, oc)
		if err != nil {
			return nil, err
		}
		return func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "+tok); return nil }, nil
	case u.IAM != nil:
		k, ok := f.IAM[u.IAM.RoleARN]
		if !ok {
			return nil, fmt.Errorf("the IAM role %s is not in this server's credential-provider file", u.IAM.RoleARN)
		}
		region := u.IAM.Region
		if region == "" {
			region = k.Region
		}
		if region == "" {
			return nil, fmt.Errorf("no region to sign with: give iamCredentialProvider.region or a region for %s in the credential-provider file", u.IAM.RoleARN)
		}
		creds := aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken}
		signer := v4.NewSigner()
		return func(r *http.Request) error {
			hash, err := bodyHash(r)
			if err != nil {
				return err
			}
			return signer.SignHTTP(r.Context(), creds, r, hash, u.IAM.Service, region, time.Now())
		}, nil
	}
	return nil, errors.New("the credential provider configuration names no provider")
}

// bodyHash returns the hex SHA-256 of r's body, leaving the body readable.
func bodyHash(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		sum := sha256.Sum256(nil)
		return hex.EncodeToString(sum[:]), nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	r.Body.Close()
	if err != nil {
		return "", err
	}
	if len(b) > 1<<20 {
		return "", errors.New("request body too large to sign")
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// token returns a cached access token for p, or obtains one with the
// client credentials grant.
func (c *Credentials) token(ctx context.Context, client *http.Client, p *registry.OAuthCredentialProvider, oc oauthClient) (string, error) {
	keyParts := []string{p.ProviderARN, oc.TokenEndpoint, oc.ClientID, oc.ClientSecret, strings.Join(p.Scopes, " ")}
	for _, k := range sortedKeys(p.CustomParameters) {
		keyParts = append(keyParts, k+"="+p.CustomParameters[k])
	}
	sum := sha256.Sum256([]byte(strings.Join(keyParts, "\x00")))
	key := string(sum[:])
	c.mu.Lock()
	t := c.tokens[key]
	if t == nil {
		t = &token{}
		c.tokens[key] = t
	}
	c.mu.Unlock()

	t.mu.Lock() // one request per token at a time
	defer t.mu.Unlock()
	if t.value != "" && time.Now().Before(t.expires) {
		return t.value, nil
	}
	v, ttl, err := requestToken(ctx, client, p, oc)
	if err != nil {
		return "", fmt.Errorf("obtaining an access token for %s: %w", p.ProviderARN, err)
	}
	// Renew a little early, so a token does not expire mid-synchronization.
	t.value, t.expires = v, time.Now().Add(ttl-min(30*time.Second, ttl/10))
	return v, nil
}

func requestToken(ctx context.Context, client *http.Client, p *registry.OAuthCredentialProvider, oc oauthClient) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(p.Scopes) > 0 {
		form.Set("scope", strings.Join(p.Scopes, " "))
	}
	for k, v := range p.CustomParameters {
		if !slices.Contains([]string{"grant_type", "client_id", "client_secret", "scope"}, k) {
			form.Set(k, v)
		}
	}
	if oc.AuthMethod == "client_secret_post" {
		form.Set("client_id", oc.ClientID)
		form.Set("client_secret", oc.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, oc.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, errors.New("the token endpoint URL is invalid")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if oc.AuthMethod != "client_secret_post" {
		req.SetBasicAuth(url.QueryEscape(oc.ClientID), url.QueryEscape(oc.ClientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("the token endpoint could not be reached: %w", describe(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", 0, fmt.Errorf("reading the token response: %w", err)
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	_ = json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		// Only the standard error members, without the secret: a token
		// endpoint may echo the request, which carries it.
		redact := strings.NewReplacer(oc.ClientSecret, "[redacted]", url.QueryEscape(oc.ClientSecret), "[redacted]")
		msg := fmt.Sprintf("the token endpoint answered %s", resp.Status)
		if tr.Error != "" {
			msg += fmt.Sprintf(" (%s: %s)", clip(redact.Replace(tr.Error), 100), clip(redact.Replace(tr.Description), 300))
		}
		return "", 0, errors.New(msg)
	}
	if tr.AccessToken == "" || (tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer")) {
		return "", 0, errors.New("the token endpoint answered without a bearer access_token")
	}
	ttl := time.Hour
	var secs float64
	if json.Unmarshal(tr.ExpiresIn, &secs) == nil && secs > 0 {
		ttl = time.Duration(secs * float64(time.Second))
	}
	return tr.AccessToken, ttl, nil
}
