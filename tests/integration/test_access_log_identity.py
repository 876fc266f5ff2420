"""The access log names the caller that the Databricks Apps proxy forwards.

Behind the Apps proxy every request carries X-Forwarded-Email and
X-Forwarded-User for the signed-in user (or the owner of the OAuth token).
The access line records them as "user_email" and "user" when they are
present, escaped like every log value and capped at 200 bytes; no other
request header ever reaches the log.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lf  # noqa: E402

ROW = "/api/v1/tables/gold.customer_features/rows/42"


def access_line(s, request_id):
    return s.wait_log(lambda l: l.get("msg") == "access" and l.get("request_id") == request_id)


def test_both_headers_are_logged(t):
    s = t.server()
    r = s.get(ROW, headers={"X-Request-Id": "ident-1",
                            "X-Forwarded-Email": "ada@example.com",
                            "X-Forwarded-User": "4567890123@1234567890"})
    t.eq(r.status, 200, "lookup status")
    line = access_line(s, "ident-1")
    t.eq(line.get("user_email"), "ada@example.com", "user_email")
    t.eq(line.get("user"), "4567890123@1234567890", "user")
    t.eq(line.get("status"), 200, "status")


def test_without_headers_no_identity_fields(t):
    s = t.server()
    r = s.get(ROW, headers={"X-Request-Id": "ident-2"})
    t.eq(r.status, 200, "lookup status")
    line = access_line(s, "ident-2")
    t.true("user_email" not in line, "user_email logged without the header: %r" % line)
    t.true("user" not in line, "user logged without the header: %r" % line)


def test_one_header_alone(t):
    s = t.server()
    s.get("/healthz", headers={"X-Request-Id": "ident-3", "X-Forwarded-User": "u-1"})
    line = access_line(s, "ident-3")
    t.eq(line.get("user"), "u-1", "user")
    t.true("user_email" not in line, "user_email without its header: %r" % line)


def test_errors_are_attributed_too(t):
    s = t.server()
    r = s.get("/api/v1/tables/gold.customer_features/rows/abc",
              headers={"X-Request-Id": "ident-4", "X-Forwarded-Email": "bob@example.com"})
    t.eq(r.status, 400, "bad key status")
    line = access_line(s, "ident-4")
    t.eq(line.get("user_email"), "bob@example.com", "user_email on an error")
    t.eq(line.get("status"), 400, "status")


def test_values_are_escaped(t):
    s = t.server()
    email = 'zo\u00eb "q" \\ <x>@example.com'
    s.get("/healthz", headers={"X-Request-Id": "ident-5",
                               "X-Forwarded-Email": email.encode("utf-8")})
    line = access_line(s, "ident-5")
    t.eq(line.get("user_email"), email, "user_email, escaped and parsed back")


def test_values_are_capped_at_200_bytes(t):
    s = t.server()
    s.get("/healthz", headers={"X-Request-Id": "ident-6", "X-Forwarded-Email": "e" * 5000,
                               "X-Forwarded-User": "u" * 201})
    line = access_line(s, "ident-6")
    t.eq(line.get("user_email"), "e" * 200, "capped user_email")
    t.eq(line.get("user"), "u" * 200, "capped user")
    # A two-byte character across the cap is dropped whole, never split.
    s.get("/healthz", headers={"X-Request-Id": "ident-7",
                               "X-Forwarded-User": ("a" * 199 + "\u00e9xyz").encode("utf-8")})
    line = access_line(s, "ident-7")
    t.eq(line.get("user"), "a" * 199, "cut on a character boundary")


def test_other_headers_never_logged(t):
    s = t.server()
    s.get(ROW, headers={"X-Request-Id": "ident-8",
                        "X-Forwarded-Access-Token": "secret-token-value",
                        "Authorization": "Bearer secret-bearer-value",
                        "Cookie": "session=secret-cookie-value",
                        "X-Forwarded-Email": "carol@example.com"})
    access_line(s, "ident-8")
    for line in s.lines:
        text = json.dumps(line)
        t.true("secret-" not in text, "a header other than the identity was logged: %s" % text)


def test_access_log_off_logs_nothing(t):
    s = t.server(env={"LAKEFRONT_ACCESS_LOG": "off"})
    s.get(ROW, headers={"X-Request-Id": "ident-9", "X-Forwarded-Email": "dan@example.com"})
    s.get("/healthz")  # a second request, so the first one's line would be out by now
    t.true(not any(l.get("msg") == "access" for l in s.lines), "access line with the log off")
    t.true(not any("dan@example.com" in json.dumps(l) for l in s.lines), "identity logged")


lf.main(globals())
