//! Benchmark: `gitsm gate` on a PR that touches 10 records, in an ITSM repo
//! with 100,000 records and 10,000 commits of history.
//!
//! Run with `cargo bench --bench gate`. The repo is generated once with
//! `git fast-import` (about a minute) under the target dir and reused; set
//! `GITSM_BENCH_REGEN=1` to rebuild it. Prints the wall time of each run and
//! the median; fails when a run does not end in the expected verdict.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const INCIDENTS: usize = 50_000;
const PROBLEMS: usize = 15_000;
const REQUESTS: usize = 20_000;
const CHANGES: usize = 15_000 - 22; // + config, services and policy = 100,000 records
const SERVICES: usize = 20;
const HISTORY: usize = 10_000;
const RUNS: usize = 7;

fn incident(n: usize, extra_events: usize) -> String {
    let mut s = format!(
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-{n:06}\ntitle: Checkout errors after deploy {n}\nservice: svc-{:02}\nimpact: medium\nurgency: low\nstatus: new\nreported_at: 2026-01-01T00:00:00Z\nreported_by: ops-bot\ncustomer_impact: degraded_performance\ntimeline:\n  - {{at: 2026-01-01T00:00:00Z, by: ops, status: new, note: Alert fired on error rate}}\n",
        n % SERVICES
    );
    for k in 0..extra_events {
        s.push_str(&format!(
            "  - {{at: 2026-01-01T00:00:00Z, by: ops, note: \"update {k}\"}}\n"
        ));
    }
    s
}

fn problem(n: usize) -> String {
    format!("apiVersion: gitsm/v1\nkind: Problem\nid: PRB-{n:06}\ntitle: Root cause {n}\nservices: [svc-{:02}]\nstatus: new\ntimeline:\n  - {{at: 2026-01-01T00:00:00Z, by: ops, status: new}}\n", n % SERVICES)
}

fn request(n: usize) -> String {
    format!("apiVersion: gitsm/v1\nkind: Request\nid: REQ-{n:06}\ntitle: Access for user {n}\nservice: svc-{:02}\nrequested_by: someone\nstatus: submitted\ntimeline:\n  - {{at: 2026-01-01T00:00:00Z, by: someone, status: submitted}}\n", n % SERVICES)
}

fn change(n: usize) -> String {
    // One in a hundred is scheduled (a window for the conflict check to read).
    if n.is_multiple_of(100) {
        format!("apiVersion: gitsm/v1\nkind: Change\nid: CHG-{n:06}\ntitle: Planned work {n}\nstatus: scheduled\ntype: normal\nrisk: low\nservices: [svc-{:02}]\nrequested_by: carol\nplan: Do it.\nrollback_plan: Undo it.\nwindow: {{start: 2025-03-01T10:00:00Z, end: 2025-03-01T11:00:00Z}}\napprovals:\n  - {{by: alice, at: 2025-02-01T10:00:00Z}}\ntimeline:\n  - {{at: 2025-01-01T00:00:00Z, by: carol, status: draft}}\n  - {{at: 2025-01-02T00:00:00Z, by: carol, status: submitted}}\n  - {{at: 2025-02-01T10:00:00Z, by: carol, status: approved}}\n  - {{at: 2025-02-01T11:00:00Z, by: carol, status: scheduled}}\n", n % SERVICES)
    } else {
        format!("apiVersion: gitsm/v1\nkind: Change\nid: CHG-{n:06}\ntitle: Idea {n}\nstatus: draft\ntype: normal\nrisk: low\nservices: [svc-{:02}]\nrequested_by: carol\nplan: Do it.\nrollback_plan: Undo it.\ntimeline:\n  - {{at: 2025-01-01T00:00:00Z, by: carol, status: draft}}\n", n % SERVICES)
    }
}

const POLICY: &str = "apiVersion: gitsm/v1\nkind: ChangePolicy\nid: default\ncab: [alice, bob]\necab: [alice]\nrules:\n  - match: {type: standard}\n    approvals: 0\n  - match: {type: normal}\n    approvals: 1\n    from: cab\n  - match: {type: emergency}\n    approvals: 1\n    from: ecab\nlead_time: {normal: 2d}\nfreeze: []\nconflicts: deny\npolicy_change: {approvals: 2, from: cab}\nungoverned_paths: deny\n";

struct Fi<W: Write> {
    out: W,
    mark: usize,
    time: u64,
}

impl<W: Write> Fi<W> {
    fn blob(&mut self, body: &str) -> usize {
        self.mark += 1;
        write!(
            self.out,
            "blob\nmark :{}\ndata {}\n{}\n",
            self.mark,
            body.len(),
            body
        )
        .unwrap();
        self.mark
    }
    fn commit(&mut self, branch: &str, from: Option<&str>, msg: &str, files: &[(String, String)]) -> usize {
        let marks: Vec<(String, usize)> = files.iter().map(|(p, b)| (p.clone(), self.blob(b))).collect();
        self.time += 60;
        self.mark += 1;
        let me = self.mark;
        write!(
            self.out,
            "commit refs/heads/{branch}\nmark :{me}\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{}\n",
            self.time,
            msg.len(),
            msg
        )
        .unwrap();
        if let Some(f) = from {
            writeln!(self.out, "from {f}").unwrap();
        }
        for (p, m) in marks {
            writeln!(self.out, "M 100644 :{m} {p}").unwrap();
        }
        writeln!(self.out).unwrap();
        me
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn generate(dir: &Path) {
    let t = Instant::now();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    let mut child = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    {
        let stdin = std::io::BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
        let mut fi = Fi {
            out: stdin,
            mark: 0,
            time: 1_767_225_600,
        };
        let mut files: Vec<(String, String)> = vec![
            (
                "gitsm.yaml".into(),
                "apiVersion: gitsm/v1\nkind: Config\nid: bench\nid_digits: 6\n".into(),
            ),
            ("policies/default.yaml".into(), POLICY.into()),
        ];
        for s in 0..SERVICES {
            files.push((
                format!("catalog/svc-{s:02}.yaml"),
                format!("apiVersion: gitsm/v1\nkind: Service\nid: svc-{s:02}\nname: Service {s}\nowner: alice\npaths:\n  - deploy/svc-{s:02}/**\n"),
            ));
        }
        for n in 1..=INCIDENTS {
            files.push((format!("incidents/INC-{n:06}.yaml"), incident(n, 0)));
        }
        for n in 1..=PROBLEMS {
            files.push((format!("problems/PRB-{n:06}.yaml"), problem(n)));
        }
        for n in 1..=REQUESTS {
            files.push((format!("requests/REQ-{n:06}.yaml"), request(n)));
        }
        for n in 1..=CHANGES {
            files.push((format!("changes/CHG-{n:06}.yaml"), change(n)));
        }
        let mut tip = fi.commit("main", None, "import 100k records", &files);
        // History: each commit appends an update to one incident.
        let mut events = vec![0usize; INCIDENTS + 1];
        for h in 1..HISTORY {
            let n = 1 + (h * 7919) % INCIDENTS;
            events[n] += 1;
            tip = fi.commit(
                "main",
                None,
                &format!("update INC-{n:06}"),
                &[(format!("incidents/INC-{n:06}.yaml"), incident(n, events[n]))],
            );
        }
        // The PR: 8 incidents acknowledged, 2 new approved changes.
        let mut pr = Vec::new();
        for i in 0..8 {
            let n = 40_001 + i;
            let mut body = incident(n, events[n])
                .replace("status: new\nreported_at", "status: acknowledged\nreported_at");
            body.push_str("  - {at: 2026-01-02T00:00:00Z, by: ops, status: acknowledged}\n");
            pr.push((format!("incidents/INC-{n:06}.yaml"), body));
        }
        for n in [900_001usize, 900_002] {
            pr.push((
                format!("changes/CHG-{n:06}.yaml"),
                format!("apiVersion: gitsm/v1\nkind: Change\nid: CHG-{n:06}\ntitle: New work {n}\nstatus: approved\ntype: normal\nrisk: low\nservices: [svc-01]\nrequested_by: carol\nplan: Do it.\nrollback_plan: Undo it.\napprovals:\n  - {{by: alice, at: 2026-01-03T00:00:00Z}}\ntimeline:\n  - {{at: 2026-01-02T00:00:00Z, by: carol, status: draft}}\n  - {{at: 2026-01-02T01:00:00Z, by: carol, status: submitted}}\n  - {{at: 2026-01-02T02:00:00Z, by: carol, status: approved}}\n"),
            ));
        }
        fi.commit("feature", Some(&format!(":{tip}")), "the PR: 10 records", &pr);
        fi.out.flush().unwrap();
    }
    assert!(child.wait().unwrap().success(), "fast-import failed");
    let count = git(dir, &["rev-list", "--count", "refs/heads/main"]);
    assert_eq!(count, HISTORY.to_string());
    eprintln!(
        "generated the bench repo in {:.1?} ({count} commits on main)",
        t.elapsed()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gate-bench-100k");
    if std::env::var_os("GITSM_BENCH_REGEN").is_some() || !root.join(".git/refs/heads/feature").exists() {
        generate(&root);
    }
    let head = git(&root, &["rev-parse", "refs/heads/feature"]);
    let reviews = root.join(".git/bench-reviews.json");
    std::fs::write(
        &reviews,
        format!(r#"[{{"id":1,"user":{{"login":"alice","type":"User"}},"state":"APPROVED","commit_id":"{head}","submitted_at":"2026-01-03T00:00:00Z"}}]"#),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_gitsm");
    let mut times = Vec::new();
    for i in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(bin)
            .current_dir(&root)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .arg("--repo")
            .arg(&root)
            .args([
                "--now",
                "2026-01-04T00:00:00Z",
                "gate",
                "--base",
                "refs/heads/main",
                "--head",
                "refs/heads/feature",
            ])
            .args(["--author", "carol", "--format", "json", "--reviews"])
            .arg(&reviews)
            .output()
            .expect("gitsm runs");
        let dt = t.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {i}: expected allowed\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let checked: std::collections::BTreeSet<&str> = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["subject"].as_str())
            .collect();
        assert_eq!(checked.len(), 10, "the PR touches 10 records: {checked:?}");
        eprintln!("run {i}: {dt:.3?}");
        times.push(dt);
    }
    times.sort();
    println!(
        "gitsm gate, 10 changed records, 100k records, {HISTORY} commits: median {:.3?}, min {:.3?}, max {:.3?} over {RUNS} runs",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
}
