// Package credentials provides the root principal's access key: taken from
// the environment, or generated at first start and kept, readable by its
// owner only, in the data directory.
package credentials

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// FileName is the root credentials file inside the data directory.
const FileName = "root-credentials.json"

// Key is an AWS-style access key pair.
type Key struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

var accessKeyPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

// Validate checks the key's shape.
func (k Key) Validate() error {
	if !accessKeyPattern.MatchString(k.AccessKeyID) {
		return errors.New("access key id must be 16 to 128 upper-case letters and digits")
	}
	if len(k.SecretAccessKey) < 16 {
		return errors.New("secret access key must be at least 16 characters")
	}
	return nil
}

// LoadRoot returns the root key. When envID and envSecret are both set they
// win; otherwise the key stored in dataDir is used, and created on first
// start (created is then true so the caller can show it once).
func LoadRoot(dataDir, envID, envSecret string) (key Key, created bool, err error) {
	if envID != "" || envSecret != "" {
		key = Key{AccessKeyID: envID, SecretAccessKey: envSecret}
		if envID == "" || envSecret == "" {
			return Key{}, false, errors.New("set both AGENTRY_ROOT_ACCESS_KEY_ID and AGENTRY_ROOT_SECRET_ACCESS_KEY, or neither")
		}
		if err := key.Validate(); err != nil {
			return Key{}, false, fmt.Errorf("root credentials from the environment: %w", err)
		}
		return key, false, nil
	}
	path := filepath.Join(dataDir, FileName)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &key); err != nil {
			return Key{}, false, fmt.Errorf("%s: %w", path, err)
		}
		if err := key.Validate(); err != nil {
			return Key{}, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Key{}, false, err
	}
	key = Generate()
	b, _ = json.MarshalIndent(key, "", "  ")
	// O_EXCL: two processes starting at once must not both create a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, false, err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return Key{}, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return Key{}, false, err
	}
	return key, true, f.Close()
}

// Generate returns a new random key in the AWS format.
func Generate() Key {
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	id := make([]byte, 16)
	rand.Read(id)
	for i := range id {
		id[i] = upper[int(id[i])%len(upper)]
	}
	secret := make([]byte, 30)
	rand.Read(secret)
	return Key{AccessKeyID: "AKIA" + string(id), SecretAccessKey: base64.StdEncoding.EncodeToString(secret)}
}
