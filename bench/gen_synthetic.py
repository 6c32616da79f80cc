#!/usr/bin/env python3
"""Generate a synthetic ITSM repo with realistic record shapes for benchmarks.

usage: gen_synthetic.py N OUT_DIR

N records in total: 50 services, 3 SLAs, 1 calendar, 1 policy, and the rest split
70% incidents, 20% changes, 10% requests. Deterministic (fixed seed). Every record
is valid, so `gitsm validate` does all of its work (schema + rules) on every file.
"""
import os
import random
import sys

N = int(sys.argv[1])
OUT = sys.argv[2]
rnd = random.Random(42)
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
MATRIX = {("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3",
          ("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4",
          ("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4"}


def w(path, text):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full) or ".", exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def ts(day, minute):
    day, minute = day + minute // 1440, minute % 1440
    d = 1 + day % 28
    m = 1 + (day // 28) % 12
    return f"{2026 + day // 336}-{m:02d}-{d:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"


w("gitsm.yaml", "apiVersion: gitsm/v1\nkind: Config\nid: bench\ntimezone: UTC\n")
w("slas/cal.yaml", 'apiVersion: gitsm/v1\nkind: Calendar\nid: office\ntimezone: Europe/Berlin\nhours:\n  mon-fri: "09:00-17:00"\nholidays:\n  - 2026-12-25\n')
for sla in ["gold", "silver", "bronze"]:
    w(f"slas/{sla}.yaml", f"apiVersion: gitsm/v1\nkind: SLA\nid: {sla}\ncalendar: 24x7\ntargets:\n  P1: {{response: 15m, resolution: 4h}}\n  P2: {{response: 1h, resolution: 8h}}\n  P3: {{response: 4h, resolution: 3d}}\n  P4: {{response: 1d, resolution: 2w}}\navailability: 99.9\n")
services = [f"svc-{i:02d}" for i in range(50)]
for i, s in enumerate(services):
    deps = "".join(f"  - {d}\n" for d in services[i + 1:i + 3])
    w(f"catalog/{s}.yaml", f"apiVersion: gitsm/v1\nkind: Service\nid: {s}\nname: Service {i}\nowner: {PEOPLE[i % 8]}\ntier: {1 + i % 4}\nsla: {['gold', 'silver', 'bronze'][i % 3]}\n" + (f"depends_on:\n{deps}" if deps else "") + f"paths:\n  - services/{s}/**\npublic: {'true' if i % 2 else 'false'}\ndescription: Synthetic service number {i}.\n")
w("policies/default.yaml", "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice, bob, dave]\necab: [alice, erin]\nrules:\n  - match: {type: standard}\n    approvals: 0\n  - match: {type: normal}\n    approvals: 1\n    from: cab\n  - match: {type: emergency}\n    approvals: 1\n    from: ecab\nlead_time: {normal: 2d}\n")

rest = max(0, N - 56)
n_inc, n_chg = rest * 7 // 10, rest * 2 // 10
n_req = rest - n_inc - n_chg
for i in range(1, n_inc + 1):
    imp, urg = rnd.choice(["high", "medium", "low"]), rnd.choice(["high", "medium", "low"])
    day, t0 = i % 300, rnd.randrange(0, 20 * 60)
    svc = rnd.choice(services)
    ev = [("new", 0, "Reported by monitoring", False), ("acknowledged", 7, None, False),
          ("investigating", 20, "We are investigating elevated error rates.", True),
          (None, 45, "Rolled back deploy 4f2a1c; DB pool exhausted.", False),
          ("resolved", 95, "The issue is resolved.", True), ("closed", 300, None, False)]
    tl = ""
    for st, off, note, pub in ev:
        tl += f"  - at: {ts(day, t0 + off)}\n    by: {rnd.choice(PEOPLE)}\n"
        if st:
            tl += f"    status: {st}\n"
        if note:
            tl += f"    note: {note}\n"
        if pub:
            tl += "    public: true\n"
    w(f"incidents/INC-{i:06d}.yaml", f"""# yaml-language-server: $schema=../schemas/incident.json
apiVersion: gitsm/v1
kind: Incident
id: INC-{i:06d}
title: Elevated error rate on {svc} ({i})
service: {svc}
impact: {imp}
urgency: {urg}
priority: {MATRIX[(imp, urg)]}
status: closed
reported_at: {ts(day, t0)}
reported_by: {rnd.choice(PEOPLE)}
assignee: {rnd.choice(PEOPLE)}
customer_impact: {rnd.choice(['none', 'degraded_performance', 'partial_outage', 'major_outage'])}
affected_services:
  - {svc}
resolution: Rolled back the faulty deploy and raised the connection pool size.
timeline:
{tl}""")
for i in range(1, n_chg + 1):
    day, svc = i % 300, rnd.choice(services)
    typ = rnd.choice(["standard", "normal", "normal", "emergency"])
    appr = "" if typ == "standard" else f"approvals:\n  - by: {'alice'}\n    at: {ts(day, 60)}\n"
    w(f"changes/CHG-{i:06d}.yaml", f"""apiVersion: gitsm/v1
kind: Change
id: CHG-{i:06d}
title: Upgrade {svc} to the next minor release ({i})
status: closed
type: {typ}
risk: {rnd.choice(['low', 'medium', 'high'])}
services: [{svc}]
requested_by: carol
implementer: frank
description: Routine upgrade with a database migration.
plan: |
  1. Drain traffic
  2. Deploy the new release
  3. Run the migration
rollback_plan: |
  Redeploy the previous release and restore the snapshot.
test_plan: Smoke tests and synthetic checks.
window:
  start: {ts(day + 3, 22 * 60)}
  end: {ts(day + 3, 23 * 60)}
outcome: successful
review: Went as planned.
{appr}timeline:
  - {{at: {ts(day, 0)}, by: carol, status: draft}}
  - {{at: {ts(day, 10)}, by: carol, status: submitted}}
  - {{at: {ts(day, 60)}, by: alice, status: approved}}
  - {{at: {ts(day, 70)}, by: carol, status: scheduled}}
  - {{at: {ts(day + 3, 22 * 60)}, by: frank, status: implementing}}
  - {{at: {ts(day + 3, 22 * 60 + 40)}, by: frank, status: completed}}
  - {{at: {ts(day + 4, 9 * 60)}, by: carol, status: closed}}
""")
for i in range(1, n_req + 1):
    day = i % 300
    w(f"requests/REQ-{i:06d}.yaml", f"""apiVersion: gitsm/v1
kind: Request
id: REQ-{i:06d}
title: Access to the reporting database ({i})
service: {rnd.choice(services)}
requested_by: {rnd.choice(PEOPLE)}
status: fulfilled
timeline:
  - {{at: {ts(day, 0)}, by: grace, status: submitted}}
  - {{at: {ts(day, 30)}, by: dave, status: approved}}
  - {{at: {ts(day, 40)}, by: heidi, status: fulfilling}}
  - {{at: {ts(day, 90)}, by: heidi, status: fulfilled, note: Granted read-only access.}}
""")
print(f"{OUT}: {56 + n_inc + n_chg + n_req} records "
      f"({n_inc} incidents, {n_chg} changes, {n_req} requests)")
