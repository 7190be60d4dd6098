#!/usr/bin/env python3
"""Validates JSON files against one of doc/schema/*.schema.json (the others are there for its
$refs, by their $id). Exit 0 when every file is valid, 1 with each error named, 2 on usage.
    usage: tests/schema-check.py SCHEMA FILE...   (FILE "-": stdin)
Works with Debian's python3-jsonschema, old (RefResolver) and new (referencing) alike."""
import glob
import json
import os
import sys

import jsonschema


def validator_for(path):
    schemas = {}
    for p in glob.glob(os.path.join(os.path.dirname(os.path.abspath(path)), "*.schema.json")):
        with open(p) as f:
            s = json.load(f)
        schemas[s.get("$id", p)] = s
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources(
            (i, Resource.from_contents(s)) for i, s in schemas.items())
        return cls(schema, registry=reg)
    except ImportError:
        resolver = jsonschema.RefResolver.from_schema(schema, store=schemas)
        return cls(schema, resolver=resolver)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    v = validator_for(argv[1])
    bad = 0
    for name in argv[2:]:
        try:
            doc = json.load(sys.stdin if name == "-" else open(name))
        except ValueError as e:
            print("%s: not JSON: %s" % (name, e))
            bad += 1
            continue
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print("%s: %s: %s" % (name, where, e.message))
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
