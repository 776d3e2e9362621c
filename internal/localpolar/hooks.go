package localpolar

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// LockAggregation marks the meter as aggregating events: from then on, a PATCH
// that carries filter or aggregation, even unchanged or null, is refused.
func (s *Server) LockAggregation(id string) {
	s.mark(s.aggregating, id)
}

// AttachToActiveProduct marks the meter as used by an active product's price:
// archiving it is refused.
func (s *Server) AttachToActiveProduct(id string) {
	s.mark(s.inActiveProducts, id)
}

// AttachToActiveBenefit marks the meter as referenced by an active benefit:
// archiving it is refused.
func (s *Server) AttachToActiveBenefit(id string) {
	s.mark(s.inActiveBenefits, id)
}

// DetachFromActiveProducts undoes AttachToActiveProduct and AttachToActiveBenefit: archiving is allowed again.
func (s *Server) DetachFromActiveProducts(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inActiveProducts, canonicalID(id))
	delete(s.inActiveBenefits, canonicalID(id))
}

func (s *Server) mark(set map[string]bool, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set[canonicalID(id)] = true
}

// canonicalID writes a UUID as Polar does, so that hooks find the meter
// whichever way the id is written.
func canonicalID(id string) string {
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

// PutMeter stores a meter given as Polar's JSON, as the dashboard would have
// made it: it must follow Polar's Meter schema, but not the limits the API
// puts on new meters. Missing fields get Polar's defaults: a new id, created
// now, never modified nor archived, in DefaultOrganizationID, unit scalar, no
// metadata. A meter with the same id is replaced. PutMeter returns the id and
// panics when raw is not a meter.
func (s *Server) PutMeter(raw string) string {
	m, err := s.storedMeter(raw)
	if err != nil {
		panic("localpolar: PutMeter: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meters.put(m)
	return m.id
}

// PutMeters stores every meter of a JSON array of meters, each as PutMeter
// does, e.g. a file of meters GET returned; it returns their ids. When one
// is not a meter it stores none and says which.
func (s *Server) PutMeters(raw []byte) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("not a JSON array of meters: %w", err)
	}
	meters := make([]*meter, len(items))
	for i, item := range items {
		m, err := s.storedMeter(string(item))
		if err != nil {
			return nil, fmt.Errorf("meter %d: %w", i, err)
		}
		meters[i] = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(meters))
	for i, m := range meters {
		s.meters.put(m)
		ids[i] = m.id
	}
	return ids, nil
}

func (s *Server) storedMeter(raw string) (*meter, error) {
	doc, err := parseJSON([]byte(raw))
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(*jsonObject)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	v := &validator{}
	stored := decodeStoredMeter(v, obj)
	if len(v.errs) > 0 {
		return nil, fmt.Errorf("not a valid meter: %s", marshal(v.errs))
	}
	m := newMeter(stored, stored.OrganizationID.or(DefaultOrganizationID), stored.CreatedAt.or(s.clock()))
	m.id = stored.ID.or(m.id)
	m.modifiedAt = stored.ModifiedAt.value
	m.archivedAt = stored.ArchivedAt.value
	return m, nil
}

// MeterJSON returns the stored meter exactly as GET returns it.
func (s *Server) MeterJSON(id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meters.get(canonicalID(id))
	if !ok {
		return nil, false
	}
	return marshal(m), true
}

// MetersJSON returns every stored meter, in creation order, as a JSON array
// of what GET returns; PutMeters reads it back.
func (s *Server) MetersJSON() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return marshal(s.meters.all())
}

// SetClockOffset makes Polar's clock run d away from the machine's
// (Options.Now): the timestamps of meters and the Date header follow it, so
// d = -90*time.Second has Polar lag 90 s behind. Rate limits still count
// time on the machine's clock.
func (s *Server) SetClockOffset(d time.Duration) {
	s.clockOffset.Store(int64(d))
}

// MeterIDs returns the ids of all stored meters, in creation order.
func (s *Server) MeterIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.meters.order)
}

// ArchiveOutOfBand archives the meter as if in the dashboard, bypassing the
// refusals of the API.
func (s *Server) ArchiveOutOfBand(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.meters.get(canonicalID(id)); ok {
		archive := true
		m.apply(meterBody{IsArchived: field[bool]{carried: true, value: &archive}}, s.clock())
	}
}

// DeleteOutOfBand removes the meter, as only Polar's staff can: GET and PATCH
// answer 404 from then on.
func (s *Server) DeleteOutOfBand(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meters.remove(canonicalID(id))
}
