package main

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// genVersion changes whenever the generator makes a different dataset from
// the same parameters, so that an old file is not reused.
const genVersion = 1

// Dataset span: two years of history, ending on a fixed day so that the
// dataset (and the 90-day filter) is the same on every run.
var (
	spanStart = time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	spanEnd   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// params are the generator's inputs, stored in the marker file.
type params struct {
	Generator int    `json:"generator"`
	Commits   int    `json:"commits"`
	People    int    `json:"people"`
	Repos     int    `json:"repos"`
	Seed      uint64 `json:"seed"`
}

// dataset is what the benchmark needs to know about the generated data:
// real values for path parameters and filters. It is stored in the marker
// file too, so a reused database needs no look-ups.
type dataset struct {
	Params params `json:"params"`
	// TopPerson is the key of the most active (human) person.
	TopPerson string `json:"top_person"`
	// BigTeam is the team with the most members, sub-teams included;
	// LeafTeam a typical team without sub-teams.
	BigTeam  string `json:"big_team"`
	LeafTeam string `json:"leaf_team"`
	// BigRepo is the repository with the most commits.
	BigRepo string `json:"big_repo"`
	// SHA is a commit of TopPerson in BigRepo.
	SHA string `json:"sha"`
	// End is the day after the last generated day (YYYY-MM-DD).
	End string `json:"end"`
	// Took is how long generating took.
	Took string `json:"took"`
}

var (
	firstNames = []string{"Ada", "Alan", "Amara", "Anders", "Aiko", "Bea", "Bruno", "Carla", "Chen", "Dario",
		"Deepa", "Elif", "Emeka", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan",
		"Jonas", "Kai", "Kofi", "Lena", "Lucas", "Maya", "Mateo", "Nadia", "Nils", "Olga",
		"Omar", "Priya", "Quinn", "Rafael", "Sara", "Sven", "Tariq", "Uma", "Wei", "Yara"}
	lastNames = []string{"Abe", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito", "Jensen",
		"Kowalski", "Lindqvist", "Müller", "Nakamura", "Okafor", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka",
		"Usman", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang", "Novak", "Silva", "Moreau", "Kim",
		"Patel", "Singh", "Nowak", "Horvat", "Sato", "Larsen", "Ferreira", "Ali", "Hughes", "O'Brien"}
	repoBases = []string{"checkout", "search", "billing", "auth", "payments", "catalog", "inventory", "notifications",
		"gateway", "web", "mobile-app", "infra", "terraform", "data-pipeline", "ml-models", "analytics", "docs",
		"design-system", "cli", "sdk"}
	repoSuffixes = []string{"", "-api", "-worker", "-service", "-legacy", "-tools"}
	// offsets are UTC offsets in seconds with how many people live there.
	offsets = []struct{ off, weight int }{
		{-8 * 3600, 12}, {-7 * 3600, 4}, {-5 * 3600, 14}, {-3 * 3600, 6}, {0, 10}, {3600, 22},
		{2 * 3600, 10}, {3 * 3600, 4}, {5*3600 + 1800, 10}, {8 * 3600, 5}, {9 * 3600, 3},
	}
	verbs = []string{"Fix", "Add", "Refactor", "Update", "Remove", "Improve", "Rename", "Test", "Document", "Simplify"}
	nouns = []string{"retry logic", "pagination", "cache invalidation", "login flow", "error messages", "metrics",
		"config loading", "rate limiter", "CSV export", "webhook handler", "search ranking", "timeouts",
		"migrations", "date parsing", "feature flag", "logging", "N+1 query", "flaky test", "i18n strings", "build"}
	dirs = []string{"cmd", "internal/api", "internal/store", "internal/domain", "web/src", "web/src/components",
		"pkg/client", "scripts", "docs", "deploy"}
)

// person is a generated human author.
type person struct {
	name, email, key string
	alias            string // a second name they sometimes commit under ("" none)
	zone             *time.Location
	weight           float64
	join, leave      int // active days [join, leave) since spanStart
	repos            []int
	newBias          float64 // how much of their work is new work
}

type genCommit struct {
	repo int
	c    store.Commit
}

// generate fills db with a deterministic dataset and returns its summary.
func generate(ctx context.Context, db *store.DB, p params, progress func(string)) (dataset, error) {
	began := time.Now()
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed))
	days := int(spanEnd.Sub(spanStart).Hours() / 24)

	// Sources and repositories, sized unevenly (a few big monorepos, many
	// small services).
	gh, err := db.UpsertSource(ctx, store.Source{Name: "github-acme", Kind: "github", URL: "https://github.com"})
	if err != nil {
		return dataset{}, err
	}
	gl, err := db.UpsertSource(ctx, store.Source{Name: "gitlab-internal", Kind: "gitlab", URL: "https://gitlab.internal.example"})
	if err != nil {
		return dataset{}, err
	}
	repos := make([]store.Repository, p.Repos)
	repoWeight := make([]float64, p.Repos)
	for i := range repos {
		base := repoBases[i%len(repoBases)] + repoSuffixes[(i/len(repoBases))%len(repoSuffixes)]
		if i >= len(repoBases)*len(repoSuffixes) {
			base += fmt.Sprintf("-%d", i)
		}
		r := store.Repository{Excludes: true}
		switch {
		case i%10 < 7:
			r.Name, r.URL, r.Source = "acme/"+base, "https://github.com/acme/"+base+".git", gh.Name
			r.MirrorPath = "/var/lib/sluice/mirrors/github.com/acme/" + base + ".git"
		case i%10 < 9:
			r.Name, r.URL, r.Source = "platform/"+base, "https://gitlab.internal.example/platform/"+base+".git", gl.Name
			r.MirrorPath = "/var/lib/sluice/mirrors/gitlab.internal.example/platform/" + base + ".git"
		default:
			r.Name, r.LocalPath = base, "/srv/git/"+base
		}
		if repos[i], err = db.UpsertRepository(ctx, r); err != nil {
			return dataset{}, err
		}
		repoWeight[i] = 1 / math.Pow(float64(i+1), 0.8)
	}
	rng.Shuffle(len(repoWeight), func(i, j int) { repoWeight[i], repoWeight[j] = repoWeight[j], repoWeight[i] })
	repoCum := cumulative(repoWeight)

	// People: a skewed activity (log-normal), time zones, joiners and
	// leavers, one to four home repositories each.
	zoneCum := cumulative(func() []float64 {
		w := make([]float64, len(offsets))
		for i, o := range offsets {
			w[i] = float64(o.weight)
		}
		return w
	}())
	people := make([]person, p.People)
	for i := range people {
		first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
		local := strings.ToLower(first + "." + strings.NewReplacer("'", "", "ü", "u", "í", "i", "ó", "o").Replace(last))
		if i >= len(firstNames)*len(lastNames) {
			local += fmt.Sprint(i)
		}
		pp := person{name: first + " " + last, email: local + "@acme.example"}
		pp.key = store.PersonKey(pp.name, pp.email)
		if rng.IntN(20) == 0 {
			pp.alias = strings.ToLower(first[:1] + last)
		}
		pp.zone = time.FixedZone("", offsets[pick(rng, zoneCum)].off)
		pp.weight = math.Exp(rng.NormFloat64() * 0.9)
		pp.join, pp.leave = 0, days
		switch r := rng.IntN(10); {
		case r < 2: // joined during the period
			pp.join = rng.IntN(days * 3 / 4)
		case r < 3: // left during the period
			pp.leave = days/4 + rng.IntN(days*3/4)
		}
		for range 1 + rng.IntN(4) {
			if r := pick(rng, repoCum); !slices.Contains(pp.repos, r) {
				pp.repos = append(pp.repos, r)
			}
		}
		pp.newBias = 0.3 + 0.4*rng.Float64()
		people[i] = pp
	}
	personCum := cumulative(func() []float64 {
		w := make([]float64, len(people))
		for i, pp := range people {
			// Weight by activity and by how long they were around.
			w[i] = pp.weight * float64(pp.leave-pp.join) / float64(days)
		}
		return w
	}())

	// Commits, then per repository in time order (parents, merges).
	progress(fmt.Sprintf("generating %d commits by %d people in %d repositories", p.Commits, p.People, p.Repos))
	all := make([]genCommit, 0, p.Commits)
	authored := make([]int, len(people))
	for range p.Commits {
		if rng.IntN(100) < 3 {
			all = append(all, botCommit(rng, repoCum, days))
			continue
		}
		pi := pick(rng, personCum)
		pp := &people[pi]
		authored[pi]++
		repo := pp.repos[rng.IntN(len(pp.repos))]
		if rng.IntN(5) == 0 { // helping out elsewhere
			repo = pick(rng, repoCum)
		}
		day := pp.join + rng.IntN(pp.leave-pp.join)
		for tries := 0; tries < 4; tries++ {
			wd := spanStart.AddDate(0, 0, day).Weekday()
			if (wd != time.Saturday && wd != time.Sunday) || rng.IntN(8) == 0 {
				break
			}
			day = pp.join + rng.IntN(pp.leave-pp.join)
		}
		// Working hours in their own zone, centred on early afternoon.
		hour := math.Max(0, math.Min(23.99, 13.5+rng.NormFloat64()*3))
		t0 := spanStart.AddDate(0, 0, day)
		at := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, pp.zone).
			Add(time.Duration(hour*3600)*time.Second + time.Duration(rng.IntN(60))*time.Second)
		name := pp.name
		if pp.alias != "" && rng.IntN(3) == 0 {
			name = pp.alias
		}
		all = append(all, genCommit{repo: repo, c: humanCommit(rng, name, pp.email, at, pp.newBias)})
	}
	byRepo := make([][]store.Commit, p.Repos)
	for _, g := range all {
		byRepo[g.repo] = append(byRepo[g.repo], g.c)
	}
	all = nil

	var (
		stored  int
		bigRepo int
		ds      = dataset{Params: p, End: spanEnd.Format(time.DateOnly)}
	)
	top := 0
	for i := range authored {
		if authored[i] > authored[top] {
			top = i
		}
	}
	ds.TopPerson = people[top].key
	const batch = 2000
	for ri, cs := range byRepo {
		slices.SortFunc(cs, func(a, b store.Commit) int { return a.AuthorTime.Compare(b.AuthorTime) })
		if len(cs) > len(byRepo[bigRepo]) {
			bigRepo = ri
		}
		for i := range cs {
			c := &cs[i]
			c.SHA = sha(p.Seed, ri, i)
			if i > 0 {
				c.Parents = []string{cs[i-1].SHA}
			}
			// About 8 % merges: pull requests merged by their author.
			if i > 2 && rng.IntN(100) < 8 {
				c.Parents = append(c.Parents, cs[i-1-rng.IntN(min(i-1, 20))].SHA)
				c.IsMerge = true
				c.Subject = fmt.Sprintf("Merge pull request #%d from acme/%s", 100+i, branchName(rng))
				c.Additions, c.Deletions, c.FilesChanged, c.Hunks = 0, 0, 0, 0
				c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework, c.Outlier = 0, 0, 0, 0, 0, false
				c.Files = nil
			}
		}
		for lo := 0; lo < len(cs); lo += batch {
			hi := min(lo+batch, len(cs))
			if err := db.SaveBatch(ctx, repos[ri].ID, cs[lo:hi], store.Checkpoint{RepositoryID: repos[ri].ID, Stored: int64(hi)}); err != nil {
				return dataset{}, err
			}
			stored += hi - lo
		}
		tips := map[string]string{}
		if len(cs) > 0 {
			tips["refs/heads/main"] = cs[len(cs)-1].SHA
		}
		if err := db.CompleteSync(ctx, repos[ri].ID, store.Checkpoint{RepositoryID: repos[ri].ID, Tips: tips, Stored: int64(len(cs))}); err != nil {
			return dataset{}, err
		}
		progress(fmt.Sprintf("  %-36s %6d commits (%d/%d stored, %s)", repos[ri].Name, len(cs), stored, p.Commits, time.Since(began).Round(time.Second)))
	}
	ds.BigRepo = repos[bigRepo].Name
	for _, c := range byRepo[bigRepo] {
		if strings.EqualFold(c.AuthorEmail, people[top].email) && !c.IsMerge {
			ds.SHA = c.SHA
		}
	}
	if ds.SHA == "" && len(byRepo[bigRepo]) > 0 {
		ds.SHA = byRepo[bigRepo][0].SHA
	}
	if err := db.RefreshBots(ctx, nil); err != nil {
		return dataset{}, err
	}

	progress("creating teams")
	if err := makeTeams(ctx, db, rng, people, days, &ds); err != nil {
		return dataset{}, err
	}
	ds.Took = time.Since(began).Round(time.Millisecond).String()
	return ds, nil
}

// humanCommit makes a non-merge commit: a log-normal size, about 2 %
// outliers (vendored code, generated files), work types split by the
// author's habits.
func humanCommit(rng *rand.Rand, name, email string, at time.Time, newBias float64) store.Commit {
	h := int(math.Exp(3.0 + rng.NormFloat64()*1.2))
	outlier := rng.IntN(50) == 0
	subject := fmt.Sprintf("%s %s", verbs[rng.IntN(len(verbs))], nouns[rng.IntN(len(nouns))])
	if outlier {
		h = 3000 + rng.IntN(40000)
		subject = "Vendor " + nouns[rng.IntN(len(nouns))] + " dependencies"
	}
	h = max(h, 1)
	nw := int(float64(h) * newBias * rng.Float64() * 1.6)
	nw = min(nw, h)
	rest := h - nw
	lr := rest * rng.IntN(60) / 100
	ho := (rest - lr) * rng.IntN(50) / 100
	rw := rest - lr - ho
	add := h*6/10 + rng.IntN(h/2+1)
	del := h - h*6/10 + rng.IntN(h/3+1)
	hunks := 1 + h/12 + rng.IntN(4)
	nf := min(1+rng.IntN(1+hunks/2), 12)
	files := make([]store.FileChange, 0, nf+1)
	leftA, leftD := add, del
	for i := range nf {
		fa, fd := leftA/(nf-i), leftD/(nf-i)
		if i == nf-1 {
			fa, fd = leftA, leftD
		}
		leftA, leftD = leftA-fa, leftD-fd
		dir := dirs[rng.IntN(len(dirs))]
		files = append(files, store.FileChange{Path: fmt.Sprintf("%s/%s_%d.go", dir, strings.Fields(nouns[rng.IntN(len(nouns))])[0], rng.IntN(40)), Additions: fa, Deletions: fd})
	}
	if rng.IntN(10) == 0 { // a lock file, excluded from the figures
		files = append(files, store.FileChange{Path: "package-lock.json", Additions: rng.IntN(400), Deletions: rng.IntN(400), Excluded: true})
	}
	ct := at
	if rng.IntN(5) == 0 { // rebased or amended later
		ct = at.Add(time.Duration(rng.IntN(3*86400)) * time.Second)
	}
	return store.Commit{
		AuthorName: name, AuthorEmail: email, AuthorTime: at,
		CommitterName: name, CommitterEmail: email, CommitterTime: ct,
		Subject:   subject,
		Additions: add, Deletions: del, FilesChanged: nf, Hunks: hunks,
		HALOC: h, NewWork: nw, LegacyRefactor: lr, HelpOthers: ho, Rework: rw,
		Outlier: outlier, Files: files,
	}
}

// botCommit is a dependency bump by one of three bots, at any hour (UTC).
func botCommit(rng *rand.Rand, repoCum []float64, days int) genCommit {
	var name, email string
	switch r := rng.IntN(10); {
	case r < 6:
		name, email = "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"
	case r < 9:
		name, email = "renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"
	default:
		name, email = "github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"
	}
	at := spanStart.Add(time.Duration(rng.Int64N(int64(days)*86400)) * time.Second)
	n := 1 + rng.IntN(30)
	return genCommit{repo: pick(rng, repoCum), c: store.Commit{
		AuthorName: name, AuthorEmail: email, AuthorTime: at,
		CommitterName: name, CommitterEmail: email, CommitterTime: at,
		Subject:   fmt.Sprintf("Bump %s from 1.%d.0 to 1.%d.1", nouns[rng.IntN(len(nouns))], n, n),
		Additions: n, Deletions: n, FilesChanged: 2, Hunks: 2,
		HALOC: n, NewWork: 0, LegacyRefactor: n, HelpOthers: 0, Rework: 0,
		Files: []store.FileChange{{Path: "go.mod", Additions: 1, Deletions: 1}, {Path: "go.sum", Additions: n - 1, Deletions: n - 1}},
	}}
}

// makeTeams builds a nested org: Engineering → Platform, Product →
// squads, plus Security at the top level of Engineering and a
// cross-cutting Frontend guild. About 90 % of people are in a squad; one
// in ten changed squads during the period (dated memberships), joiners
// are members from their first day.
func makeTeams(ctx context.Context, db *store.DB, rng *rand.Rand, people []person, days int, ds *dataset) error {
	const src = "cli"
	eng, err := db.CreateTeam(ctx, "Engineering", 0, src)
	if err != nil {
		return err
	}
	tree := []struct {
		name   string
		leaves []string
	}{
		{"Platform", []string{"Infra", "Developer Experience", "Data Platform"}},
		{"Product", []string{"Checkout", "Search", "Mobile", "Growth"}},
	}
	var leaves []int64
	for _, group := range tree {
		gid, err := db.CreateTeam(ctx, group.name, eng, src)
		if err != nil {
			return err
		}
		for _, l := range group.leaves {
			id, err := db.CreateTeam(ctx, l, gid, src)
			if err != nil {
				return err
			}
			leaves = append(leaves, id)
		}
	}
	sec, err := db.CreateTeam(ctx, "Security", eng, src)
	if err != nil {
		return err
	}
	leaves = append(leaves, sec)
	guild, err := db.CreateTeam(ctx, "Frontend Guild", 0, src)
	if err != nil {
		return err
	}
	ds.BigTeam, ds.LeafTeam = "Engineering", "Checkout"
	startDay := store.AuthorDay(spanStart)
	for _, pp := range people {
		if rng.IntN(10) == 0 {
			continue // not in a team
		}
		pid, err := db.PersonIDByKey(ctx, pp.key)
		if err != nil {
			return fmt.Errorf("team member %s: %w", pp.key, err)
		}
		var since, until *int
		if pp.join > 0 {
			d := startDay + pp.join
			since = &d
		}
		if pp.leave < days {
			d := startDay + pp.leave
			until = &d
		}
		team := leaves[rng.IntN(len(leaves))]
		if rng.IntN(10) == 0 && (since == nil || *since < startDay+days-60) {
			// Moved to another team on some day of the period.
			lo := startDay + 30
			if since != nil {
				lo = *since + 30
			}
			hi := startDay + days - 30
			if until != nil {
				hi = *until - 1
			}
			if hi > lo {
				moved := lo + rng.IntN(hi-lo)
				other := leaves[rng.IntN(len(leaves))]
				if other != team {
					if err := db.AddTeamMember(ctx, team, pid, since, &moved, src); err != nil {
						return err
					}
					if err := db.AddTeamMember(ctx, other, pid, &moved, until, src); err != nil {
						return err
					}
					continue
				}
			}
		}
		if err := db.AddTeamMember(ctx, team, pid, since, until, src); err != nil {
			return err
		}
		if rng.IntN(8) == 0 {
			if err := db.AddTeamMember(ctx, guild, pid, since, until, src); err != nil {
				return err
			}
		}
	}
	return nil
}

func branchName(rng *rand.Rand) string {
	return strings.ToLower(strings.ReplaceAll(verbs[rng.IntN(len(verbs))]+"-"+nouns[rng.IntN(len(nouns))], " ", "-"))
}

// sha is a deterministic, well-spread commit hash.
func sha(seed uint64, repo, i int) string {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(repo))
	binary.LittleEndian.PutUint64(b[16:], uint64(i))
	s := sha1.Sum(b[:])
	return hex.EncodeToString(s[:])
}

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		out[i] = sum
	}
	return out
}

// pick draws an index with probability proportional to its weight.
func pick(rng *rand.Rand, cum []float64) int {
	x := rng.Float64() * cum[len(cum)-1]
	return min(sort.SearchFloat64s(cum, x), len(cum)-1)
}
