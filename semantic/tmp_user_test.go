package semantic

import (
	"context"
	"fmt"
	"testing"

	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/search"
)

func TestTmpUser(t *testing.T) {
	m, _ := Default()
	s := userReportedSet(t)
	ix := search.NewIndex(search.Options{Embedder: m, Fusion: search.Fusion{Method: search.FusionConvex}})
	ix.PutMany(s.Records)
	for _, q := range s.Queries {
		hits, _ := ix.Search(context.Background(), search.Query{RegistryID: searcheval.RegistryID, Text: q.Text, MaxResults: 5})
		fmt.Printf("%s %q want %v\n", q.ID, q.Text, q.Relevant)
		for _, h := range hits {
			fmt.Printf("    %.3f %s\n", h.Relevance, h.Revision.Name)
		}
	}
}
