#!/usr/bin/env python3
"""Downloads two released versions of a few real packages and lists the source files that changed.

Usage: python3 fetch.py [--cache DIR]   (default: $RATIONALE_JUDGE_CACHE, else /tmp/rationale-judge-cache)

Python packages come from PyPI as wheels (`pip download`: a pure-Python wheel holds the sources and
needs no build step), JavaScript packages from npm as tarballs (`npm pack`). Each version is
unpacked under DIR/src/<name>-<version>/, and DIR/pairs.json lists every .py/.pyi/.js/.mjs/.cjs
file present in both versions whose text differs: {"package", "language", "path", "old", "new"}.
Files that exist in only one of the versions are left out: the judge follows edits to a file
that is open, and a new file is only additions.

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
    ("javascript", "express", "4.19.2", "5.0.0"),
    ("javascript", "debug", "4.3.4", "4.3.5"),
    ("javascript", "commander", "12.1.0", "13.0.0"),
    ("javascript", "minimist", "1.2.7", "1.2.8"),
    ("javascript", "semver", "7.5.4", "7.6.0"),
    ("javascript", "moment", "2.29.4", "2.30.0"),
]

EXTENSIONS = {"python": (".py", ".pyi"), "javascript": (".js", ".mjs", ".cjs")}


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
        archive.extractall(target, filter="data")


def fetch(cache):
    downloads = cache / "downloads"
    pairs = []
    for language, name, old, new in PACKAGES:
        roots = []
        for version in (old, new):
            target = cache / "src" / f"{name}-{version}"
            if not target.exists():
                print(f"fetching {name} {version}", file=sys.stderr)
                partial = target.with_name(target.name + ".partial")
                if partial.exists():
                    subprocess.run(["rm", "-rf", str(partial)], check=True)
                (fetch_python if language == "python" else fetch_javascript)(name, version, downloads, partial)
                partial.rename(target)
            roots.append(target)
        for path in sorted(roots[0].rglob("*")):
            if not path.is_file() or not path.name.endswith(EXTENSIONS[language]):
                continue
            relative = path.relative_to(roots[0])
            newer = roots[1] / relative
            if newer.is_file() and newer.read_bytes() != path.read_bytes():
                pairs.append({
                    "package": f"{name} {old} -> {new}",
                    "language": language,
                    "path": relative.as_posix(),
                    "old": str(path),
                    "new": str(newer),
                })
    (cache / "pairs.json").write_text(json.dumps(pairs, indent=1) + "\n")
    return pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=default_cache())
    args = parser.parse_args()
    pairs = fetch(args.cache)
    for pair in pairs:
        print(f"{pair['language']:<10} {pair['package']:<28} {pair['path']}")
    print(f"{len(pairs)} changed files; list in {args.cache / 'pairs.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
