package audit

import (
	"fmt"
	"math"
	"sync"
)

// Volume keeps, per token, the rows read in the current hour and a trailing
// average of past hours, and says when the current hour is far above it.
type Volume struct {
	// MinRows is the hourly volume below which nothing is unusual, so that
	// new and quiet tokens do not raise warnings for ordinary use.
	MinRows int64
	// Factor is how many times its usual hourly volume a token must read
	// within an hour to be unusual.
	Factor float64

	mu     sync.Mutex
	tokens map[int64]*tokenVolume
}

// Defaults of NewVolume.
const (
	DefaultMinRows = 10000
	DefaultFactor  = 10
	// alpha weighs each finished hour in the trailing average (about a day).
	alpha = 1.0 / 24
	hour  = int64(3600 * 1000)
)

type tokenVolume struct {
	hour   int64 // the current hour, in hours since the epoch
	rows   int64 // rows read in it
	avg    float64
	warned bool // a warning was raised for the current hour
}

// NewVolume returns a detector with the default thresholds.
func NewVolume() *Volume { return &Volume{MinRows: DefaultMinRows, Factor: DefaultFactor} }

// Add counts rows read by token at (epoch ms). It returns the token's rows
// in the current hour and its usual hourly volume, and whether this is the
// first time this hour that the volume is unusual.
func (v *Volume) Add(token, rows, at int64) (int64, float64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tokens == nil {
		v.tokens = map[int64]*tokenVolume{}
	}
	h := at / hour
	t := v.tokens[token]
	if t == nil {
		t = &tokenVolume{hour: h}
		v.tokens[token] = t
	}
	if h > t.hour {
		// Fold the finished hour in, then the empty hours since.
		t.avg += alpha * (float64(t.rows) - t.avg)
		t.avg *= math.Pow(1-alpha, float64(h-t.hour-1))
		t.hour, t.rows, t.warned = h, 0, false
	}
	t.rows += rows
	if t.warned || t.rows < v.MinRows || float64(t.rows) < v.Factor*t.avg {
		return t.rows, t.avg, false
	}
	t.warned = true
	return t.rows, t.avg, true
}

func anomalyDetail(rows int64, usual float64) string {
	return fmt.Sprintf("read %d rows within an hour; usual volume about %.0f rows an hour", rows, usual)
}
