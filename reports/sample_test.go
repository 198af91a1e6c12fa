package reports_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/reports"
)

// The planted credentials. The secret contains characters that every
// encoding changes (URL escaping, JSON, XML and HTML escaping), and its
// base64 forms contain '+' and padding, so the standard, URL-safe and raw
// alphabets all differ.
const (
	clientID = "client-4711"
	secret   = "S3cr+t/V~al=ue&<x>>"
)

var (
	secretQuery  = url.QueryEscape(secret)
	secretPath   = url.PathEscape(secret)
	secretB64    = base64.StdEncoding.EncodeToString([]byte(secret))
	secretB64URL = base64.URLEncoding.EncodeToString([]byte(secret))
	basicPair    = base64.StdEncoding.EncodeToString([]byte(clientID + ":" + secret))
)

// forbidden lists every form of the secret that must not reach a report,
// in raw form and as the writers would escape it.
func forbidden() []string {
	return []string{
		secret, secretQuery, secretPath, secretB64, secretB64URL, basicPair,
		"S3cr&#43;t/V~al=ue&amp;&lt;x&gt;&gt;",      // html/template
		"S3cr+t/V~al=ue&amp;&lt;x&gt;&gt;",          // XML
		`S3cr+t/V~al=ue\u0026\u003cx\u003e\u003e`,   // JSON with HTML escaping
		strings.ReplaceAll(secretB64, "+", "&#43;"), // base64 as html/template writes it
		strings.ReplaceAll(basicPair, "+", "&#43;"),
		"S3cr+t", "V~al=ue&", // fragments of the raw value
	}
}

// sampleRun has a pass, a fail with 3 violations and 2 exchanges, a
// not-supported and an error check, with the secret planted in messages,
// URLs, headers, bodies and curl commands.
func sampleRun() *reports.Run {
	started := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	run := &reports.Run{
		SchemaVersion: 1,
		Tool:          reports.Tool{Name: "rostercheck", Version: "v0.3.0", Spec: "oneroster-1.1", CatalogueHash: "sha256:abc123"},
		Target:        reports.Target{BaseURL: "https://sis.example.test/ims/oneroster/v1p1", TokenURL: "https://sis.example.test/oauth/token", Auth: "oauth2"},
		Profiles: []reports.ProfileVerdict{
			{Name: "spec-1.1", Verdict: "fail", MustFailed: 1, Advisories: 0, Passed: 1, Total: 3},
			{Name: "sds", Verdict: "pass", Passed: 1, Total: 1},
		},
		Verdict:  "error",
		Started:  started,
		Finished: started.Add(4500 * time.Millisecond),
		Config:   map[string]any{"auth": "oauth2", "client-id": clientID, "client-secret": "<redacted>", "page-size": 100, "strict": false, "profile": []string{"spec-1.1", "sds"}},
		Checks: []reports.CheckResult{
			{
				ID: "rostering.users.schema", Title: "GET /users returns records valid against the user schema [MUST]",
				Area: "rostering", Endpoint: "/users", Level: "MUST",
				Features: []string{"rostering.users.list"}, Profiles: []reports.ProfileOutcome{{Profile: "spec-1.1", Tier: "required", Outcome: reports.Pass}, {Profile: "sds", Tier: "required", Outcome: reports.Pass}},
				Outcome: reports.Pass, DurationMs: 120,
			},
			{
				ID: "rostering.schools-classes.paging.links", Title: "GET /schools/{id}/classes pages are disjoint and their union equals X-Total-Count [MUST]",
				Area: "rostering", Endpoint: "/schools/{id}/classes", Level: "MUST",
				Features: []string{"rostering.schools.classes", "paging.link-header"}, Profiles: []reports.ProfileOutcome{{Profile: "spec-1.1", Tier: "required", Outcome: reports.Fail}},
				Outcome: reports.Fail, Rules: []reports.RuleCount{{Rule: "paging.disjoint", Count: 3}},
				Message: "3 records appear on more than one page (token " + secret + ")",
				Violations: []reports.Violation{
					{Rule: "paging.disjoint", Pointer: "/classes/3/sourcedId", RecordID: "cls-0003", Message: "also on page 2", ExchangeID: 7},
					{Rule: "paging.disjoint", Pointer: "/classes/17/sourcedId", RecordID: "cls-0017", Message: "also on page 3", ExchangeID: 8},
					{Rule: "paging.disjoint", Pointer: "/classes/42", RecordID: "cls-0042", Message: "missing from every page"},
				},
				ViolationsTotal: 3,
				Exchanges: []reports.Exchange{
					{
						ID: 7, Method: "GET", URL: "https://sis.example.test/ims/oneroster/v1p1/schools/s1/classes?limit=100&offset=0&client_secret=" + secretQuery,
						Status:            200,
						RequestHeaders:    map[string]string{"Authorization": "Bearer " + secret, "Accept": "application/json"},
						ResponseHeaders:   map[string]string{"Content-Type": "application/json", "X-Total-Count": "250", "X-Echo": secretB64},
						ResponseBody:      `{"classes":[{"sourcedId":"cls-0003","title":"<b>Algebra</b>"}]}`,
						ResponseTruncated: true,
						DurationMs:        31,
						Curl:              "curl -H 'Authorization: Bearer " + secret + "' 'https://sis.example.test/ims/oneroster/v1p1/schools/s1/classes?limit=100&offset=0'",
					},
					{
						ID: 8, Method: "POST", URL: "https://sis.example.test/oauth/token/" + secretPath,
						Status:          401,
						RequestHeaders:  map[string]string{"Authorization": "Basic " + basicPair},
						RequestBody:     "grant_type=client_credentials&client_secret=" + secretQuery,
						ResponseHeaders: map[string]string{"Content-Type": "application/json"},
						ResponseBody:    `{"error":"invalid_client","echo":"` + secretB64URL + `"}`,
						DurationMs:      12,
						Curl:            "curl -u '" + clientID + ":" + secret + "' -d 'grant_type=client_credentials' https://sis.example.test/oauth/token",
					},
				},
				DurationMs: 870,
			},
			{
				ID: "gradebook.lineitems.write", Title: "PUT /lineItems/{id} creates a line item [SHOULD]",
				Area: "gradebook", Endpoint: "/lineItems/{id}", Level: "SHOULD",
				Features: []string{"gradebook.lineitems.write"}, Profiles: []reports.ProfileOutcome{{Profile: "spec-1.1", Tier: "required", Outcome: reports.NotSupported}},
				Outcome: reports.NotSupported, Message: "feature gradebook.lineitems.write not declared",
			},
			{
				ID: "resources.resources.list", Title: "GET /resources returns a resources collection [MUST]",
				Area: "resources", Endpoint: "/resources", Level: "MUST",
				Features: []string{"resources.list"}, Profiles: []reports.ProfileOutcome{{Profile: "spec-1.1", Tier: "required", Outcome: reports.Error}},
				Outcome: reports.Error, Message: "dial tcp 10.0.0.1:443: connection refused",
				Exchanges: []reports.Exchange{
					{ID: 9, Method: "GET", URL: "https://sis.example.test/ims/oneroster/v1p1/resources", Error: "connection refused", DurationMs: 3, Curl: "curl https://sis.example.test/ims/oneroster/v1p1/resources"},
				},
				DurationMs: 4,
			},
		},
		Rules: []reports.RuleInfo{{ID: "paging.disjoint", Title: "pages are disjoint", Source: "OneRoster 1.1 §3.4.1 pagination", Hint: "sort pages by a stable key", Levels: map[string]string{"spec-1.1": "MUST", "sds": "MUST"}}},
		Stats: reports.Stats{Requests: 3, Records: 250},
	}
	run.Recount()
	return run
}

func failedCheck(run *reports.Run) *reports.CheckResult { return &run.Checks[1] }
