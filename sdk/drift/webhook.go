package drift

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook event types (Drift's "Webhook events").
const (
	EventNewMessage                     = "new_message"
	EventNewCommandMessage              = "new_command_message"
	EventNewConversation                = "new_conversation"
	EventContactIdentified              = "contact_identified"
	EventContactUpdated                 = "contact_updated"
	EventConversationStatusUpdated      = "conversation_status_updated"
	EventConversationParticipantAdded   = "conversation_participant_added"
	EventConversationParticipantRemoved = "conversation_participant_removed"
	EventConversationInactive           = "conversation_inactive"
	EventConversationPush               = "conversation_push"
	EventConversationManualPush         = "conversation_manual_push"
	EventButtonAction                   = "button_action"
	EventButtonClicked                  = "button_clicked"
	EventPlaybookGoalMet                = "playbook_goal_met"
	EventPhoneCaptured                  = "phone_captured"
	EventNewMeeting                     = "new_meeting"
	EventMeetingUpdated                 = "meeting_updated"
	EventUserAvailabilityUpdated        = "user_availability_updated"
	EventUserUnsubscribed               = "user_unsubscribed"
	EventUserUnsubscribe                = "user_unsubscribe" // older name
)

// Event is a webhook delivery: Drift's envelope with its data decoded.
type Event struct {
	Type  string `json:"type"`
	OrgID int64  `json:"orgId"`
	Token string `json:"token"` // the app's verification token
	// TimeStamp is when the event happened, epoch ms.
	TimeStamp int64 `json:"timeStamp"`
	// Raw is the data as sent.
	Raw json.RawMessage `json:"data"`
	// Data is Raw decoded by Type: *Message (new_message,
	// new_command_message), *Conversation (new_conversation), *Contact
	// (contact_identified, user_unsubscribed), *ContactUpdate,
	// *StatusChange, *ParticipantChange, *InactiveConversation, *PushedConversation,
	// *ButtonClick (button_action, button_clicked), *PlaybookGoal,
	// *PhoneCapture, *Meeting (new_meeting, meeting_updated),
	// *AvailabilityChange; for other types it is Raw.
	Data any `json:"-"`
}

// ContactUpdate is the data of contact_updated.
type ContactUpdate struct {
	EndUserID int64             `json:"endUserId"` // the contact
	Timestamp int64             `json:"timestamp"`
	OrgID     int64             `json:"orgId"`
	Diff      []AttributeChange `json:"diff"`
}

// AttributeChange is one changed attribute of a contact_updated diff.
type AttributeChange struct {
	Name     string `json:"name"` // "attributes.x" or "socialProfiles.y"
	Previous any    `json:"previous"`
	Updated  any    `json:"updated"`
}

// StatusChange is the data of conversation_status_updated.
type StatusChange struct {
	ConversationID int64  `json:"conversationId"`
	Status         string `json:"status"`
	ChangedAt      int64  `json:"changedAt"`
}

// ParticipantChange is the data of conversation_participant_added (with
// AddedParticipants) and conversation_participant_removed (with
// RemovedParticipants).
type ParticipantChange struct {
	ConversationID      int64   `json:"conversationId"`
	AddedParticipants   []int64 `json:"addedParticipants,omitempty"`
	RemovedParticipants []int64 `json:"removedParticipants,omitempty"`
	ChangedAt           int64   `json:"changedAt"`
}

// InactiveConversation is the data of conversation_inactive.
type InactiveConversation struct {
	ConversationID int64 `json:"conversationId"`
	LastUpdated    int64 `json:"lastUpdated"`
}

// PushedConversation is the data of conversation_push (Driftwood's: Drift
// documents none): Trigger is "inactive" (with conversation_inactive) or
// "manual".
type PushedConversation struct {
	ConversationID int64  `json:"conversationId"`
	ContactID      int64  `json:"contactId"`
	LastUpdated    int64  `json:"lastUpdated"`
	Trigger        string `json:"trigger"`
}

// ButtonClick is the data of button_action and button_clicked.
type ButtonClick struct {
	ConversationID  int64  `json:"conversationId"`
	Author          Author `json:"author"`
	SourceMessageID int64  `json:"sourceMessageId"`
	Button          Button `json:"button"`
}

// PlaybookGoal is the data of playbook_goal_met.
type PlaybookGoal struct {
	ConversationID int64  `json:"conversationId"`
	PlaybookID     int64  `json:"playbookId"`
	ContactID      int64  `json:"contactId"`
	GoalID         string `json:"goalId"`
	GoalName       string `json:"goalName"`
	PlaybookName   string `json:"playbookName"`
	ContactEmail   string `json:"contactEmail"`
}

// PhoneCapture is the data of phone_captured.
type PhoneCapture struct {
	ConversationID int64  `json:"conversationId"`
	AuthorID       int64  `json:"authorId"`
	AuthorType     string `json:"authorType"`
	PhoneNumber    string `json:"phoneNumber"`
}

// AvailabilityChange is the data of user_availability_updated.
type AvailabilityChange struct {
	UserID       int64  `json:"userId"`
	UpdatedAt    int64  `json:"updatedAt"`
	Availability string `json:"availability"`
}

// dataOf returns a new value of the type that the data of an event type
// decodes into, or nil for types without one.
func dataOf(typ string) any {
	switch typ {
	case EventNewMessage, EventNewCommandMessage:
		return new(Message)
	case EventNewConversation:
		return new(Conversation)
	case EventContactIdentified, EventUserUnsubscribed, EventUserUnsubscribe:
		return new(Contact)
	case EventContactUpdated:
		return new(ContactUpdate)
	case EventConversationStatusUpdated:
		return new(StatusChange)
	case EventConversationParticipantAdded, EventConversationParticipantRemoved:
		return new(ParticipantChange)
	case EventConversationInactive:
		return new(InactiveConversation)
	case EventConversationPush:
		return new(PushedConversation)
	case EventButtonAction, EventButtonClicked:
		return new(ButtonClick)
	case EventPlaybookGoalMet:
		return new(PlaybookGoal)
	case EventPhoneCaptured:
		return new(PhoneCapture)
	case EventNewMeeting, EventMeetingUpdated:
		return new(Meeting)
	case EventUserAvailabilityUpdated:
		return new(AvailabilityChange)
	}
	return nil
}

// ParseEvent decodes a webhook body. It does not verify it: use a
// WebhookVerifier for requests that come from the network.
func ParseEvent(body []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("drift: webhook body: %w", err)
	}
	if ev.Type == "" {
		return nil, errors.New("drift: webhook body has no type")
	}
	ev.Data = ev.Raw
	if v := dataOf(ev.Type); v != nil && len(ev.Raw) > 0 {
		if err := json.Unmarshal(ev.Raw, v); err != nil {
			return nil, fmt.Errorf("drift: %s webhook data: %w", ev.Type, err)
		}
		ev.Data = v
	}
	return &ev, nil
}

// ErrWebhookVerification is wrapped by every error of a webhook that fails
// verification: answer such requests 401 and do not act on them.
var ErrWebhookVerification = errors.New("drift: webhook verification failed")

// DefaultWebhookTolerance is how far a signed webhook's timestamp may be
// from now (Standard Webhooks recommends five minutes).
const DefaultWebhookTolerance = 5 * time.Minute

// WebhookVerifier checks webhook requests and parses them. Set
// VerificationToken (Drift's check), SigningSecret (Driftwood's Standard
// Webhooks signature, stronger: it covers the body and its time), or both.
type WebhookVerifier struct {
	// VerificationToken is the app's verification token; when set, the
	// envelope's token and any X-Verification-Token header must equal it.
	VerificationToken string
	// SigningSecret is the app's "whsec_…" signing secret; when set, the
	// webhook-signature header must hold a valid signature.
	SigningSecret string
	// Tolerance bounds the signature timestamp's distance from now;
	// 0 means DefaultWebhookTolerance.
	Tolerance time.Duration
	// MaxBodyBytes bounds the body read; 0 means 1 MiB.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Parse reads, verifies and decodes a webhook request. An error that wraps
// ErrWebhookVerification means the request is not from the app's Drift.
func (v *WebhookVerifier) Parse(r *http.Request) (*Event, error) {
	if v.VerificationToken == "" && v.SigningSecret == "" {
		return nil, errors.New("drift: WebhookVerifier needs a VerificationToken or a SigningSecret")
	}
	limit := v.MaxBodyBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("drift: reading the webhook body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("drift: webhook body is larger than %d bytes", limit)
	}
	if v.SigningSecret != "" {
		now := time.Now
		if v.Now != nil {
			now = v.Now
		}
		if err := VerifySignature(v.SigningSecret, r.Header, body, now(), v.Tolerance); err != nil {
			return nil, err
		}
	}
	ev, err := ParseEvent(body)
	if err != nil {
		return nil, err
	}
	if v.VerificationToken != "" {
		h := r.Header.Get("X-Verification-Token")
		if !CheckVerificationToken(v.VerificationToken, ev.Token) || (h != "" && !CheckVerificationToken(v.VerificationToken, h)) {
			return nil, fmt.Errorf("%w: wrong verification token", ErrWebhookVerification)
		}
	}
	return ev, nil
}

// CheckVerificationToken reports whether got equals the app's token want,
// in constant time.
func CheckVerificationToken(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// SignWebhook returns the webhook-signature header value of a Standard
// Webhooks delivery: "v1," and the base64 HMAC-SHA256, keyed with the
// secret's base64 after "whsec_", of "id.timestamp.body".
func SignWebhook(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return "", errors.New("drift: the signing secret is not \"whsec_\" and base64")
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, timestamp.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// VerifySignature checks the Standard Webhooks headers webhook-id,
// webhook-timestamp and webhook-signature (space-separated "v1,<sig>"
// values, any of which may match) of body against secret. The timestamp
// must be within tolerance of now (0: DefaultWebhookTolerance).
func VerifySignature(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature", ErrWebhookVerification)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp %q is not Unix seconds", ErrWebhookVerification, ts)
	}
	at := time.Unix(sec, 0)
	if at.Before(now.Add(-tolerance)) || at.After(now.Add(tolerance)) {
		return fmt.Errorf("%w: webhook-timestamp is more than %s from now", ErrWebhookVerification, tolerance)
	}
	want, err := SignWebhook(secret, id, at, body)
	if err != nil {
		return err
	}
	for _, sig := range strings.Fields(sigs) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no valid signature", ErrWebhookVerification)
}
