//! End-to-end CLI behaviour: init, validate formats, exit codes.

use crate::common::*;

#[test]
fn init_scaffold_validates_clean() {
    let dir = init_repo();
    let (code, findings) = validate_json(dir.path());
    assert_eq!(code, 0, "{findings:?}");
    assert!(findings.is_empty(), "{findings:?}");
    // Every record file carries the editor schema line.
    let svc = std::fs::read_to_string(dir.path().join("catalog/web.yaml")).unwrap();
    assert!(svc.starts_with("# yaml-language-server: $schema=../schemas/service.json"));
    assert!(dir.path().join("schemas/incident.json").is_file());
    let wf = std::fs::read_to_string(dir.path().join(".github/workflows/gitsm-validate.yml")).unwrap();
    assert!(wf.contains("command: validate\n          args: --format github\n"));
    let gate = std::fs::read_to_string(dir.path().join(".github/workflows/gitsm-gate.yml")).unwrap();
    assert!(gate.contains("pull_request_target:") && gate.contains("pull_request_review:"));
    // Judged against the base branch's tip fetched at run time, never the
    // event's remembered base.sha (tests/ship.rs checks the whole shape).
    assert!(gate.contains("ref: ${{ github.event.pull_request.base.ref }}"));
    assert!(!gate.contains("base.sha"));
    // PR text never interpolated into a script: only env references in `run:`.
    for line in gate.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if line.contains("${{") {
            let key = line.trim_start();
            assert!(
                key.starts_with("ref:")
                    || key.starts_with("group:")
                    || key
                        .split(':')
                        .next()
                        .unwrap()
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_'),
                "interpolation outside env: {line}"
            );
        }
    }
    assert!(
        !gate.contains("pull_request.title")
            && !gate.contains("pull_request.body")
            && !gate.contains("head.ref")
    );
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = init_repo();
    let mut c = gitsm(dir.path());
    c.args(["init", "."]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("never overwrites"), "{err}");
}

#[test]
fn a_bad_edit_is_explained_with_file_line_and_fix() {
    let dir = init_repo();
    let p = dir.path().join("catalog/web.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace("owner:", "ownr:");
    std::fs::write(&p, text).unwrap();
    let mut c = gitsm(dir.path());
    c.arg("validate");
    let (code, out, _) = run(c);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[E0102]: unknown field `ownr`"), "{out}");
    assert!(out.contains("--> catalog/web.yaml:"), "{out}");
    assert!(out.contains("did you mean `owner`?"), "{out}");
    // The typo is one mistake: not also reported as a missing `owner`.
    assert!(!out.contains("E0103"), "{out}");
    assert_eq!(out.matches("error[").count(), 1, "{out}");
}

#[test]
fn init_honours_repo_flag() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("fresh");
    let mut c = gitsm(dir.path());
    c.args(["--repo", "fresh", "init"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert!(target.join("gitsm.yaml").is_file(), "{out}");
    assert!(
        !dir.path().join("gitsm.yaml").exists(),
        "wrote into the current folder"
    );
    assert!(out.contains("next: cd fresh && gitsm validate"), "{out}");
}

#[test]
fn github_and_sarif_formats() {
    let dir = init_repo();
    write(
        dir.path(),
        "catalog/web.yaml",
        std::fs::read_to_string(dir.path().join("catalog/web.yaml"))
            .unwrap()
            .replace("tier: 1", "tier: 9"),
    );
    let mut c = gitsm(dir.path());
    c.args(["validate", "--format", "github"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    assert!(out.starts_with("::error file=catalog/web.yaml,line="), "{out}");
    let mut c = gitsm(dir.path());
    c.args(["validate", "--format", "sarif"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let res = &sarif["runs"][0]["results"][0];
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "catalog/web.yaml"
    );
    assert!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            > 1
    );
}

#[test]
fn no_repo_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = gitsm(dir.path());
    c.arg("validate");
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("no gitsm.yaml"), "{err}");
}

#[test]
fn bad_usage_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = gitsm(dir.path());
    c.args(["validate", "--format", "xml"]);
    assert_eq!(run(c).0, 2);
    let mut c = gitsm(dir.path());
    c.args(["--now", "2026-11-20", "validate"]);
    assert_eq!(run(c).0, 2);
}

#[test]
fn completions_print_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = gitsm(dir.path());
    c.args(["completions", "bash"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    assert!(out.contains("_gitsm"), "{out}");
}

#[test]
fn example_repo_validates_clean() {
    let root = manifest_dir().join("examples/acme");
    let mut c = gitsm(&root);
    // Pinned: the example's TLS certificate expires on 2026-12-06 and warns
    // from 30 days ahead (the one intended finding, docs/itil.md).
    c.args(["--now", "2026-11-30T12:00:00Z", "validate", "--format", "json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let codes: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["file"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [("W0801", "cmdb/tls-shop-wildcard.yaml")], "{out}");
    // The issue asks for a realistic repo of this size.
    assert!(doc["records"].as_u64().unwrap() >= 100, "{out}");
}

#[test]
fn codes_doc_lists_every_code() {
    let doc = std::fs::read_to_string(manifest_dir().join("docs/codes.md")).unwrap();
    let table = gitsm::diag::codes_markdown();
    assert!(
        doc.contains(&table),
        "docs/codes.md is out of date; paste the table from gitsm::diag::codes_markdown():\n{table}"
    );
}
