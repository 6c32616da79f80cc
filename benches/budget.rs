//! Benchmark: issue 16's target, `gitsm budget` and `gitsm report` (with
//! DORA, the month's error budgets and 12 months of trends) on a generated
//! repo of 100,000 incidents (and 28,571 changes, 14,287 requests: the
//! shared generator's mix), end to end.
//!
//! Run with `cargo bench --bench budget`; see `benches/common` for the repo
//! and the figures printed (median, min, max wall time and peak RSS).

mod common;

/// Records for 100,000 incidents in the generator's 70/20/10 mix.
const RECORDS: usize = 142_914;

fn main() {
    println!("budget and report with DORA on {}", common::machine());
    let repo = common::repo(RECORDS);
    assert!(repo.incidents >= 100_000, "{} incidents", repo.incidents);
    let root = repo.root.to_str().expect("UTF-8 path");
    let now = repo.now_arg();
    let month = repo.last_month();
    common::bench(
        &format!("gitsm budget ({} incidents)", repo.incidents),
        &["--repo", root, "--now", &now, "budget", "--format", "json"],
        0,
    );
    common::bench(
        &format!("gitsm report, DORA+trends ({} incidents)", repo.incidents),
        &[
            "--repo", root, "--now", &now, "report", "--period", &month, "--format", "json",
        ],
        0,
    );
}
