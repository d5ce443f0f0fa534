package store

import (
	"strconv"
	"strings"
	"time"
)

// CommitRecord is the exported shape of a commit: the rows of
// `sluice export commits` (JSON lines and CSV) and of GET /api/v1/commits.
// Fields added here appear in every export at once.
type CommitRecord struct {
	SHA            string   `json:"sha"`
	Repo           string   `json:"repo"`
	AuthorName     string   `json:"author_name"`
	AuthorEmail    string   `json:"author_email"`
	AuthorTime     string   `json:"author_time"` // RFC 3339 in the author's own offset
	CommitterName  string   `json:"committer_name"`
	CommitterEmail string   `json:"committer_email"`
	CommitterTime  string   `json:"committer_time"`
	Subject        string   `json:"subject"`
	IsMerge        bool     `json:"is_merge"`
	Parents        []string `json:"parents"` // [] for a root commit, never null
	Additions      int      `json:"additions"`
	Deletions      int      `json:"deletions"`
	FilesChanged   int      `json:"files_changed"`
	// Line provenance (metrics.md §3-§4), zero for merge commits.
	Hunks          int  `json:"hunks"`
	HALOC          int  `json:"haloc"`
	NewWork        int  `json:"new_work"`
	LegacyRefactor int  `json:"legacy_refactor"`
	HelpOthers     int  `json:"help_others"`
	Rework         int  `json:"rework"`
	Outlier        bool `json:"outlier"` // HALOC > analysis.outlier_haloc
	// Person is the key of the author's person (metrics.md §1): the
	// lowercased e-mail, github:LOGIN, or the key the person was merged
	// into. Impact is the commit's impact (docs/metrics.md), 2 decimals.
	Person string  `json:"person"`
	Impact float64 `json:"impact"`
}

// CommitColumns are the CSV header of CommitRecord.CSV, in its order.
var CommitColumns = []string{"sha", "repo", "author_name", "author_email", "author_time", "committer_name",
	"committer_email", "committer_time", "subject", "is_merge", "parents", "additions", "deletions", "files_changed",
	"hunks", "haloc", "new_work", "legacy_refactor", "help_others", "rework", "outlier", "person", "impact"}

// Record returns the row's exported shape.
func (c CommitRow) Record() CommitRecord {
	parents := c.Parents
	if parents == nil {
		parents = []string{}
	}
	return CommitRecord{
		SHA: c.SHA, Repo: c.Repo,
		AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail, AuthorTime: c.AuthorTime.Format(time.RFC3339),
		CommitterName: c.CommitterName, CommitterEmail: c.CommitterEmail, CommitterTime: c.CommitterTime.Format(time.RFC3339),
		Subject: c.Subject, IsMerge: c.IsMerge, Parents: parents,
		Additions: c.Additions, Deletions: c.Deletions, FilesChanged: c.FilesChanged,
		Hunks: c.Hunks, HALOC: c.HALOC, NewWork: c.NewWork,
		LegacyRefactor: c.LegacyRefactor, HelpOthers: c.HelpOthers, Rework: c.Rework, Outlier: c.Outlier,
		Person: c.Person, Impact: float64(c.Impact) / 100,
	}
}

// CSV returns the record's fields in CommitColumns order (parents
// space-separated).
func (r CommitRecord) CSV() []string {
	return []string{r.SHA, r.Repo, r.AuthorName, r.AuthorEmail, r.AuthorTime, r.CommitterName,
		r.CommitterEmail, r.CommitterTime, r.Subject, strconv.FormatBool(r.IsMerge), strings.Join(r.Parents, " "),
		strconv.Itoa(r.Additions), strconv.Itoa(r.Deletions), strconv.Itoa(r.FilesChanged),
		strconv.Itoa(r.Hunks), strconv.Itoa(r.HALOC), strconv.Itoa(r.NewWork),
		strconv.Itoa(r.LegacyRefactor), strconv.Itoa(r.HelpOthers), strconv.Itoa(r.Rework), strconv.FormatBool(r.Outlier),
		r.Person, strconv.FormatFloat(r.Impact, 'f', 2, 64)}
}
