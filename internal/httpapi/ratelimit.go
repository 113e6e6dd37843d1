package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// allow takes one request from the token's bucket and sets the rate-limit
// headers. It reports false when the bucket is empty; Retry-After is then set.
func (s *Server) allow(w http.ResponseWriter, tokenID int64) bool {
	if s.cfg.RateLimit <= 0 {
		return true
	}
	lim := s.limiter(tokenID)
	now := time.Now()
	r := lim.ReserveN(now, 1)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.cfg.RateBurst))
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // a refused request costs nothing
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
		return false
	}
	h.Set("X-RateLimit-Remaining", strconv.Itoa(int(max(0, lim.TokensAt(now)))))
	return true
}

func (s *Server) limiter(tokenID int64) *rate.Limiter {
	s.limitersMu.Lock()
	defer s.limitersMu.Unlock()
	lim, ok := s.limiters[tokenID]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), s.cfg.RateBurst)
		s.limiters[tokenID] = lim
	}
	return lim
}
