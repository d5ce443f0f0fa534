package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func tokenHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if n, err := db.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers of a new database = %d, %v; want 0", n, err)
		}
		ann, err := db.CreateUser(ctx, "ann", "$2a$hash-ann", store.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if ann.ID == 0 || ann.Role != store.RoleAdmin || ann.PasswordChangedAt.IsZero() {
			t.Errorf("CreateUser = %+v", ann)
		}
		if _, err := db.CreateUser(ctx, "ann", "$2a$other", store.RoleViewer); !errors.Is(err, store.ErrUserExists) {
			t.Errorf("duplicate name: err = %v, want ErrUserExists", err)
		}
		if _, err := db.CreateUser(ctx, "root", "$2a$x", "superuser"); err == nil {
			t.Error("role superuser accepted")
		}
		if _, err := db.CreateUser(ctx, "", "$2a$x", store.RoleViewer); err == nil {
			t.Error("empty name accepted")
		}
		bob, err := db.CreateUser(ctx, "bob", "$2a$hash-bob", store.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}

		got, err := db.UserByName(ctx, "ann")
		if err != nil || got != ann {
			t.Errorf("UserByName(ann) = %+v, %v; want %+v", got, err, ann)
		}
		if got, err := db.UserByID(ctx, bob.ID); err != nil || got != bob {
			t.Errorf("UserByID(bob) = %+v, %v; want %+v", got, err, bob)
		}
		if _, err := db.UserByName(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByName(carol) err = %v, want ErrNotFound", err)
		}
		if _, err := db.UserByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByID(9999) err = %v, want ErrNotFound", err)
		}
		users, err := db.Users(ctx)
		if err != nil || len(users) != 2 || users[0].Name != "ann" || users[1].Name != "bob" {
			t.Errorf("Users = %+v, %v; want ann, bob", users, err)
		}
		if n, _ := db.CountUsers(ctx); n != 2 {
			t.Errorf("CountUsers = %d, want 2", n)
		}

		// The last admin can be neither demoted nor deleted.
		if err := db.SetUserRole(ctx, "ann", store.RoleViewer); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("demote last admin: err = %v, want ErrLastAdmin", err)
		}
		if err := db.DeleteUser(ctx, "ann"); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("delete last admin: err = %v, want ErrLastAdmin", err)
		}
		if err := db.SetUserRole(ctx, "bob", "owner"); err == nil {
			t.Error("role owner accepted")
		}
		if err := db.SetUserRole(ctx, "nobody", store.RoleAdmin); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetUserRole(nobody) err = %v, want ErrNotFound", err)
		}
		if err := db.SetUserRole(ctx, "bob", store.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		// With two admins, one may go.
		if err := db.SetUserRole(ctx, "ann", store.RoleViewer); err != nil {
			t.Errorf("demote one of two admins: %v", err)
		}
		if err := db.DeleteUser(ctx, "bob"); !errors.Is(err, store.ErrLastAdmin) {
			t.Errorf("delete bob, now the last admin: err = %v, want ErrLastAdmin", err)
		}

		// A new password moves PasswordChangedAt.
		before, _ := db.UserByName(ctx, "ann")
		time.Sleep(1100 * time.Millisecond) // times are whole seconds
		if err := db.SetUserPassword(ctx, "ann", "$2a$new"); err != nil {
			t.Fatal(err)
		}
		after, _ := db.UserByName(ctx, "ann")
		if after.PasswordHash != "$2a$new" || !after.PasswordChangedAt.After(before.PasswordChangedAt) {
			t.Errorf("after SetUserPassword: %+v (before %+v)", after, before)
		}
		if err := db.SetUserPassword(ctx, "nobody", "$2a$x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetUserPassword(nobody) err = %v, want ErrNotFound", err)
		}

		// Tokens.
		tok, err := db.CreateAPIToken(ctx, ann.ID, "ci", tokenHash("a"))
		if err != nil {
			t.Fatal(err)
		}
		if tok.ID == 0 || tok.UserName != "ann" || tok.Revoked() {
			t.Errorf("CreateAPIToken = %+v", tok)
		}
		if _, err := db.CreateAPIToken(ctx, ann.ID, "again", tokenHash("a")); err == nil {
			t.Error("a second token with the same hash was stored")
		}
		if _, err := db.CreateAPIToken(ctx, ann.ID, "short", "abc"); err == nil {
			t.Error("a hash that is not a SHA-256 was accepted")
		}
		if _, err := db.CreateAPIToken(ctx, 9999, "orphan", tokenHash("o")); err == nil {
			t.Error("a token of a user that does not exist was stored")
		}
		bobTok, err := db.CreateAPIToken(ctx, bob.ID, "grafana", tokenHash("b"))
		if err != nil {
			t.Fatal(err)
		}
		got2, err := db.APITokenByHash(ctx, tokenHash("a"))
		if err != nil || got2.ID != tok.ID || got2.UserID != ann.ID || got2.Name != "ci" || !got2.LastUsedAt.IsZero() {
			t.Errorf("APITokenByHash = %+v, %v", got2, err)
		}
		if _, err := db.APITokenByHash(ctx, tokenHash("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("APITokenByHash(unknown) err = %v, want ErrNotFound", err)
		}
		used := time.Unix(1_700_000_000, 0)
		if err := db.TouchAPIToken(ctx, tok.ID, used); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.APITokenByHash(ctx, tokenHash("a")); !got.LastUsedAt.Equal(used) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
		}
		if all, err := db.APITokens(ctx, 0); err != nil || len(all) != 2 || all[0].ID != tok.ID || all[1].UserName != "bob" {
			t.Errorf("APITokens(all) = %+v, %v", all, err)
		}
		if mine, err := db.APITokens(ctx, bob.ID); err != nil || len(mine) != 1 || mine[0].ID != bobTok.ID {
			t.Errorf("APITokens(bob) = %+v, %v", mine, err)
		}
		if err := db.RevokeAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		revoked, _ := db.APITokenByHash(ctx, tokenHash("a"))
		if !revoked.Revoked() {
			t.Error("token not revoked")
		}
		if err := db.RevokeAPIToken(ctx, tok.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if again, _ := db.APITokenByHash(ctx, tokenHash("a")); !again.RevokedAt.Equal(revoked.RevokedAt) {
			t.Errorf("second revoke moved RevokedAt from %v to %v", revoked.RevokedAt, again.RevokedAt)
		}
		if err := db.RevokeAPIToken(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeAPIToken(9999) err = %v, want ErrNotFound", err)
		}

		// Deleting a user deletes their tokens.
		if err := db.DeleteUser(ctx, "ann"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.APITokenByHash(ctx, tokenHash("a")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token of a deleted user: err = %v, want ErrNotFound", err)
		}
		if err := db.DeleteUser(ctx, "ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: err = %v, want ErrNotFound", err)
		}
		if n, _ := db.CountUsers(ctx); n != 1 {
			t.Errorf("CountUsers after delete = %d, want 1", n)
		}
	})
}
