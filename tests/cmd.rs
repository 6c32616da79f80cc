//! CLI scenarios as data: every case under `tests/cmd/` (`*.trycmd` for
//! command transcripts, `*.toml` with a `.in/` input tree and the expected
//! `.stdout`/`.stderr`). Regenerate after a deliberate change with
//! `TRYCMD=overwrite cargo test --test integration cmd::` and review the diff.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .register_bin("gitsm", std::path::PathBuf::from(env!("CARGO_BIN_EXE_gitsm")))
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        // Not in GitHub Actions unless a case says so (then the job summary
        // is written too).
        .env("GITHUB_ACTIONS", "false")
        .case("tests/cmd/*.trycmd")
        .case("tests/cmd/*.toml");
}
