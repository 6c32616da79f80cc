//! Benchmark: `gitsm status-page` (updating its last site, and with
//! `--rebuild`) on generated repos of 100,000 records
//! (70,000 incidents; and 1,000,000 with `GITSM_BENCH_1M=1`), end to end,
//! site written under `target/bench-repos/site-<n>`.
//!
//! Run with `cargo bench --bench status`; see `benches/common` for the repo
//! and the figures printed (median, min, max wall time and peak RSS).

mod common;

fn main() {
    println!("status-page on {}", common::machine());
    for n in common::sizes() {
        let repo = common::repo(n);
        let root = repo.root.to_str().expect("UTF-8 path");
        let out = repo.root.with_file_name(format!("site-{n}"));
        let out = out.to_str().expect("UTF-8 path");
        let now = repo.now_arg();
        // After its first run, each run updates the site of the run before
        // (the usual case: a page republished as records change); --rebuild
        // writes every page into a fresh folder (the first run, or CI with
        // nothing kept).
        let args = ["--repo", root, "--now", &now, "status-page", "--out", out];
        common::bench(
            &format!("gitsm status-page ({} incidents)", repo.incidents),
            &args,
            0,
        );
        common::bench(
            &format!("gitsm status-page --rebuild ({} incidents)", repo.incidents),
            &[&args[..], &["--rebuild"]].concat(),
            0,
        );
    }
}
