package layers

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Owner is the numeric owner of copied files.
type Owner struct {
	UID, GID int
}

// maxUserFile bounds the size of /etc/passwd and /etc/group (BuildKit's limit).
const maxUserFile = 10 << 20

// LookupOwner resolves a --chown (or USER) value, "user" or "user:group",
// each numeric or a name, as BuildKit does: "root" is 0; a user name gives
// the uid and primary gid /etc/passwd of the tree holds for it; a group
// name the gid /etc/group holds; a numeric user without a group gets the
// same number as gid. A name the tree's files do not hold is an error
// (BuildKit would use 0 without a word).
func (t *Tree) LookupOwner(ctx context.Context, spec string) (Owner, error) {
	userPart, groupPart, _ := strings.Cut(spec, ":")
	var o Owner
	if userPart == "" {
		return o, fmt.Errorf("--chown %q names no user: use user[:group], e.g. 1000:1000 or www-data", spec)
	}
	if id, ok := numericID(userPart); ok {
		o.UID, o.GID = id, id
	} else {
		fields, err := t.lookupName(ctx, "/etc/passwd", userPart)
		if err != nil {
			return o, err
		}
		if len(fields) < 4 {
			return o, fmt.Errorf("user %q is not in the image's /etc/passwd: use a numeric uid[:gid] or a user the base image has", userPart)
		}
		uid, err1 := strconv.Atoi(fields[2])
		gid, err2 := strconv.Atoi(fields[3])
		if err1 != nil || err2 != nil {
			return o, fmt.Errorf("user %q: the image's /etc/passwd line is malformed: use a numeric uid[:gid]", userPart)
		}
		o.UID, o.GID = uid, gid
	}
	if groupPart == "" {
		return o, nil
	}
	if id, ok := numericID(groupPart); ok {
		o.GID = id
		return o, nil
	}
	fields, err := t.lookupName(ctx, "/etc/group", groupPart)
	if err != nil {
		return o, err
	}
	if len(fields) < 3 {
		return o, fmt.Errorf("group %q is not in the image's /etc/group: use a numeric gid or a group the base image has", groupPart)
	}
	gid, err := strconv.Atoi(fields[2])
	if err != nil {
		return o, fmt.Errorf("group %q: the image's /etc/group line is malformed: use a numeric gid", groupPart)
	}
	o.GID = gid
	return o, nil
}

// numericID parses a uid or gid as BuildKit does ("root" is 0).
func numericID(s string) (int, bool) {
	if s == "root" {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

// lookupName returns the colon-separated fields of the first line of file
// whose first field is name; nil when the file or the name is missing.
func (t *Tree) lookupName(ctx context.Context, file, name string) ([]string, error) {
	b, err := t.ReadFile(ctx, file, maxUserFile)
	if err != nil {
		if IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("looking up %q: %w", name, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), maxUserFile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ":")
		if fields[0] == name {
			return fields, nil
		}
	}
	return nil, nil
}
