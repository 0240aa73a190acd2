package bot

import (
	"fmt"
	"strings"
)

// Role is what a user may do in a team. Roles are ordered:
// viewer < editor < admin.
type Role string

// Roles. The empty Role means "not set" and counts as RoleEditor where a
// default is needed.
const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
)

// rank orders roles; unknown and empty roles rank as editor.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleAdmin:
		return 3
	default:
		return 2
	}
}

// AtLeast reports whether r is as strong as min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

// ParseRole reads "viewer", "editor" or "admin" (any case).
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleViewer, RoleEditor, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want viewer, editor or admin", s)
}

// Roles maps users to roles. Users are keyed by platform user id, or by
// "platform:userid" to name one platform's user; the longer key wins.
// Everyone else gets Default, which is RoleEditor when empty. The console
// user is always an admin.
type Roles struct {
	Default Role
	Users   map[string]Role
}

// For returns the role of user on platform.
func (rs Roles) For(platform, user string) Role {
	if platform == "console" {
		return RoleAdmin
	}
	if r, ok := rs.Users[platform+":"+user]; ok {
		return r
	}
	if r, ok := rs.Users[user]; ok {
		return r
	}
	if rs.Default == "" {
		return RoleEditor
	}
	return rs.Default
}
