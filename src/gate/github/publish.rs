//! Writing the verdict back to GitHub: the one PR comment, the check run
//! with its annotations (or a commit status when the token may not create
//! check runs).

use super::transport::{json_of, status_error, Failure};
use super::{gh, Client, PrData};
use crate::gate::render::{self, COMMENT_MARKER};
use crate::gate::{CheckOutcome, Decision, GateError, Verdict};
use crate::github::limits::{self, truncate_chars};
use crate::github::retry::{self, Attempt};

/// What publishing did, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// `check_run` or `status`.
    pub via: &'static str,
    /// `created` or `updated`.
    pub comment: &'static str,
}

impl Client {
    /// Upserts the one PR comment, then creates the check run (or, when the
    /// token may not, a commit status). Every body is cut to GitHub's limits;
    /// `full_at` says where the whole verdict can be read (e.g. "the job
    /// log") when something was left out. When the comment cannot be
    /// written, the check still goes out, as a failure naming the error:
    /// an earlier run's success on the same commit must not stand.
    pub fn publish(
        &self,
        pr: &PrData,
        head_sha: &str,
        verdict: &Verdict,
        base_branch: &str,
        full_at: &str,
    ) -> Result<Published, GateError> {
        self.rt.block_on(async {
            let body = render::markdown_within(verdict, base_branch, limits::COMMENT_BODY, full_at);
            match self.upsert_comment(pr.number, &body).await {
                Ok(comment) => {
                    let via = self
                        .post_verdict(head_sha, verdict, base_branch, full_at, None)
                        .await?;
                    Ok(Published { via, comment })
                }
                Err(e) => {
                    // Best effort: the comment's error is the one to report.
                    let why = e.to_string();
                    let _ = self
                        .post_verdict(head_sha, verdict, base_branch, full_at, Some(&why))
                        .await;
                    Err(e)
                }
            }
        })
    }

    /// Edits our comment, or creates it. A create whose answer was lost
    /// (a 502, a stall) may still have happened, so a retry does not simply
    /// repeat the `POST`: it lists the comments again and edits the one it
    /// finds, so a PR never gets two.
    async fn upsert_comment(&self, number: u64, body: &str) -> Result<&'static str, GateError> {
        let payload = serde_json::json!({ "body": body });
        retry::run(&self.retry, |_| async {
            let ours = match self.our_comment(number).await {
                Ok(ours) => ours,
                Err(e) => return Attempt::Fail(Failure::Gate(e)),
            };
            let (method, url, done) = match ours {
                Some(id) => (
                    http::Method::PATCH,
                    self.url(&format!("/issues/comments/{id}")),
                    "updated",
                ),
                None => (
                    http::Method::POST,
                    self.url(&format!("/issues/{number}/comments")),
                    "created",
                ),
            };
            match self.attempt_classified(&method, &url, Some(&payload)).await {
                Attempt::Done(a) if a.ok() => Attempt::Done(done),
                Attempt::Done(a) => Attempt::Fail(Failure::Http(a)),
                Attempt::Retry { after, error } => Attempt::Retry { after, error },
                Attempt::Fail(e) => Attempt::Fail(e),
            }
        })
        .await
        .map_err(|stop| self.gave_up("PR comment", stop))
    }

    /// The id of the gate's comment on PR `number`, if there is one.
    async fn our_comment(&self, number: u64) -> Result<Option<u64>, GateError> {
        let comments = self
            .get_all(
                &self.url(&format!("/issues/{number}/comments?per_page=100")),
                "PR comments",
            )
            .await?;
        // Ours: the marked comment, preferring one a bot wrote (anyone can
        // paste the marker; editing theirs only replaces it with the truth).
        let marked: Vec<&serde_json::Value> = comments
            .iter()
            .filter(|c| {
                c.get("body")
                    .and_then(|b| b.as_str())
                    .is_some_and(|b| b.starts_with(COMMENT_MARKER))
            })
            .collect();
        Ok(marked
            .iter()
            .find(|c| c.pointer("/user/type").and_then(|t| t.as_str()) == Some("Bot"))
            .or(marked.first())
            .and_then(|c| c.get("id").and_then(|i| i.as_u64())))
    }

    /// The check run `gitsm gate: <base>` with its annotations, or a commit
    /// status when the token may not create check runs (403/404 — a rate
    /// limit is retried by [`Client::send`], never taken for this).
    /// `failed`: publishing went wrong, so the conclusion is a failure
    /// whatever the verdict.
    async fn post_verdict(
        &self,
        head_sha: &str,
        verdict: &Verdict,
        base_branch: &str,
        full_at: &str,
        failed: Option<&str>,
    ) -> Result<&'static str, GateError> {
        let name = format!("gitsm gate: {base_branch}");
        let (conclusion, title) = match failed {
            Some(why) => ("failure", format!("could not publish the verdict: {why}")),
            None => (
                match verdict.decision {
                    Decision::Allowed => "success",
                    Decision::Denied | Decision::Undecided => "failure",
                },
                render::summary_line(verdict),
            ),
        };
        let title = truncate_chars(&title, CHECK_RUN_TITLE, "…");
        let summary = render::markdown_within(verdict, base_branch, limits::CHECK_RUN_OUTPUT, full_at);
        let annotations = annotations(verdict);
        let mut batches = annotations.chunks(limits::ANNOTATIONS_PER_REQUEST);
        let first = batches.next().unwrap_or_default();
        let more = annotations.len() > limits::ANNOTATIONS_PER_REQUEST;
        let output = |batch: &[serde_json::Value]| serde_json::json!({"title": title, "summary": summary, "annotations": batch});
        // With more annotations than one request takes, the run stays
        // `in_progress` until the last batch carries the conclusion, so no
        // conclusion is ever shown for a half-published run.
        let mut check = serde_json::json!({
            "name": name,
            "head_sha": head_sha,
            "status": if more { "in_progress" } else { "completed" },
            "output": output(first),
        });
        if !more {
            check["conclusion"] = conclusion.into();
        }
        let a = self
            .send(
                http::Method::POST,
                &self.url("/check-runs"),
                Some(&check),
                "check run",
            )
            .await?;
        if a.ok() {
            if more {
                let id = json_of("check run", &a)?
                    .get("id")
                    .and_then(|i| i.as_u64())
                    .ok_or_else(|| gh("check run: the answer has no `id`"))?;
                let batches: Vec<&[serde_json::Value]> = batches.collect();
                for (i, batch) in batches.iter().enumerate() {
                    let mut update = serde_json::json!({ "output": output(batch) });
                    if i + 1 == batches.len() {
                        update["status"] = "completed".into();
                        update["conclusion"] = conclusion.into();
                    }
                    let a = self
                        .send(
                            http::Method::PATCH,
                            &self.url(&format!("/check-runs/{id}")),
                            Some(&update),
                            "check run annotations",
                        )
                        .await?;
                    if !a.ok() {
                        return Err(status_error("check run annotations", a.status, &a.body));
                    }
                }
            }
            return Ok("check_run");
        }
        if a.status != 403 && a.status != 404 {
            return Err(status_error("check run", a.status, &a.body));
        }
        // Tokens that cannot create check runs (a PAT, or `checks: write`
        // missing) can still set a commit status.
        let state = match (failed, verdict.decision) {
            (Some(_), _) | (None, Decision::Undecided) => "error",
            (None, Decision::Allowed) => "success",
            (None, Decision::Denied) => "failure",
        };
        let description = truncate_chars(&title, limits::STATUS_DESCRIPTION, "…");
        let st = serde_json::json!({"state": state, "context": name, "description": description});
        let a = self
            .send(
                http::Method::POST,
                &self.url(&format!("/statuses/{head_sha}")),
                Some(&st),
                "commit status",
            )
            .await?;
        if !a.ok() {
            return Err(status_error("commit status", a.status, &a.body));
        }
        Ok("status")
    }
}

/// GitHub documents no limit for a check run's title; this keeps it a line.
const CHECK_RUN_TITLE: usize = 1_000;
/// Limits of one annotation (GitHub: title 255 characters, message 64 KB).
const ANNOTATION_TITLE: usize = 255;
const ANNOTATION_MESSAGE: usize = 4_000;

/// One annotation per check that did not pass and names a file, blocking
/// ones first (the order of the summary). The gate knows files, not lines,
/// so each points at line 1.
fn annotations(verdict: &Verdict) -> Vec<serde_json::Value> {
    let mut checks: Vec<&crate::gate::Check> = verdict
        .checks
        .iter()
        .filter(|c| c.outcome != CheckOutcome::Pass && c.file.is_some())
        .collect();
    checks.sort_by_key(|c| match c.outcome {
        CheckOutcome::Undecided => 0,
        CheckOutcome::Fail => 1,
        _ => 2,
    });
    // A check about several files (a policy change) names them joined by
    // ", ": one annotation on each.
    checks
        .into_iter()
        .flat_map(|c| {
            c.file
                .as_deref()
                .unwrap_or_default()
                .split(", ")
                .map(move |f| (c, f))
        })
        .map(|(c, file)| {
            let message = match &c.fix {
                Some(fix) => format!("{}\nfix: {fix}", c.message),
                None => c.message.clone(),
            };
            serde_json::json!({
                "path": file,
                "start_line": 1,
                "end_line": 1,
                "annotation_level": if c.outcome == CheckOutcome::Warn { "warning" } else { "failure" },
                "title": truncate_chars(&format!("{}: {}", c.subject, c.rule.label()), ANNOTATION_TITLE, "…"),
                "message": truncate_chars(&message, ANNOTATION_MESSAGE, "…"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Check, Decision, Rule};

    #[test]
    fn a_check_about_several_files_annotates_each() {
        let check = |file: &str, outcome| Check {
            subject: "policy default".into(),
            file: Some(file.into()),
            rule: Rule::PolicyFromBase,
            outcome,
            message: "m".into(),
            fix: None,
        };
        let v = Verdict {
            decision: Decision::Denied,
            checks: vec![
                check(
                    "itsm/policies/default.yaml, .github/workflows/gate.yml",
                    CheckOutcome::Fail,
                ),
                check("itsm/changes/CHG-1.yaml", CheckOutcome::Pass),
            ],
            to_record: Vec::new(),
        };
        let paths: Vec<String> = annotations(&v)
            .iter()
            .map(|a| a["path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            ["itsm/policies/default.yaml", ".github/workflows/gate.yml"]
        );
    }
}
