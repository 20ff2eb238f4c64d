#!/usr/bin/env python3
"""The import rules of docs/architecture.md, checked: which crate may depend on which,
and which source files may name protobuf, the database or the network.

Run from anywhere: `python3 scripts/check_layers.py`. Exits 1 and lists every breach.
It checks itself first on a made-up tree with one breach of each rule, so a rule that
stopped matching anything fails here rather than passing in silence.
"""

import os
import re
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Layers, bottom up. A crate may depend on the crates listed for it and nothing else of
# ours. Services never depend on one another: they talk over gRPC.
DOMAIN, ENGINE, PROTO, PLATFORM = (
    "hallguard-domain",
    "hallguard-tracing-engine",
    "hallguard-proto",
    "hallguard-platform",
)
SERVICES = {
    "hallguard-screening",
    "hallguard-staff-health",
    "hallguard-incident",
    "hallguard-contact-tracing",
}
ALLOWED = {
    DOMAIN: set(),
    ENGINE: set(),
    PROTO: set(),
    PLATFORM: {DOMAIN, PROTO},
    "hallguard-screening": {DOMAIN, PROTO, PLATFORM},
    "hallguard-staff-health": {DOMAIN, PROTO, PLATFORM},
    "hallguard-incident": {DOMAIN, PROTO, PLATFORM},
    "hallguard-contact-tracing": {DOMAIN, PROTO, PLATFORM, ENGINE},
    # The binary and the end-to-end tests assemble everything.
    "hallguard": {DOMAIN, PROTO, PLATFORM, ENGINE} | SERVICES,
    "hallguard-tests": {DOMAIN, PROTO, PLATFORM, ENGINE} | SERVICES | {"hallguard"},
}

# Words a source file of a pure layer must not contain (outside comments).
IO_WORDS = re.compile(r"\b(sqlx|tonic|prost|prost_types|hallguard_proto|hallguard_platform|tokio)\b")
# What a store must not name: protobuf, or the gRPC layer.
PROTO_WORDS = re.compile(r"\b(hallguard_proto|pb::|prost_types|tonic)\b")
# SQL being run.
SQL_WORDS = re.compile(r"\b(sqlx::query\w*|query_as|query_scalar)\b")


def code_lines(text):
    """The lines of Rust source without `//` comments (doc comments may name anything)."""
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("//", 1)[0]
        if code.strip():
            yield number, code


def is_store(path):
    """Stores: `store.rs`, `*_store.rs` or any file under a `store/` folder."""
    parts = path.split(os.sep)
    name = parts[-1]
    return name == "store.rs" or name.endswith("_store.rs") or "store" in parts[:-1]


def violations(crates):
    """Every breach in `crates`: name -> {"dir", "deps", "sources": {path: text}}."""
    found = []
    for name, crate in sorted(crates.items()):
        if name not in ALLOWED:
            found.append(f"{crate['dir']}: crate {name} has no place in the layers (add it to ALLOWED)")
            continue
        for dep in sorted(crate["deps"]):
            if dep.startswith("hallguard") and dep != name and dep not in ALLOWED[name]:
                found.append(f"{crate['dir']}/Cargo.toml: {name} may not depend on {dep}")
        for path, text in sorted(crate["sources"].items()):
            pure = name in (DOMAIN, ENGINE) and "/src/" in f"/{path}"
            for number, code in code_lines(text):
                if pure and (word := IO_WORDS.search(code)):
                    found.append(f"{path}:{number}: {name} is pure and may not use {word.group(1)}")
                if is_store(path) and (word := PROTO_WORDS.search(code)):
                    found.append(f"{path}:{number}: a store takes and returns domain types, not {word.group(1)}")
                if name in SERVICES and not is_store(path) and (word := SQL_WORDS.search(code)):
                    found.append(f"{path}:{number}: SQL belongs in the service's store, not here ({word.group(1)})")
                for other in SERVICES - {name}:
                    if name in SERVICES and re.search(rf"\b{other.replace('-', '_')}\b", code):
                        found.append(f"{path}:{number}: {name} may not use another service ({other})")
    return found


def read_tree(root):
    members = tomllib.load(open(os.path.join(root, "Cargo.toml"), "rb"))["workspace"]["members"]
    crates = {}
    for member in members:
        directory = os.path.join(root, member)
        manifest = tomllib.load(open(os.path.join(directory, "Cargo.toml"), "rb"))
        deps = set()
        for table in ("dependencies", "dev-dependencies", "build-dependencies"):
            deps |= set(manifest.get(table, {}))
        sources = {}
        for folder, _, files in os.walk(os.path.join(directory, "src")):
            for file in files:
                if file.endswith(".rs"):
                    path = os.path.join(folder, file)
                    sources[os.path.relpath(path, root)] = open(path, encoding="utf-8").read()
        crates[manifest["package"]["name"]] = {"dir": member, "deps": deps, "sources": sources}
    return crates


def self_test():
    """One breach of each rule in a made-up tree: each must be reported."""
    fake = {
        DOMAIN: {"dir": "domain", "deps": {"sqlx"}, "sources": {"domain/src/time.rs": "use sqlx::AnyPool;\n"}},
        ENGINE: {"dir": "tracing-engine", "deps": {PLATFORM}, "sources": {}},
        "hallguard-incident": {
            "dir": "services/incident",
            "deps": {"hallguard-screening"},
            "sources": {
                "services/incident/src/store/records.rs": "// pb:: in a comment is fine\nuse hallguard_proto::incident::v1 as pb;\n",
                "services/incident/src/steps.rs": "use hallguard_screening::x;\n",
                "services/incident/src/hygiene.rs": "let n = sqlx::query_scalar(\"SELECT 1\");\n",
            },
        },
        "hallguard-unknown": {"dir": "x", "deps": set(), "sources": {}},
    }
    found = violations(fake)
    expected = [
        "domain/src/time.rs:1",
        "tracing-engine/Cargo.toml: hallguard-tracing-engine may not depend on hallguard-platform",
        "services/incident/Cargo.toml: hallguard-incident may not depend on hallguard-screening",
        "services/incident/src/store/records.rs:2",
        "services/incident/src/steps.rs:1",
        "services/incident/src/hygiene.rs:1",
        "crate hallguard-unknown has no place",
    ]
    missing = [e for e in expected if not any(e in f for f in found)]
    if missing or len(found) != len(expected):
        sys.exit(f"check_layers self-test failed: missing {missing}, found {found}")


def main():
    self_test()
    found = violations(read_tree(ROOT))
    for line in found:
        print(line)
    if found:
        sys.exit(f"{len(found)} breach(es) of the layer rules (docs/architecture.md)")
    print("layer rules hold")


if __name__ == "__main__":
    main()
