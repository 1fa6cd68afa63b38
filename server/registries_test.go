package server_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

func TestRegistryCRUD(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.Client

	created, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("team-tools"), Description: aws.String("Tools of the platform team"),
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.RegistryArn)
	id := arn[len("arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/"):]
	if len(id) != 12 {
		t.Fatalf("registry ARN %q: want a 12-character id", arn)
	}

	got, err := c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Name) != "team-tools" || aws.ToString(got.Description) != "Tools of the platform team" ||
		got.Status != types.RegistryStatusReady || got.AuthorizerType != types.RegistryAuthorizerTypeAwsIam ||
		aws.ToString(got.RegistryArn) != arn || got.CreatedAt == nil || got.UpdatedAt == nil ||
		got.ApprovalConfiguration == nil || got.ApprovalConfiguration.AutoApproval {
		t.Fatalf("GetRegistry = %+v", got)
	}

	// Every identifier also accepts the ARN.
	byARN, err := c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(arn)})
	if err != nil || aws.ToString(byARN.RegistryId) != id {
		t.Fatalf("GetRegistry by ARN = %v, %v", byARN, err)
	}

	updated, err := c.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{
		RegistryId:            aws.String(arn),
		Name:                  aws.String("platform-tools"),
		Description:           &types.UpdatedDescription{}, // clears it
		ApprovalConfiguration: &types.UpdatedApprovalConfiguration{OptionalValue: &types.ApprovalConfiguration{AutoApproval: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(updated.Name) != "platform-tools" || updated.Description != nil ||
		!updated.ApprovalConfiguration.AutoApproval || updated.Status != types.RegistryStatusReady {
		t.Fatalf("UpdateRegistry = %+v", updated)
	}
	// An absent member leaves the value unchanged.
	again, err := c.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{
		RegistryId: aws.String(id), Description: &types.UpdatedDescription{OptionalValue: aws.String("again")},
	})
	if err != nil || aws.ToString(again.Name) != "platform-tools" || aws.ToString(again.Description) != "again" ||
		!again.ApprovalConfiguration.AutoApproval {
		t.Fatalf("UpdateRegistry (description only) = %+v, %v", again, err)
	}

	list, err := c.ListRegistries(ctx, &ctl.ListRegistriesInput{})
	if err != nil || len(list.Registries) != 1 || aws.ToString(list.Registries[0].RegistryId) != id || list.NextToken != nil {
		t.Fatalf("ListRegistries = %+v, %v", list, err)
	}

	del, err := c.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(id)})
	if err != nil || del.Status != types.RegistryStatusDeleting {
		t.Fatalf("DeleteRegistry = %+v, %v", del, err)
	}
	_, err = c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(id)})
	wantNotFound(t, err)
	_, err = c.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(id)})
	wantNotFound(t, err)
}

func TestRegistryValidationAndConflicts(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.Client

	_, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("-bad name")})
	wantValidation(t, err, "name", "must start with a letter or digit")

	_, err = c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("jwt"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt})
	wantValidation(t, err, "authorizerConfiguration.customJWTAuthorizer", "required")

	_, err = c.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String("https://idp.example.com/no-well-known"),
		}},
	})
	wantValidation(t, err, "authorizerConfiguration.customJWTAuthorizer.discoveryUrl", "/.well-known/openid-configuration")

	// A JWT registry stores and returns its authorizer configuration.
	jwtCfg := types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl:    aws.String("https://idp.example.com/.well-known/openid-configuration"),
		AllowedAudience: []string{"agentry"}, AllowedClients: []string{"client-1"}, AllowedScopes: []string{"registry:read"},
		CustomClaims: []types.CustomClaimValidationType{{
			InboundTokenClaimName: aws.String("groups"), InboundTokenClaimValueType: types.InboundTokenClaimValueTypeStringArray,
			AuthorizingClaimMatchValue: &types.AuthorizingClaimMatchValueType{
				ClaimMatchOperator: types.ClaimMatchOperatorTypeContainsAny,
				ClaimMatchValue:    &types.ClaimMatchValueTypeMemberMatchValueStringList{Value: []string{"eng", "ops"}},
			},
		}},
	}
	out, err := c.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: jwtCfg},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := must[*ctl.GetRegistryOutput](t)(c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: out.RegistryArn}))
	jwt, ok := got.AuthorizerConfiguration.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer)
	if !ok || got.AuthorizerType != types.RegistryAuthorizerTypeCustomJwt || aws.ToString(jwt.Value.DiscoveryUrl) != aws.ToString(jwtCfg.DiscoveryUrl) ||
		jwt.Value.AllowedAudience[0] != "agentry" || len(jwt.Value.CustomClaims) != 1 {
		t.Fatalf("GetRegistry authorizer = %#v", got.AuthorizerConfiguration)
	}
	list, ok := jwt.Value.CustomClaims[0].AuthorizingClaimMatchValue.ClaimMatchValue.(*types.ClaimMatchValueTypeMemberMatchValueStringList)
	if !ok || len(list.Value) != 2 {
		t.Fatalf("custom claim = %#v", jwt.Value.CustomClaims[0].AuthorizingClaimMatchValue)
	}

	// Clearing the authorizer of a JWT registry is refused and changes nothing.
	_, err = c.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: out.RegistryArn, AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{}})
	wantValidation(t, err, "authorizerConfiguration.customJWTAuthorizer", "required")

	// A new JWT configuration replaces the old one.
	jwtCfg.AllowedAudience = []string{"other"}
	upd, err := c.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: out.RegistryArn,
		AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{OptionalValue: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: jwtCfg}}})
	if err != nil {
		t.Fatal(err)
	}
	if jwt := upd.AuthorizerConfiguration.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer); jwt.Value.AllowedAudience[0] != "other" {
		t.Fatalf("updated audience = %v", jwt.Value.AllowedAudience)
	}

	// Duplicate names conflict, on create and on rename.
	ts.createRegistry(t, "first", false)
	_, err = c.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("first")})
	wantConflict(t, err, "first")
	_, err = c.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: out.RegistryArn, Name: aws.String("first")})
	wantConflict(t, err, "first")

	_, err = c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String("doesnotexist1")})
	wantNotFound(t, err)
	_, err = c.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String("arn:aws:bedrock-agentcore:eu-west-1:123456789012:registry/abcdefabcdef")})
	wantValidation(t, err, "registryId", "not an ARN of this server")
}

func TestRegistryIdempotency(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	token := "a-client-token-of-at-least-33-characters"
	in := &ctl.CreateRegistryInput{Name: aws.String("idem"), ClientToken: aws.String(token)}
	first := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, in))
	second := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, in))
	if aws.ToString(first.RegistryArn) != aws.ToString(second.RegistryArn) {
		t.Fatalf("same token gave %s and %s", aws.ToString(first.RegistryArn), aws.ToString(second.RegistryArn))
	}
	_, err := ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("idem-other"), ClientToken: aws.String(token)})
	ve := wantValidation(t, err, "", "clientToken")
	if ve.Reason != types.ValidationExceptionReasonIdempotentParameterMismatchException {
		t.Fatalf("reason = %q", ve.Reason)
	}
	list := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	if len(list.Registries) != 1 {
		t.Fatalf("want 1 registry after idempotent retries, got %d", len(list.Registries))
	}
	// Without an explicit token the SDK generates a fresh one per call.
	ts.createRegistry(t, "auto-token", false)
}

func TestListRegistriesPagingAndFilters(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	const n = 23
	for i := range n {
		ts.createRegistry(t, "reg-"+string(rune('a'+i)), false)
	}
	seen := map[string]bool{}
	var token *string
	pages := 0
	for {
		out, err := ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{MaxResults: aws.Int32(10), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Registries {
			if seen[aws.ToString(r.RegistryId)] {
				t.Fatalf("registry %s seen twice", aws.ToString(r.RegistryId))
			}
			seen[aws.ToString(r.RegistryId)] = true
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if len(seen) != n || pages != 3 {
		t.Fatalf("saw %d registries in %d pages, want %d in 3", len(seen), pages, n)
	}
	// The SDK paginator walks the same pages.
	p := ctl.NewListRegistriesPaginator(ts.Client, &ctl.ListRegistriesInput{MaxResults: aws.Int32(7)})
	count := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count += len(out.Registries)
	}
	if count != n {
		t.Fatalf("paginator saw %d, want %d", count, n)
	}

	first := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{MaxResults: aws.Int32(5)}))
	tampered := []byte(aws.ToString(first.NextToken))
	tampered[3] ^= 1
	_, err := ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{NextToken: aws.String(string(tampered))})
	wantValidation(t, err, "nextToken", "not a token")
	// A token only resumes the query it came from.
	_, err = ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{NextToken: first.NextToken, Status: types.RegistryStatusReady})
	wantValidation(t, err, "nextToken", "not a token")

	_, err = ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{MaxResults: aws.Int32(101)})
	wantValidation(t, err, "maxResults", "between 1 and 100")

	jwt := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{AuthorizerType: types.RegistryAuthorizerTypeCustomJwt}))
	if len(jwt.Registries) != 0 {
		t.Fatalf("authorizerType filter returned %d registries", len(jwt.Registries))
	}
	ready := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{Status: types.RegistryStatusReady, MaxResults: aws.Int32(100)}))
	if len(ready.Registries) != n {
		t.Fatalf("status filter returned %d registries, want %d", len(ready.Registries), n)
	}
}

func TestDeleteRegistryWithRecordsConflicts(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "busy", false)
	rec := ts.createRecord(t, reg, "server-one")
	_, err := ts.Client.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(reg)})
	wantConflict(t, err, "1 records")
	must[*ctl.DeleteRegistryRecordOutput](t)(ts.Client.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	must[*ctl.DeleteRegistryOutput](t)(ts.Client.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(reg)}))
}

// Both list operations take maxResults 1 to 100, as the contract says; an
// absent one is the default page of 20.
func TestListMaxResultsRange(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "paged", false)
	for i := range 21 {
		ts.createRegistry(t, fmt.Sprintf("other-%02d", i), false)
		ts.createRecord(t, reg, fmt.Sprintf("server-%02d", i))
	}
	for _, n := range []int32{0, -1, 101, math.MaxInt32, math.MinInt32} {
		_, err := ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{MaxResults: aws.Int32(n)})
		wantValidation(t, err, "maxResults", fmt.Sprintf("must be between 1 and 100, got %d", n))
		_, err = ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(n)})
		wantValidation(t, err, "maxResults", fmt.Sprintf("must be between 1 and 100, got %d", n))
	}
	regs := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	recs := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg)}))
	if len(regs.Registries) != 20 || len(recs.RegistryRecords) != 20 {
		t.Fatalf("default pages: %d registries, %d records, want 20 each", len(regs.Registries), len(recs.RegistryRecords))
	}
	for _, n := range []int32{1, 100} {
		regs := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{MaxResults: aws.Int32(n)}))
		if want := min(int(n), 22); len(regs.Registries) != want {
			t.Fatalf("maxResults %d: %d registries, want %d", n, len(regs.Registries), want)
		}
	}
}
