"""YAML checks of the Databricks App packaging, for tests/package/run.

Run with /usr/bin/python3 (Debian's python3-yaml and python3-jsonschema).

  check_yaml.py bundle SCHEMA FILE...   each FILE against the bundle JSON schema
  check_yaml.py app APP_YAML            the fields the Apps runtime reads
  check_yaml.py command APP_YAML        prints app.yaml's command, NUL-separated
  check_yaml.py env APP_YAML            prints its literal env, NAME=VALUE NUL-separated
  check_yaml.py consistency APP_YAML BUNDLE [PROVISIONED_BUNDLE]
                                        app.yaml and the bundles agree

Each check prints "ok   ..." or "FAIL ..." lines; the exit status is 1 if any
failed, 2 on a usage error.
"""

import json
import re
import sys

import yaml

failures = 0


def ok(msg):
    print("ok   " + msg)


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


# The bundle schema writes its ${var.x} patterns with \p{L} and \p{N}, which
# Python's re lacks. Rewritten for re's Unicode-aware classes: [^\W_] is a
# letter or a digit, [^\W\d_] a letter. Only these forms occur; anything else
# stops the check rather than pass unchecked.
def translate_pattern(p):
    q = p.replace(r"[\p{L}\p{N}]", r"[^\W_]").replace(r"\p{L}", r"[^\W\d_]").replace(
        r"\p{N}", r"\d")
    if r"\p{" in q or r"\P{" in q:
        raise ValueError("unsupported Unicode class in schema pattern %r" % p)
    return q


def bundle_validator(schema):
    import jsonschema
    from jsonschema import validators

    cache = {}

    def pattern(validator, patrn, instance, schema_):
        if not validator.is_type(instance, "string"):
            return
        rx = cache.get(patrn)
        if rx is None:
            rx = cache[patrn] = re.compile(translate_pattern(patrn))
        if not rx.search(instance):
            yield jsonschema.ValidationError("%r does not match %r" % (instance, patrn))

    base = validators.Draft202012Validator
    cls = validators.extend(base, {"pattern": pattern})
    return cls(schema)


def leaves(e):
    """The innermost errors under e (the branches of oneOf and anyOf)."""
    if not e.context:
        return [e]
    return [leaf for c in e.context for leaf in leaves(c)]


def is_var_branch(x):
    """An error of the "or a ${var...} string" alternative that the schema
    offers beside nearly every value: noise when the value is not such a
    string."""
    if x.validator == "type" and x.validator_value == "string":
        return True
    return x.validator == "pattern" and r"\$\{" in str(x.validator_value)


def best_errors(validator, doc):
    """Each error narrowed to what went wrong: the leaves under the oneOf
    branches, without those of the ${var...} alternative (unless nothing
    else is left)."""
    out = []
    for e in validator.iter_errors(doc):
        ls = leaves(e)
        ls = [x for x in ls if not is_var_branch(x)] or ls
        for x in ls:
            msg = "%s: %s" % ("/".join(str(p) for p in x.absolute_path) or "(top)", x.message)
            if msg not in out:
                out.append(msg)
    return out


def cmd_bundle(schema_path, files):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    v = bundle_validator(schema)
    for path in files:
        try:
            doc = load(path)
        except yaml.YAMLError as e:
            fail("%s is not valid YAML: %s" % (path, e))
            continue
        if not isinstance(doc, dict):
            fail("%s: not a mapping at the top" % path)
            continue
        errors = best_errors(v, doc)
        if errors:
            fail("%s does not match the bundle schema:\n  %s" % (path, "\n  ".join(errors)))
        else:
            ok("%s matches the bundle schema" % path)


def app_errors(doc):
    errs = []
    if not isinstance(doc, dict):
        return ["not a mapping at the top"]
    unknown = set(doc) - {"command", "env"}
    if unknown:
        errs.append("unknown top-level keys: %s" % ", ".join(sorted(unknown)))
    cmd = doc.get("command")
    if not isinstance(cmd, list) or not cmd:
        errs.append("command is not a non-empty list (the runtime does not run a shell line)")
    elif not all(isinstance(a, str) and a for a in cmd):
        errs.append("command has an item that is not a non-empty string: %r" % (cmd,))
    env = doc.get("env", [])
    if not isinstance(env, list):
        errs.append("env is not a list")
        env = []
    seen = set()
    for i, e in enumerate(env):
        if not isinstance(e, dict):
            errs.append("env[%d] is not a mapping" % i)
            continue
        name = e.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            errs.append("env[%d] has no valid name: %r" % (i, name))
        elif name in seen:
            errs.append("env %s is set twice" % name)
        else:
            seen.add(name)
        has_value, has_from = "value" in e, "valueFrom" in e
        if has_value == has_from:
            errs.append("env %s needs exactly one of value and valueFrom" % name)
        if has_value and not isinstance(e["value"], str):
            # YAML reads on, yes, 10 as bool or int: quote them.
            errs.append("env %s: value %r is not a string (quote it)" % (name, e["value"]))
        if has_from and not (isinstance(e["valueFrom"], str) and e["valueFrom"]):
            errs.append("env %s: valueFrom is not a resource key" % name)
        extra = set(e) - {"name", "value", "valueFrom"}
        if extra:
            errs.append("env %s: unknown keys %s" % (name, ", ".join(sorted(extra))))
    return errs


def cmd_app(path):
    errs = app_errors(load(path))
    if errs:
        fail("%s: %s" % (path, "; ".join(errs)))
    else:
        ok("%s: command is a list of strings; each env entry has a name and one of "
           "value/valueFrom" % path)


def cmd_command(path):
    doc = load(path)
    errs = app_errors(doc)
    if errs:
        print("check_yaml: %s: %s" % (path, "; ".join(errs)), file=sys.stderr)
        sys.exit(1)
    sys.stdout.write("".join(a + "\0" for a in doc["command"]))


def cmd_env(path):
    doc = load(path)
    errs = app_errors(doc)
    if errs:
        print("check_yaml: %s: %s" % (path, "; ".join(errs)), file=sys.stderr)
        sys.exit(1)
    sys.stdout.write("".join("%s=%s\0" % (e["name"], e["value"])
                             for e in doc.get("env", []) if "value" in e))


def app_resource(bundle_path):
    doc = load(bundle_path)
    return doc["resources"]["apps"]["lakefront"]


def cmd_consistency(app_path, bundle_path, provisioned_path=None):
    app = load(app_path)
    try:
        lf = app_resource(bundle_path)
    except (KeyError, TypeError):
        fail("%s declares no app with the key lakefront (bundle run lakefront)" % bundle_path)
        return
    names = {r.get("name") for r in lf.get("resources", []) if isinstance(r, dict)}
    froms = {e["valueFrom"] for e in app.get("env", []) if "valueFrom" in e}
    missing = froms - names
    if missing:
        fail("app.yaml valueFrom %s names no resource of the app in %s (it has %s)"
             % (sorted(missing), bundle_path, sorted(names)))
    else:
        ok("every valueFrom of app.yaml (%s) is a resource of the app in %s"
           % (", ".join(sorted(froms)), bundle_path))
    pg = [r for r in lf.get("resources", []) if "postgres" in r]
    if len(pg) == 1 and pg[0]["postgres"].get("permission") == "CAN_CONNECT_AND_CREATE":
        ok("%s: the app has one postgres resource with CAN_CONNECT_AND_CREATE" % bundle_path)
    else:
        fail("%s: the app needs one postgres resource with CAN_CONNECT_AND_CREATE" % bundle_path)
    if "config" in lf:
        fail("%s: the app sets config, which would replace app.yaml's command and env"
             % bundle_path)
    if provisioned_path:
        try:
            p = app_resource(provisioned_path)
        except (KeyError, TypeError):
            fail("%s declares no app with the key lakefront" % provisioned_path)
            return
        cmd = (p.get("config") or {}).get("command")
        if cmd == app.get("command"):
            ok("%s runs the same command as app.yaml" % provisioned_path)
        else:
            fail("%s: config.command %r differs from app.yaml's %r"
                 % (provisioned_path, cmd, app.get("command")))
        env = {e.get("name") for e in (p.get("config") or {}).get("env", [])}
        if "LAKEBASE_INSTANCE_NAME" in env and any("database" in r for r in p.get("resources", [])):
            ok("%s: a database resource and LAKEBASE_INSTANCE_NAME" % provisioned_path)
        else:
            fail("%s: needs a database resource and LAKEBASE_INSTANCE_NAME in config.env"
                 % provisioned_path)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    what, args = argv[1], argv[2:]
    if what == "bundle" and len(args) >= 2:
        cmd_bundle(args[0], args[1:])
    elif what == "app" and len(args) == 1:
        cmd_app(args[0])
    elif what == "command" and len(args) == 1:
        cmd_command(args[0])
    elif what == "env" and len(args) == 1:
        cmd_env(args[0])
    elif what == "consistency" and len(args) in (2, 3):
        cmd_consistency(*args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv)
