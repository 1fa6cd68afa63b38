package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/agentry/agentry/credentials"
)

// principalName is the form of an IAM principal's name (docs/iam.md).
var principalName = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)

// keysCommand runs "agentry keys new NAME": it prints a principal entry
// with a fresh access key, ready to paste into the IAM file, so that
// nobody invents a secret by hand.
func keysCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "new" {
		fmt.Fprint(stderr, "Usage: agentry keys new NAME\n\nPrints a principal entry with a new access key for the IAM file (docs/iam.md).\n")
		return errors.New("keys: expected: keys new NAME")
	}
	name := args[1]
	if !principalName.MatchString(name) {
		return fmt.Errorf("keys: principal name %q: use 1 to 64 of A-Z a-z 0-9 + = , . @ _ -", name)
	}
	type principal struct {
		Name       string            `json:"name"`
		AccessKeys []credentials.Key `json:"accessKeys"`
		Policies   []any             `json:"policies"`
	}
	b, err := json.MarshalIndent(principal{Name: name, AccessKeys: []credentials.Key{credentials.Generate()}, Policies: []any{}}, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	fmt.Fprintln(stderr, "agentry: add this entry to \"principals\" in the IAM file and give it policies (docs/iam.md); the secret is shown only now.")
	return nil
}
