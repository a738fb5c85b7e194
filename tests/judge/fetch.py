#!/usr/bin/env python3
"""Downloads two released versions of a few real packages and lists the source files that changed.

Usage: python3 fetch.py [--cache DIR] [--make-fixtures DIR]
  --cache DIR          where downloads go (default: $RATIONALE_JUDGE_CACHE, else /tmp/rationale-judge-cache)
  --make-fixtures DIR  also copy the committed CI subset (FIXTURES below), with each version's
                       license, into DIR: `python3 fetch.py --make-fixtures fixtures` rebuilds it

Python packages come from PyPI as wheels (`pip download`: a pure-Python wheel holds the sources and
needs no build step), JavaScript packages from npm as tarballs (`npm pack`). Each version is
unpacked under DIR/src/<name>-<version>/, and DIR/pairs.json lists every .py/.pyi/.js/.mjs/.cjs
file present in both versions whose text differs: {"package", "language", "path", "old", "new"}.
Files that exist in only one of the versions are left out: the judge follows edits to a file
that is open, and a new file is only additions. So are built files (BUILT below).

Nothing is downloaded twice: a version already unpacked is kept.
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

# Releases with moderate diffs: real edits to functions, classes, methods, comments and
# formatting. minimist 1.2.8 reformatted the whole package (a lint pass): a test that whitespace is
# not a change. express 5.0.0 and commander 13.0.0 are major releases (refactors, removals);
# click 8.1.8 moved to black 24 (`def f(): ...` on one line); moment 2.30.0 touches many locales.
PACKAGES = [
    ("python", "attrs", "22.2.0", "23.1.0"),
    ("python", "click", "8.1.7", "8.1.8"),
    ("python", "requests", "2.31.0", "2.32.3"),
    ("python", "tomli", "2.0.1", "2.1.0"),
    ("python", "httpx", "0.27.0", "0.28.0"),
    ("python", "markdown", "3.5.2", "3.6"),
    # Releases that edit one of several units of one name (see FIXTURES).
    ("python", "anyio", "4.3.0", "4.4.0"),
    ("python", "filelock", "3.13.1", "3.13.2"),
    ("python", "werkzeug", "3.0.2", "3.0.3"),
    ("javascript", "express", "4.19.2", "5.0.0"),
    ("javascript", "debug", "4.3.4", "4.3.5"),
    ("javascript", "commander", "12.1.0", "13.0.0"),
    ("javascript", "minimist", "1.2.7", "1.2.8"),
    ("javascript", "semver", "7.5.4", "7.6.0"),
    ("javascript", "moment", "2.29.4", "2.30.0"),
    ("javascript", "koa", "3.2.0", "3.3.0"),
    ("javascript", "resolve", "1.20.0", "1.21.0"),
    # npm packages that ship their TypeScript sources (.ts and .tsx), Go modules, crates.
    ("typescript", "rxjs", "7.8.0", "7.8.1"),
    ("typescript", "rxjs", "7.5.7", "7.6.0"),
    ("typescript", "immer", "10.0.3", "10.1.1"),
    ("typescript", "@tanstack/react-query", "5.59.0", "5.59.16"),
    ("go", "github.com/google/uuid", "v1.5.0", "v1.6.0"),
    ("go", "github.com/spf13/pflag", "v1.0.5", "v1.0.6"),
    ("rust", "semver", "1.0.22", "1.0.23"),
    ("rust", "anyhow", "1.0.86", "1.0.89"),
]

# By the language of a package: each extension's language (a TypeScript package has .tsx files).
EXTENSIONS = {
    "python": {".py": "python", ".pyi": "python"},
    "javascript": {".js": "javascript", ".mjs": "javascript", ".cjs": "javascript"},
    "typescript": {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"},
    "go": {".go": "go"},
    "rust": {".rs": "rust"},
}

# Built files nobody edits by hand: minified bundles and dist/ copies of the sources (moment ships
# its sources three times over, and minified names make every edit a rename).
BUILT = ("/min/", "/dist/", ".min.js", ".d.ts", ".d.mts", ".d.cts", "/build/", "/node_modules/")

# The committed subset that CI runs (tests/judge/fixtures, ~200 KB): (package, path) pairs chosen
# for what they exercise. tomli/_parser.py: a class typed in above another (the server's identity
# through half-typed code); httpx/_urlparse.py: a rename; click/decorators.py: black 24's one-line
# `def f(): ...` and a trailing comment removed from a nested function's last line;
# attr/filters.py: small and plain; commander/help.js: methods added, removed and renamed in a
# class; minimist/index.js: a whole-file reformat; express/utils.js: functions removed;
# moment/src/locale/bs.js: functions added in an object literal; immer's immerClass.ts and
# common.ts: class methods and overloads; react-query's QueryErrorResetBoundary.tsx: type aliases
# added in a TSX file; every Go pair (the Go module proxy may be out of reach, and the full run
# then replays these); anyhow's chain.rs: methods of trait impls; test_autotrait.rs: trait impls
# and nested functions added; kind.rs: methods of several trait impls edited.
# Same-named units, each with one of them edited (fixtures/README.md says which and why it is
# hard): anyio's _typedattr.py, `@overload` stubs before an implementation that changed; rxjs's
# tap.ts, the first two of four overload signatures merged into one; filelock's _unix.py, a class
# defined in both branches of an `if`; werkzeug's auth.py, a `@property` whose setter changed;
# koa's response.js, an object literal's getter and setter; resolve's mock_sync.js, functions
# written alike in several anonymous test callbacks.
# An entry is (package, path), or (package, path, old version) for a package listed twice.
FIXTURES = [
    ("tomli", "tomli/_parser.py"),
    ("httpx", "httpx/_urlparse.py"),
    ("click", "click/decorators.py"),
    ("attrs", "attr/filters.py"),
    ("commander", "package/lib/help.js"),
    ("minimist", "package/index.js"),
    ("express", "package/lib/utils.js"),
    ("moment", "package/src/locale/bs.js"),
    ("immer", "package/src/core/immerClass.ts"),
    ("immer", "package/src/utils/common.ts"),
    ("@tanstack/react-query", "package/src/QueryErrorResetBoundary.tsx"),
    ("github.com/google/uuid", "hash.go"),
    ("github.com/google/uuid", "uuid_test.go"),
    ("github.com/google/uuid", "version7.go"),
    ("github.com/spf13/pflag", "flag.go"),
    ("github.com/spf13/pflag", "flag_test.go"),
    ("github.com/spf13/pflag", "ip.go"),
    ("github.com/spf13/pflag", "ip_test.go"),
    ("github.com/spf13/pflag", "string_array.go"),
    ("anyhow", "src/chain.rs"),
    ("anyhow", "tests/test_autotrait.rs"),
    ("anyhow", "src/kind.rs"),
    ("anyio", "anyio/_core/_typedattr.py"),
    ("rxjs", "package/src/internal/operators/tap.ts", "7.5.7"),
    ("filelock", "filelock/_unix.py"),
    ("werkzeug", "werkzeug/datastructures/auth.py"),
    ("koa", "package/lib/response.js"),
    ("resolve", "package/test/mock_sync.js"),
]


def slug(name):
    """A package name as a folder name (`@tanstack/react-query`, `github.com/google/uuid`)."""
    return name.replace("@", "").replace("/", "+")


def default_cache():
    return Path(os.environ.get("RATIONALE_JUDGE_CACHE", "/tmp/rationale-judge-cache"))


def fetch_python(name, version, downloads, target):
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
         f"{name}=={version}", "--dest", str(downloads)],
        check=True,
    )
    prefix = f"{name.replace('-', '_')}-{version}-"
    wheel = next(p for p in downloads.iterdir() if p.name.lower().startswith(prefix.lower()) and p.suffix == ".whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)


def fetch_javascript(name, version, downloads, target):
    downloads.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(downloads)],
        check=True, capture_output=True, text=True,
    )
    tarball = downloads / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        try:
            archive.extractall(target, filter="data")
        except TypeError:  # a Python without extraction filters (before 3.11.4)
            archive.extractall(target)


def fetch_go(name, version, downloads, target):
    """A Go module from the module proxy (`go mod download`)."""
    env = dict(os.environ, GOMODCACHE=str(downloads / "gomod"), GOFLAGS="-mod=mod")
    out = subprocess.run(["go", "mod", "download", "-json", f"{name}@{version}"], capture_output=True, text=True,
                         env=env, cwd=downloads)
    info = json.loads(out.stdout or "{}")
    if out.returncode != 0 or "Dir" not in info:
        raise RuntimeError(info.get("Error") or out.stderr.strip())
    subprocess.run(["cp", "-r", info["Dir"], str(target)], check=True)
    subprocess.run(["chmod", "-R", "u+w", str(target)], check=True)


def fetch_rust(name, version, downloads, target):
    """A crate from crates.io, fetched by cargo into its registry through a throwaway project."""
    project = downloads / f"cargo-{name}-{version}"
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / "src" / "lib.rs").write_text("")
    (project / "Cargo.toml").write_text(
        f'[package]\nname = "fetch-{name}"\nversion = "0.0.0"\nedition = "2021"\n\n'
        f'[dependencies]\n{name} = "={version}"\n\n[workspace]\n'
    )
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--manifest-path", str(project / "Cargo.toml")],
                         check=True, capture_output=True, text=True)
    package = next(p for p in json.loads(out.stdout)["packages"] if p["name"] == name and p["version"] == version)
    subprocess.run(["cp", "-r", str(Path(package["manifest_path"]).parent), str(target)], check=True)


FETCHERS = {"python": "fetch_python", "javascript": "fetch_javascript", "typescript": "fetch_javascript",
            "go": "fetch_go", "rust": "fetch_rust"}


def fixture_pairs(package):
    """The committed fixture pairs of a package (`name old -> new`), for when its registry cannot be
    reached."""
    here = Path(__file__).resolve().parent / "fixtures"
    pairs = []
    for pair in json.loads((here / "pairs.json").read_text()):
        if pair["package"] == package:
            pairs.append(dict(pair, old=str(here / pair["old"]), new=str(here / pair["new"])))
    return pairs


def fetch(cache):
    downloads = cache / "downloads"
    pairs = []
    for language, name, old, new in PACKAGES:
        roots = []
        try:
            for version in (old, new):
                target = cache / "src" / f"{slug(name)}-{version}"
                if not target.exists():
                    print(f"fetching {name} {version}", file=sys.stderr)
                    partial = target.with_name(target.name + ".partial")
                    if partial.exists():
                        subprocess.run(["rm", "-rf", str(partial)], check=True)
                    partial.parent.mkdir(parents=True, exist_ok=True)
                    globals()[FETCHERS[language]](name, version, downloads, partial)
                    partial.rename(target)
                roots.append(target)
        except (RuntimeError, subprocess.CalledProcessError) as err:
            # The Go module proxy, say, is out of reach: the committed pairs stand in.
            print(f"cannot fetch {name} ({err}); using its committed fixtures", file=sys.stderr)
            pairs.extend(fixture_pairs(f"{name} {old} -> {new}"))
            continue
        for path in sorted(roots[0].rglob("*")):
            file_language = EXTENSIONS[language].get(path.suffix)
            if not path.is_file() or file_language is None:
                continue
            relative = path.relative_to(roots[0])
            if any(part in "/" + relative.as_posix() for part in BUILT):
                continue
            newer = roots[1] / relative
            if newer.is_file() and newer.read_bytes() != path.read_bytes():
                pairs.append({
                    "name": name,
                    "package": f"{name} {old} -> {new}",
                    "language": file_language,
                    "path": relative.as_posix(),
                    "old": str(path),
                    "new": str(newer),
                })
    (cache / "pairs.json").write_text(json.dumps(pairs, indent=1) + "\n")
    return pairs


def license_files(root):
    """The license texts a version ships (wheel metadata, or the npm package's root)."""
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.name.upper().startswith(("LICENSE", "LICENCE", "COPYING"))
        and "node_modules" not in p.parts
    )


def make_fixtures(cache, pairs, out):
    """Copies FIXTURES, each version's license and a pairs.json into `out` (tests/judge/fixtures)."""
    chosen = []
    for name, path, *version in FIXTURES:
        _, _, old, new = next(p for p in PACKAGES if p[1] == name and version in ([], [p[2]]))
        pair = next(p for p in pairs if p["name"] == name and p["path"] == path
                    and p["package"] == f"{name} {old} -> {new}")
        entry = {"name": name, "package": pair["package"], "language": pair["language"], "path": path}
        for side, version in (("old", old), ("new", new)):
            relative = Path(f"{slug(name)}-{version}") / path
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            if Path(pair[side]).resolve() != (out / relative).resolve():
                (out / relative).write_bytes(Path(pair[side]).read_bytes())
            entry[side] = relative.as_posix()
            for license_file in license_files(cache / "src" / f"{slug(name)}-{version}"):
                target = out / f"{slug(name)}-{version}" / license_file.name
                target.write_bytes(license_file.read_bytes())
        chosen.append(entry)
    (out / "pairs.json").write_text(json.dumps(chosen, indent=1) + "\n")
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("--make-fixtures", type=Path, metavar="DIR",
                        help="also copy the CI subset (FIXTURES) with licenses into DIR")
    args = parser.parse_args()
    pairs = fetch(args.cache)
    if args.make_fixtures:
        make_fixtures(args.cache, pairs, args.make_fixtures)
    for pair in pairs:
        print(f"{pair['language']:<10} {pair['package']:<28} {pair['path']}")
    print(f"{len(pairs)} changed files; list in {args.cache / 'pairs.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
