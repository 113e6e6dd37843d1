package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
)

// Contact tags (drift-python's add_tags, remove_tag, remove_tags_bulk). Each
// answers the contact's tags after the change as {"data": [Tag]}.

func (s *Server) listContactTags(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.GetContact(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeTags(w, c)
}

func (s *Server) addContactTags(w http.ResponseWriter, r *http.Request) error {
	var tags []contact.Tag
	if err := decodeJSON(r, &tags); err != nil {
		return err
	}
	if len(tags) == 0 {
		return apperr.Invalidf("body", "give a JSON array of tags: [{\"name\": \"…\"}]")
	}
	return s.changeTags(w, r, tags, nil)
}

func (s *Server) removeContactTag(w http.ResponseWriter, r *http.Request) error {
	return s.changeTags(w, r, nil, []string{r.PathValue("name")})
}

// removeContactTags takes names as strings or as {"name"} objects.
func (s *Server) removeContactTags(w http.ResponseWriter, r *http.Request) error {
	var items []json.RawMessage
	if err := decodeJSON(r, &items); err != nil {
		return err
	}
	var names []string
	for _, raw := range items {
		var name string
		var tag contact.Tag
		switch {
		case json.Unmarshal(raw, &name) == nil:
		case json.Unmarshal(raw, &tag) == nil && tag.Name != "":
			name = tag.Name
		default:
			return apperr.Invalidf("body", "each tag must be a name or {\"name\": …}")
		}
		names = append(names, name)
	}
	return s.changeTags(w, r, nil, names)
}

func (s *Server) changeTags(w http.ResponseWriter, r *http.Request, add []contact.Tag, remove []string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.UpdateContactWith(r.Context(), orgID(r), id, func(c *contact.Contact) (map[string]any, error) {
		return c.TagsAttribute(add, remove)
	})
	if err != nil {
		return err
	}
	return writeTags(w, c)
}

func writeTags(w http.ResponseWriter, c *contact.Contact) error {
	tags := c.Tags()
	if tags == nil {
		tags = []contact.Tag{}
	}
	return writeJSON(w, http.StatusOK, data(tags))
}
