package server

import "context"

// WaitVectors waits until every record written so far has its vector
// (search.Index.WaitVectors), for tests and benchmarks that search
// semantically right after writing.
func (s *Server) WaitVectors(ctx context.Context) error { return s.index.WaitVectors(ctx) }
