// Package people makes the database's people and teams match sluice.yaml
// (metrics.md §1, §5): aliases, excluded and hidden people, bot flags and
// configured teams.
package people

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/store"
)

// ErrConfigDefined is wrapped by the errors of edits refused because
// sluice.yaml defines what they would change.
var ErrConfigDefined = errors.New("defined in sluice.yaml; edit it there")

// Apply makes the database match cfg's people and teams. It is idempotent
// and cheap (a few queries per configured alias, person and member), so
// commands run it whenever they open the database:
//
//   - each alias merges the people of its keys into one person named as
//     configured (SourceConfig); a key no identity has yet is created, so
//     that identities arriving later join that person; config keys no
//     longer in any alias are split back off;
//   - people.exclude and people.hide set the excluded and hidden flags (a
//     hidden person is excluded too) on top of those `sluice people
//     exclude|hide` set; removing a person from those lists clears what
//     the list set;
//   - bot flags are recomputed with analysis.bot_patterns;
//   - the configured teams replace every team and membership of source
//     config. A member named by e-mail or key who has no identity yet is
//     created like an alias key; a member named by a name no person has is
//     an error naming the team and the member.
func Apply(ctx context.Context, db *store.DB, cfg *config.Config) error {
	if err := applyAliases(ctx, db, cfg.People.Aliases); err != nil {
		return err
	}
	var flagged [2][]int64 // excluded, hidden
	for i, l := range []struct {
		key  string
		refs []string
	}{{"people.exclude", cfg.People.Exclude}, {"people.hide", cfg.People.Hide}} {
		for _, ref := range l.refs {
			id, err := resolve(ctx, db, ref)
			if err != nil {
				return fmt.Errorf("sluice.yaml %s: %w", l.key, err)
			}
			flagged[i] = append(flagged[i], id)
		}
	}
	if err := db.ApplyConfigFlags(ctx, flagged[0], flagged[1]); err != nil {
		return err
	}
	if err := db.RefreshBots(ctx, cfg.Analysis.BotPatterns); err != nil {
		return err
	}
	var specs []store.TeamSpec
	if err := teamSpecs(ctx, db, cfg.Teams, "", &specs); err != nil {
		return err
	}
	return db.ReplaceConfigTeams(ctx, specs)
}

// resolve returns the person ref names: by e-mail or key (created when
// missing), else by name (FindPersonID).
func resolve(ctx context.Context, db *store.DB, ref string) (int64, error) {
	if key, ok := config.PersonRefKey(ref); ok {
		return db.EnsurePersonKey(ctx, key, "", store.SourceAuto)
	}
	return db.FindPersonID(ctx, ref)
}

func applyAliases(ctx context.Context, db *store.DB, aliases []config.Alias) error {
	configured := map[string]bool{}
	for _, a := range aliases {
		for _, e := range a.Emails {
			if k, ok := config.PersonRefKey(e); ok {
				configured[k] = true
			}
		}
	}
	// Keys an earlier configuration merged and this one no longer lists.
	stale, err := db.PersonKeysBySource(ctx, store.SourceConfig)
	if err != nil {
		return err
	}
	for _, k := range stale {
		if configured[k] {
			continue
		}
		if _, err := db.SplitPersonKey(ctx, k, store.SourceAuto); err != nil {
			// Its person's only key: nothing to split.
			if err := db.SetPersonKeySource(ctx, k, store.SourceAuto); err != nil {
				return err
			}
		}
	}

	claimed := map[int64]int{} // person -> alias index + 1
	for i, a := range aliases {
		var ids []int64
		for _, e := range a.Emails {
			k, ok := config.PersonRefKey(e)
			if !ok {
				continue
			}
			id, err := db.EnsurePersonKey(ctx, k, a.Name, store.SourceConfig)
			if err != nil {
				return fmt.Errorf("sluice.yaml people.aliases[%d]: %w", i, err)
			}
			if c := claimed[id]; c != 0 && c != i+1 {
				// An earlier configuration merged this key with another
				// alias's: take it back out.
				if id, err = db.SplitPersonKey(ctx, k, store.SourceConfig); err != nil {
					return fmt.Errorf("sluice.yaml people.aliases[%d]: %w", i, err)
				}
			}
			if err := db.SetPersonKeySource(ctx, k, store.SourceConfig); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if len(ids) == 0 {
			continue
		}
		into := ids[0]
		var from []int64
		for _, id := range ids[1:] {
			if id != into {
				from = append(from, id)
			}
		}
		if len(from) > 0 {
			if err := db.MergePeople(ctx, into, from, store.SourceConfig); err != nil {
				return fmt.Errorf("sluice.yaml people.aliases[%d]: %w", i, err)
			}
		}
		claimed[into] = i + 1
		if a.Name != "" {
			if err := db.SetPersonName(ctx, into, a.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// teamSpecs flattens configured teams, parents first, resolving members.
func teamSpecs(ctx context.Context, db *store.DB, teams []config.Team, parent string, out *[]store.TeamSpec) error {
	for _, t := range teams {
		spec := store.TeamSpec{Name: t.Name, Parent: parent}
		for _, m := range t.Members {
			id, err := resolve(ctx, db, m.Person)
			if err != nil {
				return fmt.Errorf("sluice.yaml team %q: member %q: %w", t.Name, m.Person, err)
			}
			for _, o := range spec.Members {
				if o.PersonID == id && store.Overlaps(o.Since, o.Until, m.FromDay, m.UntilDay) {
					return fmt.Errorf("sluice.yaml team %q: member %q is the same person as another member of the team (through an alias or a merge), over overlapping periods; list them once", t.Name, m.Person)
				}
			}
			spec.Members = append(spec.Members, store.MemberSpec{PersonID: id, Since: m.FromDay, Until: m.UntilDay})
		}
		*out = append(*out, spec)
		if err := teamSpecs(ctx, db, t.Teams, t.Name, out); err != nil {
			return err
		}
	}
	return nil
}

// PersonMap maps each identity key (store.PersonKey of an e-mail) to its
// person's key, so that two e-mails of one person compare equal
// (provenance's "same person", ingest.Syncer.People).
func PersonMap(ctx context.Context, db *store.DB) (map[string]string, error) {
	return db.IdentityPersonKeys(ctx)
}
