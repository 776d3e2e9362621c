package localpolar

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// meter is a stored meter. Values inside metadata and filter conditions keep
// their JSON type: string, bool or json.Number (already in the text Polar
// writes back).
type meter struct {
	id               string
	organizationID   string
	name             string
	unit             string
	customLabel      *string
	customMultiplier *json.Number
	metadata         metadata
	filter           filter
	aggregation      aggregation
	createdAt        time.Time
	modifiedAt       *time.Time
	archivedAt       *time.Time
}

// MarshalJSON writes the meter as Polar's Meter schema, fields in its order.
func (m *meter) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Metadata         metadata     `json:"metadata"`
		CreatedAt        string       `json:"created_at"`
		ModifiedAt       *string      `json:"modified_at"`
		ID               string       `json:"id"`
		Name             string       `json:"name"`
		Unit             string       `json:"unit"`
		CustomLabel      *string      `json:"custom_label"`
		CustomMultiplier *json.Number `json:"custom_multiplier"`
		Filter           filter       `json:"filter"`
		Aggregation      aggregation  `json:"aggregation"`
		OrganizationID   string       `json:"organization_id"`
		ArchivedAt       *string      `json:"archived_at"`
	}{
		Metadata:         m.metadata,
		CreatedAt:        formatTime(m.createdAt),
		ModifiedAt:       formatOptionalTime(m.modifiedAt),
		ID:               m.id,
		Name:             m.name,
		Unit:             m.unit,
		CustomLabel:      m.customLabel,
		CustomMultiplier: m.customMultiplier,
		Filter:           m.filter,
		Aggregation:      m.aggregation,
		OrganizationID:   m.organizationID,
		ArchivedAt:       formatOptionalTime(m.archivedAt),
	}), nil
}

// formatTime writes a timestamp as pydantic does: UTC as "Z", microseconds
// only when there are some.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

func formatOptionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

// polarTime is the timestamp Polar would store for t: UTC, with the
// microsecond resolution of Python's datetime.
func polarTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// metadata maps keys to string, bool or json.Number values.
type metadata map[string]any

// MarshalJSON orders keys as PostgreSQL's JSONB stores them, shorter keys
// first then bytewise, which is the order Polar returns them in.
func (m metadata) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
	})
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(marshal(k))
		buf.WriteByte(':')
		buf.Write(marshal(m[k]))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// filter is Polar's Filter: conditions and nested groups joined by a conjunction.
type filter struct {
	Conjunction string   `json:"conjunction"`
	Clauses     []clause `json:"clauses"`
}

// clause is one entry of a filter: either a condition or a nested group.
type clause struct {
	condition *condition
	group     *filter
}

// MarshalJSON writes whichever of the two the clause holds.
func (c clause) MarshalJSON() ([]byte, error) {
	if c.group != nil {
		return marshal(c.group), nil
	}
	return marshal(c.condition), nil
}

// condition is Polar's FilterClause; value is a string, a bool or an integer
// json.Number.
type condition struct {
	Property string `json:"property"`
	Operator string `json:"operator"`
	Value    any    `json:"value"`
}

// aggregation is one of Polar's aggregations; count has no property.
type aggregation struct {
	Func     string  `json:"func"`
	Property *string `json:"property,omitempty"`
}

// store holds the meters in creation order.
type store struct {
	meters map[string]*meter
	order  []string
}

func newStore() *store {
	return &store{meters: map[string]*meter{}}
}

// put stores m, replacing a meter with the same id in place.
func (st *store) put(m *meter) {
	if _, exists := st.meters[m.id]; !exists {
		st.order = append(st.order, m.id)
	}
	st.meters[m.id] = m
}

func (st *store) get(id string) (*meter, bool) {
	m, ok := st.meters[id]
	return m, ok
}

func (st *store) remove(id string) {
	delete(st.meters, id)
	st.order = slices.DeleteFunc(st.order, func(x string) bool { return x == id })
}

// all returns the meters in creation order.
func (st *store) all() []*meter {
	meters := make([]*meter, len(st.order))
	for i, id := range st.order {
		meters[i] = st.meters[id]
	}
	return meters
}
