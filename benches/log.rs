//! Benchmark: `gitsm log` on a repo with 4,000 records and 5,000 commits,
//! for a record that was renamed, deleted and added again, and that once
//! held a 4 MiB version (shown by its size, never read).
//!
//! Run with `cargo bench --bench log`. The repo is generated once with
//! `git fast-import` under the target dir and reused; set
//! `GITSM_BENCH_REGEN=1` to rebuild it. Prints the wall time of each run and
//! the median; fails when the history is not the expected one or a run takes
//! more than a second.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RECORDS: usize = 4_000;
const HISTORY: usize = 5_000;
const RUNS: usize = 7;
/// The record followed: touched every 100 commits.
const TARGET: usize = 17;

fn incident(n: usize, events: usize) -> String {
    let mut s = format!(
        "apiVersion: gitsm/v1\nkind: Incident\nid: INC-{n:04}\ntitle: Checkout errors {n}\nservice: checkout\nimpact: medium\nurgency: low\nstatus: new\nreported_at: 2026-01-01T00:00:00Z\nreported_by: ops\ntimeline:\n  - {{at: 2026-01-01T00:00:00Z, by: ops, status: new}}\n"
    );
    for k in 0..events {
        s.push_str(&format!(
            "  - {{at: 2026-01-01T00:00:00Z, by: ops, note: \"update {k}\"}}\n"
        ));
    }
    s
}

struct Fi<W: Write> {
    out: W,
    mark: usize,
    time: u64,
}

impl<W: Write> Fi<W> {
    /// One commit on main: `files` written, `deleted` removed.
    fn commit(&mut self, msg: &str, files: &[(String, String)], deleted: &[String]) {
        self.time += 60;
        write!(
            self.out,
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{}\n",
            self.time,
            msg.len(),
            msg
        )
        .unwrap();
        for p in deleted {
            writeln!(self.out, "D {p}").unwrap();
        }
        for (p, body) in files {
            write!(self.out, "M 100644 inline {p}\ndata {}\n{body}\n", body.len()).unwrap();
        }
        writeln!(self.out).unwrap();
        self.mark += 1;
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
        let mut files: Vec<(String, String)> = vec![(
            "gitsm.yaml".into(),
            "apiVersion: gitsm/v1\nkind: Config\nid: bench\n".into(),
        )];
        for n in 1..=RECORDS {
            // The followed record starts life under an old name.
            let path = if n == TARGET {
                format!("old/INC-{n:04}.yaml")
            } else {
                format!("incidents/INC-{n:04}.yaml")
            };
            files.push((path, incident(n, 0)));
        }
        fi.commit("import 4,000 records", &files, &[]);
        let mut events = vec![0usize; RECORDS + 1];
        let mut target_path = format!("old/INC-{TARGET:04}.yaml");
        for h in 1..HISTORY {
            let msg;
            let mut deleted = Vec::new();
            let n = if h % 100 == 0 {
                TARGET
            } else {
                1 + (h * 7919) % RECORDS
            };
            events[n] += 1;
            let mut body = incident(n, events[n]);
            let mut path = if n == TARGET {
                target_path.clone()
            } else {
                format!("incidents/INC-{n:04}.yaml")
            };
            if n == TARGET && h == 1000 {
                // Renamed into its folder.
                deleted.push(target_path.clone());
                path = format!("incidents/INC-{TARGET:04}.yaml");
                target_path = path.clone();
                msg = format!("move INC-{TARGET:04}");
            } else if n == TARGET && h == 2000 {
                // A 4 MiB version (a pasted log), fixed in the next update.
                body.push_str(&format!("extra: {{log: \"{}\"}}\n", "x".repeat(4 << 20)));
                msg = format!("paste a log into INC-{TARGET:04}");
            } else if n == TARGET && h == 3000 {
                // Deleted by mistake...
                fi.commit(
                    &format!("delete INC-{TARGET:04}"),
                    &[],
                    std::slice::from_ref(&target_path),
                );
                continue;
            } else {
                msg = format!("update INC-{n:04}");
            }
            // ...and added again in its next update (h == 3100).
            fi.commit(&msg, &[(path, body)], &deleted);
        }
        fi.out.flush().unwrap();
    }
    assert!(child.wait().unwrap().success(), "fast-import failed");
    git(dir, &["checkout", "-q", "main"]);
    let count = git(dir, &["rev-list", "--count", "main"]);
    assert_eq!(count, HISTORY.to_string());
    eprintln!(
        "generated the bench repo in {:.1?} ({count} commits)",
        t.elapsed()
    );
}

/// How many commits after the import touch the followed record: every
/// hundredth, plus those the round-robin lands on by chance.
fn touches() -> usize {
    (1..HISTORY)
        .filter(|h| h % 100 == 0 || 1 + (h * 7919) % RECORDS == TARGET)
        .count()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("log-bench-5k");
    if std::env::var_os("GITSM_BENCH_REGEN").is_some() || !root.join(".git/refs/heads/main").exists() {
        generate(&root);
    }
    let bin = env!("CARGO_BIN_EXE_gitsm");
    let mut times = Vec::new();
    for i in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(bin)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .arg("--repo")
            .arg(&root)
            .args(["log", &format!("INC-{TARGET:04}"), "--format", "json"])
            .output()
            .expect("gitsm runs");
        let dt = t.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let commits = v["commits"].as_array().unwrap();
        let actions: Vec<&str> = commits.iter().filter_map(|c| c["action"].as_str()).collect();
        // The creation and every later touch (among them the rename, the
        // 4 MiB version, the deletion and the re-creation).
        assert_eq!(commits.len(), 1 + touches(), "{actions:?}");
        assert_eq!(
            actions.iter().filter(|a| **a == "created").count(),
            2,
            "{actions:?}"
        );
        assert_eq!(
            actions.iter().filter(|a| **a == "deleted").count(),
            1,
            "{actions:?}"
        );
        assert!(commits.iter().any(|c| c["renamed_from"] == "old/INC-0017.yaml"));
        assert!(commits.iter().any(|c| c["remark"]
            .as_str()
            .is_some_and(|r| r.starts_with("a version is 4195"))));
        eprintln!("run {i}: {dt:.3?}");
        times.push(dt);
    }
    times.sort();
    println!(
        "gitsm log, {RECORDS} records, {HISTORY} commits (rename, delete and re-add, a 4 MiB version): median {:.3?}, min {:.3?}, max {:.3?} over {RUNS} runs",
        times[RUNS / 2],
        times[0],
        times[RUNS - 1]
    );
    assert!(times[RUNS / 2] <= Duration::from_secs(1), "median above 1 s");
}
