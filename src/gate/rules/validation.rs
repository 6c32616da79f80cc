//! Rule 2: every changed record validates (SPEC §2) at head, and so does
//! every record whose meaning the PR changes indirectly: a `gitsm.yaml`
//! edit re-validates the whole head tree.

use super::*;
use crate::gate::judge::{subject_of, ticket_kind_of};
use std::collections::HashSet;

pub(super) fn check(j: &mut Judge<'_>) {
    let input = j.input;
    let mut src = MapSource::new();
    for (p, b) in &input.head_context {
        src.add(p, b);
    }
    for (p, b) in &input.referenced {
        src.add(p, b);
    }
    if let Some(all) = &input.head_all {
        for (p, b) in all {
            src.add(p, b);
        }
    }
    for (fc, _, _) in &j.files {
        if let Some(b) = &fc.new {
            src.add(&fc.path, b);
        }
    }
    let known: HashSet<(Kind, String)> = input
        .head_ticket_paths
        .iter()
        .filter_map(|p| Some((ticket_kind_of(p)?, repo::file_stem(p).to_string())))
        .collect();
    let v = match crate::validate::validate_with_known(&src, &known) {
        Ok(v) => v,
        Err(e) => {
            j.push(
                "records",
                None,
                Rule::FailClosed,
                CheckOutcome::Undecided,
                format!("cannot validate: {e}"),
                Some("run `gitsm validate` on the head checkout to see why".into()),
            );
            return;
        }
    };
    let mut pushed: Vec<Check> = Vec::new();
    let mut judged: HashSet<&str> = HashSet::new();
    for (fc, _, new) in &j.files {
        let Some(new) = new else { continue };
        judged.insert(&fc.path);
        let mine: Vec<&crate::diag::Finding> = v.findings.iter().filter(|f| f.file == fc.path).collect();
        // Not a record — unless the loader has findings for it: a broken
        // file that mentions gitsm/v1 is a finding for `gitsm validate`
        // too, never silently skipped.
        if new.kind_id().is_none() && !is_record_path(&fc.path) && mine.is_empty() {
            continue;
        }
        report(&mut pushed, &subject_of(fc, Some(new)), &fc.path, &mine, true);
    }
    if input.head_all.is_some() {
        // The config changed: every other record is judged by it too.
        let mut others: BTreeMap<&str, Vec<&crate::diag::Finding>> = BTreeMap::new();
        for f in &v.findings {
            if !judged.contains(f.file.as_str()) {
                others.entry(f.file.as_str()).or_default().push(f);
            }
        }
        for (file, list) in others {
            report(&mut pushed, file, file, &list, false);
        }
    }
    j.checks.extend(pushed);
}

fn report(out: &mut Vec<Check>, subject: &str, path: &str, findings: &[&crate::diag::Finding], pass: bool) {
    let mut failed = false;
    for f in findings {
        let outcome = match f.severity {
            Severity::Error => {
                failed = true;
                CheckOutcome::Fail
            }
            Severity::Warning => CheckOutcome::Warn,
        };
        out.push(Check {
            subject: subject.to_string(),
            file: Some(path.to_string()),
            rule: Rule::Validate,
            outcome,
            message: format!(
                "{}:{}:{}: {}[{}] {}",
                f.file,
                f.pos.line,
                f.pos.column,
                f.severity.as_str(),
                f.code.as_str(),
                f.message
            ),
            fix: Some(if f.code == crate::diag::Code::TooFewApprovals {
                "once the reviews are in, run this `gitsm gate` command again with `--record`, commit and push: recording approvals is bookkeeping, so the reviews stay fresh".to_string()
            } else {
                f.hint
                    .clone()
                    .unwrap_or_else(|| "fix the record; `gitsm validate` shows the same finding".into())
            }),
        });
    }
    if !failed && pass {
        out.push(Check {
            subject: subject.to_string(),
            file: Some(path.to_string()),
            rule: Rule::Validate,
            outcome: CheckOutcome::Pass,
            message: "validates at head".into(),
            fix: None,
        });
    }
}
