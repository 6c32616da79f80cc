//! `gitsm gate --github`: octocrab against a local HTTP server on 127.0.0.1
//! that answers with GitHub's JSON shapes (wiremock).

use crate::common::{gitsm, run};
use crate::gate::{change, change_full, review, Scratch};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_partial_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_test_token_never_printed_0123456789";
const NOW: &str = "2026-11-21T12:00:00Z";
const REPO: &str = "/repos/acme/itsm";

fn pr_json(head_sha: &str, body: &str) -> Value {
    json!({
        "url": "https://api.github.com/repos/acme/itsm/pulls/1",
        "id": 1, "node_id": "PR_1", "number": 1, "state": "open", "locked": false,
        "title": "Add CHG-0001",
        "user": {"login": "carol", "id": 7, "type": "User", "site_admin": false},
        "body": body,
        "head": {"label": "acme:feature", "ref": "feature", "sha": head_sha,
                 "user": {"login": "acme", "id": 1, "type": "Organization"}},
        "base": {"label": "acme:main", "ref": "main", "sha": "0000000000000000000000000000000000000000",
                 "user": {"login": "acme", "id": 1, "type": "Organization"}},
        "draft": false, "merged": false, "commits": 1
    })
}

fn commit_json(sha: &str, author: &str) -> Value {
    json!({
        "sha": sha, "node_id": "C_1",
        "commit": {"author": {"name": author, "email": format!("{author}@example.com"), "date": "2026-11-20T10:00:00Z"},
                   "committer": {"name": "GitHub", "email": "noreply@github.com", "date": "2026-11-20T10:00:00Z"},
                   "message": "add"},
        "author": {"login": author, "id": 7, "type": "User"},
        "committer": {"login": "web-flow", "id": 19864447, "type": "User"},
        "parents": []
    })
}

/// Mounts the PR, its commits and (empty) comments; reviews are up to the test.
async fn mount_pr(server: &MockServer, head_sha: &str, body: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr_json(head_sha, body)))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1/commits")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([commit_json(head_sha, "carol")])))
        .mount(server)
        .await;
}

async fn mount_reviews(server: &MockServer, reviews: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1/reviews")))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(reviews)))
        .mount(server)
        .await;
}

async fn mount_publish_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/check-runs")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 5, "name": "gitsm gate: main"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues/1/comments")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/issues/1/comments")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99, "body": "x"})))
        .mount(server)
        .await;
}

/// Retries in milliseconds, so that no test waits long; a test may override.
const FAST_RETRIES: &[(&str, &str)] = &[
    ("GITSM_GITHUB_RETRY_BUDGET", "1s"),
    ("GITSM_GITHUB_TIMEOUT", "5s"),
    ("GITSM_GITHUB_BACKOFF_BASE", "10ms"),
    ("GITSM_GITHUB_BACKOFF_CAP", "40ms"),
];

fn run_gate(s: &Scratch, server: &MockServer, extra: &[&str]) -> (i32, String, String) {
    run_gate_env(s, server, extra, &[])
}

fn run_gate_env(
    s: &Scratch,
    server: &MockServer,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut c = gitsm(s.path());
    c.envs(FAST_RETRIES.iter().copied()).envs(env.iter().copied());
    c.env("GITHUB_TOKEN", TOKEN)
        .args([
            "--now",
            NOW,
            "gate",
            "--base",
            "refs/heads/main",
            "--head",
            "refs/heads/feature",
        ])
        .args([
            "--github",
            "acme/itsm",
            "--pr",
            "1",
            "--api-url",
            &server.uri(),
            "--format",
            "json",
        ])
        .args(extra);
    let res = run(c);
    assert!(
        !res.1.contains(TOKEN) && !res.2.contains(TOKEN),
        "the token leaked"
    );
    res
}

async fn requests(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

const APPROVALS: &str = "approvals:\n  - {by: alice, at: 2026-11-20T13:30:00Z}\n";

#[tokio::test]
async fn reads_every_page_of_reviews_and_publishes_a_check_run_and_comment() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVALS),
        )],
        "add",
    );
    let server = MockServer::start().await;
    mount_pr(&server, &sha, "Adds CHG-0001.").await;
    // 150 reviews: 100 comments on page 1, the one approval on page 2.
    let all: Vec<Value> = (1..=150u64)
        .map(|i| {
            review(
                i,
                if i == 150 { "alice" } else { "dave" },
                if i == 150 { "APPROVED" } else { "COMMENTED" },
                &sha,
            )
        })
        .collect();
    let next = format!("<{}{REPO}/pulls/1/reviews?per_page=100&page=2>; rel=\"next\", <{}{REPO}/pulls/1/reviews?per_page=100&page=2>; rel=\"last\"", server.uri(), server.uri());
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1/reviews")))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(Value::Array(all[..100].to_vec()))
                .insert_header("link", next.as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1/reviews")))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(all[100..].to_vec())))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/teams/ecab/members"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/teams/api-team/members"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"login": "gina", "id": 9, "type": "User"}])),
        )
        .mount(&server)
        .await;
    mount_publish_ok(&server).await;

    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "allowed");
    let checks = requests(&server, "POST", &format!("{REPO}/check-runs")).await;
    assert_eq!(checks.len(), 1);
    let body: Value = serde_json::from_slice(&checks[0].body).unwrap();
    assert_eq!(body["name"], "gitsm gate: main");
    assert_eq!(body["head_sha"], sha.as_str());
    assert_eq!(body["conclusion"], "success");
    assert!(checks[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .ends_with(TOKEN));
    let comments = requests(&server, "POST", &format!("{REPO}/issues/1/comments")).await;
    assert_eq!(comments.len(), 1);
    let body: Value = serde_json::from_slice(&comments[0].body).unwrap();
    assert!(body["body"].as_str().unwrap().starts_with("<!-- gitsm-gate -->"));
    assert!(
        err.contains("published the verdict as a check run and created the PR comment"),
        "{err}"
    );
}

#[tokio::test]
async fn team_members_come_from_github() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change_full(
                "CHG-0001",
                "approved",
                "emergency",
                "low",
                "web",
                "2026-11-20T09:05:00Z",
                "approvals:\n  - {by: zoe, at: 2026-11-20T11:01:00Z}\n",
            ),
        )],
        "emergency",
    );
    let server = MockServer::start().await;
    mount_pr(&server, &sha, "").await;
    mount_reviews(&server, vec![review(1, "zoe", "APPROVED", &sha)]).await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/teams/ecab/members"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"login": "Zoe", "id": 3, "type": "User"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orgs/acme/teams/api-team/members"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    mount_publish_ok(&server).await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("approved by zoe"), "{out}");
}

#[tokio::test]
async fn falls_back_to_a_commit_status_and_updates_the_one_comment() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVALS),
        )],
        "add",
    );
    let server = MockServer::start().await;
    mount_pr(&server, &sha, "").await;
    // carol is the author: her approval does not count, so the PR is denied.
    mount_reviews(&server, vec![review(1, "carol", "APPROVED", &sha)]).await;
    for team in ["ecab", "api-team"] {
        Mock::given(method("GET"))
            .and(path(format!("/orgs/acme/teams/{team}/members")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/check-runs")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "Resource not accessible by personal access token", "documentation_url": "https://docs.github.com/rest/checks/runs#create-a-check-run", "status": "403"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/statuses/{sha}")))
        .and(body_partial_json(
            json!({"state": "failure", "context": "gitsm gate: main"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1, "state": "failure"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues/1/comments")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 75, "body": "<!-- gitsm-gate -->\n### ✅ forged by a user", "user": {"login": "mallory", "type": "User"}},
            {"id": 76, "body": "LGTM", "user": {"login": "dave", "type": "User"}},
            {"id": 77, "body": "<!-- gitsm-gate -->\n### old verdict", "user": {"login": "github-actions[bot]", "type": "Bot"}}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{REPO}/issues/comments/77")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 77})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/issues/1/comments")))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("carol is the PR author"), "{out}");
    let patch = requests(&server, "PATCH", &format!("{REPO}/issues/comments/77")).await;
    let body: Value = serde_json::from_slice(&patch[0].body).unwrap();
    assert!(body["body"].as_str().unwrap().contains("DENIED"));
    assert!(err.contains("as a status and updated the PR comment"), "{err}");
}

#[tokio::test]
async fn unauthorized_is_exit_2() {
    let s = Scratch::new();
    s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "submitted", "low", ""),
        )],
        "add",
    );
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})))
        .mount(&server)
        .await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("unauthorized") && err.contains("Bad credentials"),
        "{err}"
    );
    assert!(requests(&server, "POST", &format!("{REPO}/check-runs"))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_server_error_is_exit_2() {
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "submitted", "low", ""),
        )],
        "add",
    );
    let server = MockServer::start().await;
    mount_pr(&server, &sha, "").await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1/reviews")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "Server Error"})))
        .mount(&server)
        .await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("reviews: GitHub answered 500 (server error) (Server Error); gave up after"),
        "{err}"
    );
    assert!(
        requests(&server, "GET", &format!("{REPO}/pulls/1/reviews"))
            .await
            .len()
            > 1
    );
    assert!(
        out.is_empty(),
        "no verdict is printed when it could not be decided: {out}"
    );
}

#[tokio::test]
async fn a_missing_token_is_exit_2() {
    let s = Scratch::new();
    let mut c = gitsm(s.path());
    c.args([
        "gate",
        "--base",
        "refs/heads/main",
        "--head",
        "refs/heads/feature",
        "--github",
        "acme/itsm",
        "--pr",
        "1",
        "--api-url",
        "http://127.0.0.1:9",
    ]);
    let (code, _, err) = run(c);
    assert_eq!(code, 2);
    assert!(err.contains("GITHUB_TOKEN is not set"), "{err}");
}

#[tokio::test]
async fn a_pr_with_more_commits_than_github_lists_is_undecided() {
    // GitHub's PR commits endpoint stops at 250: the authors of later
    // commits would be unknown and could approve as non-contributors.
    let s = Scratch::new();
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVALS),
        )],
        "add",
    );
    let server = MockServer::start().await;
    let mut pr = pr_json(&sha, "Adds CHG-0001.");
    pr["commits"] = json!(251);
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr))
        .mount(&server)
        .await;
    let listed: Vec<Value> = (0..250).map(|_| commit_json(&sha, "carol")).collect();
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1/commits")))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(listed)))
        .mount(&server)
        .await;
    mount_reviews(&server, vec![review(1, "alice", "APPROVED", &sha)]).await;
    for team in ["ecab", "api-team"] {
        Mock::given(method("GET"))
            .and(path(format!("/orgs/acme/teams/{team}/members")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    mount_publish_ok(&server).await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("251 commits"), "{err}");
}

// ---- A good API citizen: limits, rate limits, retries, redirects (issue 17) ----

/// Every request the fake GitHub received, as `METHOD /path`, in order.
async fn calls(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

/// `what` as `METHOD /repos/acme/itsm/...` (or an absolute path).
fn call(what: &str) -> String {
    let (m, p) = what.split_once(' ').unwrap();
    if p.starts_with("/orgs") || p.starts_with("/repositories") {
        what.to_string()
    } else {
        format!("{m} {REPO}{p}")
    }
}

fn expected(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| call(w)).collect()
}

/// The calls of a run that reads the PR and publishes a new comment and a
/// check run, none of them failing.
const CLEAN_RUN: &[&str] = &[
    "GET /pulls/1",
    "GET /pulls/1/reviews",
    "GET /pulls/1/commits",
    "GET /orgs/acme/teams/api-team/members",
    "GET /orgs/acme/teams/ecab/members",
    "GET /issues/1/comments",
    "POST /issues/1/comments",
    "POST /check-runs",
];

async fn mount_teams(server: &MockServer) {
    for team in ["ecab", "api-team"] {
        Mock::given(method("GET"))
            .and(path(format!("/orgs/acme/teams/{team}/members")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(server)
            .await;
    }
}

/// A PR adding an approved change that alice approved: allowed.
async fn allowed_pr(s: &Scratch, server: &MockServer) -> String {
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVALS),
        )],
        "add",
    );
    mount_pr(server, &sha, "Adds CHG-0001.").await;
    mount_reviews(server, vec![review(1, "alice", "APPROVED", &sha)]).await;
    mount_teams(server).await;
    sha
}

/// A one-off answer in front of the normal one (wiremock tries higher
/// priorities first; `up_to_n_times` lets the normal answer through after).
async fn fail_once(server: &MockServer, m: &str, p: &str, answer: ResponseTemplate) {
    Mock::given(method(m))
        .and(path(p))
        .respond_with(answer)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
}

fn body_of(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn chars(v: &Value) -> usize {
    v.as_str().unwrap().chars().count()
}

#[tokio::test]
async fn a_700_record_pr_gets_every_body_within_githubs_limits() {
    let s = Scratch::new();
    let files: Vec<(String, String)> = (1..=700)
        .map(|i| {
            let id = format!("CHG-{i:04}");
            (format!("changes/{id}.yaml"), change(&id, "approved", "low", ""))
        })
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, b)| (p.as_str(), b.as_str())).collect();
    let sha = s.commit(&refs, "700 changes");
    let server = MockServer::start().await;
    mount_pr(&server, &sha, "").await;
    mount_reviews(&server, vec![]).await;
    mount_teams(&server).await;
    mount_publish_ok(&server).await;
    Mock::given(method("PATCH"))
        .and(path(format!("{REPO}/check-runs/5")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 5, "name": "gitsm gate: main"})))
        .mount(&server)
        .await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 1, "{err}");
    let verdict: Value = serde_json::from_str(&out).unwrap();
    let checks = verdict["checks"].as_array().unwrap();
    let flagged = checks
        .iter()
        .filter(|c| c["outcome"] != "pass" && c.get("file").is_some())
        .count();
    assert!(flagged > 100, "{flagged} checks with a file did not pass");

    let posted = requests(&server, "POST", &format!("{REPO}/issues/1/comments")).await;
    assert_eq!(posted.len(), 1);
    let comment = body_of(&posted[0])["body"].clone();
    assert!(chars(&comment) <= 65_536, "{} characters", chars(&comment));
    let text = comment.as_str().unwrap();
    assert!(
        text.starts_with("<!-- gitsm-gate -->\n### ❌ gitsm gate: main — DENIED"),
        "{text:.200}"
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
    assert!(
        rows.len() > 10 && rows.len() < checks.len(),
        "{} rows",
        rows.len()
    );
    assert!(rows.iter().all(|r| r.starts_with("| ❌ ")), "failures come first");
    let left_out = checks.len() - rows.len();
    let note = format!("**{left_out} more check(s) not shown**");
    assert!(text.contains(&note), "{}", &text[text.len() - 400..]);
    assert!(text
        .trim_end()
        .ends_with("The full verdict is in the log of the job that ran 'gitsm gate'."));

    // The check run: summary cut the same way, annotations 50 at a time,
    // the conclusion only with the last batch.
    let created = requests(&server, "POST", &format!("{REPO}/check-runs")).await;
    assert_eq!(created.len(), 1);
    let run = body_of(&created[0]);
    assert_eq!(run["status"], "in_progress");
    assert!(run.get("conclusion").is_none());
    assert!(chars(&run["output"]["summary"]) <= 65_535);
    assert_eq!(run["output"]["annotations"].as_array().unwrap().len(), 50);
    let updates = requests(&server, "PATCH", &format!("{REPO}/check-runs/5")).await;
    assert_eq!(updates.len(), flagged.div_ceil(50) - 1);
    let mut total = 50;
    for (i, u) in updates.iter().enumerate() {
        let b = body_of(u);
        let n = b["output"]["annotations"].as_array().unwrap().len();
        assert!((1..=50).contains(&n));
        total += n;
        let last = i + 1 == updates.len();
        assert_eq!(
            b.get("conclusion").cloned(),
            last.then(|| json!("failure")),
            "update {i}"
        );
        assert_eq!(
            b.get("status").cloned(),
            last.then(|| json!("completed")),
            "update {i}"
        );
        assert!(chars(&b["output"]["summary"]) <= 65_535);
    }
    assert_eq!(total, flagged);
    let first = &run["output"]["annotations"][0];
    assert_eq!(first["annotation_level"], "failure");
    assert_eq!(first["start_line"], 1);
    assert!(
        first["path"].as_str().unwrap().starts_with("changes/CHG-"),
        "{first}"
    );
}

#[tokio::test]
async fn a_secondary_rate_limit_is_waited_out_and_never_taken_for_no_permission() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    fail_once(
        &server,
        "POST",
        &format!("{REPO}/check-runs"),
        ResponseTemplate::new(403)
            .insert_header("retry-after", "1")
            .set_body_json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 1234:5678.", "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits", "status": "403"})),
    )
    .await;
    mount_publish_ok(&server).await;
    let started = Instant::now();
    let (code, out, err) = run_gate_env(&s, &server, &[], &[("GITSM_GITHUB_RETRY_BUDGET", "10s")]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let mut want = expected(CLEAN_RUN);
    want.push(call("POST /check-runs"));
    assert_eq!(calls(&server).await, want);
    assert!(err.contains("published the verdict as a check run"), "{err}");
}

#[tokio::test]
async fn a_rate_limit_that_outlasts_the_budget_is_exit_2_without_a_status() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/check-runs")))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "4102444800")
                .set_body_json(json!({"message": "API rate limit exceeded for installation ID 1.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", "status": "403"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    mount_publish_ok(&server).await;
    let (code, _, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("check run: rate limited by GitHub (HTTP 403)")
            && err.contains("gave up after 1 attempt"),
        "{err}"
    );
    // Not waited for (the reset is in 2100), and no status instead.
    assert_eq!(calls(&server).await, expected(CLEAN_RUN));
}

#[tokio::test]
async fn a_single_502_on_every_read_and_write_is_retried() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    mount_publish_ok(&server).await;
    let bad_gateway =
        || ResponseTemplate::new(502).set_body_string("<html><body><h1>502 Bad Gateway</h1></body></html>");
    for w in CLEAN_RUN {
        let c = call(w);
        let (m, p) = c.split_once(' ').unwrap();
        fail_once(&server, m, p, bad_gateway()).await;
    }
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let mut want: Vec<String> = CLEAN_RUN.iter().flat_map(|w| [call(w), call(w)]).collect();
    // A comment create is not repeated blindly: the comments are listed again first.
    let first_post = want
        .iter()
        .position(|c| c == &call("POST /issues/1/comments"))
        .unwrap();
    want.insert(first_post + 1, call("GET /issues/1/comments"));
    assert_eq!(calls(&server).await, want);
    let run = requests(&server, "POST", &format!("{REPO}/check-runs")).await;
    assert_eq!(body_of(&run[1])["conclusion"], "success");
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    fail_once(
        &server,
        "GET",
        &format!("{REPO}/pulls/1/reviews"),
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    )
    .await;
    mount_publish_ok(&server).await;
    let started = Instant::now();
    let (code, out, err) = run_gate_env(&s, &server, &[], &[("GITSM_GITHUB_RETRY_BUDGET", "10s")]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    let mut want = expected(CLEAN_RUN);
    want.insert(1, call("GET /pulls/1/reviews"));
    assert_eq!(calls(&server).await, want);
}

#[tokio::test]
async fn a_stall_past_the_timeout_is_retried() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    fail_once(
        &server,
        "GET",
        &format!("{REPO}/pulls/1/commits"),
        ResponseTemplate::new(200)
            .set_body_json(json!([]))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    mount_publish_ok(&server).await;
    let started = Instant::now();
    let (code, out, err) = run_gate_env(&s, &server, &[], &[("GITSM_GITHUB_TIMEOUT", "300ms")]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut want = expected(CLEAN_RUN);
    want.insert(2, call("GET /pulls/1/commits"));
    assert_eq!(calls(&server).await, want);
}

#[tokio::test]
async fn persistent_server_errors_end_in_exit_2_within_the_budget_and_never_a_success() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/check-runs")))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "Service Unavailable"})))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_publish_ok(&server).await;
    let started = Instant::now();
    let (code, out, err) = run_gate_env(&s, &server, &[], &[("GITSM_GITHUB_RETRY_BUDGET", "500ms")]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        err.contains("check run: GitHub answered 503 (server error) (Service Unavailable); gave up after"),
        "{err}"
    );
    let runs = requests(&server, "POST", &format!("{REPO}/check-runs")).await;
    assert!(runs.len() >= 3, "{} attempts", runs.len());
    assert_eq!(
        calls(&server)
            .await
            .iter()
            .filter(|c| c.contains("/statuses/"))
            .count(),
        0
    );
}

#[tokio::test]
async fn a_422_is_not_retried_and_the_check_says_publishing_failed() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/issues/1/comments")))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "unprocessable", "field": "data", "message": "Body is too long (maximum is 65536 characters)"}], "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment", "status": "422"})))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_publish_ok(&server).await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("PR comment: HTTP 422 (Validation Failed)"), "{err}");
    assert_eq!(calls(&server).await, expected(CLEAN_RUN));
    // An allowed verdict, but publishing failed: never a success.
    let run = body_of(&requests(&server, "POST", &format!("{REPO}/check-runs")).await[0]);
    assert_eq!(run["conclusion"], "failure");
    assert!(
        run["output"]["title"]
            .as_str()
            .unwrap()
            .starts_with("could not publish the verdict: GitHub: PR comment: HTTP 422"),
        "{run}"
    );
}

#[tokio::test]
async fn a_renamed_repository_is_followed_on_the_same_host_only() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    let sha = allowed_pr(&s, &server).await;
    mount_publish_ok(&server).await;
    // GitHub answers a renamed repository with a 301 to its id.
    fail_once(
        &server,
        "GET",
        &format!("{REPO}/pulls/1"),
        ResponseTemplate::new(301)
            .insert_header("location", format!("{}/repositories/42/pulls/1", server.uri()).as_str())
            .set_body_json(json!({"message": "Moved Permanently", "url": format!("{}/repositories/42/pulls/1", server.uri()), "documentation_url": "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"})),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/repositories/42/pulls/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pr_json(&sha, "Adds CHG-0001.")))
        .mount(&server)
        .await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let mut want = expected(CLEAN_RUN);
    want.insert(1, call("GET /repositories/42/pulls/1"));
    assert_eq!(calls(&server).await, want);
    let all = server.received_requests().await.unwrap();
    let ua = format!("gitsm/{}", env!("CARGO_PKG_VERSION"));
    for r in &all {
        let values = |h: &str| -> Vec<String> {
            r.headers
                .get_all(h)
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(values("accept"), ["application/vnd.github+json"]);
        assert_eq!(values("user-agent"), [ua.as_str()]);
        assert_eq!(values("authorization"), [format!("Bearer {TOKEN}")]);
    }

    // Another host never gets the token.
    let elsewhere = MockServer::start().await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/pulls/1")))
        .respond_with(ResponseTemplate::new(301).insert_header(
            "location",
            format!("{}/repositories/42/pulls/1", elsewhere.uri()).as_str(),
        ))
        .mount(&server)
        .await;
    let (code, _, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("HTTP 301 to another host"), "{err}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(calls(&server).await, expected(&["GET /pulls/1"]));
}

#[tokio::test]
async fn a_comment_created_despite_a_lost_answer_is_edited_not_posted_twice() {
    let s = Scratch::new();
    let server = MockServer::start().await;
    allowed_pr(&s, &server).await;
    // The create reaches GitHub, but its answer is a 502; listing again finds it.
    fail_once(
        &server,
        "POST",
        &format!("{REPO}/issues/1/comments"),
        ResponseTemplate::new(502),
    )
    .await;
    fail_once(
        &server,
        "GET",
        &format!("{REPO}/issues/1/comments"),
        ResponseTemplate::new(200).set_body_json(json!([])),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{REPO}/issues/1/comments")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 123, "body": "<!-- gitsm-gate -->\n### ✅ gitsm gate: main — ALLOWED", "user": {"login": "github-actions[bot]", "type": "Bot"}}
        ])))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{REPO}/issues/comments/123")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 123})))
        .mount(&server)
        .await;
    mount_publish_ok(&server).await;
    let (code, out, err) = run_gate(&s, &server, &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let mut want = expected(CLEAN_RUN);
    let post = want
        .iter()
        .position(|c| c == &call("POST /issues/1/comments"))
        .unwrap();
    want.splice(
        post + 1..post + 1,
        [call("GET /issues/1/comments"), call("PATCH /issues/comments/123")],
    );
    assert_eq!(calls(&server).await, want);
    assert!(err.contains("updated the PR comment"), "{err}");
}
