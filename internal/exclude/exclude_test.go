package exclude

import "testing"

func TestExcluded(t *testing.T) {
	custom, err := New(false, []string{"*.pb.go", "docs/generated/*"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rules  *Rules
		path   string
		binary bool
		want   bool
	}{
		{Default(), "main.go", false, false},
		{Default(), "go.sum", false, true},
		{Default(), "web/package-lock.json", false, true},
		{Default(), "a/b/vendor/x/y.go", false, true},
		{Default(), "vendor/y.go", false, true},
		{Default(), "node_modules/react/index.js", false, true},
		{Default(), "src/third_party/lib.c", false, true},
		{Default(), "vendored/lib.go", false, false}, // a component, not a prefix
		{Default(), "my_vendor/lib.go", false, false},
		{Default(), "static/app.min.js", false, true},
		{Default(), "static/app.min.css", false, true},
		{Default(), "static/app.js.map", false, true},
		{Default(), "maps/world.mapping", false, false},
		{Default(), "logo.png", true, true},
		{None(), "go.sum", false, false},
		{None(), "vendor/a.go", false, false},
		{None(), "logo.png", true, true}, // binary is always excluded
		{custom, "api/v1/types.pb.go", false, true},
		{custom, "docs/generated/x.md", false, true},
		{custom, "docs/x.md", false, false},
	}
	for _, c := range cases {
		if got := c.rules.Excluded(c.path, c.binary); got != c.want {
			t.Errorf("Excluded(%q, binary=%v) = %v, want %v", c.path, c.binary, got, c.want)
		}
	}
	if _, err := New(false, []string{"[bad"}); err == nil {
		t.Error("a malformed glob was accepted")
	}
}
