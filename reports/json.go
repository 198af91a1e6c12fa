package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// WriteJSON writes run as indented JSON, fields in struct order and checks in
// the given order. Nil profiles, checks, features, check profiles and config
// are written as [] or {} so consumers can iterate without null checks.
func WriteJSON(w io.Writer, run *Run) error {
	out := *run
	if out.Profiles == nil {
		out.Profiles = []ProfileVerdict{}
	}
	if out.Config == nil {
		out.Config = map[string]any{}
	}
	if out.Checks == nil {
		out.Checks = []CheckResult{}
	}
	out.Groups = groupResults(run)
	copied := false
	for i := range out.Checks {
		c := &out.Checks[i]
		if c.Features != nil && c.Profiles != nil {
			continue
		}
		if !copied {
			out.Checks = append([]CheckResult(nil), out.Checks...)
			c = &out.Checks[i]
			copied = true
		}
		if c.Features == nil {
			c.Features = []string{}
		}
		if c.Profiles == nil {
			c.Profiles = []ProfileOutcome{}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadJSON reads a run written by WriteJSON. It rejects a schemaVersion newer
// than this package understands and trailing data after the document.
func ReadJSON(r io.Reader) (*Run, error) {
	dec := json.NewDecoder(r)
	var run Run
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("results.json: %w", err)
	}
	if run.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("results.json: schemaVersion %d is newer than this rostercheck understands (%d)", run.SchemaVersion, SchemaVersion)
	}
	if run.SchemaVersion < 1 {
		return nil, errors.New("results.json: missing schemaVersion (not a rostercheck results file?)")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("results.json: unexpected data after the document")
	}
	normalizeConfig(run.Config)
	run.Groups = nil // derived from Checks; recomputed when written
	return &run, nil
}
