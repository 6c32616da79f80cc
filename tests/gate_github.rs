//! `gitsm gate --github`: octocrab against a local HTTP server on 127.0.0.1
//! that answers with GitHub's JSON shapes (wiremock).

use crate::common::{gitsm, run};
use crate::gate::{change, change_full, review, Scratch};
use serde_json::{json, Value};
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

fn run_gate(s: &Scratch, server: &MockServer, extra: &[&str]) -> (i32, String, String) {
    let mut c = gitsm(s.path());
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
    assert!(err.contains("reviews: GitHub answered 500"), "{err}");
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
