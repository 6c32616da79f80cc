#!/usr/bin/env python3
"""Generate the bundled example ITSM repo ``examples/acme`` ("Acme Shop").

Deterministic (fixed seed, no clock, stdlib only): running it twice gives the
same bytes.  It removes and rewrites ``examples/acme/`` completely.

    python3 tools/gen_acme.py

The story: Acme Shop is a German online shop (Europe/Berlin) getting ready for
Black Friday 2026.  "Today" is 2026-11-25; nothing in the data happens after
2026-11-25T12:00:00Z except the windows of changes scheduled in the future.

Cast (GitHub logins):
  alice         Head of IT Operations, chairs the CAB and the emergency CAB
  bob           Platform engineering lead (CAB), owns accounts and notifications
  carol         Tech lead checkout & orders
  dave          SRE lead and change manager (CAB), owns the CI platform
  erin          Incident manager (emergency CAB), writes the public updates
  frank         Frontend lead, owns the storefront
  grace         Search & catalog engineer, owns search
  heidi         Data engineer / DBA, owns the data warehouse
  ivan          SRE, usually on call
  judy          Customer support lead, owns the backoffice
  mallory-free  Service desk agent
"""

import os
import random
import re
import shutil
from datetime import date, datetime, timedelta, timezone

SEED = 20261125
rng = random.Random(SEED)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(os.path.dirname(HERE), "examples", "acme")

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------
# time helpers


def T(s):
    """'2026-09-04 08:47' (UTC) -> aware datetime."""
    return datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


_DUR = re.compile(r"(\d+)([wdhm])")


def D(s):
    """'1d2h30m' -> timedelta."""
    if s in ("0", "0m", ""):
        return timedelta(0)
    total = timedelta(0)
    pos = 0
    for m in _DUR.finditer(s):
        assert m.start() == pos, s
        pos = m.end()
        n, u = int(m.group(1)), m.group(2)
        total += {"w": timedelta(weeks=n), "d": timedelta(days=n),
                  "h": timedelta(hours=n), "m": timedelta(minutes=n)}[u]
    assert pos == len(s), s
    return total


def berlin_offset(dt):
    # Central European Summer Time 2026: 2026-03-29T01:00Z .. 2026-10-25T01:00Z
    if T("2026-03-29 01:00") <= dt < T("2026-10-25 01:00"):
        return timedelta(hours=2)
    return timedelta(hours=1)


class Raw(str):
    """A scalar written as-is (timestamps, dates)."""


class Block(str):
    """A multi-line string written as a literal block scalar."""


def ts(dt, local=False):
    if local:
        off = berlin_offset(dt)
        return Raw((dt + off).strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % (off.seconds // 3600))
    return Raw(dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


# --------------------------------------------------------------------------
# a tiny YAML emitter that writes what a person would write

_SPECIAL_START = set("-?:,[]{}#&*!|>'\"%@`")
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$")


def needs_quotes(s):
    if s == "" or s != s.strip():
        return True
    if s[0] in _SPECIAL_START:
        return True
    if ": " in s or " #" in s or s.endswith(":") or "\t" in s or "\n" in s:
        return True
    if s.lower() in _RESERVED:
        return True
    if _NUMBER.match(s) and any(c.isdigit() for c in s):
        return True
    if re.match(r"^(0x|0o|\.inf|\.nan|[-+]\.inf)", s, re.I):
        return True
    if s[0].isdigit() and (":" in s or re.match(r"^\d{4}-\d\d-\d\d", s)):
        return True
    return False


def scalar(v):
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    assert isinstance(v, str), v
    if needs_quotes(v):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


def emit_block(text, ind):
    assert text.endswith("\n")
    lines = []
    for line in text.rstrip("\n").split("\n"):
        lines.append((" " * ind + line) if line else "")
    return lines


def emit_value(key_prefix, v, ind, out):
    """key_prefix is 'key:' or '-' (already indented)."""
    if isinstance(v, dict):
        assert v, "empty map"
        out.append(key_prefix)
        emit_map(v, ind + 2, out)
    elif isinstance(v, list):
        if not v:
            out.append(key_prefix + " []")
        else:
            out.append(key_prefix)
            emit_list(v, ind + 2, out)
    elif isinstance(v, Block):
        out.append(key_prefix + " |")
        out.extend(emit_block(v, ind + 2))
    else:
        out.append(key_prefix + " " + scalar(v))


def emit_map(d, ind, out, first_prefix=None):
    for i, (k, v) in enumerate(d.items()):
        if v is None:
            continue
        pad = first_prefix if (i == 0 and first_prefix is not None) else " " * ind
        emit_value(pad + scalar(k) + ":", v, ind, out)


def emit_list(items, ind, out):
    for item in items:
        if isinstance(item, dict):
            emit_map(item, ind + 2, out, first_prefix=" " * ind + "- ")
        else:
            assert not isinstance(item, (list, Block))
            out.append(" " * ind + "- " + scalar(item))


def render(kind, doc, comment=None, schema_prefix="../../../schemas"):
    out = ["# yaml-language-server: $schema=%s/%s.json" % (schema_prefix, kind.lower())]
    if comment:
        for line in comment.strip("\n").split("\n"):
            out.append("# " + line if line else "#")
    body = {"apiVersion": "gitsm/v1", "kind": kind}
    body.update(doc)
    emit_map(body, 0, out)
    return "\n".join(out) + "\n"


FILES = {}


def write(rel, text):
    assert rel not in FILES, rel
    FILES[rel] = text


# --------------------------------------------------------------------------
# id references inside text: "{K1}" -> "INC-0007" once ids are known

IDS = {}
_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


def sub(text):
    if text is None:
        return None
    out = _REF.sub(lambda m: IDS[m.group(1)], text)
    return Block(out) if isinstance(text, Block) else out


def B(text):
    """Dedented literal block."""
    lines = text.strip("\n").split("\n")
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return Block("\n".join(l[indent:] for l in lines) + "\n")


def ev(at, by, status=None, note=None, public=False, local=False):
    e = {"at": ts(at, local), "by": by}
    if status:
        e["status"] = status
    if note:
        e["note"] = sub(note)
    if public:
        e["public"] = True
    return e


# --------------------------------------------------------------------------
# Config, calendars, SLAs, policy


def gen_config():
    doc = {
        "id": "acme",
        "timezone": "Europe/Berlin",
        "id_digits": 4,
        "id_prefixes": {"incident": "INC", "problem": "PRB", "request": "REQ", "change": "CHG"},
        "status_page": {
            "title": "Acme Shop Status",
            "base_url": "https://status.acme.example",
            "description": "Live status of the Acme Shop web shop, checkout, payments and delivery services.",
        },
        "output": {"reports": "reports", "status_page": "site"},
    }
    write("gitsm.yaml", render("Config", doc, comment=(
        "Acme Shop ITSM repository. Records live in catalog/, slas/, policies/,\n"
        "incidents/, problems/, requests/ and changes/. Priorities use the ITIL default matrix."),
        schema_prefix="../../schemas"))


def easter(year):
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def berlin_holidays():
    hol = [
        (date(2026, 10, 3), "Tag der Deutschen Einheit"),
        (date(2026, 12, 24), "Heiligabend (office closed)"),
        (date(2026, 12, 25), "Erster Weihnachtstag"),
        (date(2026, 12, 26), "Zweiter Weihnachtstag"),
        (date(2026, 12, 31), "Silvester (office closed)"),
    ]
    e = easter(2027)
    hol += [
        (date(2027, 1, 1), "Neujahr"),
        (date(2027, 3, 8), "Internationaler Frauentag"),
        (e - timedelta(days=2), "Karfreitag"),
        (e + timedelta(days=1), "Ostermontag"),
        (date(2027, 5, 1), "Tag der Arbeit"),
        (e + timedelta(days=39), "Christi Himmelfahrt"),
        (e + timedelta(days=50), "Pfingstmontag"),
        (date(2027, 10, 3), "Tag der Deutschen Einheit"),
        (date(2027, 12, 24), "Heiligabend (office closed)"),
        (date(2027, 12, 25), "Erster Weihnachtstag"),
        (date(2027, 12, 26), "Zweiter Weihnachtstag"),
        (date(2027, 12, 31), "Silvester (office closed)"),
    ]
    hol.sort()
    return [{"date": Raw(d.isoformat()), "name": n} for d, n in hol]


def gen_slas():
    write("slas/berlin-business.yaml", render("Calendar", {
        "id": "berlin-business",
        "timezone": "Europe/Berlin",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": berlin_holidays(),
    }, comment="Office hours of the Berlin team. Public holidays in Berlin plus the two\n"
               "days the office closes at the end of the year."))
    write("slas/always.yaml", render("Calendar", {
        "id": "always",
        "timezone": "UTC",
        "hours": {"mon-sun": "00:00-24:00"},
    }))

    def targets(rows):
        return {p: {"response": r, "resolution": s} for p, (r, s) in zip(["P1", "P2", "P3", "P4"], rows)}

    write("slas/gold.yaml", render("SLA", {
        "id": "gold",
        "name": "Gold (tier 1, around the clock)",
        "calendar": "24x7",
        "targets": targets([("15m", "4h"), ("30m", "8h"), ("2h", "3d"), ("8h", "1w")]),
        "request_fulfillment": "3d",
        "availability": 99.95,
        "pause_on": ["on_hold"],
        "warn_at": 0.8,
    }, comment="Tier 1 services: on-call around the clock (built-in 24x7 calendar)."))
    write("slas/silver.yaml", render("SLA", {
        "id": "silver",
        "name": "Silver (tier 2-3)",
        "calendar": "always",
        "targets": targets([("30m", "8h"), ("1h", "1d"), ("4h", "5d"), ("1d", "2w")]),
        "request_fulfillment": "5d",
        "availability": 99.9,
        "pause_on": ["on_hold"],
        "warn_at": 0.8,
    }))
    write("slas/bronze.yaml", render("SLA", {
        "id": "bronze",
        "name": "Bronze (internal, office hours)",
        "calendar": "berlin-business",
        "targets": targets([("1h", "8h"), ("4h", "16h"), ("8h", "40h"), ("16h", "80h")]),
        "request_fulfillment": "40h",
        "availability": 99.5,
        "pause_on": ["on_hold"],
        "warn_at": 0.8,
    }, comment="Internal tools. Clocks only run during Berlin office hours (8 h a day)."))


POLICY = """\
# yaml-language-server: $schema=../../../schemas/changepolicy.json
# Acme Shop change policy. A pull request that edits this file needs two CAB approvals.
apiVersion: gitsm/v1
kind: ChangePolicy
id: default
cab: [alice, bob, dave, "@acme/cab"]   # logins or teams (teams resolved via GitHub)
ecab: [alice, erin]                    # emergency CAB
rules:                                 # first match wins
  - match: {type: standard}
    approvals: 0
  - match: {type: normal, risk: high}
    approvals: 2
    from: cab
    service_owner: true                # an owner of each affected service must approve too
  - match: {type: normal}
    approvals: 1
    from: cab
  - match: {type: emergency}
    approvals: 1
    from: ecab
    review_within: 5d                  # post-implementation review due
lead_time: {normal: 2d}                # window.start - submitted >= lead time
freeze:
  - {name: Black Friday, start: 2026-11-26T00:00:00Z, end: 2026-12-01T00:00:00Z, allow: [emergency]}
  - {name: Christmas, start: 2026-12-21T00:00:00+01:00, end: 2027-01-04T00:00:00+01:00, allow: [emergency]}
conflicts: deny                        # overlapping windows on a shared service: deny|warn
policy_change: {approvals: 2, from: cab}   # a PR that edits the policy itself
ungoverned_paths: deny                 # PR touches a service's paths with no covering change: deny|warn|allow
"""


def gen_policy():
    write("policies/default.yaml", POLICY)


# --------------------------------------------------------------------------
# service catalog

SERVICES = [
    # id, name, owner, tier, sla, depends_on, paths, public, description
    ("storefront", "Storefront", "frank", 1, "gold",
     ["catalog-api", "search", "accounts", "checkout"],
     ["services/storefront/**", "infra/terraform/storefront/**", "infra/cdn/**"], True,
     "The web shop at www.acme.example: product pages, category pages, cart and account pages."),
    ("checkout", "Checkout", "carol", 1, "gold",
     ["payments", "orders", "inventory", "accounts"],
     ["services/checkout/**", "infra/terraform/checkout/**"], True,
     "Cart, address, shipping options and order placement."),
    ("payments", "Payments", "@acme/payments", 1, "gold",
     [],
     ["services/payments/**", "infra/terraform/payments/**"], True,
     "Card, PayPal, Apple Pay, SEPA direct debit and invoice payments through our payment providers."),
    ("catalog-api", "Catalog API", "@acme/catalog", 2, "silver",
     ["inventory"],
     ["services/catalog-api/**", "infra/terraform/catalog-api/**"], True,
     "Products, prices, categories and reviews for the storefront and partners."),
    ("search", "Search", "grace", 2, "silver",
     ["catalog-api"],
     ["services/search/**", "infra/terraform/search/**"], True,
     "Product search, autocomplete and category listings (search cluster plus indexer)."),
    ("accounts", "Customer Accounts", "bob", 1, "gold",
     ["notifications"],
     ["services/accounts/**", "infra/terraform/accounts/**"], True,
     "Sign-in, registration, password reset, wishlists and the customer profile."),
    ("orders", "Orders", "carol", 1, "gold",
     ["inventory", "payments", "notifications"],
     ["services/orders/**", "infra/terraform/orders/**", "db/migrations/orders/**"], True,
     "Order management, order history, invoices and the export to the ERP."),
    ("inventory", "Inventory", "@acme/logistics", 2, "silver",
     [],
     ["services/inventory/**", "infra/terraform/inventory/**"], True,
     "Stock levels and reservations, synced from the warehouse management system."),
    ("shipping", "Shipping & Tracking", "@acme/logistics", 2, "silver",
     ["orders", "notifications"],
     ["services/shipping/**", "infra/terraform/shipping/**"], True,
     "Carrier integrations (DHL, DPD), shipping labels, parcel tracking and returns."),
    ("notifications", "Notifications", "bob", 3, "silver",
     [],
     ["services/notifications/**", "infra/terraform/notifications/**"], True,
     "Transactional e-mail and SMS: order confirmations, shipping updates, password resets."),
    ("data-warehouse", "Data Warehouse", "heidi", 3, "bronze",
     ["orders", "inventory"],
     ["data/dbt/**", "data/airflow/**", "infra/terraform/data-warehouse/**"], False,
     "Sales and stock reporting, dashboards for the business teams."),
    ("ci-platform", "CI/CD Platform", "dave", 3, "bronze",
     [],
     [".github/workflows/**", "infra/ci/**", "infra/terraform/ci/**", "infra/k8s/staging/**"], False,
     "Build runners, deploy pipelines, the staging cluster and monitoring."),
    ("backoffice", "Backoffice", "judy", 4, "bronze",
     ["orders", "catalog-api", "accounts", "payments"],
     ["services/backoffice/**"], False,
     "Internal admin tool for customer support: refunds, order edits, exports."),
]
SERVICE_IDS = {s[0] for s in SERVICES}
OWNER = {s[0]: s[2] for s in SERVICES}


def gen_catalog():
    comments = {
        "checkout": "Tier 1: checkout is on the Black Friday critical path.",
        "payments": "Owned by the payments team; ask in #team-payments.",
        "backoffice": "Internal only (public: false), never shown on the status page.",
    }
    for sid, name, owner, tier, sla, deps, paths, public, desc in SERVICES:
        doc = {
            "id": sid,
            "name": name,
            "owner": owner,
            "tier": tier,
            "sla": sla,
            "depends_on": deps or None,
            "paths": paths,
            "public": public,
            "description": desc,
        }
        write("catalog/%s.yaml" % sid, render("Service", doc, comment=comments.get(sid)))


# --------------------------------------------------------------------------
# incidents

MATRIX = {
    ("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3",
    ("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4",
    ("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4",
}

INCIDENTS = []  # dicts with key, at, fields, events (absolute)


def incident(key, at, service, title, impact, urgency, ci, reporter, assignee, events,
             affected=None, problem=None, related=None, resolution=None, priority=None,
             override=None, extra=None, local=None):
    """events: list of (offset, by, status, note, public) relative to `at`."""
    at = T(at) if isinstance(at, str) else at
    abs_events = []
    for off, by, status, note, public in events:
        abs_events.append((at + D(off), by, status, note, public))
    INCIDENTS.append(dict(
        key=key, at=at, service=service, title=title, impact=impact, urgency=urgency, ci=ci,
        reporter=reporter, assignee=assignee, events=abs_events,
        affected=affected or [service], problem=problem, related=related,
        resolution=resolution, priority=priority, override=override, extra=extra,
        local=(rng.random() < 0.3) if local is None else local))


def E(off, by, status=None, note=None, public=False):
    return (off, by, status, note, public)


def key_incidents():
    incident(
        "K1", "2026-09-04 08:47", "checkout", "Checkout returns HTTP 502 for all customers",
        "high", "high", "major_outage", "ivan", "carol",
        affected=["checkout", "storefront"], problem="P_pool", local=False,
        resolution="Rolled back checkout release 2026.09.04-1 (deploy 4f2a1c). The release opened one "
                   "orders-db connection per cart line item and exhausted the connection pool.",
        extra={"postmortem": "https://wiki.acme.example/postmortems/2026-09-04-checkout-502",
               "pagerduty": "PD-48211"},
        events=[
            E("0m", "ivan", "new", "PagerDuty alert, checkout 5xx rate above 90 % for 5 minutes."),
            E("4m", "ivan", "acknowledged"),
            E("9m", "carol", "investigating",
              "Errors started at 08:41Z, right after deploy 4f2a1c (checkout release 2026.09.04-1)."),
            E("14m", "erin", None, "We are investigating errors at checkout. Some customers cannot "
                                   "complete their orders right now.", True),
            E("37m", "carol", None, "orders-db connection pool exhausted (50/50 in use, 300+ waiting). "
                                    "The new release opens a connection per cart line item."),
            E("49m", "carol", None, "Rolled back deploy 4f2a1c to release 2026.09.03-2; pool usage back to 18/50."),
            E("55m", "erin", None, "We have found the cause and rolled back a recent update. "
                                   "Checkout is recovering.", True),
            E("1h25m", "carol", "resolved", "Checkout is working normally again. If your order failed "
                                            "this morning, please place it again. We are sorry for the trouble.", True),
            E("3d2h", "erin", "closed", "Post-incident review held on 2026-09-07; follow-up in {P_pool}."),
        ])

    incident(
        "K2", "2026-09-19 17:05", "payments", "Card payments failing with payment provider timeouts",
        "high", "high", "partial_outage", "judy", "ivan",
        affected=["payments", "checkout"], problem="P_psp",
        resolution="The payment provider fixed an overload in their EU region. Our client amplified it with "
                   "retries; retry budget and circuit breaker followed in {C4}.",
        events=[
            E("0m", "judy", "new", "Support got 30+ calls in 20 minutes, card payments fail with "
                                   "'payment could not be processed'."),
            E("6m", "ivan", "acknowledged"),
            E("10m", "ivan", "investigating"),
            E("15m", "erin", None, "Some card payments are currently failing. PayPal and invoice payments "
                                   "are not affected. We are investigating.", True),
            E("45m", "ivan", None, "PSP p99 latency 28 s in eu-central. Our client times out after 10 s and "
                                   "retries 3 times, tripling the load. Vendor ticket PF-88123 opened."),
            E("1h10m", "ivan", "on_hold", "Waiting for the PSP to mitigate on their side."),
            E("1h12m", "erin", None, "The problem is at our payment provider, who is working on a fix. "
                                     "PayPal and invoice payments remain available.", True),
            E("2h20m", "ivan", "investigating", "PSP deployed a mitigation; card success rate back to 97 %."),
            E("2h55m", "ivan", "resolved", "Card payments are working normally again. "
                                           "We apologise for the inconvenience.", True),
            E("2d16h", "erin", "closed"),
        ])

    incident(
        "K3", "2026-10-02 05:52", "storefront", "Shop unreachable, expired TLS certificate on the CDN",
        "high", "high", "major_outage", "ivan", "ivan",
        affected=["storefront", "checkout"], problem="P_cert", local=False,
        resolution="Uploaded a manually issued certificate to the CDN with emergency change {C6}. "
                   "Automatic renewal repaired in {C7}.",
        events=[
            E("0m", "ivan", "new", "Synthetic check failed, TLS handshake error on www.acme.example. "
                                   "The certificate expired at 05:40Z."),
            E("3m", "ivan", "acknowledged"),
            E("6m", "ivan", "investigating"),
            E("10m", "erin", None, "Our shop is currently unreachable for many customers because of a "
                                   "certificate problem. We are working on a fix.", True),
            E("24m", "ivan", None, "cert-manager renewals failing since 2026-09-02. The DNS-01 solver uses an "
                                   "API token that was revoked in the DNS provider clean-up."),
            E("30m", "ivan", None, "Raising emergency change {C6} to upload a manually issued certificate."),
            E("1h05m", "ivan", "resolved", "The shop is reachable again. If your browser still shows a "
                                           "security warning, please reload the page.", True),
            E("4d3h", "alice", "closed"),
        ])

    incident(
        "K4", "2026-10-14 11:20", "checkout", "Checkout errors after payments release",
        "high", "high", "partial_outage", "ivan", "carol",
        affected=["checkout", "payments"], problem="P_pool", related=["K1"],
        resolution="Rolled back payments release 2026.10.14-1 (deploy 9b7e02), which added a synchronous "
                   "fraud-score call inside the checkout transaction.",
        extra={"postmortem": "https://wiki.acme.example/postmortems/2026-10-14-checkout-errors"},
        events=[
            E("0m", "ivan", "new", "Checkout error rate 35 % since 11:14Z. Payments release 2026.10.14-1 "
                                   "went out at 11:10Z."),
            E("5m", "ivan", "acknowledged"),
            E("8m", "carol", "investigating"),
            E("12m", "erin", None, "Some customers are seeing errors at checkout. We are investigating.", True),
            E("31m", "carol", None, "Same pattern as {K1}, orders-db pool saturated. The payments release "
                                    "calls the fraud score service inside the checkout transaction and "
                                    "holds connections for 2-3 s."),
            E("44m", "carol", None, "Payments release rolled back (deploy 9b7e02). Pool at 22/40."),
            E("1h40m", "carol", "resolved", "Checkout is working normally again. "
                                            "Thank you for your patience.", True),
            E("2d1h", "erin", "closed", "Recurrence of {P_pool}, linked."),
        ])

    incident(
        "K5", "2026-10-18 03:38", "accounts", "Customer sign-in unavailable, database upgrade overran",
        "high", "high", "major_outage", "heidi", "heidi",
        affected=["accounts", "storefront", "checkout"], local=True,
        resolution="The index rebuild of the PostgreSQL 16 upgrade ({C8}) finished at 04:21Z; sign-in "
                   "healthy after the post-upgrade checks. The maintenance window ended at 04:00Z.",
        events=[
            E("0m", "heidi", "new", "Index rebuild on the sessions table is much slower than in the rehearsal. "
                                    "Sign-in will stay down past the end of the maintenance window ({C8})."),
            E("2m", "ivan", "acknowledged"),
            E("4m", "heidi", "investigating", "Rebuild at 71 % after 58 minutes, about 40 minutes to go. "
                                              "A rollback would take longer than finishing."),
            E("12m", "erin", None, "Signing in is unavailable because our maintenance is taking longer than "
                                   "planned. Guest checkout is still working.", True),
            E("45m", "heidi", None, "Index rebuild finished at 04:21Z; running post-upgrade checks."),
            E("1h05m", "heidi", "resolved", "Signing in works again and the maintenance is complete. "
                                            "Thank you for your patience.", True),
            E("2d6h", "erin", "closed"),
        ])

    incident(
        "K6", "2026-10-29 19:12", "payments", "PayPal payments declined at checkout",
        "high", "high", "partial_outage", "mallory-free", "carol",
        affected=["payments", "checkout"], problem="P_cert", related=["K3"],
        resolution="Rotated the expired PayPal API signature credential with emergency change {C10}.",
        events=[
            E("0m", "mallory-free", "new", "Many customers report PayPal payments being declined; "
                                           "support queue growing fast."),
            E("5m", "ivan", "acknowledged"),
            E("9m", "carol", "investigating"),
            E("14m", "erin", None, "PayPal payments are currently failing. Card payments and invoice are "
                                   "working. We are investigating.", True),
            E("33m", "carol", None, "PayPal API returns error 10002 (security header is not valid). Our API "
                                    "signature credential expired at 19:00Z; it is not covered by the "
                                    "certificate expiry exporter."),
            E("38m", "carol", None, "Requesting emergency change {C10} to rotate the credential."),
            E("1h35m", "carol", "resolved", "PayPal payments are working again. If your payment failed, you "
                                            "can retry it from your order page.", True),
            E("4d14h", "erin", "closed"),
        ])

    incident(
        "K7", "2026-11-09 13:30", "search", "Search and category pages time out",
        "high", "high", "partial_outage", "frank", "grace",
        affected=["search", "storefront"], problem="P_search",
        resolution="Reindex paused, data nodes restarted; after the reopen, emergency change {C13} limited "
                   "reindex concurrency and raised the heap to 31 GB.",
        events=[
            E("0m", "frank", "new", "Category and search pages time out for most users; storefront error "
                                    "budget burning at 14x."),
            E("4m", "ivan", "acknowledged"),
            E("7m", "grace", "investigating"),
            E("11m", "erin", None, "Product search and category pages are slow or not loading. "
                                   "We are investigating.", True),
            E("35m", "grace", None, "Search cluster red, 3 of 6 data nodes out of memory (heap 98 %). The full "
                                    "reindex after the cluster switch ({C12}) is still running."),
            E("52m", "grace", None, "Paused the reindex job and restarted the data nodes one by one; "
                                    "shards reallocating."),
            E("2h10m", "grace", "resolved", "Search and category pages are working normally again.", True),
            E("5h", "grace", "investigating", "Reopened. Heap alarms again at 18:30Z; the reindex job resumed "
                                              "from its cron schedule."),
            E("5h05m", "erin", None, "Search is slow again. We are working on a permanent fix.", True),
            E("5h40m", "grace", None, "Emergency change {C13} approved: reindex concurrency 2, heap 31 GB."),
            E("7h", "grace", "resolved", "Search is stable again. We continue to monitor it closely.", True),
            E("3d20h", "erin", "closed", "Follow-up in {P_search}."),
        ])

    incident(
        "K8", "2026-11-20 16:02", "orders", "Order confirmation page fails after payment",
        "high", "high", "partial_outage", "judy", "carol",
        affected=["orders", "checkout"],
        resolution="Disabled feature flag gift_wrap_v2; the new gift-wrap field mapper threw on orders "
                   "without gift options. Fix to follow in the next release.",
        events=[
            E("0m", "judy", "new", "Customers see an error page after paying. Orders are created, "
                                   "but the confirmation page fails."),
            E("7m", "ivan", "acknowledged"),
            E("10m", "carol", "investigating"),
            E("15m", "erin", None, "Some customers see an error after placing an order. Your order has been "
                                   "received, please do not order again.", True),
            E("48m", "carol", None, "Orders API returns 500 on the confirmation endpoint, NullPointerException "
                                    "in the gift-wrap field mapper added in release 2026.11.20-2."),
            E("1h05m", "carol", None, "Feature flag gift_wrap_v2 disabled; error rate dropping."),
            E("1h50m", "carol", "resolved", "Order confirmation pages are working again. All orders placed "
                                            "during the incident were received.", True),
            E("2d17h", "erin", None, "Waiting for support to confirm no orders are missing before closing."),
        ])

    # still open on 2026-11-25
    incident(
        "O1", "2026-11-24 09:15", "checkout", "Elevated checkout latency",
        "medium", "high", "degraded_performance", "ivan", "carol",
        affected=["checkout", "inventory"],
        events=[
            E("0m", "ivan", "new", "Checkout p95 latency 2.4 s (baseline 0.9 s) since 08:50Z."),
            E("12m", "ivan", "acknowledged"),
            E("35m", "carol", "investigating"),
            E("50m", "erin", None, "Some customers may notice a slower checkout. "
                                   "Orders are processed normally.", True),
            E("3h", "carol", None, "Slow query on stock reservation, seq scan on inventory.reservations "
                                   "(autovacuum analyze skipped after the bulk import). Manual ANALYZE run, "
                                   "partial improvement."),
            E("1d", "carol", None, "p95 now 1.4 s, still above target. Black Friday load test postponed "
                                   "until this is fixed."),
        ])

    incident(
        "O2", "2026-11-24 18:40", "notifications", "Order confirmation e-mails delayed by up to 2 hours",
        "medium", "medium", "degraded_performance", "mallory-free", "bob",
        affected=["notifications", "orders"], related=["F_broker"],
        events=[
            E("0m", "mallory-free", "new", "Customers say order confirmation e-mails arrive up to 2 hours late."),
            E("25m", "bob", "acknowledged", "Queue depth 48k on email-outbound, consumer lag growing."),
            E("40m", "erin", None, "Order confirmation e-mails are delayed. "
                                   "Your orders are processed normally.", True),
            E("14h", "bob", None, "Mail provider throttles us to 50 messages/s since their plan change "
                                  "on 2026-11-24; asked them to raise the limit."),
        ])

    incident(
        "O3", "2026-11-23 10:05", "shipping", "Parcel tracking out of date for DHL shipments",
        "medium", "low", "degraded_performance", "judy", "ivan",
        events=[
            E("0m", "judy", "new", "Tracking page shows 'label created' for DHL parcels that were "
                                   "delivered days ago."),
            E("1h", "ivan", "acknowledged"),
            E("2h", "ivan", "investigating"),
            E("4h", "ivan", None, "DHL tracking webhook stopped sending events on 2026-11-22 at 22:00Z; "
                                  "the polling fallback is rate limited."),
            E("5h", "ivan", "on_hold", "Waiting for DHL (ticket DHL-55712). Polling fallback raised to every 2 h."),
            E("5h10m", "erin", None, "Delivery tracking for DHL parcels may be out of date. "
                                     "Your parcels are being delivered normally.", True),
        ])

    incident(
        "O4", "2026-11-24 05:30", "data-warehouse", "Nightly sales load failed, staging volume full",
        "low", "medium", "none", "dave", "heidi",
        events=[
            E("0m", "dave", "new", "Airflow alert, sales_daily failed in the load step with "
                                   "'no space left on device' on /staging."),
        ])

    incident(
        "O5", "2026-11-19 14:20", "backoffice", "Order CSV export times out for ranges over 7 days",
        "low", "low", "none", "judy", "heidi",
        events=[
            E("0m", "judy", "new", "Order CSV export in the backoffice times out for date ranges "
                                   "longer than 7 days."),
            E("3h", "heidi", "acknowledged"),
            E("1d", "heidi", "investigating"),
            E("1d2h", "heidi", None, "Export runs one unpaginated query over orders and order_lines; a 14-day "
                                     "export reads 9 M rows."),
            E("1d3h", "heidi", "on_hold", "Workaround agreed with judy (export week by week). The fix needs a "
                                          "schema change, parked until the Black Friday freeze is over."),
        ])

    # priority overrides
    incident(
        "OV1", "2026-11-23 07:45", "data-warehouse", "Black Friday sales dashboard not refreshing",
        "medium", "medium", "none", "alice", "heidi", priority="P2",
        override="War-room dashboard for the Black Friday week; escalated by the incident manager.",
        resolution="Cancelled a long-running ad-hoc query that blocked the materialized view refresh; "
                   "ad-hoc queries now run on the replica.",
        events=[
            E("0m", "alice", "new", "Sales dashboard stuck at yesterday 23:00, we need it for the war room."),
            E("10m", "heidi", "acknowledged"),
            E("20m", "heidi", "investigating"),
            E("1h", "heidi", None, "Refresh of mv_sales_hourly blocked by an ad-hoc query running for 9 hours; "
                                   "query cancelled."),
            E("1h30m", "heidi", "resolved", "Dashboard current again."),
        ])


# filler incidents: (key, date, service, title, impact, urgency, ci, reporter, assignee,
#                    shape, notes, public, resolution, extras)
FILLERS = [
    ("F_heavy", "2026-09-01", "shipping", "Label generation fails for parcels over 20 kg",
     "low", "medium", "none", "judy", "ivan", "normal",
     ["Carrier rejects product code V01PAK for parcels over 20 kg since their API change on 2026-08-31."],
     None, "Parcels over 20 kg now use carrier product V62WP.", {}),
    ("F_cdn_images", "2026-09-08", "storefront", "Product images load slowly in Austria and Switzerland",
     "medium", "medium", "degraded_performance", "judy", "frank", "normal",
     ["CDN origin shield miss rate 40 % after last night's full purge; origin at 90 % CPU.",
      "Warmed the cache with the top 20k product image URLs."],
     "Product images may load slowly at the moment. We are working on it.",
     "Cache warmed; origin autoscaling maximum raised from 6 to 10 instances.",
     {"problem": "P_cache"}),
    ("F_umlaut", "2026-09-10", "search", "Search returns no results for queries with umlauts",
     "medium", "medium", "degraded_performance", "judy", "grace", "normal",
     ["Analyzer config in release 2026.09.09 dropped the asciifolding filter, so 'größe' no longer "
      "matches 'groesse'."],
     "Searching for words with umlauts may return no results. We are working on a fix.",
     "Re-added the asciifolding filter and reindexed the product index.", {}),
    ("F_voucher", "2026-09-14 22:25", "checkout", "Voucher codes rejected on their last valid day",
     "medium", "high", "degraded_performance", "mallory-free", "carol", "normal",
     ["Vouchers valid until 2026-09-14 are rejected since 22:00Z. The end date is compared with the "
      "UTC date, not Europe/Berlin.",
      "Extended the end date of the affected summer campaign codes by one day."],
     "Some voucher codes are not accepted at checkout. We are working on it.",
     "Campaign end dates extended by one day; code fix tracked in {P_voucher}.",
     {"problem": "P_voucher"}),
    ("F_ci_queue", "2026-09-17", "ci-platform", "CI builds queue for more than 30 minutes",
     "medium", "high", "none", "frank", "dave", "normal",
     ["14 runners stuck offline after a node pool autoscaler bug; new jobs wait for capacity."],
     None, "Removed the stuck runners and pinned the autoscaler to 1.29.3.", {}),
    ("F_history", "2026-09-23", "orders", "Intermittent 504 on the order history page",
     "medium", "medium", "degraded_performance", "mallory-free", "heidi", "normal",
     ["Query by customer_id hits the orders_2025 partition, which has no index on customer_id."],
     "The order history page may load slowly or time out. We are working on it.",
     "Created the missing index on orders_2025 (CONCURRENTLY, 12 minutes).", {}),
    ("F_cache_5xx", "2026-09-29", "storefront", "Storefront 5xx spikes after CDN cache purge",
     "medium", "high", "degraded_performance", "ivan", "frank", "normal",
     ["Marketing triggered a full purge for the autumn campaign; origin saturated within 2 minutes.",
      "Scaled origin to 10 instances by hand; 5xx back to baseline."],
     "Some pages of the shop are loading slowly or showing errors. We are on it.",
     "Origin scaled out; full purges disabled for the marketing API token.",
     {"problem": "P_cache"}),
    ("F_outlook", "2026-10-01", "notifications", "Password reset e-mails not delivered to Outlook.com",
     "medium", "medium", "degraded_performance", "mallory-free", "bob", "onhold",
     ["Outlook.com rejects with 550 5.7.1, our new sending IP is on their block list.",
      "SPF record misses the include for the new mail provider."],
     "Password reset e-mails to Outlook.com and Hotmail addresses are delayed. We are working on it.",
     "Fixed the SPF record; Microsoft removed our sending IP from their block list.",
     {"affected": ["notifications", "accounts"],
      "hold": "Waiting for Microsoft sender support to delist our IP (case 1194-22)."}),
    ("F_prices", "2026-10-05", "catalog-api", "Category pages show pre-sale prices for discounted items",
     "high", "medium", "none", "judy", "grace", "normal",
     ["Price cache TTL is 24 h; campaign prices published at 06:00Z were not picked up."],
     None, "Flushed the price cache; publishing a campaign now invalidates the affected keys.", {}),
    ("OV2", "2026-10-07", "storefront", "Wrong currency symbol in the newsletter sign-up footer",
     "high", "low", "none", "judy", "frank", "normal",
     ["Translation key footer.newsletter.price uses the CHF symbol for all locales."],
     None, "Corrected the translation key; shipped with the regular storefront release.",
     {"priority": "P4",
      "override": "Cosmetic only; the product owner agreed it can wait for the next regular release."}),
    ("F_dwh_dup", "2026-10-08", "data-warehouse", "Revenue dashboard counts the previous day twice",
     "low", "low", "none", "alice", "heidi", "skip",
     ["Load job for fact_orders re-ran after a timeout without deleting the first partial load."],
     None, "Deduplicated fact_orders for 2026-10-07; the load job is now idempotent.", {}),
    ("F_applepay", "2026-10-09", "checkout", "Apple Pay button missing in Safari",
     "medium", "medium", "degraded_performance", "mallory-free", "carol", "normal",
     ["Apple Pay domain verification file was deleted from the CDN bucket by the static asset "
      "clean-up on 2026-10-06."],
     "Apple Pay is currently not offered in Safari. Other payment methods work normally.",
     "Restored the verification file and excluded .well-known/ from the asset clean-up.",
     {"affected": ["checkout", "payments"]}),
    ("F_refund", "2026-10-12", "backoffice", "Refund button disabled for support agents",
     "medium", "medium", "none", "judy", "dave", "normal",
     ["IdP group renamed from support to cs-agents; backoffice role mapping still points at the old name."],
     None, "Role mapping updated to cs-agents.", {"affected": ["backoffice", "payments"]}),
    ("F_waf", "2026-10-15", "storefront", "Newsletter sign-up returns 403 for some e-mail addresses",
     "low", "medium", "none", "judy", "frank", "normal",
     ["WAF rule 942100 (SQL injection) false positive on addresses with a plus sign followed by 'or'."],
     None, "Added a WAF exclusion for the newsletter e-mail field.", {}),
    ("F_lockout", "2026-10-19", "accounts", "Customer accounts locked after 3 failed logins instead of 5",
     "medium", "medium", "none", "mallory-free", "ivan", "normal",
     ["lockout_threshold is 3 in the database settings since the PostgreSQL 16 upgrade ({C8}); "
      "the settings table was restored from the default seed."],
     None, "Threshold set back to 5 and the settings table added to the upgrade checklist.", {}),
    ("F_sepa", "2026-10-21", "payments", "SEPA direct debit payments stuck in pending",
     "medium", "medium", "none", "judy", "carol", "onhold",
     ["Status file from the bank for 2026-10-20 was empty (0 bytes); 214 payments not updated."],
     None, "Bank resent the status file; reprocessed it and all 214 payments were updated.",
     {"affected": ["payments", "orders"],
      "hold": "Waiting for the bank to resend the status file for 2026-10-20."}),
    ("F_broker", "2026-10-22 06:40", "notifications", "Notification backlog after message broker restart",
     "medium", "high", "degraded_performance", "ivan", "bob", "normal",
     ["Broker node restarted for OS patching; consumers reconnected but 30k messages were redelivered.",
      "Backlog drained at 09:10Z."],
     "Order and shipping e-mails are delayed. Your orders are not affected.",
     "Backlog drained; patching now drains consumers before restarting a broker node.",
     {"affected": ["notifications", "orders"], "problem": "P_broker"}),
    ("F_dupemails", "2026-10-22 09:10", "notifications", "Customers receive duplicate order confirmations",
     "low", "medium", "none", "mallory-free", "bob", "normal",
     ["Redelivered messages from the broker restart were sent again; the consumer has no idempotency key."],
     None, "No new duplicates after the backlog drained. Permanent fix tracked in {P_broker}.",
     {"problem": "P_broker", "related": ["F_broker"]}),
    ("F_tflock", "2026-10-26", "ci-platform", "Deploy pipelines fail, Terraform state lock not released",
     "low", "high", "none", "carol", "dave", "normal",
     ["Lock item left in DynamoDB by a cancelled job; force-unlocked after checking no apply was running."],
     None, "Lock released; pipelines now release the lock in a cleanup step.", {}),
    ("F_autocomplete", "2026-10-27", "search", "Search autocomplete slow, p95 above 1.5 s",
     "medium", "medium", "degraded_performance", "frank", "grace", "normal",
     ["Suggester rebuild runs during peak hours since its cron moved to UTC with the DST change."],
     "Search suggestions may appear slowly. Search itself works normally.",
     "Moved the suggester rebuild back to 03:00 Europe/Berlin.", {}),
    ("F_invoice", "2026-10-28", "orders", "Invoice PDF download fails for orders before 2024",
     "low", "medium", "none", "judy", "heidi", "reopen",
     ["Archive bucket moved to a cold storage class; presigned URLs fail with InvalidObjectState."],
     None, "Restored archived invoices 2019-2023 to standard storage; lifecycle rule now excludes invoices.",
     {"reopen": "Reopened. judy reports the fix only covered 2023; older invoices still fail."}),
    ("F_sms", "2026-10-30", "notifications", "Shipping SMS notifications not sent",
     "medium", "low", "none", "judy", "bob", "onhold",
     ["SMS provider rejects our sender ID ACMESHOP since 2026-10-29 (registration expired)."],
     None, "Sender ID registration renewed by the provider; queued messages older than 24 h dropped.",
     {"affected": ["notifications", "shipping"],
      "hold": "Waiting for the SMS provider to renew our sender ID registration."}),
    ("F_voucher2", "2026-10-31 23:10", "checkout", "Halloween voucher not accepted until 01:00",
     "medium", "medium", "none", "mallory-free", "carol", "normal",
     ["Same cause as {F_voucher}: start date compared with the UTC date."],
     None, "Codes worked from 00:00Z. Fix released with {P_voucher}.", {"problem": "P_voucher"}),
    ("F_eta", "2026-11-02", "shipping", "Delivery estimate missing on product pages",
     "low", "low", "none", "frank", "ivan", "normal",
     ["Carrier cut-off times config lost the DPD entry during the last deploy."],
     None, "Restored the DPD cut-off times.", {}),
    ("F_missingproducts", "2026-11-03", "search", "New products missing from search results",
     "low", "medium", "none", "judy", "grace", "normal",
     ["Indexer logs 429 from the bulk API and skips the batch without retrying."],
     None, "Reindexed the missing 1,840 products by hand; retry fix tracked in {P_search}.",
     {"problem": "P_search"}),
    ("F_cpu", "2026-11-04", "inventory", "Inventory sync job uses 100 % CPU on its worker node",
     "low", "medium", "none", "dave", "ivan", "skip",
     ["Sync job processed the full SKU list every minute after a config typo (interval 60 s instead of 60 min)."],
     None, "Interval fixed to 60 minutes.", {}),
    ("F_reviews", "2026-11-05", "catalog-api", "Product reviews not shown on product pages",
     "low", "medium", "none", "judy", "grace", "onhold",
     ["Reviews vendor API returns 503 for our tenant."],
     None, "Vendor restored the API; reviews visible again.",
     {"hold": "Waiting for the reviews vendor to fix their API (ticket RV-3391)."}),
    ("F_wishlist", "2026-11-06", "accounts", "Wishlist items disappear after signing in",
     "low", "medium", "none", "mallory-free", "ivan", "reopen",
     ["Anonymous wishlist merge overwrites the account wishlist instead of merging when it is not empty."],
     None, "Merge fixed for web and app sign-ins (accounts release 2026.11.10-1).",
     {"reopen": "Reopened. Items are still lost when signing in through the mobile app (separate merge path)."}),
    ("F_returns", "2026-11-10", "shipping", "Returns portal shows the old warehouse address",
     "low", "medium", "none", "judy", "ivan", "normal",
     ["Return label template still has the Spandau address; warehouse moved on 2026-11-01."],
     None, "Return label template updated with the new address.", {}),
    ("F_erp", "2026-11-11", "orders", "Order export to the ERP delayed by 6 hours",
     "low", "medium", "none", "heidi", "carol", "normal",
     ["Export job waits on a lock held by the nightly archive job that ran late."],
     None, "Archive job moved to 01:00; export caught up.", {"affected": ["orders", "data-warehouse"]}),
    ("F_stock", "2026-11-12", "inventory", "Stock levels out of sync for about 120 SKUs",
     "medium", "low", "none", "judy", "ivan", "normal",
     ["Warehouse events from 02:10Z to 02:40Z ended up in the dead-letter queue while the broker restarted."],
     None, "Replayed the dead-lettered warehouse events; counts verified against the WMS export.",
     {"affected": ["inventory", "catalog-api"], "problem": "P_stock"}),
    ("F_postcode", "2026-11-13", "checkout", "Address validation rejects valid Austrian postcodes",
     "medium", "medium", "degraded_performance", "mallory-free", "carol", "normal",
     ["Postcode check in the new address form assumes 5 digits; Austrian postcodes have 4."],
     "Customers with an Austrian delivery address may not be able to complete checkout. A fix is on the way.",
     "Country-specific postcode patterns restored.", {}),
    ("F_staging", "2026-11-16", "ci-platform", "Staging environment unavailable",
     "low", "low", "none", "frank", "dave", "skip",
     ["Staging ingress certificate expired; issued by the staging cert-manager, not covered by the exporter."],
     None, "Renewed the staging certificate and added the staging issuer to the expiry exporter.", {}),
    ("F_grafana", "2026-11-17", "ci-platform", "Checkout metrics missing in Grafana",
     "low", "medium", "none", "carol", "dave", "normal",
     ["Prometheus scrape config lost the checkout namespace in the monitoring chart upgrade."],
     None, "Scrape config fixed; 5 hours of metrics are missing.", {}),
    ("F_slowadmin", "2026-11-18", "backoffice", "Backoffice sign-in takes over 20 seconds",
     "low", "low", "none", "judy", "dave", "normal",
     ["Backoffice resolves group membership with one IdP call per group (38 calls)."],
     None, "Switched to the batch membership endpoint; sign-in under 2 s.", {}),
    ("F_stock2", "2026-11-19", "inventory", "Products shown as in stock cannot be reserved",
     "medium", "medium", "degraded_performance", "mallory-free", "ivan", "normal",
     ["Reservation fails for 37 SKUs whose stock count is higher in the catalog than in inventory.",
      "Same gap as {F_stock}, warehouse events lost during a broker failover."],
     "Some products shown as available cannot be added to an order. We are working on it.",
     "Replayed the dead-letter queue again; catalog stock refreshed.",
     {"problem": "P_stock", "affected": ["inventory", "catalog-api"]}),
]

DURATIONS = {
    # (ack, investigate after ack, total to resolve, close after resolve) in minutes
    "P2": ((5, 25), (5, 30), (120, 600), (1440, 4320)),
    "P3": ((20, 180), (10, 360), (360, 4320), (1440, 5760)),
    "P4": ((60, 1440), (0, 1440), (1440, 7200), (1440, 5760)),
}


def rmin(lo, hi):
    return timedelta(minutes=rng.randint(lo, hi))


def office(t, prio):
    """P3/P4 work happens in office hours (Mon-Fri 07:00-16:00Z); P2 around the clock."""
    if prio == "P2":
        return t
    while t.weekday() >= 5 or not (7 <= t.hour < 16):
        if t.weekday() < 5 and t.hour < 7:
            t = t.replace(hour=7, minute=0) + rmin(0, 150)
        else:
            t = (t + timedelta(days=1)).replace(hour=7, minute=0) + rmin(0, 150)
    return t


def filler_timeline(at, prio, shape, reporter, assignee, ci, notes, public, x, scale):
    ack_r, inv_r, res_r, close_r = [(int(lo * scale), int(hi * scale)) for lo, hi in DURATIONS[prio]]
    evs = [(at, reporter, "new", None, False)]
    if shape == "skip":
        t_res = office(at + rmin(*res_r), prio)
        evs.append((t_res, assignee, "resolved", notes[0], False))
    else:
        ack_by = "ivan" if prio == "P2" and assignee != "ivan" and rng.random() < 0.5 else assignee
        t_ack = office(at + rmin(*ack_r), prio)
        t_inv = office(t_ack + rmin(*inv_r), prio)
        evs.append((t_ack, ack_by, "acknowledged", None, False))
        evs.append((t_inv, assignee, "investigating", None, False))
        t = t_inv
        if public and ci != "none":
            t = t + rmin(8, 25)
            evs.append((t, "erin" if prio == "P2" else "mallory-free", None, public, True))
        step = max(timedelta(minutes=30), (rmin(*res_r)) / (len(notes) + 1))
        if shape == "onhold":
            t = office(t + step, prio)
            evs.append((t, assignee, None, notes[0], False))
            t = office(t + rmin(30, 120), prio)
            evs.append((t, assignee, "on_hold", x["hold"], False))
            t = office(t + timedelta(hours=rng.randint(20, 80)), prio)
            evs.append((t, assignee, "investigating",
                        notes[1] if len(notes) > 1 else "Vendor confirmed the fix, verifying.", False))
            t_res = office(t + rmin(120, 600), prio)
        else:
            for n in notes:
                t = office(t + step, prio)
                evs.append((t, assignee, None, n, False))
            t_res = office(t + step, prio)
        res_note, res_public = None, False
        if public and ci != "none":
            res_note, res_public = "This issue has been resolved. Thank you for your patience.", True
        evs.append((t_res, assignee, "resolved", res_note, res_public))
        if shape == "reopen":
            t_reopen = office(t_res + rmin(360, 2880), prio)
            evs.append((t_reopen, assignee, "investigating", x["reopen"], False))
            t_res = office(t_reopen + rmin(240, 1440), prio)
            evs.append((t_res, assignee, "resolved", None, False))
    t_close = office(t_res + rmin(*close_r), "P3")
    if t_close <= NOW:
        closer = rng.choice(["mallory-free", "mallory-free", reporter])
        evs.append((t_close, closer, "closed",
                    "Confirmed with the reporter." if closer == "mallory-free" else None, False))
    return t_res, evs


def filler_incidents():
    for (key, day, service, title, impact, urgency, ci, reporter, assignee, shape, notes, public,
         resolution, x) in FILLERS:
        if " " in day:
            at = T(day)
        else:
            # business hours in Berlin, 06:00-15:00Z
            at = T(day + " 06:00") + timedelta(minutes=rng.randint(0, 9 * 60) // 5 * 5)
        prio = x.get("priority") or MATRIX[(impact, urgency)]
        scale = 1.0
        while True:
            t_res, evs = filler_timeline(at, prio, shape, reporter, assignee, ci, notes, public, x, scale)
            if t_res <= NOW - timedelta(hours=12):
                break
            scale /= 2
        evs = [(e[0].replace(second=0, microsecond=0),) + e[1:] for e in evs]
        for a, b in zip(evs, evs[1:]):
            assert a[0] <= b[0], (key, a, b)
        for e in evs:
            assert e[0] <= NOW, (key, e)
        INCIDENTS.append(dict(
            key=key, at=at, service=service, title=title, impact=impact, urgency=urgency, ci=ci,
            reporter=reporter, assignee=assignee, events=evs,
            affected=x.get("affected", [service]), problem=x.get("problem"), related=x.get("related"),
            resolution=resolution, priority=x.get("priority"), override=x.get("override"), extra=None,
            local=rng.random() < 0.3))


def last_status(events):
    st = None
    for e in events:
        if e[2]:
            st = e[2]
    return st


def emit_incidents():
    for inc in INCIDENTS:
        loc = inc["local"]
        status = last_status(inc["events"])
        prio = inc["priority"] or MATRIX[(inc["impact"], inc["urgency"])]
        doc = {
            "id": IDS[inc["key"]],
            "title": inc["title"],
            "service": inc["service"],
            "impact": inc["impact"],
            "urgency": inc["urgency"],
            "priority": prio,
            "priority_override_reason": inc["override"],
            "status": status,
            "reported_at": ts(inc["at"], loc),
            "reported_by": inc["reporter"],
            "assignee": inc["assignee"],
            "customer_impact": inc["ci"],
            "affected_services": inc["affected"],
            "problem": IDS[inc["problem"]] if inc["problem"] else None,
            "related": [IDS[r] for r in inc["related"]] if inc["related"] else None,
            "resolution": sub(inc["resolution"]) if status in ("resolved", "closed") else None,
            "timeline": [ev(at, by, st, note, pub, loc) for at, by, st, note, pub in inc["events"]],
            "extra": inc["extra"],
        }
        comment = None
        if inc["key"] == "K1":
            comment = "Major incident. Post-incident review: see extra.postmortem."
        elif inc["override"]:
            comment = "Priority set by hand, see priority_override_reason."
        write("incidents/%s.yaml" % doc["id"], render("Incident", doc, comment=comment))


# --------------------------------------------------------------------------
# problems

PROBLEMS = []


def problem(key, title, services, root_cause, workaround, incidents, events):
    PROBLEMS.append(dict(key=key, title=title, services=services, root_cause=root_cause,
                         workaround=workaround, incidents=incidents,
                         events=[(T(a), by, st, note, False) for a, by, st, note in events]))


def define_problems():
    problem(
        "P_pool", "Checkout exhausts the orders-db connection pool under load", ["checkout", "orders"],
        B("""
            Checkout's price recalculation opens one orders-db connection per cart line item (N+1),
            and any slow call made inside the checkout transaction holds its connection for the whole
            call. With 8 pods x 50 connections the orders-db limit of 400 is reached at about three
            times normal traffic.
        """),
        "Keep the per-pod pool at 40 and scale pods instead of raising it. Roll back any release that "
        "raises connection hold time (dashboard 'orders-db pool'). Never call other services inside "
        "the checkout transaction.",
        ["K1", "K4"],
        [("2026-09-07 09:30", "carol", "new", "Opened after {K1}."),
         ("2026-09-07 10:15", "carol", "investigating", None),
         ("2026-09-10 07:00", "carol", None, "Pool capped and pgbouncer in transaction mode ({C2}). "
                                             "The N+1 is still in the code."),
         ("2026-09-11 13:00", "carol", "known_error", "Root cause confirmed in a load test; workaround documented."),
         ("2026-10-16 09:00", "carol", None, "Recurred in {K4}, this time through a synchronous call inside "
                                             "the transaction. Refactoring planned for January."),
         ])
    problem(
        "P_psp", "Retry storms against the payment provider amplify its latency", ["payments", "checkout"],
        "Our PSP client retried timed-out calls 3 times without backoff, so a latency spike at the "
        "provider tripled our request rate and kept the provider overloaded.",
        "Lower psp_retry_max to 0 with the feature flag during a provider incident.",
        ["K2"],
        [("2026-09-21 08:30", "ivan", "new", "Opened after {K2}."),
         ("2026-09-21 09:00", "ivan", "investigating", None),
         ("2026-09-22 10:30", "ivan", "known_error", "Confirmed from client metrics: 3.1x request amplification."),
         ("2026-09-24 09:00", "ivan", "resolved", "Retry budget and circuit breaker live ({C4})."),
         ])
    problem(
        "P_cert", "Certificate and credential expiry is not monitored",
        ["storefront", "payments", "accounts"],
        B("""
            Certificates and third-party API credentials had no expiry monitoring. TLS renewal relied on
            cert-manager, whose DNS provider token had been revoked, and the PayPal API credential was
            tracked in the personal calendar of a former employee.
        """),
        "Weekly manual check of the certificate and credential inventory (runbook SEC-4).",
        ["K3", "K6"],
        [("2026-10-02 10:00", "alice", "new", "Opened after {K3}."),
         ("2026-10-02 10:30", "ivan", "investigating", None),
         ("2026-10-05 14:00", "ivan", "known_error", "Token renewed ({C7}); expiry exporter planned."),
         ("2026-10-26 10:00", "ivan", None, "Expiry exporter live for all TLS certificates ({C11})."),
         ("2026-10-30 09:00", "ivan", None, "{K6}, the PayPal API credential expired. Secrets were not covered "
                                            "by the exporter; adding vault secret metadata."),
         ("2026-11-10 15:00", "ivan", "resolved", "Exporter covers certificates and API credentials with "
                                                  "alerts 30, 14 and 3 days before expiry."),
         ("2026-11-20 10:00", "alice", "closed", "No expiry-related incidents since; closing."),
         ])
    problem(
        "P_cache", "A full CDN purge overloads the storefront origin", ["storefront"],
        "A full CDN purge sends all traffic to the storefront origin at once. Origin autoscaling needs "
        "about 4 minutes to add instances, so the origin saturates.",
        "Use path-based purges. If a full purge is unavoidable, scale the origin to 10 instances first.",
        ["F_cdn_images", "F_cache_5xx"],
        [("2026-09-30 09:00", "frank", "new", "Two incidents after full purges ({F_cdn_images}, {F_cache_5xx})."),
         ("2026-09-30 09:20", "frank", "investigating", None),
         ("2026-10-01 15:00", "frank", "known_error", None),
         ("2026-10-08 11:00", "frank", "resolved", "Full purges removed from the marketing API token, "
                                                   "origin shield enabled, minimum origin size 4."),
         ("2026-10-22 09:00", "frank", "closed", None),
         ])
    problem(
        "P_voucher", "Voucher validity is checked against the UTC date", ["checkout"],
        "Voucher start and end dates are stored as dates but compared with the current UTC date, so codes "
        "start and expire one or two hours off in Germany.",
        "Set campaign start dates one day early and end dates one day late.",
        ["F_voucher", "F_voucher2"],
        [("2026-09-15 08:00", "carol", "new", "Opened after {F_voucher}."),
         ("2026-09-15 08:30", "carol", "investigating", None),
         ("2026-09-16 11:00", "carol", "known_error", None),
         ("2026-11-01 09:00", "carol", None, "Recurred with the Halloween campaign ({F_voucher2})."),
         ("2026-11-06 10:00", "carol", "resolved", "Validity now evaluated in Europe/Berlin "
                                                   "(checkout release 2026.11.05-1)."),
         ])
    problem(
        "P_broker", "Notification consumer is not idempotent", ["notifications", "orders"],
        "The e-mail consumer acknowledges messages after sending and keeps no idempotency key, so every "
        "redelivery (broker restart, consumer crash) sends the e-mail again.",
        "Before restarting a broker node, drain the email-outbound consumers (runbook NOTIF-7). After an "
        "unplanned restart, run the dedup script before resuming the consumers.",
        ["F_broker", "F_dupemails"],
        [("2026-10-23 08:00", "bob", "new", "Opened after {F_broker} and {F_dupemails}."),
         ("2026-10-23 09:00", "bob", "investigating", None),
         ("2026-10-28 14:00", "bob", "known_error", None),
         ("2026-11-12 09:10", "bob", None, "Broker migration {C_cancel} cancelled until the consumers are "
                                           "idempotent."),
         ])
    problem(
        "P_search", "Search cluster runs out of heap during full reindex", ["search", "storefront"],
        "Under investigation. The full reindex after the cluster switch ({C12}) needs more heap than planned, "
        "and the indexer silently skips products when bulk requests are rejected.",
        "Run full reindexes only between 01:00 and 05:00 Europe/Berlin with concurrency 2 (set in {C13}).",
        ["F_missingproducts", "K7"],
        [("2026-11-10 09:00", "grace", "new", "Opened after {K7}; {F_missingproducts} looks related."),
         ("2026-11-10 09:30", "grace", "investigating", None),
         ("2026-11-18 16:00", "grace", None, "Heap dumps show the bulk queue holding 2 GB per node during "
                                             "reindex."),
         ])
    problem(
        "P_stock", "Warehouse stock events lost during broker restarts", ["inventory", "catalog-api"],
        None,
        "Replay the warehouse dead-letter queue (runbook INV-3).",
        ["F_stock", "F_stock2"],
        [("2026-11-20 10:00", "ivan", "new", "Second occurrence ({F_stock2}) in a week, opening a problem."),
         ])


def emit_problems():
    for p in PROBLEMS:
        loc = False
        doc = {
            "id": IDS[p["key"]],
            "title": p["title"],
            "services": p["services"],
            "status": last_status(p["events"]),
            "root_cause": sub(p["root_cause"]),
            "workaround": sub(p["workaround"]),
            "incidents": [IDS[k] for k in sorted(p["incidents"], key=lambda k: IDS[k])],
            "timeline": [ev(a, by, st, note, pub, loc) for a, by, st, note, pub in p["events"]],
        }
        write("problems/%s.yaml" % doc["id"], render("Problem", doc))


# --------------------------------------------------------------------------
# service requests

REQUESTS = []


def request(key, at, title, service, requested_by, events, local=False):
    at = T(at)
    REQUESTS.append(dict(key=key, at=at, title=title, service=service, requested_by=requested_by,
                         events=[(at + D(o), by, st, note, False) for o, by, st, note in events],
                         local=local))


def define_requests():
    request("R1", "2026-09-03 09:20", "Read access to the data warehouse for the marketing team",
            "data-warehouse", "judy", [
                ("0m", "judy", "submitted", "Four analysts need read access to the sales marts; names in the "
                                            "attached list."),
                ("3h", "heidi", "approved", None),
                ("1d", "heidi", "fulfilling", None),
                ("1d2h", "heidi", "fulfilled", "Group dwh-readers-marketing created, 4 users added."),
                ("3d", "judy", "closed", None)])
    request("R2", "2026-09-10 13:05", "ARM64 runner label for CI builds", "ci-platform", "frank", [
        ("0m", "frank", "submitted", "We want to build the storefront images for arm64 natively."),
        ("1d", "dave", "approved", None),
        ("2d", "dave", "fulfilling", None),
        ("4d", "dave", "fulfilled", "Label arm64-large available, 4 runners."),
        ("6d", "frank", "closed", None)])
    request("R15", "2026-09-15 10:00", "Disable CAPTCHA on customer login for load testing", "accounts",
            "carol", [
                ("0m", "carol", "submitted", "For the Black Friday load test in production."),
                ("5h", "erin", "rejected", "Not in production. Use the load-test bypass header on staging.")])
    request("R3", "2026-09-22 08:40", "Reset two-factor authentication for a support agent", "backoffice",
            "mallory-free", [
                ("0m", "mallory-free", "submitted", "New phone, old authenticator lost."),
                ("20m", "judy", "approved", "Identity verified in person."),
                ("25m", "dave", "fulfilling", None),
                ("40m", "dave", "fulfilled", None),
                ("1d", "mallory-free", "closed", None)], local=True)
    request("R4", "2026-09-30 11:00", "Production database write access for a campaign import", "orders",
            "judy", [
                ("0m", "judy", "submitted", None),
                ("1d", "alice", "rejected", "Direct writes to production are not permitted. Use the backoffice "
                                            "bulk import; heidi can help with the file format.")])
    request("R5", "2026-10-06 09:30", "Add grace to the payments on-call rota", "payments", "carol", [
        ("0m", "carol", "submitted", None),
        ("2h", "alice", "approved", None),
        ("1d", "dave", "fulfilling", None),
        ("1d1h", "dave", "fulfilled", "Added to the PagerDuty schedule from 2026-10-12."),
        ("3d", "carol", "closed", None)])
    request("R6", "2026-10-12 14:10", "Raise catalog API rate limit for a price comparison partner",
            "catalog-api", "judy", [
                ("0m", "judy", "submitted", "Partner idealo-like feed hits 429 at 20 req/s; asks for 50 req/s."),
                ("1d", "grace", "approved", None),
                ("2d", "grace", "fulfilling", None),
                ("2d3h", "grace", "fulfilled", "API key pc-partner-7 raised to 50 req/s."),
                ("5d", "judy", "closed", None)])
    request("R7", "2026-10-20 10:15", "Sender domain for the Christmas newsletter", "notifications", "frank", [
        ("0m", "frank", "submitted", "Marketing wants to send from xmas.acme.example."),
        ("1d", "bob", "approved", None),
        ("2d", "bob", "fulfilling", None),
        ("2d2h", "bob", "on_hold", "Waiting for marketing to add the DKIM records at their DNS provider."),
        ("6d", "bob", "fulfilling", "DKIM records are in place."),
        ("7d", "bob", "fulfilled", "xmas.acme.example verified (SPF, DKIM, DMARC).")])
    request("R8", "2026-10-27 08:00", "Export of September orders for the tax audit", "orders", "alice", [
        ("0m", "alice", "submitted", None),
        ("1h", "carol", "approved", None),
        ("1d", "heidi", "fulfilling", None),
        ("1d4h", "heidi", "fulfilled", "Export handed to finance via the encrypted share."),
        ("3d", "alice", "closed", None)])
    request("R9", "2026-11-03 15:30", "Staging copy of the search index for relevance tests", "search",
            "grace", [
                ("0m", "grace", "submitted", None),
                ("1d", "dave", "approved", None),
                ("2d", "bob", "fulfilling", None),
                ("2d1h", "bob", "on_hold", "Staging cluster out of disk; waiting for the node pool upgrade "
                                           "({S3}).")])
    request("R10", "2026-11-10 09:00", "Backoffice accounts for four seasonal support agents", "backoffice",
            "judy", [
                ("0m", "judy", "submitted", "Start date 2026-11-20, end date 2027-01-15."),
                ("4h", "alice", "approved", None),
                ("1d", "dave", "fulfilling", None),
                ("1d3h", "dave", "fulfilled", "Accounts created with expiry 2027-01-15.")])
    request("R11", "2026-11-16 11:20", "Temporary CI quota increase for the Black Friday load test",
            "ci-platform", "carol", [
                ("0m", "carol", "submitted", None),
                ("2h", "dave", "approved", None),
                ("1d", "dave", "fulfilling", "Quota raised; reverting after the load test.")])
    request("R12", "2026-11-19 13:00", "Read-only backoffice access for the external auditor", "backoffice",
            "alice", [
                ("0m", "alice", "submitted", None),
                ("1d", "judy", "approved", "Access from 2026-11-30 to 2026-12-11 only.")])
    request("R13", "2026-11-23 10:30", "GLS sandbox credentials for the new carrier integration", "shipping",
            "ivan", [("0m", "ivan", "submitted", None)])
    request("R14", "2026-11-24 16:45", "Add Austrian public holidays to delivery estimates", "shipping",
            "judy", [("0m", "judy", "submitted", "Customers in Austria get estimates that ignore 8 December.")])


def emit_requests():
    for r in REQUESTS:
        doc = {
            "id": IDS[r["key"]],
            "title": r["title"],
            "service": r["service"],
            "requested_by": r["requested_by"],
            "status": last_status(r["events"]),
            "timeline": [ev(a, by, st, note, pub, r["local"]) for a, by, st, note, pub in r["events"]],
        }
        write("requests/%s.yaml" % doc["id"], render("Request", doc))


# --------------------------------------------------------------------------
# changes

CHANGES = []


def change(key, title, type_, risk, services, requested_by, implementer, description, plan,
           rollback_plan, test_plan, events, window=None, maintenance=False, outcome=None,
           review=None, approvals=(), local=False, extra=None, comment=None):
    CHANGES.append(dict(
        key=key, title=title, type=type_, risk=risk, services=services, requested_by=requested_by,
        implementer=implementer, description=description, plan=plan, rollback_plan=rollback_plan,
        test_plan=test_plan,
        events=[(T(a), by, st, note, False) for a, by, st, note in events],
        window=(T(window[0]), T(window[1])) if window else None, maintenance=maintenance,
        outcome=outcome, review=review, approvals=[(by, T(a)) for by, a in approvals],
        local=local, extra=extra, comment=comment))


def standard_events(by, impl, draft, window_start, done, close=None, note=None, impl_note=None,
                    sc="SC-07"):
    d = T(draft)
    ws = T(window_start)
    evs = [
        (draft, by, "draft", None),
        ((d + D("2m")).strftime("%Y-%m-%d %H:%M"), by, "submitted", None),
        ((d + D("3m")).strftime("%Y-%m-%d %H:%M"), by, "approved",
         "Standard change %s, pre-approved." % sc),
        ((d + D("5m")).strftime("%Y-%m-%d %H:%M"), by, "scheduled", note),
        ((ws + D("2m")).strftime("%Y-%m-%d %H:%M"), impl, "implementing", None),
    ]
    if impl_note:
        evs.append(impl_note)
    if done:
        evs.append((done, impl, "completed", None))
    if close:
        evs.append((close, by, "closed", None))
    return evs


def define_changes():
    change(
        "C1", "Scale checkout from 6 to 8 pods", "standard", "low", ["checkout"], "carol", "ivan",
        "More headroom for the autumn campaign starting 2026-09-07.",
        B("""
            1. Raise replicas in infra/terraform/checkout/main.tf from 6 to 8.
            2. Apply and wait for the rollout to finish.
        """),
        B("""
            Set replicas back to 6 and apply.
        """),
        B("""
            All 8 pods ready, checkout error rate and latency unchanged.
        """),
        standard_events("carol", "ivan", "2026-09-02 14:00", "2026-09-03 08:00",
                        "2026-09-03 08:20", "2026-09-04 07:30", sc="SC-03"),
        window=("2026-09-03 08:00", "2026-09-03 08:30"), outcome="successful")

    change(
        "C2", "Cap the checkout DB pool and switch pgbouncer to transaction mode", "normal", "medium",
        ["checkout", "orders"], "carol", "heidi",
        "Follow-up of {K1}. Limits checkout to 40 connections per pod and lets pgbouncer return "
        "connections after each transaction.",
        B("""
            1. Set CHECKOUT_DB_POOL_MAX=40 in the checkout config.
            2. Switch orders-db pgbouncer pool_mode from session to transaction.
            3. Reload pgbouncer (no restart needed), then roll the checkout pods.
        """),
        B("""
            1. Set pool_mode back to session and reload pgbouncer.
            2. Revert CHECKOUT_DB_POOL_MAX and roll the checkout pods.
        """),
        B("""
            - Place test orders with 1, 10 and 50 line items.
            - Pool usage on the orders-db dashboard stays below 60 %.
        """),
        [("2026-09-07 11:00", "carol", "draft", None),
         ("2026-09-07 11:30", "carol", "submitted", None),
         ("2026-09-08 09:45", "carol", "approved", "Approved by dave in the CAB meeting."),
         ("2026-09-08 10:00", "carol", "scheduled", None),
         ("2026-09-10 05:02", "heidi", "implementing", None),
         ("2026-09-10 05:40", "heidi", "completed", "Pool at 35 % during the morning peak."),
         ("2026-09-14 08:00", "carol", "closed", None)],
        window=("2026-09-10 05:00", "2026-09-10 06:00"), outcome="successful",
        approvals=[("dave", "2026-09-08 09:40")])

    change(
        "C3", "Renovate dependency batch for the storefront (week 38)", "standard", "low", ["storefront"],
        "frank", "frank",
        "Weekly batch of minor and patch dependency updates.",
        B("""
            Merge the Renovate batch PR and deploy with the regular pipeline.
        """),
        B("""
            Redeploy the previous release.
        """),
        B("""
            Pipeline e2e suite green; smoke test of product, cart and account pages.
        """),
        standard_events("frank", "frank", "2026-09-14 09:00", "2026-09-15 08:00",
                        "2026-09-15 08:35", "2026-09-16 09:00", sc="SC-01"),
        window=("2026-09-15 08:00", "2026-09-15 09:00"), outcome="successful")

    change(
        "C4", "Lower payment provider retries and add a circuit breaker", "normal", "medium",
        ["payments", "checkout"], "ivan", "ivan",
        "Follow-up of {K2} and {P_psp}. Caps retries against the PSP and stops calling it while it is failing.",
        B("""
            1. Deploy payments release 2026.09.24-1 (retry budget 10 %, max 1 retry with jitter).
            2. Enable the circuit breaker (opens at 50 % failures over 30 s, half-open after 20 s).
        """),
        B("""
            Disable the circuit_breaker flag; redeploy release 2026.09.22-3 if needed.
        """),
        B("""
            - Card payment in production with a test card.
            - Fault injection on staging: PSP latency 15 s, breaker opens and checkout shows the
              "try another payment method" message.
        """),
        [("2026-09-21 10:00", "ivan", "draft", None),
         ("2026-09-21 10:30", "ivan", "submitted", None),
         ("2026-09-22 14:05", "ivan", "approved", None),
         ("2026-09-22 14:20", "ivan", "scheduled", None),
         ("2026-09-24 07:03", "ivan", "implementing", None),
         ("2026-09-24 07:45", "ivan", "completed", None),
         ("2026-09-28 09:00", "ivan", "closed", None)],
        window=("2026-09-24 07:00", "2026-09-24 08:00"), outcome="successful",
        approvals=[("bob", "2026-09-22 14:00")], local=True)

    change(
        "C5", "Move the search cluster to r7g instances", "normal", "medium", ["search"], "grace", "grace",
        "Cheaper instances with more memory per euro for the search data nodes.",
        B("""
            1. Add the r7g node group next to the current one.
            2. Exclude the old nodes from shard allocation and wait for relocation.
            3. Remove the old node group.
        """),
        B("""
            Re-include the old nodes in shard allocation and remove the r7g node group.
        """),
        B("""
            Cluster green, search p95 below 300 ms, no missing documents (count check).
        """),
        [("2026-09-28 09:00", "grace", "draft", None),
         ("2026-09-28 09:15", "grace", "submitted", None),
         ("2026-09-29 15:10", "grace", "approved", None),
         ("2026-09-29 15:30", "grace", "scheduled", None),
         ("2026-10-01 03:05", "grace", "implementing", None),
         ("2026-10-01 04:10", "grace", None, "Shards fail to allocate on the new nodes; heap per node is 16 GB, "
                                             "the plan assumed 30 GB."),
         ("2026-10-01 04:40", "grace", "completed", "Rolled back to the old node group; cluster green at 04:38Z."),
         ("2026-10-05 10:00", "grace", "closed", None)],
        window=("2026-10-01 03:00", "2026-10-01 05:00"), outcome="rolled_back",
        review=B("""
            The capacity plan used r7g.xlarge instead of r7g.2xlarge, so the new nodes had half the heap.
            The rollback worked as planned and took 25 minutes. Instance sizing is now checked against the
            shard allocation calculator. Retried as part of {C12}.
        """),
        approvals=[("alice", "2026-09-29 15:00")])

    change(
        "C6", "Upload a manually issued TLS certificate to the CDN", "emergency", "medium", ["storefront"],
        "ivan", "ivan",
        "Restores the shop during {K3}: the CDN certificate for www.acme.example expired.",
        B("""
            1. Issue a certificate for www.acme.example and acme.example with certbot (manual DNS challenge).
            2. Upload it to the CDN and switch the TLS profile.
        """),
        B("""
            Switch the CDN TLS profile back (it is already broken, so only if the new one is worse).
        """),
        B("""
            TLS handshake from three regions; synthetic checks green.
        """),
        [("2026-10-02 06:22", "ivan", "draft", None),
         ("2026-10-02 06:24", "ivan", "submitted", None),
         ("2026-10-02 06:30", "ivan", "approved", "Approved by erin (ECAB) on the incident bridge."),
         ("2026-10-02 06:31", "ivan", "scheduled", None),
         ("2026-10-02 06:33", "ivan", "implementing", None),
         ("2026-10-02 06:55", "ivan", "completed", None),
         ("2026-10-06 10:00", "alice", "closed", None)],
        window=("2026-10-02 06:30", "2026-10-02 07:30"), outcome="successful",
        review=B("""
            Service restored 25 minutes after the emergency change was raised. Root cause and follow-ups
            in {P_cert}; automatic renewal repaired by {C7}.
        """),
        approvals=[("erin", "2026-10-02 06:29")])

    change(
        "C7", "Renew the DNS provider API token for cert-manager", "standard", "low", ["storefront"],
        "ivan", "ivan",
        "Restores automatic certificate renewal after {K3}.",
        B("""
            1. Create a scoped DNS API token and store it in vault at kv/cert-manager/dns.
            2. Restart the cert-manager pods.
        """),
        B("""
            Restore the previous vault secret version.
        """),
        B("""
            Force-renew the staging certificate; cert-manager logs show a successful DNS-01 challenge.
        """),
        standard_events("ivan", "ivan", "2026-10-05 08:00", "2026-10-05 09:00",
                        "2026-10-05 09:20", "2026-10-06 09:00", sc="SC-11"),
        window=("2026-10-05 09:00", "2026-10-05 09:30"), outcome="successful")

    change(
        "C8", "Upgrade the accounts database to PostgreSQL 16", "normal", "high", ["accounts"], "heidi", "heidi",
        "PostgreSQL 12 is end of life. In-place upgrade with pg_upgrade --link; sign-in is unavailable "
        "during the window, guest checkout keeps working.",
        B("""
            1. 01:00Z  put accounts in maintenance mode (sign-in shows the maintenance notice).
            2. Stop the application, take a snapshot of the volume.
            3. pg_upgrade --link from 12 to 16.
            4. Rebuild indexes on sessions and customers, ANALYZE.
            5. Start the application, leave maintenance mode.
        """),
        B("""
            Before step 4: stop PostgreSQL 16 and start PostgreSQL 12 on the snapshot.
            After step 4: restore the snapshot (about 40 minutes).
        """),
        B("""
            - Rehearsal on staging.
            - Sign-in, registration and password reset on production after the upgrade.
            - Error rate on accounts dashboards back to baseline.
        """),
        [("2026-10-08 10:00", "heidi", "draft", None),
         ("2026-10-09 09:00", "heidi", "submitted", None),
         ("2026-10-13 08:40", "heidi", "approved", "CAB approval from alice, service owner approval from bob."),
         ("2026-10-13 09:00", "heidi", "scheduled", "Maintenance announced on the status page."),
         ("2026-10-18 01:02", "heidi", "implementing", None),
         ("2026-10-18 03:40", "heidi", None, "Window will overrun; see {K5}."),
         ("2026-10-18 04:50", "heidi", "completed", "Completed 50 minutes after the end of the window."),
         ("2026-10-21 11:00", "alice", "closed", None)],
        window=("2026-10-18 01:00", "2026-10-18 04:00"), maintenance=True, outcome="successful",
        review=B("""
            The upgrade itself was successful, but the window overran by 43 minutes ({K5}). The rehearsal
            ran on a 10 % data sample, so the index rebuild estimate was far too low. Rehearsals for
            database upgrades now use a full-size snapshot.
        """),
        approvals=[("alice", "2026-10-12 16:00"), ("bob", "2026-10-13 08:30")],
        comment="Customer-visible maintenance (maintenance: true).")

    change(
        "C11", "Certificate expiry exporter and alerts", "normal", "low", ["ci-platform"], "dave", "ivan",
        "Follow-up of {P_cert}: exports the expiry of every TLS certificate we serve and alerts 30, 14 and "
        "3 days ahead.",
        B("""
            1. Deploy x509-exporter to the monitoring namespace.
            2. Add the alert rules and route them to the SRE on-call.
        """),
        B("""
            Remove the exporter and the alert rules.
        """),
        B("""
            A test certificate with 2 days left triggers the alert in the staging Alertmanager.
        """),
        [("2026-10-19 10:00", "dave", "draft", None),
         ("2026-10-20 09:00", "dave", "submitted", None),
         ("2026-10-21 11:05", "dave", "approved", None),
         ("2026-10-21 11:30", "dave", "scheduled", None),
         ("2026-10-26 09:02", "ivan", "implementing", None),
         ("2026-10-26 09:40", "ivan", "completed", None),
         ("2026-10-28 10:00", "dave", "closed", None)],
        window=("2026-10-26 09:00", "2026-10-26 10:00"), outcome="successful",
        approvals=[("bob", "2026-10-21 11:00")])

    change(
        "C_cancel", "Migrate notifications to the new message broker cluster", "normal", "high",
        ["notifications", "orders"], "ivan", "bob",
        "Moves the notification queues from the old broker to the managed cluster.",
        B("""
            1. Create the queues and users on the new cluster.
            2. Switch producers (orders, shipping) to dual-publish.
            3. Move the consumers, then stop publishing to the old broker.
        """),
        B("""
            Point producers and consumers back to the old broker (config flag broker_target=legacy).
        """),
        B("""
            Order confirmation, shipping update and password reset e-mails arrive once.
        """),
        [("2026-10-26 10:00", "ivan", "draft", None),
         ("2026-10-27 09:00", "ivan", "submitted", None),
         ("2026-10-30 12:10", "ivan", "approved", None),
         ("2026-10-30 13:00", "ivan", "scheduled", None),
         ("2026-11-12 09:00", "bob", "cancelled", "Cancelled until the consumer idempotency fix for {P_broker} "
                                                  "is done; will be re-planned for January.")],
        window=("2026-11-14 02:00", "2026-11-14 04:00"),
        approvals=[("alice", "2026-10-29 14:00"), ("bob", "2026-10-30 09:00"), ("carol", "2026-10-30 12:00")])

    change(
        "C10", "Rotate the PayPal API signature credential", "emergency", "low", ["payments"], "carol", "carol",
        "Restores PayPal payments during {K6}: the API signature credential expired.",
        B("""
            1. Generate a new API signature in the PayPal business account.
            2. Store it in vault at kv/payments/paypal and restart the payments pods.
        """),
        B("""
            Restore the previous vault secret version (it is expired, so only useful if the new one is invalid).
        """),
        B("""
            PayPal sandbox and one real PayPal payment of 1 EUR, refunded afterwards.
        """),
        [("2026-10-29 19:50", "carol", "draft", None),
         ("2026-10-29 19:52", "carol", "submitted", None),
         ("2026-10-29 19:59", "carol", "approved", "Approved by alice (ECAB) by phone, recorded here."),
         ("2026-10-29 20:00", "carol", "scheduled", None),
         ("2026-10-29 20:04", "carol", "implementing", None),
         ("2026-10-29 20:40", "carol", "completed", None),
         ("2026-11-02 10:00", "alice", "closed", None)],
        window=("2026-10-29 20:00", "2026-10-29 21:00"), outcome="successful",
        review=B("""
            Credential rotated 36 minutes after the change was raised. The expiry was only tracked in a
            personal calendar; API credentials are now covered by the expiry exporter ({P_cert}).
        """),
        approvals=[("alice", "2026-10-29 19:58")], local=True)

    change(
        "C12", "Switch storefront search to the new search cluster", "normal", "high", ["search", "storefront"],
        "ivan", "grace",
        "Blue/green switch to the new search cluster (r7g.2xlarge, 6 data nodes). Search and category "
        "pages are read-only during the switch.",
        B("""
            1. 01:00Z  freeze indexing, take a snapshot of the old cluster.
            2. Restore the snapshot to the new cluster, start the catch-up reindex.
            3. Switch the storefront search endpoint to the new cluster.
            4. Keep the old cluster for 7 days.
        """),
        B("""
            Switch the storefront search endpoint back to the old cluster (feature flag search_cluster=blue).
        """),
        B("""
            - Document counts match between clusters.
            - Top 500 queries return the same first page (relevance diff below 5 %).
            - Search p95 below 300 ms.
        """),
        [("2026-11-02 10:00", "ivan", "draft", None),
         ("2026-11-02 11:00", "ivan", "submitted", None),
         ("2026-11-04 09:10", "ivan", "approved", None),
         ("2026-11-04 09:30", "grace", "scheduled", "Maintenance announced on the status page."),
         ("2026-11-08 01:03", "grace", "implementing", None),
         ("2026-11-08 02:50", "grace", "completed", "Switched, but the catch-up reindex did not finish inside "
                                                    "the window; results incomplete until it does."),
         ("2026-11-16 10:00", "alice", "closed", None)],
        window=("2026-11-08 01:00", "2026-11-08 03:00"), maintenance=True, outcome="failed",
        review=B("""
            The switch itself worked, but the catch-up reindex did not finish inside the window and search
            returned incomplete results until 06:10Z. The reindex kept running into Monday and overloaded
            the cluster ({K7}). Actions: reindex before the switch next time, concurrency limits ({C13}),
            heap sizing in {P_search}.
        """),
        approvals=[("alice", "2026-11-03 15:00"), ("grace", "2026-11-03 16:00"),
                   ("frank", "2026-11-03 16:30"), ("dave", "2026-11-04 09:00")],
        extra={"runbook": "https://wiki.acme.example/runbooks/search-blue-green"})

    change(
        "C13", "Limit reindex concurrency and raise search heap to 31 GB", "emergency", "medium", ["search"],
        "grace", "grace",
        "Stops the recurrence of {K7}.",
        B("""
            1. Set indexer concurrency from 8 to 2 and restrict the reindex cron to 01:00-05:00 Europe/Berlin.
            2. Raise the data node heap from 24 GB to 31 GB, rolling restart.
        """),
        B("""
            Revert both settings in infra/terraform/search and roll the nodes again.
        """),
        B("""
            Cluster green after each node restart; heap below 75 % during the resumed reindex.
        """),
        [("2026-11-09 18:50", "grace", "draft", None),
         ("2026-11-09 18:55", "grace", "submitted", None),
         ("2026-11-09 19:06", "grace", "approved", None),
         ("2026-11-09 19:08", "grace", "scheduled", None),
         ("2026-11-09 19:12", "grace", "implementing", None),
         ("2026-11-09 20:15", "grace", "completed", None),
         ("2026-11-13 11:00", "erin", "closed", None)],
        window=("2026-11-09 19:10", "2026-11-09 20:30"), outcome="successful",
        review=B("""
            Recurrence stopped within about 70 minutes. The heap change still needs the capacity review
            in {P_search}.
        """),
        approvals=[("erin", "2026-11-09 19:05")])

    change(
        "C14", "Renovate dependency batch for the storefront (week 47)", "standard", "low", ["storefront"],
        "frank", "frank",
        "Weekly batch of minor and patch dependency updates; last batch before the freeze.",
        B("""
            Merge the Renovate batch PR and deploy with the regular pipeline.
        """),
        B("""
            Redeploy the previous release.
        """),
        B("""
            Pipeline e2e suite green; smoke test of product, cart and account pages.
        """),
        standard_events("frank", "frank", "2026-11-16 09:00", "2026-11-17 08:00", "2026-11-17 08:40",
                        sc="SC-01"),
        window=("2026-11-17 08:00", "2026-11-17 09:00"), outcome="successful")

    change(
        "C15", "Grow orders-db storage from 400 GB to 500 GB", "standard", "low", ["orders"], "heidi", "heidi",
        "Disk at 78 %; more headroom for the Black Friday order volume.",
        B("""
            Resize the volume online and grow the file system.
        """),
        None,
        B("""
            df shows 500 GB; no I/O errors in the PostgreSQL log.
        """),
        standard_events("heidi", "heidi", "2026-11-18 13:00", "2026-11-19 06:00", "2026-11-19 06:12",
                        sc="SC-05"),
        window=("2026-11-19 06:00", "2026-11-19 06:30"), outcome="successful", local=True)

    change(
        "C_impl", "Scale checkout and payments for Black Friday", "standard", "low", ["checkout", "payments"],
        "carol", "ivan",
        "Pre-scaling for the Black Friday week (capacity plan 2026-11).",
        B("""
            1. checkout replicas 8 -> 14, HPA max 24.
            2. payments replicas 4 -> 8, HPA max 12.
        """),
        B("""
            Set replicas and HPA limits back to the previous values.
        """),
        B("""
            All pods ready; checkout and payments dashboards green.
        """),
        standard_events("carol", "ivan", "2026-11-24 15:00", "2026-11-25 09:00", None, sc="SC-03",
                        impl_note=("2026-11-25 09:40", "ivan", None,
                                   "checkout at 14 pods, payments at 8; HPA limits raised.")),
        window=("2026-11-25 09:00", "2026-11-25 11:30"))

    change(
        "S1", "Upgrade the orders database to PostgreSQL 16", "normal", "high", ["orders", "checkout"],
        "heidi", "heidi",
        "Same procedure as {C8}, with a full-size rehearsal. Orders cannot be placed during the window; "
        "the storefront shows a maintenance notice at checkout.",
        B("""
            1. 01:00Z  checkout and orders in maintenance mode.
            2. Stop the application, take a snapshot of the volume.
            3. pg_upgrade --link from 12 to 16.
            4. Rebuild indexes, ANALYZE.
            5. Start the application, leave maintenance mode.
        """),
        B("""
            Before step 4: start PostgreSQL 12 on the snapshot.
            After step 4: restore the snapshot (about 70 minutes, still inside the window).
        """),
        B("""
            - Full-size rehearsal on 2026-11-12 took 2h05m.
            - Test orders with card, PayPal and invoice after the upgrade.
            - Order history and invoice download for an old order.
        """),
        [("2026-11-13 14:00", "heidi", "draft", None),
         ("2026-11-16 09:00", "heidi", "submitted", None),
         ("2026-11-18 09:10", "heidi", "approved", None),
         ("2026-11-18 09:30", "heidi", "scheduled", "Maintenance announced on the status page.")],
        window=("2026-12-08 01:00", "2026-12-08 04:00"), maintenance=True,
        approvals=[("alice", "2026-11-17 10:00"), ("dave", "2026-11-17 15:00"), ("carol", "2026-11-18 09:00")],
        comment="Customer-visible maintenance (maintenance: true).")

    change(
        "S2", "Migrate payments to the payment provider's API v3", "normal", "medium", ["payments", "checkout"],
        "ivan", "ivan",
        "API v2 is switched off by the provider on 2027-01-31. Card payments are paused for up to "
        "90 minutes during the switch; PayPal and invoice stay available.",
        B("""
            1. Deploy payments release 2026.12.09-1 with the v3 client behind flag psp_api_v3.
            2. 02:00Z  enable psp_api_v3 for 1 %, then 100 % after 15 minutes without errors.
            3. Rotate the webhook endpoint to /v3/notifications.
        """),
        B("""
            Disable psp_api_v3; the v2 webhook endpoint stays registered until 2026-12-17.
        """),
        B("""
            Test cards for 3-D Secure challenge and frictionless flows, refund of a v2 payment via v3.
        """),
        [("2026-11-17 10:00", "ivan", "draft", None),
         ("2026-11-18 10:00", "ivan", "submitted", None),
         ("2026-11-19 11:05", "ivan", "approved", None),
         ("2026-11-19 14:00", "ivan", "scheduled", None)],
        window=("2026-12-10 02:00", "2026-12-10 03:30"), maintenance=True,
        approvals=[("bob", "2026-11-19 11:00")])

    change(
        "S3", "Upgrade CI and staging Kubernetes node pools to 1.31", "normal", "medium", ["ci-platform"],
        "dave", "bob",
        "Node pools of the CI and staging cluster are two minor versions behind.",
        B("""
            1. Upgrade the control plane to 1.31.
            2. Surge-upgrade the runner and staging node pools one at a time.
        """),
        B("""
            Node pools can be recreated on 1.30 from infra/terraform/ci; the control plane cannot be downgraded.
        """),
        B("""
            CI pipeline for every service green on the upgraded runners; staging smoke tests.
        """),
        [("2026-11-19 09:00", "dave", "draft", None),
         ("2026-11-19 09:30", "dave", "submitted", None),
         ("2026-11-20 10:05", "dave", "approved", None),
         ("2026-11-20 10:30", "dave", "scheduled", None)],
        window=("2026-12-03 08:00", "2026-12-03 12:00"),
        approvals=[("alice", "2026-11-20 10:00")])

    change(
        "S4", "Enable GLS as a shipping carrier at checkout", "normal", "low", ["shipping", "checkout"],
        "judy", "carol",
        "Customers asked for GLS parcel shop delivery. The integration is live on staging.",
        B("""
            1. Enable feature flag carrier_gls for DE and AT.
            2. Publish the GLS shipping options in the checkout config.
        """),
        B("""
            Disable carrier_gls; open GLS orders are shipped with DHL.
        """),
        B("""
            Test order with GLS parcel shop delivery; label created in the GLS portal.
        """),
        [("2026-11-23 10:00", "judy", "draft", None),
         ("2026-11-23 11:00", "judy", "submitted", None),
         ("2026-11-24 11:05", "judy", "approved", None),
         ("2026-11-24 11:30", "carol", "scheduled", None)],
        window=("2026-12-15 09:00", "2026-12-15 10:00"),
        approvals=[("dave", "2026-11-24 11:00")])

    change(
        "A1", "Switch customer-facing TLS certificates to ECDSA P-256", "normal", "medium", ["storefront"],
        "frank", "ivan",
        "Smaller handshakes and faster first byte on mobile. RSA certificates stay as fallback.",
        B("""
            1. Issue ECDSA certificates with cert-manager next to the RSA ones.
            2. Enable dual certificates in the CDN TLS profile.
        """),
        B("""
            Remove the ECDSA certificate from the CDN TLS profile.
        """),
        B("""
            TLS scan shows ECDSA for modern clients and RSA for old ones.
        """),
        [("2026-11-20 15:00", "frank", "draft", None),
         ("2026-11-21 09:00", "frank", "submitted", None),
         ("2026-11-23 14:05", "frank", "approved", "Bob asks to schedule it after the Christmas freeze.")],
        approvals=[("bob", "2026-11-23 14:00")])

    change(
        "A2", "Archive orders older than seven years", "normal", "low", ["orders", "data-warehouse"],
        "heidi", "heidi",
        "Retention period for orders is 7 years (tax law). Moves older orders to the archive schema "
        "and deletes them from the data warehouse.",
        B("""
            1. Copy orders before 2020-01-01 to archive.orders (batch of 50k).
            2. Verify counts and checksums.
            3. Delete the copied rows in batches.
        """),
        B("""
            Copy rows back from archive.orders (kept for 30 days).
        """),
        B("""
            Rehearsal on the staging copy; order history and invoice download still work for 2020 orders.
        """),
        [("2026-11-23 08:30", "heidi", "draft", None),
         ("2026-11-23 09:00", "heidi", "submitted", None),
         ("2026-11-24 16:05", "heidi", "approved", None)],
        approvals=[("dave", "2026-11-24 16:00")])

    change(
        "Sub1", "Add read replicas for the catalog API", "normal", "medium", ["catalog-api"], "grace", "grace",
        "Moves read traffic of the catalog API to two replicas to take load off the primary.",
        B("""
            1. Create two replicas with Terraform.
            2. Route read-only queries to the replicas with the read_replica flag, 10 % then 100 %.
        """),
        B("""
            Disable the read_replica flag.
        """),
        B("""
            Replica lag below 1 s under load; catalog API error rate unchanged.
        """),
        [("2026-11-24 10:00", "grace", "draft", None),
         ("2026-11-24 10:20", "grace", "submitted", "Target window in January, after the Christmas freeze.")])

    change(
        "Draft1", "Replace the SMS provider for delivery notifications", "normal", "medium",
        ["notifications", "shipping"], "bob", "bob",
        "The current SMS provider had two outages this autumn ({F_sms}).",
        B("""
            1. Integrate the new provider behind flag sms_provider_v2.
            2. Send 10 % of shipping SMS through the new provider for a week, then 100 %.
        """),
        B("""
            Disable sms_provider_v2.
        """),
        None,
        [("2026-11-20 13:00", "bob", "draft", None),
         ("2026-11-23 10:00", "bob", None, "Waiting for the vendor's data processing agreement.")])

    change(
        "Rej1", "Launch the recommendation widget on product pages", "normal", "high",
        ["storefront", "catalog-api"], "frank", "frank",
        "Shows \"customers also bought\" on product pages; wanted for Black Friday.",
        B("""
            1. Deploy catalog-api with the recommendations endpoint.
            2. Enable flag reco_widget for 100 % of product pages.
        """),
        B("""
            Disable reco_widget.
        """),
        B("""
            Staging only so far.
        """),
        [("2026-11-17 10:00", "frank", "draft", None),
         ("2026-11-18 09:00", "frank", "submitted", None),
         ("2026-11-19 15:00", "dave", None, "CAB discussion, no load test results yet."),
         ("2026-11-20 11:00", "alice", "rejected", "Rejected by the CAB, too close to the Black Friday freeze "
                                                   "and not load tested. Please resubmit for January.")])


def emit_changes():
    for c in CHANGES:
        loc = c["local"]
        status = last_status(c["events"])
        doc = {
            "id": IDS[c["key"]],
            "title": c["title"],
            "status": status,
            "type": c["type"],
            "risk": c["risk"],
            "services": c["services"],
            "requested_by": c["requested_by"],
            "implementer": c["implementer"],
            "description": sub(c["description"]),
            "plan": sub(c["plan"]),
            "rollback_plan": sub(c["rollback_plan"]),
            "test_plan": sub(c["test_plan"]),
            "window": {"start": ts(c["window"][0], loc), "end": ts(c["window"][1], loc)} if c["window"] else None,
            "maintenance": True if c["maintenance"] else None,
            "outcome": c["outcome"],
            "review": sub(c["review"]),
            "approvals": [{"by": by, "at": ts(a, loc)} for by, a in c["approvals"]] or None,
            "timeline": [ev(a, by, st, note, pub, loc) for a, by, st, note, pub in c["events"]],
            "extra": c["extra"],
        }
        write("changes/%s.yaml" % doc["id"], render("Change", doc, comment=c["comment"]))


# --------------------------------------------------------------------------


def assign_ids():
    INCIDENTS.sort(key=lambda i: (i["at"], i["key"]))
    for n, inc in enumerate(INCIDENTS, 1):
        IDS[inc["key"]] = "INC-%04d" % n
    PROBLEMS.sort(key=lambda p: p["events"][0][0])
    for n, p in enumerate(PROBLEMS, 1):
        IDS[p["key"]] = "PRB-%04d" % n
    REQUESTS.sort(key=lambda r: r["at"])
    for n, r in enumerate(REQUESTS, 1):
        IDS[r["key"]] = "REQ-%04d" % n
    CHANGES.sort(key=lambda c: c["events"][0][0])
    for n, c in enumerate(CHANGES, 1):
        IDS[c["key"]] = "CHG-%04d" % n


def main():
    gen_config()
    gen_slas()
    gen_policy()
    gen_catalog()
    key_incidents()
    filler_incidents()
    define_problems()
    define_requests()
    define_changes()
    assign_ids()
    emit_incidents()
    emit_problems()
    emit_requests()
    emit_changes()

    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    for rel, text in sorted(FILES.items()):
        path = os.path.join(ROOT, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("wrote %d files to %s" % (len(FILES), os.path.relpath(ROOT)))

# --------------------------------------------------------------------------
# self-check of the written files (needs PyYAML; the generator itself does not)

FIELDS = {
    "Config": {"id_prefixes", "id_digits", "timezone", "priority_matrix", "status_page", "output"},
    "Service": {"name", "owner", "tier", "sla", "depends_on", "paths", "public", "description"},
    "Calendar": {"timezone", "hours", "holidays"},
    "SLA": {"name", "calendar", "targets", "request_fulfillment", "availability", "pause_on", "warn_at"},
    "ChangePolicy": {"cab", "ecab", "rules", "lead_time", "freeze", "conflicts", "policy_change",
                     "ungoverned_paths"},
    "Incident": {"title", "service", "impact", "urgency", "priority", "priority_override_reason", "status",
                 "reported_at", "reported_by", "assignee", "customer_impact", "affected_services", "problem",
                 "related", "resolution", "timeline"},
    "Problem": {"title", "services", "status", "root_cause", "workaround", "incidents", "timeline"},
    "Request": {"title", "service", "requested_by", "status", "timeline"},
    "Change": {"title", "status", "type", "risk", "services", "requested_by", "implementer", "description",
               "plan", "rollback_plan", "test_plan", "window", "maintenance", "outcome", "review",
               "approvals", "timeline"},
}
FOLDER_KIND = {"catalog": {"Service"}, "slas": {"SLA", "Calendar"}, "policies": {"ChangePolicy"},
               "incidents": {"Incident"}, "problems": {"Problem"}, "requests": {"Request"},
               "changes": {"Change"}}
CHAINS = {
    "Incident": ["new", "acknowledged", "investigating", "resolved", "closed"],
    "Problem": ["new", "investigating", "known_error", "resolved", "closed"],
    "Request": ["submitted", "approved", "fulfilling", "fulfilled", "closed"],
    "Change": ["draft", "submitted", "approved", "scheduled", "implementing", "completed", "closed"],
}
EXTRA_MOVES = {
    "Incident": {("resolved", "investigating")},
    "Problem": set(),
    "Request": {("submitted", "rejected"), ("approved", "rejected")},
    "Change": {("submitted", "rejected")} | {(s, "cancelled") for s in
                                              ("draft", "submitted", "approved", "scheduled")},
}
TERMINAL = {"closed", "rejected", "cancelled"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_ts(v, errs, where):
    if not isinstance(v, str) or not RFC3339.match(v):
        errs.append("%s: not an RFC 3339 timestamp with offset: %r" % (where, v))
        return None
    return datetime.fromisoformat(v.replace("Z", "+00:00"))


def check():
    import yaml

    class Loader(yaml.SafeLoader):
        pass
    # keep timestamps and dates as strings so we check their exact spelling
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    errs = []
    recs = {}
    by_kind = {}
    for dirpath, _, files in os.walk(ROOT):
        for fn in sorted(files):
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, ROOT)
            text = open(path, encoding="utf-8").read()
            first = text.split("\n", 1)[0]
            for tok in yaml.scan(text):
                if isinstance(tok, (yaml.AnchorToken, yaml.AliasToken, yaml.TagToken,
                                    yaml.DocumentStartToken)):
                    errs.append("%s: forbidden token %s" % (rel, type(tok).__name__))
            if "<<:" in text:
                errs.append("%s: merge key" % rel)
            docs = list(yaml.load_all(text, Loader=Loader))
            if len(docs) != 1:
                errs.append("%s: %d documents" % (rel, len(docs)))
            d = docs[0]
            kind = d.get("kind")
            depth = rel.count(os.sep)
            want = "# yaml-language-server: $schema=%sschemas/%s.json" % (
                "../" * (depth + 2), str(kind).lower())
            if first != want:
                errs.append("%s: first line %r, want %r" % (rel, first, want))
            if d.get("apiVersion") != "gitsm/v1" or not d.get("id"):
                errs.append("%s: apiVersion/id" % rel)
            unknown = set(d) - FIELDS[kind] - {"apiVersion", "kind", "id", "extra"}
            if unknown:
                errs.append("%s: unknown fields %s" % (rel, sorted(unknown)))
            folder = rel.split(os.sep)[0] if depth else None
            if folder and kind not in FOLDER_KIND[folder]:
                errs.append("%s: kind %s in %s/" % (rel, kind, folder))
            if folder and os.path.splitext(fn)[0] != d["id"]:
                errs.append("%s: file name does not match id %s" % (rel, d["id"]))
            if (kind, d["id"]) in recs:
                errs.append("%s: duplicate id" % rel)
            d["_file"] = rel
            recs[(kind, d["id"])] = d
            by_kind.setdefault(kind, []).append(d)

    def E(rec, msg):
        errs.append("%s: %s" % (rec["_file"], msg))

    ids = lambda k: {r["id"] for r in by_kind.get(k, [])}
    services = {r["id"]: r for r in by_kind["Service"]}
    slas = ids("SLA")
    calendars = ids("Calendar") | {"24x7"}

    # catalog
    for s in services.values():
        if s["sla"] not in slas:
            E(s, "unknown sla %s" % s["sla"])
        for dep in s.get("depends_on", []):
            if dep not in services:
                E(s, "unknown dependency %s" % dep)
        if not 1 <= s["tier"] <= 4 or not isinstance(s["public"], bool):
            E(s, "tier/public")
    state = {}

    def visit(n, stack):
        if state.get(n) == 1:
            errs.append("dependency cycle: %s" % " -> ".join(stack + [n]))
            return
        if state.get(n) == 2:
            return
        state[n] = 1
        for m in services[n].get("depends_on", []):
            if m in services:
                visit(m, stack + [n])
        state[n] = 2
    for n in services:
        visit(n, [])
    for s in by_kind["SLA"]:
        if s["calendar"] not in calendars:
            E(s, "unknown calendar")
        if sorted(s["targets"]) != ["P1", "P2", "P3", "P4"] or not isinstance(s["availability"], float):
            E(s, "targets/availability")
    for c in by_kind["Calendar"]:
        for h in c.get("holidays", []):
            if not re.match(r"^\d{4}-\d\d-\d\d$", h["date"]):
                E(c, "holiday date %r" % h["date"])

    # timelines
    def timeline(rec, kind):
        tl = rec["timeline"]
        prev_t = None
        prev_s = None
        hold_from = None
        statuses = []
        for i, e in enumerate(tl):
            if set(e) - {"at", "by", "status", "note", "public"}:
                E(rec, "event fields %s" % sorted(e))
            t = parse_ts(e["at"], errs, rec["_file"])
            if t and prev_t and t < prev_t:
                E(rec, "timeline out of order at event %d" % i)
            if t and t > NOW:
                E(rec, "event after now: %s" % e["at"])
            prev_t = t or prev_t
            st = e.get("status")
            if "public" in e and e["public"] is not True:
                E(rec, "public must be true when present")
            if i == 0 and st != CHAINS[kind][0]:
                E(rec, "first event status %s" % st)
            if st is None:
                continue
            if prev_s is not None:
                chain = CHAINS[kind]
                ok = False
                if st == "on_hold":
                    ok = prev_s not in TERMINAL and prev_s != "on_hold"
                    hold_from = prev_s
                elif prev_s == "on_hold":
                    ok = st in chain and chain.index(st) >= chain.index(hold_from)
                elif (prev_s, st) in EXTRA_MOVES[kind]:
                    ok = True
                elif prev_s in chain and st in chain:
                    step = chain.index(st) - chain.index(prev_s)
                    ok = step == 1 or (kind == "Incident" and step > 1)
                if not ok:
                    E(rec, "illegal move %s -> %s" % (prev_s, st))
            prev_s = st
            statuses.append((t, st))
        if rec["status"] != prev_s:
            E(rec, "status %s but last timeline status %s" % (rec["status"], prev_s))
        return statuses

    # incidents
    incidents = {r["id"]: r for r in by_kind["Incident"]}
    problems = {r["id"]: r for r in by_kind["Problem"]}
    changes = {r["id"]: r for r in by_kind["Change"]}
    all_ids = set(incidents) | set(problems) | set(changes) | ids("Request")
    prev = None
    for iid in sorted(incidents):
        r = incidents[iid]
        timeline(r, "Incident")
        t = parse_ts(r["reported_at"], errs, r["_file"])
        if parse_ts(r["timeline"][0]["at"], errs, r["_file"]) != t:
            E(r, "reported_at differs from the first event")
        if prev and t < prev:
            E(r, "ids not in reported_at order")
        if not (T("2026-09-01 00:00") <= t < T("2026-11-25 00:00")):
            E(r, "reported_at outside 2026-09-01..2026-11-24")
        prev = t
        want = MATRIX[(r["impact"], r["urgency"])]
        if r["priority"] != want and not r.get("priority_override_reason"):
            E(r, "priority %s, matrix says %s" % (r["priority"], want))
        if r["priority"] == want and r.get("priority_override_reason"):
            E(r, "override reason without override")
        if r["service"] not in services or r["service"] not in r["affected_services"]:
            E(r, "service/affected_services")
        for s in r["affected_services"]:
            if s not in services:
                E(r, "unknown affected service %s" % s)
        if r.get("problem") and iid not in problems.get(r["problem"], {}).get("incidents", []):
            E(r, "problem %s does not link back" % r.get("problem"))
        for x in r.get("related", []):
            if x not in all_ids or x == iid:
                E(r, "bad related %s" % x)
        if (r["status"] in ("resolved", "closed")) != bool(r.get("resolution")):
            E(r, "resolution only and always for resolved/closed")
        if r["customer_impact"] not in ("none", "degraded_performance", "partial_outage", "major_outage"):
            E(r, "customer_impact")
    for r in problems.values():
        timeline(r, "Problem")
        for x in r["incidents"]:
            if incidents.get(x, {}).get("problem") != r["id"]:
                E(r, "incident %s does not link back" % x)
        for s in r["services"]:
            if s not in services:
                E(r, "unknown service %s" % s)
    for r in by_kind["Request"]:
        timeline(r, "Request")
        if r["service"] not in services:
            E(r, "unknown service")

    # changes
    cab, ecab = {"alice", "bob", "dave"}, {"alice", "erin"}
    freezes = [(T("2026-11-26 00:00"), T("2026-12-01 00:00")),
               (T("2026-12-20 23:00"), T("2027-01-03 23:00"))]
    later = ["approved", "scheduled", "implementing", "completed", "closed"]
    windows = []
    for r in changes.values():
        sts = timeline(r, "Change")
        seen = [s for _, s in sts]
        when = {s: t for t, s in sts}
        for s in r["services"]:
            if s not in services:
                E(r, "unknown service %s" % s)
        if r["type"] != "standard" and not (r.get("plan") and r.get("rollback_plan")):
            E(r, "plan and rollback_plan required")
        w = r.get("window")
        if any(s in seen for s in ("scheduled",)) and not w:
            E(r, "window required from scheduled on")
        if w:
            ws, we = parse_ts(w["start"], errs, r["_file"]), parse_ts(w["end"], errs, r["_file"])
            if not ws < we:
                E(r, "window start >= end")
            if we > NOW and r["status"] not in ("scheduled", "implementing"):
                E(r, "future window on a %s change" % r["status"])
            if r["type"] != "emergency":
                for fs, fe in freezes:
                    if ws < fe and fs < we:
                        E(r, "window inside a freeze")
            if r["type"] == "normal" and ws - when["submitted"] < timedelta(days=2):
                E(r, "lead time: window starts %s after submission" % (ws - when["submitted"]))
            if "implementing" in when and not ws <= when["implementing"] <= we:
                E(r, "implementing outside the window")
            if r["status"] not in ("cancelled", "rejected"):
                windows.append((r, ws, we))
        if r["status"] in ("completed", "closed") and not r.get("outcome"):
            E(r, "outcome required")
        if r.get("outcome") and r["status"] not in ("completed", "closed"):
            E(r, "outcome before completion")
        if r["status"] == "closed" and (r["type"] == "emergency" or r["outcome"] != "successful") \
                and not r.get("review"):
            E(r, "review required")
        if r.get("maintenance") is not None and r["maintenance"] is not True:
            E(r, "maintenance written only when true")
        apps = r.get("approvals", [])
        if any(s in seen for s in later):
            if r["type"] == "standard":
                need, group, owners = 0, set(), False
            elif r["type"] == "emergency":
                need, group, owners = 1, ecab, False
            elif r["risk"] == "high":
                need, group, owners = 2, cab, True
            else:
                need, group, owners = 1, cab, False
            good = {a["by"] for a in apps if a["by"] in group and a["by"] != r["requested_by"]}
            if len(good) < need:
                E(r, "needs %d approvals from the group, has %s" % (need, sorted(good)))
            if owners:
                for s in r["services"]:
                    o = services[s]["owner"]
                    if o not in {a["by"] for a in apps} or o == r["requested_by"]:
                        E(r, "owner %s of %s has not approved" % (o, s))
            for a in apps:
                t = parse_ts(a["at"], errs, r["_file"])
                if not (when["submitted"] <= t <= when["approved"]):
                    E(r, "approval by %s outside submitted..approved" % a["by"])
        elif apps:
            E(r, "approvals on a change that was never approved")
    for i, (a, as_, ae) in enumerate(windows):
        for b, bs, be in windows[i + 1:]:
            if set(a["services"]) & set(b["services"]) and as_ < be and bs < ae:
                errs.append("overlapping windows %s and %s" % (a["id"], b["id"]))

    # the mix asked for
    inc = list(incidents.values())
    chg = list(changes.values())
    count = lambda xs, f: sum(1 for x in xs if f(x))
    stats = {
        "incidents": len(inc),
        "P1": count(inc, lambda r: r["priority"] == "P1"),
        "overrides": count(inc, lambda r: r.get("priority_override_reason")),
        "with on_hold": count(inc, lambda r: any(e.get("status") == "on_hold" for e in r["timeline"])),
        "reopened": count(inc, lambda r: any(a.get("status") == "resolved" and b.get("status") == "investigating"
                                              for a, b in zip([e for e in r["timeline"] if e.get("status")],
                                                              [e for e in r["timeline"] if e.get("status")][1:]))),
        "open": count(inc, lambda r: r["status"] not in ("resolved", "closed")),
        "problems": len(problems),
        "requests": len(by_kind["Request"]),
        "changes": len(chg),
        "emergency": count(chg, lambda r: r["type"] == "emergency"),
        "standard": count(chg, lambda r: r["type"] == "standard"),
        "maintenance": count(chg, lambda r: r.get("maintenance")),
        "failed/rolled_back": count(chg, lambda r: r.get("outcome") in ("failed", "rolled_back")),
    }
    for k in ("Incident", "Problem", "Request", "Change"):
        dist = {}
        for r in by_kind[k]:
            dist[r["status"]] = dist.get(r["status"], 0) + 1
        stats[k + " statuses"] = dist
    for k, v in stats.items():
        print("  %-20s %s" % (k, v))
    for e in errs:
        print("ERROR", e)
    print("%d files checked, %d problems" % (len(recs), len(errs)))
    return not errs


if __name__ == "__main__":
    import sys
    if "--check" in sys.argv:
        sys.exit(0 if check() else 1)
    main()
