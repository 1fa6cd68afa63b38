package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

var (
	pagingKey = []byte("0123456789abcdef0123456789abcdef")
	cursor    = pageCursor{Name: "weather/forecast", ID: "abcDEF123456", Filters: "records\x00reg\x00\x00APPROVED\x00MCP"}
)

func TestTokenRoundTrip(t *testing.T) {
	for _, c := range []pageCursor{
		cursor,
		{},
		{Name: "ünïcode \"quoted\" name", ID: "x", Filters: "registries\x00READY\x00AWS_IAM"},
	} {
		token := encodeToken(pagingKey, c)
		got, err := decodeToken(pagingKey, token, c.Filters)
		if err != nil || got != c {
			t.Errorf("decodeToken(encodeToken(%+v)) = %+v, %v", c, got, err)
		}
	}
}

func TestTokenIsURLSafe(t *testing.T) {
	token := encodeToken(pagingKey, cursor)
	if strings.ContainsAny(token, "+/= ") {
		t.Errorf("token %q is not URL-safe", token)
	}
}

func TestTokenRejected(t *testing.T) {
	enc := base64.RawURLEncoding
	good := encodeToken(pagingKey, cursor)
	payload, sig, _ := strings.Cut(good, ".")

	forged := cursor
	forged.ID = "zzzzzzzzzzzz"
	forgedPayload, _, _ := strings.Cut(encodeToken(pagingKey, forged), ".")

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	long := cursor
	long.Name = strings.Repeat("n", maxTokenLen)

	tests := []struct {
		name, token, filters string
		key                  []byte
	}{
		{"payload of another cursor", forgedPayload + "." + sig, cursor.Filters, pagingKey},
		{"payload byte changed", flip(payload, 3) + "." + sig, cursor.Filters, pagingKey},
		{"signature byte changed", payload + "." + flip(sig, 5), cursor.Filters, pagingKey},
		{"signature truncated", payload + "." + sig[:len(sig)-2], cursor.Filters, pagingKey},
		{"signature missing", payload, cursor.Filters, pagingKey},
		{"empty signature", payload + ".", cursor.Filters, pagingKey},
		{"not base64", "!!!." + sig, cursor.Filters, pagingKey},
		{"other filters", good, "records\x00reg\x00\x00DRAFT\x00MCP", pagingKey},
		{"no filters", good, "", pagingKey},
		{"other key", good, cursor.Filters, []byte("another key, another server.....")},
		{"signed but not JSON", enc.EncodeToString([]byte("not json")) + "." + sign(pagingKey, []byte("not json")), cursor.Filters, pagingKey},
		{"oversize", encodeToken(pagingKey, long), long.Filters, pagingKey},
		{"empty", "", cursor.Filters, pagingKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeToken(tt.key, tt.token, tt.filters)
			wantInvalidField(t, err, "nextToken", "start again without nextToken")
		})
	}
}

// sign returns the signature encodeToken would put on payload.
func sign(key, payload []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
