package main

import (
	"io"
	"strings"
	"testing"
)

func TestImportAWSRefusesIncompleteArguments(t *testing.T) {
	t.Setenv("AGENTRY_ACCESS_KEY_ID", "")
	if err := importAWS(nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--to is required") {
		t.Fatalf("without --to: %v", err)
	}
	if err := importAWS([]string{"--to", "http://127.0.0.1:1"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "AGENTRY_ACCESS_KEY_ID") {
		t.Fatalf("without the destination's key: %v", err)
	}
}
