//! Benchmark: `gitsm report` on generated repos of 100,000 records (and
//! 1,000,000 with `GITSM_BENCH_1M=1`), end to end: the last full month
//! before the repo's `now` as HTML (charts and every table), and the same
//! month as JSON.
//!
//! Run with `cargo bench --bench report`; see `benches/common` for the repo
//! and the figures printed (median, min, max wall time and peak RSS).

mod common;

fn main() {
    println!("report on {}", common::machine());
    for n in common::sizes() {
        let repo = common::repo(n);
        let root = repo.root.to_str().expect("UTF-8 path");
        let now = repo.now_arg();
        let month = repo.last_month();
        for format in ["html", "json"] {
            common::bench(
                &format!("gitsm report --format {format} ({n} records)"),
                &[
                    "--repo", root, "--now", &now, "report", "--period", &month, "--format", format,
                ],
                0,
            );
        }
    }
}
