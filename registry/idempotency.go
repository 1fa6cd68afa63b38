package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// IdempotencyWindow is how long a clientToken is remembered.
const IdempotencyWindow = 24 * time.Hour

// Created is the result of a create call. A call repeated with the same
// clientToken returns the first call's result.
type Created struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// idempotent runs create inside tx unless key already holds a result for
// the same request, in which case it returns that result. An empty token
// disables the check.
func (s *Service) idempotent(tx Tx, key, token string, request any, create func() (Created, error)) (Created, error) {
	if token == "" {
		return create()
	}
	raw, _ := json.Marshal(request)
	sum := sha256.Sum256(raw)
	fingerprint := hex.EncodeToString(sum[:])
	key += "\x00" + token
	prev, ok, err := tx.Idempotency(key)
	if err != nil {
		return Created{}, err
	}
	now := s.clock()
	if ok && now.Sub(prev.CreatedAt) < IdempotencyWindow {
		if prev.Fingerprint != fingerprint {
			return Created{}, &Error{Kind: KindInvalid, Reason: ReasonIdempotencyMismatch,
				Message: "The clientToken was already used with different parameters; use a new clientToken for a different request."}
		}
		var c Created
		if err := json.Unmarshal(prev.Result, &c); err != nil {
			return Created{}, Internal(err)
		}
		return c, nil
	}
	c, err := create()
	if err != nil {
		return Created{}, err
	}
	result, _ := json.Marshal(c)
	return c, tx.PutIdempotency(Idempotency{Key: key, Fingerprint: fingerprint, Result: result, CreatedAt: now})
}
