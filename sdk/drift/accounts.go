package drift

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Account is a company of account-based marketing (Drift's account model).
type Account struct {
	AccountID        string     `json:"accountId,omitempty"` // "<orgId>_<domain>", set by the server
	OwnerID          int64      `json:"ownerId"`             // a user
	Name             string     `json:"name"`
	Domain           string     `json:"domain"` // unique in the org
	CustomProperties []Property `json:"customProperties,omitempty"`
	Deleted          bool       `json:"deleted,omitempty"`
	Targeted         bool       `json:"targeted"`
	CreateDateTime   int64      `json:"createDateTime,omitempty"`
	UpdateDateTime   int64      `json:"updateDateTime,omitempty"`
}

// Property is an account's custom property. Type is one of STRING, EMAIL,
// NUMBER, TEAMMEMBER, ENUM, DATE, DATETIME, LATLON, LAT, LON, PHONE, URL,
// ENUMARRAY.
type Property struct {
	Label string `json:"label"`
	Name  string `json:"name"`
	Value any    `json:"value"`
	Type  string `json:"type"`
}

// CreateAccount creates an account; AccountID and the timestamps are set by
// the server.
func (c *Client) CreateAccount(ctx context.Context, a Account) (*Account, error) {
	return doData[*Account](ctx, c, http.MethodPost, "/accounts/create", a)
}

// GetAccount returns account id (deleted accounts too, with Deleted set).
func (c *Client) GetAccount(ctx context.Context, id string) (*Account, error) {
	return getData[*Account](ctx, c, "/accounts/"+url.PathEscape(id), nil)
}

// UpdateAccount replaces the account a.AccountID names with a.
func (c *Client) UpdateAccount(ctx context.Context, a Account) (*Account, error) {
	return doData[*Account](ctx, c, http.MethodPatch, "/accounts/update", a)
}

// DeleteAccount deletes account id (a soft delete).
func (c *Client) DeleteAccount(ctx context.Context, id string) error {
	return c.doOK(ctx, http.MethodDelete, "/accounts/"+url.PathEscape(id), nil)
}

// AccountPage is one page of accounts.
type AccountPage struct {
	Accounts []Account `json:"accounts"`
	// Next is the path of the next page, relative to the base URL
	// ("/accounts?index=…&size=…"); "" on the last page.
	Next string `json:"next,omitempty"`
}

// ListAccounts returns size accounts from index (size 0: the server's
// default, 10; a larger size than 65 is served as 65).
func (c *Client) ListAccounts(ctx context.Context, index, size int) (*AccountPage, error) {
	q := url.Values{"index": {strconv.Itoa(index)}}
	if size > 0 {
		q.Set("size", strconv.Itoa(size))
	}
	return getData[*AccountPage](ctx, c, "/accounts", q)
}

// Accounts iterates over every account, size a page (0: the server's default).
func (c *Client) Accounts(ctx context.Context, size int) iter.Seq2[Account, error] {
	return paginate(func(cursor string) ([]Account, string, error) {
		index := 0
		if cursor != "" {
			// The next page's path (older servers: an absolute URL); only
			// its index and size are taken, so the token never goes to
			// another host.
			u, err := url.Parse(cursor)
			if err != nil {
				return nil, "", fmt.Errorf("drift: accounts next %q: %w", cursor, err)
			}
			if index, err = strconv.Atoi(u.Query().Get("index")); err != nil {
				return nil, "", fmt.Errorf("drift: accounts next %q has no index", cursor)
			}
			if s, err := strconv.Atoi(u.Query().Get("size")); err == nil {
				size = s
			}
		}
		p, err := c.ListAccounts(ctx, index, size)
		if err != nil {
			return nil, "", err
		}
		return p.Accounts, p.Next, nil
	})
}
