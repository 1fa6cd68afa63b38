package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/agentry/agentry/server"
	"github.com/agentry/agentry/semantic"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/aws"
	"strings"
)

func TestTmpIdleCPU(t *testing.T) {
	for _, model := range []bool{false, true} {
		ts := startServerWith(t, func(c *server.Config) {
			if model {
				var err error
				if c.Embedder, err = semantic.Default(); err != nil {
					t.Fatal(err)
				}
			}
		})
		out, err := ts.Client.CreateRegistry(context.Background(), &ctl.CreateRegistryInput{
			Name: aws.String("idle"), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
		if err != nil {
			t.Fatal(err)
		}
		reg := aws.ToString(out.RegistryArn)[strings.LastIndex(aws.ToString(out.RegistryArn), "/")+1:]
		populate(t, ts, reg, 10_000)
		ts.waitVectors(t)
		for i := range 4 {
			c0 := processCPU()
			time.Sleep(2 * time.Second)
			t.Logf("model %v, idle period %d: %v CPU in 2 s", model, i, processCPU()-c0)
		}
	}
}
