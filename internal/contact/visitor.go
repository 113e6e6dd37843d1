package contact

import (
	"encoding/json"
	"fmt"
)

// NewVisitor builds the contact of a website visitor: unlike New, it needs
// no email, since a visitor is a contact from their first message on,
// anonymous until they give one. attrs may be nil.
func NewVisitor(attrs map[string]any, now int64) (*Contact, error) {
	c := &Contact{CreatedAt: now, UpdatedAt: now, Attributes: Attributes{
		AttrExternalID: nil,
		attrStartDate:  json.Number(fmt.Sprint(now)),
		attrTags:       []any{},
		attrEvents:     map[string]any{},
		attrSocial:     map[string]any{},
	}}
	if attrs != nil {
		if _, err := c.apply(attrs); err != nil {
			return nil, err
		}
	}
	c.setVersion(1)
	return c, nil
}
