package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// pageCursor is the position a nextToken resumes from. It is bound to the
// query's filters so a token cannot be replayed against another query.
type pageCursor struct {
	Name    string `json:"n"`
	ID      string `json:"i"`
	Filters string `json:"f"`
}

const maxTokenLen = 2048

// encodeToken returns an opaque token: the cursor (a name and an id, never
// an offset) and an HMAC over it, so callers cannot forge or alter one.
func encodeToken(key []byte, c pageCursor) string {
	payload, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(mac.Sum(nil))
}

func decodeToken(key []byte, token, filters string) (pageCursor, error) {
	bad := invalid("nextToken", "is not a token this server issued for this request; start again without nextToken")
	if len(token) > maxTokenLen {
		return pageCursor{}, bad
	}
	p, s, ok := strings.Cut(token, ".")
	if !ok {
		return pageCursor{}, bad
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	sig, err2 := enc.DecodeString(s)
	if err1 != nil || err2 != nil {
		return pageCursor{}, bad
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return pageCursor{}, bad
	}
	var c pageCursor
	if err := json.Unmarshal(payload, &c); err != nil || c.Filters != filters {
		return pageCursor{}, bad
	}
	return c, nil
}

const defaultListResults = 20

func pageSize(n *int) int {
	if n == nil {
		return defaultListResults
	}
	return *n
}
