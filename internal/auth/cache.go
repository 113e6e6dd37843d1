package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// Revocation announces that tokens ended (or that what a cached token
// carries changed, as an app's IP allowlist): every token matching all of
// its non-zero fields. It is written to the revocation log in the
// transaction that makes the change, so that every replica hears of it.
type Revocation struct {
	ID      int64 // the log's id; 0 before the commit
	OrgID   int64
	AppID   int64
	GrantID int64
	TokenID int64
}

// Matches reports whether t is one of the tokens r names. A revocation that
// names nothing matches every token.
func (r Revocation) Matches(t *Token) bool {
	return (r.OrgID == 0 || r.OrgID == t.OrgID) && (r.AppID == 0 || r.AppID == t.AppID) &&
		(r.GrantID == 0 || r.GrantID == t.GrantID) && (r.TokenID == 0 || r.TokenID == t.ID)
}

// RevocationLog is the persistence of the revocation log.
type RevocationLog interface {
	// RevocationsAfter returns the revocations logged after id, in id
	// order, at most limit of them.
	RevocationsAfter(ctx context.Context, id int64, limit int) ([]Revocation, error)
	// LastRevocation returns the id of the newest revocation (0: none).
	LastRevocation(ctx context.Context) (int64, error)
	// TouchTokens records each token's last use (id → epoch ms) unless a
	// later one is recorded.
	TouchTokens(ctx context.Context, lastUse map[int64]int64) error
}

// Cache keeps the tokens this replica verified, by keyed hash, so that a
// request need not read its token from the database. It is safe by
// construction:
//
//   - it answers only "accepted": a cached token that the rules would refuse
//     now (expired, idle, outside its allowlist) is read again from the
//     database, which has the last word;
//   - revocations drop entries: this replica's at once after their commit
//     (Drop), the others' when the log is read (Run), on a wake-up or at the
//     latest every poll interval;
//   - it serves nothing while the log is unread for longer than StaleAfter
//     poll intervals (the database is unreachable, or Run is not running);
//   - a token read from the database before a revocation was applied is not
//     cached afterwards (the generation check in put).
type Cache struct {
	// Log is read for the revocations of every replica.
	Log RevocationLog
	// Max bounds the entries kept; beyond it one is evicted per insert.
	Max int
	// Poll is the interval at which the log is read without a wake-up.
	Poll   time.Duration
	Now    func() time.Time
	Logger *slog.Logger

	mu         sync.Mutex
	entries    map[string]*cached
	generation uint64 // advanced by every Drop
	freshUntil time.Time
	cursor     int64           // the last revocation read
	started    bool            // the cursor is set
	pending    map[int64]int64 // last uses to record, token id → epoch ms
	wake       chan struct{}
}

type cached struct {
	token   Token
	touched int64 // the last use recorded or queued, epoch ms
}

// StaleAfter is how many poll intervals the cache may go without reading
// the log before it stops answering. So StaleAfter × Poll after a
// revocation's commit, every cache has dropped it or answers nothing.
const StaleAfter = 2

// NewCache returns a cache of at most max tokens reading log every poll.
func NewCache(log RevocationLog, max int, poll time.Duration, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Cache{Log: log, Max: max, Poll: poll, Now: time.Now, Logger: logger,
		entries: map[string]*cached{}, pending: map[int64]int64{}, wake: make(chan struct{}, 1)}
}

// Wake asks Run to read the log now. It never blocks.
func (c *Cache) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run reads the log every poll interval and on every Wake, and records the
// queued last uses, until ctx ends.
func (c *Cache) Run(ctx context.Context) {
	poll := time.NewTicker(c.Poll)
	defer poll.Stop()
	flush := time.NewTicker(touchFlushEvery)
	defer flush.Stop()
	c.sync(ctx)
	for {
		select {
		case <-ctx.Done():
			c.flushTouches(context.WithoutCancel(ctx))
			return
		case <-flush.C:
			c.flushTouches(ctx)
		case <-poll.C:
			c.sync(ctx)
		case <-c.wake:
			c.sync(ctx)
		}
	}
}

// touchFlushEvery is how often the queued last uses are written, as the
// audit log's batches are.
const touchFlushEvery = time.Second

// sync applies the revocations logged since the last read. The first read
// starts from the newest: the cache is empty then, and every token it will
// hold is read after it.
func (c *Cache) sync(ctx context.Context) {
	readAt := c.Now()
	c.mu.Lock()
	cursor, started := c.cursor, c.started
	c.mu.Unlock()
	if !started {
		last, err := c.Log.LastRevocation(ctx)
		if err != nil {
			c.Logger.Warn("reading the revocation log", logkey.Err, err)
			return
		}
		cursor = last
	}
	for {
		revs, err := c.Log.RevocationsAfter(ctx, cursor, 500)
		if err != nil {
			c.Logger.Warn("reading the revocation log", logkey.Err, err)
			return
		}
		if len(revs) > 0 {
			c.Drop(revs...)
			cursor = revs[len(revs)-1].ID
		}
		if len(revs) < 500 {
			break
		}
	}
	c.mu.Lock()
	if !c.started {
		// A token read before the first read of the log may predate a
		// revocation the cursor now passes over: none of those is cached.
		c.generation++
	}
	c.cursor, c.started = max(c.cursor, cursor), true
	c.freshUntil = readAt.Add(StaleAfter * c.Poll)
	c.mu.Unlock()
}

// Drop removes the cached tokens that revs name.
func (c *Cache) Drop(revs ...Revocation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.generation++
	for hash, e := range c.entries {
		for _, r := range revs {
			if r.Matches(&e.token) {
				delete(c.entries, hash)
				break
			}
		}
	}
}

// get returns the cached token of hash, if the cache may answer now.
func (c *Cache) get(hash string) (Token, bool) {
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || !now.Before(c.freshUntil) {
		return Token{}, false
	}
	return e.token, true
}

// generationNow is read before a token is read from the database, and
// handed to put with it.
func (c *Cache) generationNow() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.generation
}

// put caches t under hash unless a revocation was applied since gen was
// read: the token may have been read before it.
func (c *Cache) put(hash string, t *Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.generation || !c.started {
		return
	}
	if _, ok := c.entries[hash]; !ok && len(c.entries) >= c.Max {
		for k := range c.entries { // any one: map order is random
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = &cached{token: *t, touched: t.LastUsedAt}
}

// touch queues the token's last use, at most once every touchEvery.
func (c *Cache) touch(hash string, id, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || now-e.touched < touchEvery.Milliseconds() {
		return
	}
	e.touched = now
	e.token.LastUsedAt = now
	c.pending[id] = now
}

// flushTouches records the queued last uses in one write.
func (c *Cache) flushTouches(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	batch := c.pending
	c.pending = map[int64]int64{}
	c.mu.Unlock()
	if err := c.Log.TouchTokens(ctx, batch); err != nil {
		// Only a delay: the next use queues it again after touchEvery.
		c.Logger.Warn("recording tokens' last use", logkey.Err, err, "tokens", len(batch))
	}
}

// Holds reports whether the token with id is cached (for tests and
// diagnostics).
func (c *Cache) Holds(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.token.ID == id {
			return true
		}
	}
	return false
}
