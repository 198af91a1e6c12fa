package suites

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
	v1p2cat "github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// OneRoster 1.2 is data, not a fork: the 1.2 endpoint rows
// (catalogue.V1p2, derived from the 1.2 catalogue generated from the
// official OpenAPI files) run through the same generic behaviours as 1.1.
// What differs per version is looked up here by the row's Spec: the schema
// its records are validated against, the error payload its 404 carries and
// the rule IDs its violations are classified into. Check IDs and features
// of a 1.2 row start with "v1p2." (v1p2.rostering.users.schema); its
// operations are its paths under the shared root /ims/oneroster
// ("/rostering/v1p2/users", "/rostering/v1p2/users/{id}").

// Spec versions, as profiles name them (spec: oneroster-1.1).
const (
	SpecV1p1 = "oneroster-1.1"
	SpecV1p2 = "oneroster-1.2"
)

// Specs are the supported spec versions.
var Specs = []string{SpecV1p1, SpecV1p2}

// specOf is the profile spec name of an endpoint row.
func specOf(ep catalogue.Endpoint) string {
	if ep.Spec == "1.2" {
		return SpecV1p2
	}
	return SpecV1p1
}

// v1p2Behaviours are the generic behaviours that run over the 1.2 rows
// (the others follow once the reference provider has a 1.2 defect to
// prove each one both ways).
var v1p2Behaviours = map[string]bool{"envelope": true, "schema": true, "paging.union-equals-total": true, "paging.limit-honoured": true,
	"paging.large-limit": true, "paging.links": true, "paging.past-end": true, "singleton": true, "unknown-id": true}

// The 1.2 rules: the 1.1 classification of schema violations, under the
// 1.2 source, plus the 1.2 data model's own.
const (
	ruleV1p2Schema       = "v1p2.schema.invalid"
	ruleV1p2Boolean      = "v1p2.boolean.not-string"
	ruleV1p2DateTime     = "v1p2.datetime.invalid"
	ruleV1p2MissingHref  = "v1p2.guidref.missing-href"
	ruleV1p2Tombstone    = "v1p2.tombstone.partial-record"
	ruleV1p2Status       = "v1p2.status.invalid"
	ruleV1p2Roles        = "v1p2.roles.invalid"
	ruleV1p2Ext          = "v1p2.ext.unanchored"
	ruleV1p2UnknownID    = "v1p2.error.unknown-id-status"
	ruleV1p2StatusInfo   = "v1p2.error.status-info"
	ruleV1p2Singleton    = "v1p2.singleton.invalid"
	ruleV1p2SingleDiff   = "v1p2.singleton.differs"
	specV1p2Rostering    = "1EdTech OneRoster 1.2 Rostering OpenAPI (https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2rostersservice_openapi3_v1p0.json)"
	specV1p2Model        = "1EdTech OneRoster 1.2 REST binding, data model (OpenAPI component schemas, https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/)"
	hintV1p2FollowSchema = "serve every record exactly as the 1.2 OpenAPI component schema of its entity defines it"
)

func init() {
	RegisterRules(
		Rule{ruleV1p2Schema, MUST, "a record does not match the OneRoster 1.2 data model", specV1p2Model, hintV1p2FollowSchema},
		Rule{ruleV1p2Boolean, MUST, "a 1.2 boolean is a JSON boolean instead of the string \"true\" or \"false\"", specV1p2Model + ": booleans are the strings \"true\"/\"false\"", "write enabledUser, primary and the demographics flags as \"true\"/\"false\""},
		Rule{ruleV1p2DateTime, MUST, "a 1.2 date or dateTime is not ISO 8601 (dateTime with a zone)", specV1p2Model + ": date and dateTime formats", "write dates as YYYY-MM-DD and dateTimes as YYYY-MM-DDThh:mm:ss.SSSZ"},
		Rule{ruleV1p2MissingHref, MUST, "a 1.2 GUIDRef lacks href", specV1p2Model + ": GUIDRefDType requires href, sourcedId and type", "give every GUIDRef an absolute href to the referenced object"},
		Rule{ruleV1p2Tombstone, MUST, "a 1.2 tobedeleted record carries only some of its required fields", specV1p2Model + ": required fields hold for every status", "serve tobedeleted records with all their required fields"},
		Rule{ruleV1p2Status, MUST, "a 1.2 status is not active or tobedeleted (1.1's inactive is gone)", specV1p2Model + ": StatusTypeEnum is active | tobedeleted", "write status active or tobedeleted; drop inactive"},
		Rule{ruleV1p2Roles, MUST, "a 1.2 user lacks roles[] or a role lacks roleType, role or org", specV1p2Model + ": UserDType.roles (RoleDType: roleType, role, org; minItems 1)", "give every user roles[] with one entry per org: roleType primary|secondary, role and org"},
		Rule{ruleV1p2Ext, MUST, "a 1.2 enumeration extension is not a whole ext: token", specV1p2Model + ": extension tokens match ^ext:[a-zA-Z0-9.\\-_]+$ (the pattern anchored, as the spec's prose says)", "write extension values as ext:<token> and nothing around it"},
		Rule{ruleV1p2Singleton, MUST, "GET …/{sourcedId} does not answer the singular wrapper with a valid 1.2 record", specV1p2Rostering + ": GET …/{sourcedId} answers the Single<Entity>DType wrapper", "answer {\"user\": {...}} (the entity's singular name) with the record"},
		Rule{ruleV1p2SingleDiff, MUST, "GET …/{sourcedId} differs from the same record in the 1.2 collection", specV1p2Model, "serve one representation of each record"},
		Rule{ruleV1p2UnknownID, MUST, "an unknown sourcedId does not answer 404", specV1p2Rostering + ": GET …/{sourcedId} declares 404 unknownobject", "answer 404 for an unknown sourcedId"},
		Rule{ruleV1p2StatusInfo, MUST, "the 404 is not a JSON imsx_StatusInfo object with codeMajor failure and a codeMinor of the service's vocabulary", specV1p2Rostering + ": the 404 response is imsx_StatusInfoDType", "answer {\"imsx_codeMajor\":\"failure\",\"imsx_severity\":\"error\",\"imsx_CodeMinor\":{\"imsx_codeMinorField\":[{\"imsx_codeMinorFieldName\":\"sourcedId\",\"imsx_codeMinorFieldValue\":\"unknownobject\"}]}}"},
	)
}

// version is what differs per spec version, as data.
type version struct {
	// validate returns the schema violations of one record, pointers
	// relative to it.
	validate func(ep catalogue.Endpoint, rec any) ([]schemas.Violation, error)
	// rules maps the generic rule IDs to the version's (absent: kept).
	rules map[string]string
	// classify names a version's own rule for a schema violation ("" none).
	classify func(v schemas.Violation) string
	// errorBody validates a 404 body; codeMajor is its pointer.
	errorBody func(ep catalogue.Endpoint, doc map[string]any) ([]schemas.Violation, error)
	codeMajor string
}

var versions = map[string]version{
	SpecV1p1: {
		errorBody: func(_ catalogue.Endpoint, doc map[string]any) ([]schemas.Violation, error) {
			return schemas.ValidateStatusInfoSet(doc)
		},
		codeMajor: "/statusInfoSet/0/imsx_codeMajor",
	},
	SpecV1p2: {
		validate: func(ep catalogue.Endpoint, rec any) ([]schemas.Violation, error) {
			return schemas.ValidateEntityV1p2(ep.Entity, rec)
		},
		rules: map[string]string{
			ruleSchema: ruleV1p2Schema, ruleBoolean: ruleV1p2Boolean, ruleDateTime: ruleV1p2DateTime,
			ruleMissingHref: ruleV1p2MissingHref, ruleTombstone: ruleV1p2Tombstone,
			ruleUnknownStatus: ruleV1p2UnknownID, ruleNoImsxBody: ruleV1p2StatusInfo,
			ruleSingleton: ruleV1p2Singleton, ruleSingletonDiff: ruleV1p2SingleDiff,
		},
		classify: classifyV1p2,
		errorBody: func(ep catalogue.Endpoint, doc map[string]any) ([]schemas.Violation, error) {
			return schemas.ValidateStatusInfoV1p2(ep.Area, doc)
		},
		codeMajor: "/imsx_codeMajor",
	},
}

// ruleFor is the rule a generic rule becomes for an endpoint's version.
func ruleFor(ep catalogue.Endpoint, rule string) string {
	if r, ok := versions[specOf(ep)].rules[rule]; ok {
		return r
	}
	return rule
}

// validateRecord validates one record of a collection page of ep against
// its version's schema; pointers are relative to the record.
func validateRecord(ep catalogue.Endpoint, rec any) ([]schemas.Violation, error) {
	if v := versions[specOf(ep)].validate; v != nil {
		return v(ep, rec)
	}
	return schemas.ValidateEntity(ep.Entity, rec)
}

// validateCollection validates every record of a collection page of ep
// against its version's schema; pointers are into the page.
func validateCollection(ep catalogue.Endpoint, doc map[string]any) ([]schemas.Violation, error) {
	v := versions[specOf(ep)]
	if v.validate == nil {
		return schemas.ValidateCollection(ep.Key, ep.Entity, doc)
	}
	recs, _ := doc[ep.Key].([]any)
	var out []schemas.Violation
	for i, r := range recs {
		vs, err := v.validate(ep, r)
		if err != nil {
			return nil, err
		}
		for _, x := range vs {
			x.Pointer = fmt.Sprintf("/%s/%d%s", ep.Key, i, x.Pointer)
			out = append(out, x)
		}
	}
	return out, nil
}

// validateSingle validates a single-object body of ep (its record under
// the singular wrapper) against its version's schema.
func validateSingle(ep catalogue.Endpoint, doc map[string]any) ([]schemas.Violation, error) {
	v := versions[specOf(ep)]
	if v.validate == nil {
		return schemas.ValidateSingle(ep.SingleKey, ep.Entity, doc)
	}
	rec, ok := doc[ep.SingleKey]
	if !ok {
		return []schemas.Violation{{Message: "missing property '" + ep.SingleKey + "'"}}, nil
	}
	vs, err := v.validate(ep, rec)
	for i := range vs {
		vs[i].Pointer = "/" + ep.SingleKey + vs[i].Pointer
	}
	return vs, err
}

// schemaRuleFor classifies a schema violation of a record of ep.
func schemaRuleFor(ep catalogue.Endpoint, v schemas.Violation, rec map[string]any) string {
	if c := versions[specOf(ep)].classify; c != nil {
		if r := c(v); r != "" {
			return r
		}
	}
	return ruleFor(ep, schemaRule(v, rec))
}

// classifyV1p2 names the 1.2 data model's own rules: status outside
// active|tobedeleted, roles[] missing or incomplete, an extension token
// that is not the whole value.
func classifyV1p2(v schemas.Violation) string {
	switch {
	case v.Def == "status":
		return ruleV1p2Status
	case v.Missing == "roles" || strings.Contains(v.Pointer+"/", "/roles/"):
		return ruleV1p2Roles
	case strings.Contains(v.Message, "'^ext:"):
		return ruleV1p2Ext
	}
	return ""
}

// v1p2Source is a 1.2 check's source: the operation it exercises (its
// operationId in the service's OpenAPI file and the scopes that authorise
// it), then its rule's source.
func v1p2Source(ruleSource string, ep catalogue.Endpoint, op, opID string, scopes []string) string {
	short := make([]string, len(scopes))
	for i, s := range scopes {
		short[i] = s[strings.LastIndexByte(s, '/')+1:]
	}
	return fmt.Sprintf("OneRoster 1.2 %s OpenAPI operation %s (GET /ims/oneroster%s; scope %s); %s",
		ep.Area, opID, strings.ReplaceAll(op, "{id}", "{sourcedId}"), strings.Join(short, " or "), ruleSource)
}

// OperationsOf are the operationIds a check exercises and the scopes that
// authorise them (any one), as the 1.2 catalogue records them: one for
// each 1.2 operation among its features (the collection "/rostering/v1p2/users":
// getAllUsers, the singleton ".../{id}": getUser). A 1.1 check has none
// (1.1 has no machine-readable catalogue of operationIds and scopes).
func OperationsOf(c Check) (ops, scopes []string) {
	add := func(op string, sc []string) {
		if op == "" {
			return
		}
		if !slices.Contains(ops, op) {
			ops = append(ops, op)
		}
		for _, s := range sc {
			if s = s[strings.LastIndexByte(s, '/')+1:]; !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	for _, f := range c.Features {
		// A write feature names its method: "PUT /gradebook/v1p2/lineItems/{id}".
		if method, path, ok := strings.Cut(f, " /"); ok && (method == "PUT" || method == "POST" || method == "DELETE") {
			path = "/" + path
			root := catalogue.RootOf(path)
			if root == "" {
				continue
			}
			if cat, err := v1p2cat.Load(); err == nil {
				rel := strings.ReplaceAll(strings.TrimPrefix(path, root), "{id}", "{sourcedId}")
				if o, ok := cat.Operation(strings.Split(root, "/")[1], method, rel); ok {
					add(o.OperationID, o.Scopes)
				}
			}
			continue
		}
		for _, ep := range catalogue.V1p2() {
			var op string
			var sc []string
			switch f {
			case ep.Path:
				op, sc = ep.Op, ep.Scopes
			case ep.SinglePath():
				if ep.SingleKey == "" {
					continue
				}
				op, sc = ep.SingleOp, ep.SingleScopes
			default:
				continue
			}
			add(op, sc)
		}
	}
	// A read-scopes check reads the row's singleton as well.
	if strings.HasSuffix(c.ID, ".read-scopes") {
		if ep, ok := catalogue.Lookup(c.Endpoint); ok && ep.SingleKey != "" && !slices.Contains(ops, ep.SingleOp) {
			ops = append(ops, ep.SingleOp)
		}
	}
	return ops, scopes
}
