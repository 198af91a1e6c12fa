package reports

// Leftover is an object the harness wrote to the target and could not
// delete: its single-object path under the OneRoster root, its id, the
// check that wrote it and why the delete failed.
type Leftover struct {
	Collection string `json:"collection"` // categories | lineItems | results
	ID         string `json:"id"`
	Path       string `json:"path"` // e.g. /lineItems/{id}, escaped
	CheckID    string `json:"checkId"`
	Reason     string `json:"reason"`
}
