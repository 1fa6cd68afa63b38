package httpapi

import (
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agentry/agentry/registry"
)

// A page of ListRegistryRecords is a hundred summaries of ten members
// each; encoding/json spent more on it (reflection, the timestamps'
// MarshalJSON and the re-compaction of their output) than the handler did
// on anything but the store. The page is written here in one pass, as the
// same JSON value encoding/json writes for recordSummaryJSON (only without
// escaping <, > and & in strings); TestListEncodingMatches holds them equal.

// pageBuffers hold the pages being written: a page of 100 is about 50 KB.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeRecordSummaries writes a ListRegistryRecords answer.
func (a *api) writeRecordSummaries(w http.ResponseWriter, page registry.RecordPage) {
	buf := pageBuffers.Get().(*[]byte)
	defer pageBuffers.Put(buf)
	*buf = a.appendRecordSummaries((*buf)[:0], page)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(*buf)
}

// appendRecordSummaries appends the JSON of a ListRegistryRecords answer.
func (a *api) appendRecordSummaries(b []byte, page registry.RecordPage) []byte {
	b = append(b, `{"registryRecords":[`...)
	var arns summaryARNs
	for i, rec := range page.Records {
		if i > 0 {
			b = append(b, ',')
		}
		b = a.appendRecordSummary(b, &arns, rec)
	}
	b = append(b, ']')
	if page.NextToken != "" {
		b = append(b, `,"nextToken":`...)
		b = appendJSONString(b, page.NextToken)
	}
	return append(b, '}')
}

// summaryARNs are the registry ARN of the summaries of a page, all in one
// registry, as JSON: made once a page instead of twice a summary.
type summaryARNs struct {
	registryID string
	registry   []byte // the registry's ARN as a JSON string
	records    []byte // the JSON string of the prefix of its records' ARNs, unclosed
}

// appendRecordSummary appends rec as recordSummaryJSON encodes.
func (a *api) appendRecordSummary(b []byte, arns *summaryARNs, rec registry.RecordSummary) []byte {
	if arns.registry == nil || arns.registryID != rec.RegistryID {
		arn := a.arns.Registry(rec.RegistryID)
		arns.registryID, arns.registry, arns.records = rec.RegistryID, appendJSONString(nil, arn), nil
		// Escaping a string's parts is escaping the string when they
		// split it between whole characters.
		if prefix := arn + "/record/"; utf8.ValidString(prefix) {
			arns.records = appendJSONString(nil, prefix)
			arns.records = arns.records[:len(arns.records)-1]
		}
	}
	b = append(b, `{"registryArn":`...)
	b = append(b, arns.registry...)
	b = append(b, `,"recordArn":`...)
	if arns.records != nil {
		b = append(b, arns.records...)
		n := len(b)
		b = appendJSONString(b, rec.ID)
		b = append(b[:n], b[n+1:]...) // the id's opening quote
	} else {
		b = appendJSONString(b, a.arns.Record(rec.RegistryID, rec.ID))
	}
	b = append(b, `,"recordId":`...)
	b = appendJSONString(b, rec.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, rec.Name)
	if rec.Description != "" {
		b = append(b, `,"description":`...)
		b = appendJSONString(b, rec.Description)
	}
	b = append(b, `,"descriptorType":`...)
	b = appendJSONString(b, string(rec.DescriptorType))
	if rec.Version != "" {
		b = append(b, `,"recordVersion":`...)
		b = appendJSONString(b, rec.Version)
	}
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(rec.Status))
	b = append(b, `,"createdAt":`...)
	b = appendTimestamp(b, rec.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTimestamp(b, rec.UpdatedAt)
	return append(b, '}')
}

// appendTimestamp appends t as timestamp's MarshalJSON does, without
// going through time's layout interpreter for years of four digits.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		m, _ := timestamp(t).MarshalJSON()
		return append(b, m...)
	}
	hour, min, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, min, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, ms, 3)
	return append(b, 'Z', '"')
}

// appendDigits appends the n last decimal digits of v (v >= 0), zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	var d [4]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}
