"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the live catalog.

Three things are proved. The document is valid OpenAPI 3.1, by a real
validator (@apidevtools/swagger-parser, run by node from tests/openapi, which
tests/deps.sh installs) and by the rules that validator leaves out for 3.x
(unique operationIds, every {parameter} declared, every $ref resolving,
every schema a valid JSON Schema 2020-12). What lakefront returns validates
against it (Debian's python3-jsonschema): every row of lf_test.fidelity,
rows of every served table fetched through the paths the document gives,
batch and select responses, errors and the catalog bodies. And it follows
the catalog: a table created and altered under a running server appears in
it after SIGHUP, and goes when dropped.

One lakefront serves the tests of this file (started on first use); the
catalog test starts its own.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import urllib.parse

import jsonschema

import lf

_shared = lf.SharedServer()

OPENAPI_DIR = os.path.join(lf.ROOT, "tests", "openapi")
VALIDATE = os.path.join(OPENAPI_DIR, "validate.mjs")
DOC = "/api/v1/openapi.json"
COMPONENT_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
TEMPLATE_PARAM = re.compile(r"\{([^{}]*)\}")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def server():
    return _shared.get()


def q(s):
    """A path segment or query value: every byte but the unreserved ones encoded."""
    return urllib.parse.quote(s, safe="")


def qi(name):
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def get_doc(s=None):
    r = (s or server()).get(DOC)
    if r.status != 200 or not isinstance(r.json, dict):
        raise AssertionError("GET %s: %r" % (DOC, r))
    return r.json


def lookup(path, body, s=None):
    c = (s or server()).connect()
    try:
        c.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = c.getresponse()
        return lf.Response(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                           resp.read().decode())
    finally:
        c.close()


def deref(doc, obj):
    """obj, or what its "$ref" (a local JSON Pointer) names."""
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        if not ref.startswith("#/"):
            raise AssertionError("non-local $ref %r" % ref)
        obj = doc
        for tok in ref[2:].split("/"):
            tok = urllib.parse.unquote(tok).replace("~1", "/").replace("~0", "~")
            obj = obj[int(tok)] if isinstance(obj, list) else obj[tok]
    return obj


class Schemas:
    """Validators for the document's schemas, with #/components/... refs
    resolving: each schema is wrapped in an object that carries the
    document's components."""

    def __init__(self, doc):
        self.doc = doc
        self.cache = {}

    def validator(self, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self.cache:
            self.cache[key] = jsonschema.Draft202012Validator(
                dict(schema, components=self.doc["components"]))
        return self.cache[key]

    def check(self, schema, instance, what):
        errors = sorted(self.validator(schema).iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            raise AssertionError("%s does not validate against %s:\n%s\ninstance: %s" % (
                what, json.dumps(schema)[:300],
                "\n".join("  at %s: %s" % (list(e.absolute_path), e.message[:300])
                          for e in errors[:8]),
                json.dumps(instance)[:1500]))

    def row(self, comp, row, what):
        self.check({"$ref": "#/components/schemas/" + comp}, row, what)

    def subset(self, comp, row, names, what):
        """A select response: exactly the named columns, in that order, each
        valid by its column's property schema."""
        props = self.doc["components"]["schemas"][comp]["properties"]
        if list(row) != list(names):
            raise AssertionError("%s: members %r, want %r" % (what, list(row), list(names)))
        for k, v in row.items():
            self.check(props[k], v, "%s, column %s" % (what, k))

    def response(self, op, status, body, what):
        """body against the schema of op's response `status`."""
        resp = deref(self.doc, op["responses"][str(status)])
        self.check(resp["content"]["application/json"]["schema"], body, what)


class TableDoc:
    """What the document says about one table: its row schema's component
    name, and its three path items."""

    def __init__(self, doc, comp):
        self.comp = comp
        self.schema = doc["components"]["schemas"][comp]
        self.name = self.schema["x-lakefront-table"]
        ref = "#/components/schemas/" + comp
        self.path_form = self.query_form = self.lookup = None
        for path, item in doc["paths"].items():
            if "post" in item:
                anyof = (item["post"]["responses"]["200"]["content"]["application/json"]
                         ["schema"]["properties"]["rows"]["items"]["anyOf"])
                if anyof[0].get("$ref") == ref:
                    self.lookup = path
                continue
            ok = item.get("get", {}).get("responses", {}).get("200", {})
            schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") != ref:
                continue
            if "{" in path:
                self.path_form = path
            else:
                self.query_form = path

    def params(self, doc, path, where):
        return [p for p in (deref(doc, x) for x in doc["paths"][path].get("parameters", []))
                if p["in"] == where]


def tables_of(doc):
    """TableDoc per table name."""
    out = {}
    for comp, schema in doc["components"]["schemas"].items():
        if "x-lakefront-table" in schema:
            td = TableDoc(doc, comp)
            out[td.name] = td
    return out


def validate_with_node(t, doc):
    """Runs the real validator; returns its verdict line."""
    installed = os.path.join(OPENAPI_DIR, "node_modules", "@apidevtools", "swagger-parser")
    if not os.path.isdir(installed):
        raise AssertionError("tests/openapi/node_modules is missing: run tests/deps.sh "
                             "(npm ci in tests/openapi)")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    try:
        out = subprocess.run(["node", VALIDATE, f.name], capture_output=True, text=True,
                             timeout=120)
    finally:
        os.unlink(f.name)
    t.true(out.returncode == 0 and out.stdout.startswith("valid: OpenAPI 3.1.0"),
           "swagger-parser refuses the document (exit %d):\n%s%s" %
           (out.returncode, out.stdout, out.stderr[-4000:]))
    return out.stdout.strip()


def check_rules(t, doc):
    """What the OpenAPI 3.1 spec asks and swagger-parser does not check for 3.x."""
    for kind, entries in doc["components"].items():
        for name in entries:
            t.true(COMPONENT_NAME.match(name), "component name %s/%r" % (kind, name))
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    ids = []
    for path, item in doc["paths"].items():
        t.true(path.startswith("/"), "path %r" % path)
        ops = {m: op for m, op in item.items() if m in METHODS}
        t.true(ops, "%s has no operation" % path)
        declared = {(p["name"], p["in"]) for p in
                    (deref(doc, x) for x in item.get("parameters", []))}
        for m, op in ops.items():
            t.true(op.get("operationId"), "%s %s has no operationId" % (m, path))
            t.true(op.get("tags"), "%s %s has no tags" % (m, path))
            ids.append(op["operationId"])
            own = {(p["name"], p["in"]) for p in
                   (deref(doc, x) for x in op.get("parameters", []))}
            names = TEMPLATE_PARAM.findall(path)
            t.eq(len(names), len(set(names)), "template parameters of %s unique" % path)
            for n in names:
                t.true((n, "path") in own | declared,
                       "%s %s: {%s} is not a declared path parameter" % (m, path, n))
            for n, where in own | declared:
                if where == "path":
                    t.true(n in names, "%s %s: path parameter %s not in the template" %
                           (m, path, n))
        literal = TEMPLATE_PARAM.sub("", path)
        for c in "{}?# %":
            if c == "%":
                t.true(re.fullmatch(r"([^%]|%[0-9A-F]{2})*", literal), "bad %% in %r" % path)
            else:
                t.true(c not in literal, "%r in the literal part of %r" % (c, path))
        # Every $ref resolves (deref raises otherwise).
        for ref in re.findall(r'"\$ref": "([^"]*)"', json.dumps(item)):
            deref(doc, {"$ref": ref})
    t.eq(len(ids), len(set(ids)), "operationIds unique")


# ------------------------------------------------------------ the document


def test_document_is_valid_openapi_3_1(t):
    r = server().get(DOC)
    t.eq(r.status, 200, "status %r" % r)
    t.eq(r.headers.get("content-type"), "application/json", "Content-Type")
    t.true(r.headers.get("x-request-id"), "X-Request-Id")
    doc = r.json
    verdict = validate_with_node(t, doc)
    t.true("paths" in verdict, verdict)
    check_rules(t, doc)
    t.eq(doc["openapi"], "3.1.0", "openapi")
    t.eq(doc["info"]["title"], "lakefront", "info.title")
    version = subprocess.run([os.environ["LAKEFRONT_BIN"], "--version"], capture_output=True,
                             text=True, timeout=10).stdout.splitlines()[0].split()
    t.eq(doc["info"]["version"], version[1], "info.version is the binary's version")
    t.true("jsonSchemaDialect" not in doc, "jsonSchemaDialect left to its default")


def test_paths_and_schemas_follow_the_tables(t):
    doc = get_doc()
    listed = server().get("/api/v1/tables").json["tables"]
    for path in ("/healthz", "/readyz", "/api/v1/status", "/api/v1/tables",
                 "/api/v1/tables/{name}", DOC):
        t.true(path in doc["paths"] and "get" in doc["paths"][path], "GET %s documented" % path)
    t.eq(doc["paths"]["/api/v1/tables/{name}"]["get"]["parameters"][0]["schema"]["enum"],
         [x["name"] for x in listed], "the metadata path names every table")
    tables = tables_of(doc)
    t.eq(sorted(tables), sorted(x["name"] for x in listed), "one row schema per served table")
    for x in listed:
        td = tables[x["name"]]
        t.eq(td.schema["type"], "object", x["name"])
        t.eq(td.schema["additionalProperties"], False, x["name"])
        cols = [c["name"] for c in x["columns"]]
        t.eq(list(td.schema["properties"]), cols, "%s properties in column order" % x["name"])
        t.eq(td.schema["required"], cols, "%s: every column required" % x["name"])
        for c in x["columns"]:
            t.eq(td.schema["properties"][c["name"]]["x-postgres-type"], c["type"],
                 "%s.%s x-postgres-type" % (x["name"], c["name"]))
        t.true(td.path_form and td.query_form and td.lookup, "%s: three paths" % x["name"])
        t.eq(urllib.parse.unquote(td.path_form.split("/")[4]), x["name"], "table in the path")
        t.eq(len(TEMPLATE_PARAM.findall(td.path_form)), len(x["primary_key"]),
             "%s: one path parameter per key column" % x["name"])
        t.eq([p["name"] for p in td.params(doc, td.query_form, "query") if p["required"]],
             x["primary_key"], "%s: key columns as required query parameters" % x["name"])

    p = doc["paths"]
    t.true("/api/v1/tables/gold.customer_features/rows/{customer_id}" in p, "customer path")
    t.true("/api/v1/tables/gold.daily_store_sales/rows/{store_id}/{sale_date}" in p,
           "composite key path")
    t.true("/api/v1/tables/lf_test.composite/rows/{a}/{b}/{c}" in p, "three-column key path")
    t.true("/api/v1/tables/gold.customer_features/rows" in p, "query form")
    t.true("/api/v1/tables/gold.customer_features/lookup" in p, "lookup")
    t.true("/api/v1/tables/lf_test.odd_columns/rows/{Id}" in p, "a key called Id keeps its case")
    # A key column named select: ?select= is that key, so no select parameter.
    sel = tables["lf_test.select_key"]
    t.eq([x["name"] for x in sel.params(doc, sel.query_form, "query")], ["select"],
         "select_key query parameters")
    cf = tables["gold.customer_features"]
    t.eq([x["name"] for x in cf.params(doc, cf.query_form, "query")],
         ["customer_id", "select"], "customer_features query parameters")
    get = p[cf.path_form]["get"]
    t.eq(sorted(get["responses"]), ["200", "304", "400", "404", "502", "503", "504"], "responses")
    t.eq(sorted(deref(doc, get["responses"]["200"])["headers"]),
         ["Cache-Control", "ETag", "X-Request-Id"], "200 headers")
    t.true("head" in p[cf.path_form] and "head" in p[cf.query_form], "HEAD documented")
    post = p[cf.lookup]["post"]
    t.eq(sorted(post["responses"]), ["200", "400", "404", "413", "415", "502", "503", "504"],
         "lookup responses")
    body = post["requestBody"]["content"]["application/json"]["schema"]
    t.eq(body["required"], ["keys"], "lookup body required")
    t.eq(body["additionalProperties"], False, "lookup body closed")
    t.eq(body["properties"]["keys"]["maxItems"], 1000, "lookup maxItems")
    t.eq(body["properties"]["select"]["items"]["enum"], list(cf.schema["properties"]),
         "select names are the columns")


def test_lookup_limit_follows_the_setting(t):
    s = t.server(["--batch-max-keys", "7"])
    doc = get_doc(s)
    post = doc["paths"]["/api/v1/tables/gold.customer_features/lookup"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    t.eq(body["properties"]["keys"]["maxItems"], 7, "maxItems is LAKEFRONT_BATCH_MAX_KEYS")


def test_known_column_types(t):
    doc = get_doc()
    props = doc["components"]["schemas"]["gold.customer_features"]["properties"]
    special = {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}

    cid = props["customer_id"]
    t.eq((cid["type"], cid["format"]), ("integer", "int64"), "customer_id: not null bigint")
    t.eq(props["customer_name"]["type"], "string", "customer_name: NOT NULL, no null")
    t.eq(props["email"]["type"], ["string", "null"], "email: nullable text")
    t.eq(props["lifetime_value"]["anyOf"], [{"type": "number"}, special, {"type": "null"}],
         "lifetime_value: numeric(38,10)")
    t.eq(props["avg_basket"]["anyOf"][0], {"type": "number", "format": "double"}, "avg_basket")
    t.eq(props["churn_score"]["anyOf"][0], {"type": "number", "format": "float"}, "churn_score")
    t.eq(props["orders_90d"]["type"], ["integer", "null"], "orders_90d")
    t.eq(props["orders_90d"]["format"], "int32", "orders_90d format")
    t.eq((props["loyalty_tier"]["format"], props["loyalty_tier"]["minimum"],
          props["loyalty_tier"]["maximum"]), ("int32", -32768, 32767), "loyalty_tier smallint")
    t.eq(props["is_active"]["type"], ["boolean", "null"], "is_active")
    for col in ("tags", "preferences"):
        extra = set(props[col]) - {"description", "x-postgres-type"}
        t.eq(extra, set(), "%s (jsonb): any value, no type" % col)
        t.eq(props[col]["x-postgres-type"], "jsonb", col)
    for col in ("signup_date", "last_seen_at", "updated_at", "avatar"):
        t.eq(props[col]["type"], ["string", "null"], col)
        t.true("format" not in props[col], "%s: no format (infinity, BC)" % col)
    t.true("infinity" in props["last_seen_at"]["description"], "timestamptz shape described")

    sales = doc["components"]["schemas"]["gold.daily_store_sales"]["properties"]
    t.eq(sales["region"]["type"], "string", "region: NOT NULL")
    t.eq(sales["store_id"]["type"], "integer", "key column: not null")
    t.eq(sales["sale_date"]["type"], "string", "key date: not null")

    fid = doc["components"]["schemas"]["lf_test.fidelity"]["properties"]
    t.eq(fid["c_int8_arr"]["type"], ["array", "null"], "c_int8_arr")
    t.eq(fid["c_int8_arr"]["items"]["anyOf"],
         [{"type": "integer", "format": "int64"}, {"type": "null"}, {"type": "array"}],
         "c_int8_arr items")
    t.eq(fid["c_numeric_arr"]["items"]["anyOf"][0]["anyOf"], [{"type": "number"}, special],
         "c_numeric_arr elements")
    t.eq(fid["c_bool_arr"]["items"]["anyOf"][0], {"type": "boolean"}, "c_bool_arr elements")
    t.eq(fid["c_json"]["x-postgres-type"], "json", "c_json")
    t.true("type" not in fid["c_json"] and "anyOf" not in fid["c_json"], "c_json any value")
    t.eq(fid["c_uuid"]["type"], ["string", "null"], "c_uuid")
    t.eq(fid["id"]["type"], "integer", "id")


# ------------------------------------------------------------ responses validate


def test_every_fidelity_row_validates(t):
    doc = get_doc()
    schemas = Schemas(doc)
    td = tables_of(doc)["lf_test.fidelity"]
    op = doc["paths"][td.path_form]["get"]
    ids = [int(x) for x in lf.psql("SELECT id FROM lf_test.fidelity ORDER BY id").split()]
    t.true(len(ids) >= 30, "fidelity rows: %r" % ids)
    for id in ids:
        path = TEMPLATE_PARAM.sub(str(id), td.path_form)
        r = server().get(path)
        t.eq(r.status, 200, "GET %s (%r)" % (path, r))
        schemas.row(td.comp, r.json, "fidelity row %d" % id)
        schemas.response(op, 200, r.json,
                         "fidelity row %d as the 200 of %s" % (id, op["operationId"]))
    # All at once, as a batch.
    post = doc["paths"][td.lookup]["post"]
    r = lookup(td.lookup, {"keys": ids + [-1]})
    t.eq(r.status, 200, "batch %r" % r)
    t.eq(r.json["rows"][-1], None, "a miss")
    schemas.response(post, 200, r.json, "fidelity batch")


def key_texts(x, limit=3):
    """The text forms of the first few primary keys of table x (from /api/v1/tables)."""
    keys = ", ".join(qi(k) + "::text" for k in x["primary_key"])
    order = ", ".join(qi(k) for k in x["primary_key"])
    out = lf.psql("SELECT json_build_array(%s) FROM %s.%s ORDER BY %s LIMIT %d" %
                  (keys, qi(x["schema"]), qi(x["table"]), order, limit))
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_rows_of_every_table_validate(t):
    # Fetched through the paths the document gives, filled in as a client
    # generated from it would: the paths lead to the rows, and the rows
    # validate.
    doc = get_doc()
    schemas = Schemas(doc)
    tables = tables_of(doc)
    checked = 0
    for x in server().get("/api/v1/tables").json["tables"]:
        td = tables[x["name"]]
        keys = key_texts(x)
        t.true(keys or x["name"].startswith("lf_test."), "%s has rows" % x["name"])
        for key in keys:
            it = iter(key)
            path = TEMPLATE_PARAM.sub(lambda m: q(next(it)), td.path_form)
            r = server().get(path)
            t.eq(r.status, 200, "GET %s (%r)" % (path, r))
            schemas.row(td.comp, r.json, "%s row %r (path form)" % (x["name"], key))
            names = [p["name"] for p in td.params(doc, td.query_form, "query") if p["required"]]
            path = td.query_form + "?" + "&".join(
                "%s=%s" % (q(n), q(v)) for n, v in zip(names, key))
            r2 = server().get(path)
            t.eq((r2.status, r2.json), (200, r.json), "GET %s" % path)
            checked += 1
        if keys:
            r = lookup(td.lookup, {"keys": keys})
            t.eq(r.status, 200, "lookup %s (%r)" % (td.lookup, r))
            schemas.response(doc["paths"][td.lookup]["post"], 200, r.json,
                             "batch of %s" % x["name"])
            t.true(None not in r.json["rows"], "every key found in %s" % x["name"])
    t.true(checked >= 40, "rows checked: %d" % checked)


def test_batch_and_select_responses(t):
    doc = get_doc()
    schemas = Schemas(doc)
    tables = tables_of(doc)
    cf = tables["gold.customer_features"]
    post = doc["paths"][cf.lookup]["post"]
    r = lookup(cf.lookup, {"keys": [1, "2", [3], {"customer_id": 4}, 999999999]})
    t.eq(r.status, 200, "batch %r" % r)
    t.eq(r.json["rows"][4], None, "the miss")
    schemas.response(post, 200, r.json, "customer batch")
    for row in r.json["rows"][:4]:
        schemas.row(cf.comp, row, "customer batch row")
    # The request bodies just sent are valid by the documented body schema.
    body_schema = post["requestBody"]["content"]["application/json"]["schema"]
    schemas.check(body_schema, {"keys": [1, "2", [3], {"customer_id": 4}]}, "lookup body")
    schemas.check(body_schema, {"keys": [5], "select": ["email"]}, "lookup body with select")
    for bad in ({"keys": [[1, 2]]}, {"keys": [{"customer_id": 1, "x": 2}]}, {"keys": [True]},
                {"keys": []}, {"keys": [1], "select": []}, {"keys": [1], "other": 1}, {}):
        if bad == {"keys": []}:
            schemas.check(body_schema, bad, "an empty batch is valid")
            continue
        t.true(list(schemas.validator(body_schema).iter_errors(bad)),
               "the body schema refuses %r" % bad)
        r = lookup(cf.lookup, bad)
        t.eq(r.status, 400, "and so does lakefront: %r -> %r" % (bad, r))

    sales = tables["gold.daily_store_sales"]
    r = lookup(sales.lookup,
               {"keys": [[1, "2024-01-01"], {"store_id": 2, "sale_date": "2024-01-02"}]})
    t.eq(r.status, 200, "composite batch %r" % r)
    schemas.response(doc["paths"][sales.lookup]["post"], 200, r.json, "composite batch")

    # select: a subset, each column valid by its own schema.
    pick = ["lifetime_value", "tags", "customer_id", "last_seen_at", "avatar"]
    path = TEMPLATE_PARAM.sub("7", cf.path_form) + "?select=" + ",".join(pick)
    r = server().get(path)
    t.eq(r.status, 200, "GET %s (%r)" % (path, r))
    schemas.subset(cf.comp, r.json, pick, "select on customer_features")
    r = lookup(cf.lookup, {"keys": [7, 8, 0], "select": pick})
    for row in r.json["rows"][:2]:
        schemas.subset(cf.comp, row, pick, "select in a batch")
    fid = tables["lf_test.fidelity"]
    pick = ["c_numeric_arr", "c_float4", "c_timestamptz", "c_int8"]
    for id in (4, 8, 11, 22):
        r = server().get(TEMPLATE_PARAM.sub(str(id), fid.path_form) + "?select=" + ",".join(pick))
        schemas.subset(fid.comp, r.json, pick, "select on fidelity row %d" % id)


def test_error_and_catalog_bodies_validate(t):
    doc = get_doc()
    schemas = Schemas(doc)
    cf = tables_of(doc)["gold.customer_features"]
    get = doc["paths"][cf.path_form]["get"]
    for path, status in ((TEMPLATE_PARAM.sub("999999999", cf.path_form), 404),
                         (TEMPLATE_PARAM.sub("abc", cf.path_form), 400),
                         (TEMPLATE_PARAM.sub("1", cf.path_form) + "?select=nope", 400),
                         (cf.query_form + "?customer_id=1&x=2", 400)):
        r = server().get(path)
        t.eq(r.status, status, "GET %s (%r)" % (path, r))
        schemas.response(get, status, r.json, "%d of %s" % (status, path))
    post = doc["paths"][cf.lookup]["post"]
    c = server().connect()
    try:
        c.request("POST", cf.lookup, body="{}", headers={"Content-Type": "text/plain"})
        resp = c.getresponse()
        body = json.loads(resp.read())
        t.eq(resp.status, 415, "415")
        schemas.response(post, 415, body, "415")
    finally:
        c.close()
    r = lookup(cf.lookup, {"keys": list(range(1001))})
    t.eq(r.status, 413, "too many keys %r" % r)
    schemas.response(post, 413, r.json, "413")

    listing = server().get("/api/v1/tables")
    schemas.response(doc["paths"]["/api/v1/tables"]["get"], 200, listing.json, "/api/v1/tables")
    one = server().get("/api/v1/tables/gold.customer_features")
    op = doc["paths"]["/api/v1/tables/{name}"]["get"]
    schemas.response(op, 200, one.json, "table metadata")
    r = server().get("/api/v1/tables/no.such")
    schemas.response(op, 404, r.json, "TABLE_NOT_FOUND")
    for path in ("/healthz", "/readyz"):
        schemas.response(doc["paths"][path]["get"], 200, server().get(path).json, path)
    schemas.response(doc["paths"][DOC]["get"], 200, doc, "the document itself")


def test_status_body_validates(t):
    """A real /api/v1/status validates against ServiceStatus, and so do the shapes the password
    flow never shows (a Databricks credential, a failed renewal, no catalog yet): the schema
    must accept what status.c writes in every state, and refuse a body missing a member."""
    doc = get_doc()
    schemas = Schemas(doc)
    op = doc["paths"]["/api/v1/status"]["get"]
    server().get("/api/v1/tables/gold.customer_features/rows/42")
    r = server().get("/api/v1/status")
    t.eq(r.status, 200, "status %r" % r)
    schemas.response(op, 200, r.json, "/api/v1/status")
    other = json.loads(r.body)
    other["credential"] = {
        "source": "databricks", "identity": "DATABRICKS_CLIENT_ID (service principal x)",
        "target": "endpoint projects/p/branches/b/endpoints/e",
        "expires_at": "2026-11-23T07:00:00.000Z",
        "last_refresh": {"at": "2026-11-23T06:00:00.000Z", "result": "failure",
                         "error": "database credential: HTTP 503"},
        "refreshes": {"succeeded": 3, "failed": 1}}
    other["catalog"] = {"loaded": False, "tables": 0, "refreshed_at": None,
                        "error": "could not connect"}
    schemas.response(op, 200, other, "a Databricks status before the catalog")
    del other["lookups"]["found"]
    errors = list(schemas.validator(deref(doc, op["responses"]["200"])["content"]
                                    ["application/json"]["schema"]).iter_errors(other))
    t.true(errors, "a body without lookups.found is refused")


# ------------------------------------------------------------ live catalog

NEW = 'lf_test."oa new/t"'
NEW_NAME = "lf_test.oa new/t"
NEW_PATH = "/api/v1/tables/lf_test.oa%20new%2Ft"


def wait_doc(s, pred, what):
    """The document once pred(doc) holds (the catalog refreshes after SIGHUP)."""
    got = {}

    def ok():
        got["doc"] = get_doc(s)
        return pred(got["doc"])
    lf.wait_for(ok, 15, what)
    return got["doc"]


def test_document_follows_the_live_catalog(t):
    # A name that needs percent-encoding, a composite key whose second
    # column is not a plain word (so its path parameter is key2).
    lf.psql("DROP TABLE IF EXISTS %s" % NEW)
    s = t.server(["--catalog-refresh-s", "3600"])
    try:
        doc = get_doc(s)
        t.true(NEW_NAME not in tables_of(doc), "not documented before it exists")
        lf.psql('CREATE TABLE %s (id bigint, "k 2" text, v numeric(10,2) NOT NULL, '
                'PRIMARY KEY (id, "k 2")); '
                "INSERT INTO %s VALUES (1, 'a b', 1.50), (2, 'x/y', 'NaN')" % (NEW, NEW))
        s.signal(signal.SIGHUP)
        doc = wait_doc(s, lambda d: NEW_NAME in tables_of(d), "the new table in the document")
        td = tables_of(doc)[NEW_NAME]
        t.eq(td.comp, "lf_test.oa_new_t", "component name")
        t.eq(td.path_form, NEW_PATH + "/rows/{id}/{key2}", "path form")
        t.eq(td.query_form, NEW_PATH + "/rows", "query form")
        t.eq(td.lookup, NEW_PATH + "/lookup", "lookup")
        t.eq(list(td.schema["properties"]), ["id", "k 2", "v"], "columns")
        t.eq(td.schema["properties"]["v"]["anyOf"][-1], special_strings(), "v: NOT NULL numeric")
        validate_with_node(t, doc)
        check_rules(t, doc)
        schemas = Schemas(doc)
        for key in (("1", "a b"), ("2", "x/y")):
            it = iter(key)
            r = s.get(TEMPLATE_PARAM.sub(lambda m: q(next(it)), td.path_form))
            t.eq(r.status, 200, "row %r of the new table (%r)" % (key, r))
            schemas.row(td.comp, r.json, "new table row %r" % (key,))

        lf.psql("ALTER TABLE %s ADD COLUMN extra jsonb; "
                "UPDATE %s SET extra = '{\"n\": [1, null]}' WHERE id = 1" % (NEW, NEW))
        s.signal(signal.SIGHUP)
        doc = wait_doc(s, lambda d: "extra" in tables_of(d)[NEW_NAME].schema["properties"],
                       "the new column in the document")
        td = tables_of(doc)[NEW_NAME]
        t.eq(td.schema["required"], ["id", "k 2", "v", "extra"], "required follows")
        t.eq(td.schema["properties"]["extra"]["x-postgres-type"], "jsonb", "the new column")
        schemas = Schemas(doc)
        for id, k in ((1, "a b"), (2, "x/y")):
            r = s.get("%s/rows/%d/%s" % (NEW_PATH, id, q(k)))
            t.true("extra" in r.json, "the row has the new column: %r" % r)
            schemas.row(td.comp, r.json, "row %d after ALTER" % id)
    finally:
        lf.psql("DROP TABLE IF EXISTS %s" % NEW)
    s.signal(signal.SIGHUP)
    wait_doc(s, lambda d: NEW_NAME not in tables_of(d) and
             not any(p.startswith(NEW_PATH) for p in d["paths"]), "the dropped table to go")


def special_strings():
    return {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}


if __name__ == "__main__":
    lf.main_shared(globals(), _shared)
