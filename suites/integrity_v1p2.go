package suites

import (
	"context"
	"fmt"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
)

// OneRoster 1.2's references inside one record: a user's roles[] name the
// account each role uses (RoleDType.userProfile), which is one of the
// user's own userProfiles[] (UserProfileDType.profileId), and a profileId
// names one profile of the user. The index judges them while the walk of
// /rostering/v1p2/users reads the pages (recordRules), keeping only the
// findings; the check reports them.
const (
	ruleV1p2ProfileUnknown = "v1p2.userprofile.unknown"
	ruleV1p2ProfileDup     = "v1p2.userprofile.duplicate"
)

func init() {
	RegisterRules(
		Rule{ruleV1p2ProfileUnknown, SHOULD, "a 1.2 role's userProfile names no profileId among the user's userProfiles",
			specV1p2Model + `: RoleDType.userProfile "The identifier for the system/tool/app access account that is relevant to this role in the org. The equivalent UserProfile should exist with a 'profileId' equal to this identifier value."`,
			"list the account every role names in the user's userProfiles, with that profileId"},
		Rule{ruleV1p2ProfileDup, MUST, "two userProfiles of one 1.2 user share a profileId",
			specV1p2Model + `: UserProfileDType.profileId "must be unique within the scope of the user"`,
			"give each of a user's userProfiles its own profileId"},
	)
	RegisterChecks(func() []Check {
		users := v12r + "/users"
		return []Check{{
			ID:       "v1p2.integrity.users.user-profiles",
			Title:    "OneRoster 1.2: GET " + users + ": every roles[].userProfile is a profileId of the user's userProfiles, and no two of a user's userProfiles share a profileId [MUST]",
			Area:     "integrity",
			Endpoint: users,
			Level:    MUST,
			Features: []string{users, FeatureRefs},
			Rule:     ruleV1p2ProfileDup,
			Service:  "rostering",
			Source:   rules[ruleV1p2ProfileDup].Source + "; " + rules[ruleV1p2ProfileUnknown].Source,
			Run:      checkUserProfiles,
		}}
	})
}

// recordRules judge one record of a base collection while it is indexed
// (the caller holds the interner's lock); per collection path.
var recordRules = map[string]func(ci *collIndex, e *Env, key string, i int, id string, m map[string]any, ev *client.Exchange){
	v12r + "/users": profileRefs,
}

// profileRefs judges a 1.2 user's userProfiles and the roles naming them.
func profileRefs(ci *collIndex, e *Env, key string, i int, id string, m map[string]any, ev *client.Exchange) {
	profiles := refsOf(m["userProfiles"])
	roles := refsOf(m["roles"])
	have := make(map[string]int, len(profiles))
	named := false
	for j, p := range profiles {
		pid, _ := p["profileId"].(string)
		if pid == "" {
			continue // the schema's finding
		}
		named = true
		if k, dup := have[pid]; dup {
			ci.local(e, Violation{Rule: ruleV1p2ProfileDup, Pointer: fmt.Sprintf("/%s/%d/userProfiles/%d/profileId", key, i, j), RecordID: strings.Clone(id), Ex: ev,
				Message: fmt.Sprintf("profileId %s is also userProfiles[%d]'s", quoteShort(pid), k)})
			continue
		}
		have[pid] = j
	}
	for j, ro := range roles {
		up, _ := ro["userProfile"].(string)
		if up == "" {
			continue
		}
		named = true
		if _, ok := have[up]; !ok {
			ci.local(e, Violation{Rule: ruleV1p2ProfileUnknown, Pointer: fmt.Sprintf("/%s/%d/roles/%d/userProfile", key, i, j), RecordID: strings.Clone(id), Ex: ev,
				Message: fmt.Sprintf("userProfile %s is not the profileId of any of the user's %d userProfiles", quoteShort(up), len(profiles))})
		}
	}
	if named {
		ci.judged++
	}
}

// local keeps a finding of a record rule (capped; all are counted).
func (ci *collIndex) local(e *Env, v Violation) {
	if ci.localN == nil {
		ci.localN = map[string]int{}
	}
	ci.localN[v.Rule]++
	if len(ci.locals) < e.MaxViolations {
		ci.locals = append(ci.locals, v)
	}
}

func checkUserProfiles(ctx context.Context, e *Env, r *Recorder) {
	ci, _ := e.indexOrSay(ctx, r, v12r+"/users")
	if ci == nil {
		return
	}
	if ci.judged == 0 {
		r.NotSupported("no user of GET " + v12r + "/users has userProfiles or a role naming one")
		return
	}
	kept := map[string]int{}
	for _, v := range ci.locals {
		kept[v.Rule]++
		r.Add(v)
	}
	for rule, n := range ci.localN {
		r.Uncounted(rule, n-kept[rule])
	}
}
