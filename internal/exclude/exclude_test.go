package exclude

import (
	"fmt"
	"strings"
	"testing"
)

// excludedByDefault are paths the default rules leave out, by rule.
var excludedByDefault = []string{
	// Lock files (metrics.md §2).
	"go.sum", "web/package-lock.json", "yarn.lock", "ui/pnpm-lock.yaml", "Cargo.lock",
	"poetry.lock", "Gemfile.lock", "composer.lock",
	// Vendored directories at any depth (metrics.md §2).
	"vendor/y.go", "a/b/vendor/x/y.go", "node_modules/react/index.js",
	"web/node_modules/.bin/tsc", "src/third_party/lib.c",
	// Minified assets and source maps (metrics.md §2).
	"static/app.min.js", "static/app.min.css", "static/app.js.map", "x.map",
	// go-enry's vendor rules.
	"Godeps/_workspace/src/github.com/x/y/z.go", "web/bower_components/jquery/dist/jquery.js",
	"static/js/jquery-3.1.1.min.js", "static/js/jquery-3.1.1.js", "static/js/jquery.js",
	"static/jquery-ui-1.12.1.custom.css", "js/jquery.dataTables.js", "app-min.js",
	"deps/lua/src/lapi.c", "Dependencies/sqlite/sqlite3.c", "lib/3rdparty/zlib/inflate.c",
	"ThirdParty/x.h", "src/third-party/x.go", "src/vendors/x.js", "Vendor/AFNetworking/x.m",
	"packages/Newtonsoft.Json.13.0.1/lib/net45/Newtonsoft.Json.xml", "config.guess",
	"build-aux/config.sub", "aclocal.m4", "m4/libtool.m4", "erlang.mk", "rebar",
	".yarn/releases/yarn-3.2.0.cjs", "static/react-dom.js", "static/d3.v5.js",
	"static/angular-route.js", "vendor-js/cordova-2.0.0.js", "css/font-awesome.css",
	"assets/font-awesome/scss/_icons.scss", "css/normalize.css", "css/bulma.css",
	"js/select2/select2.js", "CodeMirror/lib/codemirror.js", "ace-builds/src/ace.js",
	"static/MathJax/MathJax.js", "flow-typed/npm/lodash_v4.x.x.js", "waf",
	"Carthage/Checkouts/Alamofire/Source/AF.swift", "Frameworks/Realm.framework/Headers/Realm.h",
	"gradlew", "gradlew.bat", "gradle/wrapper/gradle-wrapper.properties", "mvnw", "mvnw.cmd",
	".mvn/wrapper/maven-wrapper.properties", "Scripts/jquery-1.10.2-vsdoc.js",
	"Scripts/jquery.validate.unobtrusive.js", "Scripts/MicrosoftAjax.debug.js",
	"ext/extjs/src/Button.js", "js/html5shiv.js", ".DS_Store", "a/.DS_Store",
	"App.xcassets/logo.imageset/Contents.json", "dotnet-install.sh", "tools/cpplint.py",
	".sublime-workspace", ".obsidian/workspace.json",
	// go-enry's generated-file rules that need only the path.
	"Forms/MainForm.Designer.cs", "ui/Form1.designer.vb", "Features/Login.feature.cs",
	"Godeps/Godeps.json", "Gopkg.lock", "glide.lock", "pdm.lock", "uv.lock", "deno.lock",
	"npm-shrinkwrap.json", "Pipfile.lock", "flake.lock", "MODULE.bazel.lock",
	"infra/.terraform.lock.hcl", "Cargo.toml.orig", ".pnp.cjs", ".pnp.loader.mjs",
	"ios/Pods/Alamofire/Source/AF.swift", "Pods/Manifest.lock", "Carthage/Build/iOS/x.h",
	".idea/workspace.xml", "src/__generated__/AppQuery.graphql.ts", "ext/kernel/main.zep.c",
	"src/MSXML2_TLB.pas", "htmlcov/index.html", ".sqlx/query-abc123.json",
	"Base.lproj/Main.nib", "App.xcodeproj/project.xcworkspace/contents.xcworkspacedata",
	"App.xcodeproj/project.xcworkspace/xcuserdata/me.xcuserdatad/UserInterfaceState.xcuserstate",
}

// keptByDefault are paths that must count: the team's own work, including
// what Linguist (hence go-enry) calls vendored but we do not (enry.go).
var keptByDefault = []string{
	"main.go", "cmd/sluice/main.go", "internal/ingest/ingest.go", "README.md", "docs/guide.md",
	"cmd/vendorctl/main.go", "src/vendorer.go", "vendored/lib.go", "my_vendor/lib.go",
	"maps/world.mapping", "admin.go", "min.go", "internal/store/store.go", "blocks/clock.go",
	"build.gradle", "app/build.gradle.kts", "settings.gradle", "pom.xml", "Makefile", "Dockerfile",
	"build/ci/Dockerfile", "build/package/sluice.spec",
	// Dropped Linguist rules.
	".github/workflows/ci.yml", ".github/CODEOWNERS", ".gitignore", ".gitattributes", ".gitmodules",
	".gitpod.Dockerfile", "Jenkinsfile", "Vagrantfile", ".teamcity/settings.kts",
	".vscode/launch.json", "project.sublime-project", "fabfile.py", ".osx", ".indent.pro",
	"internal/cache/lru.go", "cache/redis.go", "dist/sluice.service", "web/dist/index.html",
	"env/prod.yaml", "internal/env/env.go", "configure", "debian/control", "debian/rules",
	"testdata/golden.txt", "internal/exclude/testdata/x.go", "test/fixtures/user.json",
	"spec/fixtures/orders.yml", "tests/fixtures/a.json", "src/global.d.ts", "types/index.d.ts",
	"external/billing/client.go", "src/externals/api.py", "src/components/Chart.js",
	"src/store/effects.js", "src/controls.js", "src/dragdrop.js", "src/prototype.js",
	"resources/js/bootstrap.js", "styles/skeleton.scss", "styles/animate.scss",
	"styles/import.scss", "docs/_templates/layout.html", "docs/static/custom.css",
	"docs/build/conf.py", "R/inst/extdata/sample.csv", "app/proguard-rules.pro",
	"Templates/File.xctemplate/TemplateInfo.plist",
	// Narrowed Linguist rules: library file names, not directories.
	"web/react-app/src/index.js", "client/angular-app/src/main.js", "charts/d3-charts/bar.js",
	"cordova-app/www/js/index.js", "jquery-plugins/ours.js", "foundation.site/app.js",
	"packages/web/versioned_docs/version-2.0/intro.md", "packages/api/v1.2/handler.go",
	// The Go vendor name rule we drop (our vendor/ component rule covers Go).
	"tools/govendor/app.internal.go",
}

func TestExcluded(t *testing.T) {
	custom, err := New(false, []string{"*.pb.go", "docs/generated/*"})
	if err != nil {
		t.Fatal(err)
	}
	none, err := New(true, []string{"*.pb.go"})
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		rules  *Rules
		path   string
		binary bool
		want   bool
	}
	cases := []tc{
		{Default(), "logo.png", true, true},
		{None(), "logo.png", true, true}, // binary is always excluded
		{custom, "api/v1/types.pb.go", false, true},
		{custom, "docs/generated/x.md", false, true},
		{custom, "docs/x.md", false, false},
		{custom, "go.sum", false, true}, // globs add to the defaults
		{none, "api/v1/types.pb.go", false, true},
		{none, "go.sum", false, false},
		{nil, "go.sum", false, false},
		{nil, "logo.png", true, true},
	}
	for _, p := range excludedByDefault {
		cases = append(cases, tc{Default(), p, false, true}, tc{None(), p, false, false})
	}
	for _, p := range keptByDefault {
		cases = append(cases, tc{Default(), p, false, false}, tc{custom, p, false, false})
	}
	for _, c := range cases {
		if got := c.rules.Excluded(c.path, c.binary); got != c.want {
			t.Errorf("%s.Excluded(%q, binary=%v) = %v, want %v", name(c.rules), c.path, c.binary, got, c.want)
		}
	}
	if _, err := New(false, []string{"[bad"}); err == nil {
		t.Error("a malformed glob was accepted")
	}
	if !Default().ChecksGenerated() || None().ChecksGenerated() || none.ChecksGenerated() {
		t.Error("ChecksGenerated should follow the defaults")
	}
}

func name(r *Rules) string {
	switch {
	case r == nil:
		return "nil"
	case r.defaults:
		return fmt.Sprintf("Default+%q", r.globs)
	}
	return fmt.Sprintf("None+%q", r.globs)
}

func TestGeneratedHeader(t *testing.T) {
	long := strings.Repeat("x\n", 600)
	cases := []struct {
		head string
		want bool
	}{
		{"// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n", true},
		{"package x\n\n// Code generated by hand. DO NOT EDIT.\n", true},
		{"/* @generated by relay */\n", true},
		{"# This file is @generated by poetry\n", true},
		{"// Code generated by x\n// DO NOT EDIT\n", false}, // two lines: not the marker
		{"package x // generated code, feel free to edit\n", false},
		{long + "// Code generated. DO NOT EDIT.\n", false}, // past the first KiB
		{"", false},
	}
	for _, c := range cases {
		if got := GeneratedHeader([]byte(c.head)); got != c.want {
			t.Errorf("GeneratedHeader(%.40q) = %v, want %v", c.head, got, c.want)
		}
	}
}

func TestGeneratedContent(t *testing.T) {
	minified := "!function(e){" + strings.Repeat("var a=1,b=2;", 300) + "}();\n"
	code := strings.Repeat("function add(a, b) {\n  return a + b;\n}\n\n", 100)
	protoPy := "# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n# source: foo.proto\n"
	cases := []struct {
		path, head string
		want       bool
	}{
		// The header markers, on any file.
		{"api/v1/types.pb.go", "// Code generated by protoc-gen-go. DO NOT EDIT.\n// versions:\npackage v1\n", true},
		{"schema/x.ts", "/* @generated */\nexport type X = {};\n", true},
		// Autotools output, not a hand-written configure.
		{"configure", "#! /bin/sh\n# Guess values for system-dependent variables and create Makefiles.\n# Generated by GNU Autoconf 2.71 for hello 2.12.\n", true},
		{"Makefile.in", "# Makefile.in generated by automake 1.16.5 from Makefile.am.\n", true},
		{"configure", "#!/bin/sh\n#\n# FFmpeg configure script\n", false},
		// go-enry's content rules, which depend on the extension.
		{"gen/foo_pb2.py", protoPy, true},
		{"notes/foo_pb2.txt", protoPy, false},
		{"lib/models/user.g.dart", "// GENERATED CODE - DO NOT MODIFY BY HAND\n\npart of 'user.dart';\n", true},
		{"src/ext.c", "/* Generated by Cython 3.0.0 */\n\n#define PY_SSIZE_T_CLEAN\n", true},
		{"gen/Service.java", "/**\n * Autogenerated by Thrift Compiler (0.19.0)\n *\n * DO NOT EDIT UNLESS YOU ARE SURE\n */\n", true},
		{"src/Tables.java", "/*\n * This file is generated by jOOQ.\n */\npackage x;\n", true},
		{"include/x_jni.h", "/* DO NOT EDIT THIS FILE - it is machine generated */\n#include <jni.h>\n", true},
		{"src/parser.js", "/* parser generated by jison 0.4.18 */\nvar parser = {};\n", true},
		{"cpp/helloworld.grpc.pb.cc", "// Generated by the gRPC C++ plugin.\n// If you make any local change, they will be lost.\n", true},
		{"man/sluice.1.html", "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"generator\" content=\"groff -Thtml\">\n</head>\n", true},
		{"site/index.html", "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n</head>\n", false},
		{"web/bundle.js", minified, true},
		{"web/theme.css", minified, true},
		{"web/app.js", code, false},
		{"web/notes.txt", minified, false},
		{"web/app.js", code + minified, false}, // judged on the first HeaderSize bytes
		{"out/app.json", `{"version":3,"sources":["a.ts"],"names":[],"mappings":"AAAA"}`, true},
		// Dropped enry rules: a hand-written Go file that mentions a
		// generator, a trailing source map reference.
		{"tools/gen/main.go", "// Command gen writes x_string.go.\n//\n// Code generated by gen starts with a header.\npackage main\n", false},
		{"web/app.js", "function f() {}\n//# sourceMappingURL=app.js.map\n", false},
		{"main.go", "package main\n\nfunc main() {}\n", false},
		{"main.go", "", false},
	}
	for _, c := range cases {
		if got := GeneratedContent(c.path, []byte(c.head)); got != c.want {
			t.Errorf("GeneratedContent(%q, %.40q) = %v, want %v", c.path, c.head, got, c.want)
		}
	}
}

// typicalPaths are what most file changes look like.
var typicalPaths = []string{
	"internal/ingest/ingest.go", "internal/ingest/ingest_test.go", "cmd/sluice/main.go",
	"README.md", "go.mod", "web/src/components/Dashboard/Chart.tsx", "web/src/index.ts",
	"web/package.json", "src/main/java/com/example/service/UserService.java",
	"src/main/resources/application.yaml", "app/models/user.rb", "lib/store/store.py",
	"docs/metrics.md", ".github/workflows/ci.yml", "Makefile", "kernel/sched/core.c",
	"include/linux/sched.h", "pkg/api/v1/types.go", "tests/test_api.py", "Dockerfile",
}

var sink bool

// BenchmarkExcluded measures the default rules on typical paths, as
// ingest sees them: directories recur, so their verdicts are cached.
func BenchmarkExcluded(b *testing.B) {
	r := Default()
	for _, p := range typicalPaths {
		r.Excluded(p, false)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = r.Excluded(typicalPaths[i%len(typicalPaths)], false)
	}
}

// BenchmarkExcludedNewDirectory measures the worst case: every path in a
// directory not seen before.
func BenchmarkExcludedNewDirectory(b *testing.B) {
	r := Default()
	paths := make([]string, b.N)
	for i := range paths {
		paths[i] = fmt.Sprintf("src/module%d/sub/%s", i, typicalPaths[i%len(typicalPaths)])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = r.Excluded(paths[i], false)
	}
}

func BenchmarkGeneratedContent(b *testing.B) {
	head := []byte(strings.Repeat("func add(a, b int) int {\n\treturn a + b\n}\n\n", 100))[:HeaderSize]
	for i := 0; i < b.N; i++ {
		sink = GeneratedContent(typicalPaths[i%len(typicalPaths)], head)
	}
}
