package localpolar

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// getMeter answers GET /v1/meters/{id}; archived meters answer too.
func (s *Server) getMeter(c *call) response {
	v := &validator{}
	id, ok := v.uuid4(path{"path", "id"}, c.id)
	if !ok {
		return requestValidationError(v.errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.readableMeter(c.token, id)
	if !found {
		return notFound()
	}
	return jsonResponse(http.StatusOK, m)
}

// createMeter answers POST /v1/meters/: schema errors first, then the
// schema's rule on the custom unit, then Polar's rules on the organization
// and the user's permission.
func (s *Server) createMeter(c *call) response {
	v := &validator{}
	obj, denied := readBody(v, c)
	if denied != nil {
		return *denied
	}
	var create meterBody
	if obj != nil {
		create = decodeMeterCreate(v, obj)
	}
	if len(v.errs) == 0 {
		v.customUnit(obj, create)
	}
	if len(v.errs) > 0 {
		return requestValidationError(v.errs)
	}
	organizationID, refusal := organizationOfNewMeter(c.token, create.OrganizationID)
	if refusal != nil {
		return polarRequestValidationError(*refusal)
	}
	if !c.token.canManageProducts() {
		return notPermitted()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := newMeter(create, organizationID, s.clock())
	s.meters.put(m)
	return jsonResponse(http.StatusCreated, m)
}

// updateMeter answers PATCH /v1/meters/{id}, saving only the fields the body
// carries.
func (s *Server) updateMeter(c *call) response {
	v := &validator{}
	// FastAPI reports the path's errors with the body's.
	id, _ := v.uuid4(path{"path", "id"}, c.id)
	obj, denied := readBody(v, c)
	if denied != nil {
		return *denied
	}
	var update meterBody
	if obj != nil {
		update = decodeMeterUpdate(v, obj)
	}
	if len(v.errs) > 0 {
		return requestValidationError(v.errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, found := s.readableMeter(c.token, id)
	if !found {
		return notFound()
	}
	if !c.token.canManageProducts() {
		return notPermitted()
	}
	if errs := s.updateErrors(m.id, update); len(errs) > 0 {
		return polarRequestValidationError(errs...)
	}
	// MeterUpdate lets name and unit be null, but their columns do not:
	// Polar's database refuses the update and nothing is saved.
	if update.Name.carried && update.Name.value == nil || update.Unit.carried && update.Unit.value == nil {
		return internalServerError()
	}
	m.apply(update, s.clock())
	return jsonResponse(http.StatusOK, m)
}

// clock is the time Polar would store for now.
func (s *Server) clock() time.Time {
	return polarTime(s.polarNow())
}

// polarNow is the time on Polar's clock, which may run apart from the
// machine's.
func (s *Server) polarNow() time.Time {
	return s.now().Add(time.Duration(s.clockOffset.Load()))
}

func (s *Server) readableMeter(t Token, id string) (*meter, bool) {
	m, ok := s.meters.get(id)
	if !ok || !t.canRead(m.organizationID) {
		return nil, false
	}
	return m, true
}

// readBody reads a request body the way Polar's stack does. The front proxy
// refuses a body without Content-Length (411). Then, as FastAPI does, an
// empty body is missing, a body not declared as JSON is not an object, and
// malformed JSON is refused alone, at its position. The first two are
// collected into v with the other errors of the request; the answers
// returned end the request at once.
func readBody(v *validator, c *call) (*jsonObject, *response) {
	if c.r.Header.Get("Content-Length") == "" {
		resp := textResponse(http.StatusLengthRequired, "Length Required")
		return nil, &resp
	}
	p := path{"body"}
	if len(c.body) == 0 {
		v.missing(p, nil)
		return nil, nil
	}
	if !isJSONMediaType(c.r.Header.Get("Content-Type")) {
		v.notAnObject(p, string(c.body))
		return nil, nil
	}
	doc, err := parseJSON(c.body)
	if err != nil {
		resp := requestValidationError([]fieldError{{
			Type:  "json_invalid",
			Loc:   p.with(syntaxErrorPosition(c.body, err)),
			Msg:   "JSON decode error",
			Input: map[string]any{},
			Ctx:   map[string]any{"error": err.Error()},
		}})
		return nil, &resp
	}
	switch doc := doc.(type) {
	case *jsonObject:
		return doc, nil
	case nil: // FastAPI takes a null body for a missing one
		v.missing(p, nil)
	default:
		v.notAnObject(p, doc)
	}
	return nil, nil
}

// isJSONMediaType accepts what FastAPI parses as JSON: application/json and
// application/*+json.
func isJSONMediaType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	subtype, found := strings.CutPrefix(mediaType, "application/")
	return found && (subtype == "json" || strings.HasSuffix(subtype, "+json"))
}

// organizationOfNewMeter applies Polar's rules on organization_id: an
// organization token implies the organization and may not name one; a
// personal token always names one it reaches.
func organizationOfNewMeter(t Token, requested field[string]) (string, *fieldError) {
	p := path{"body", "organization_id"}
	switch {
	case t.Kind == OrganizationToken && requested.value != nil:
		return "", &fieldError{
			Type:  "organization_token",
			Loc:   p,
			Msg:   "Setting organization_id is disallowed when using an organization token.",
			Input: *requested.value,
		}
	case t.Kind == OrganizationToken:
		return t.OrganizationID, nil
	case requested.value == nil:
		return "", &fieldError{Type: "missing", Loc: p, Msg: "organization_id is required.", Input: nil}
	case !t.canRead(*requested.value):
		return "", &fieldError{Type: "value_error", Loc: p, Msg: "Organization not found.", Input: *requested.value}
	}
	return *requested.value, nil
}

// updateErrors applies Polar's rules on updates, in its order: the fields a
// meter aggregating events locks, then the refusals to archive.
func (s *Server) updateErrors(id string, update meterBody) []fieldError {
	if s.aggregating[id] {
		var errs []fieldError
		if update.Filter.carried {
			errs = append(errs, lockError("filter", update.Filter.value))
		}
		if update.Aggregation.carried {
			errs = append(errs, lockError("aggregation", update.Aggregation.value))
		}
		if len(errs) > 0 {
			return errs
		}
	}
	if !update.IsArchived.or(false) {
		return nil
	}
	switch {
	case s.inActiveProducts[id]:
		return []fieldError{archiveRefusal("Cannot archive meter that is still attached to active products")}
	case s.inActiveBenefits[id]:
		return []fieldError{archiveRefusal("Cannot archive meter that is still referenced by active benefits")}
	}
	return nil
}

func lockError(fieldName string, input any) fieldError {
	return fieldError{
		Type:  "forbidden",
		Loc:   path{"body", fieldName},
		Msg:   "This field can't be updated because the meter is already aggregating events.",
		Input: input,
	}
}

func archiveRefusal(msg string) fieldError {
	return fieldError{Type: "value_error", Loc: path{"body", "is_archived"}, Msg: msg, Input: true}
}

// newMeter builds the meter a valid body describes, as Polar creates it:
// unit scalar, empty metadata and null multiplier unless given.
func newMeter(b meterBody, organizationID string, createdAt time.Time) *meter {
	return &meter{
		id:               uuid.NewString(),
		organizationID:   organizationID,
		name:             *b.Name.value,
		unit:             b.Unit.or("scalar"),
		customLabel:      b.CustomLabel.value,
		customMultiplier: b.CustomMultiplier.value,
		metadata:         b.Metadata.or(metadata{}),
		filter:           *b.Filter.value,
		aggregation:      *b.Aggregation.value,
		createdAt:        createdAt,
	}
}

// apply saves the fields an update carries. A null filter or aggregation
// leaves it alone; a null label or multiplier clears it; metadata replaces
// the whole map.
func (m *meter) apply(update meterBody, now time.Time) {
	if update.Metadata.value != nil {
		m.metadata = *update.Metadata.value
	}
	if update.Name.value != nil {
		m.name = *update.Name.value
	}
	if update.Unit.value != nil {
		m.unit = *update.Unit.value
	}
	if update.CustomLabel.carried {
		m.customLabel = update.CustomLabel.value
	}
	if update.CustomMultiplier.carried {
		m.customMultiplier = update.CustomMultiplier.value
	}
	if update.Filter.value != nil {
		m.filter = *update.Filter.value
	}
	if update.Aggregation.value != nil {
		m.aggregation = *update.Aggregation.value
	}
	if archive := update.IsArchived.value; archive != nil {
		m.archivedAt = nil
		if *archive {
			m.archivedAt = &now
		}
	}
	m.modifiedAt = &now
}
