//! `gitsm intake`: hostile and malformed issues are refused with a clear
//! message and no record; `--github` end to end against a local fake GitHub
//! (wiremock): branch, contents, pull request and the issue comment.

use crate::common::*;
use crate::forms::{acme_copy, github_body, issue_json};
use serde_json::{json, Map, Value};
use std::path::Path;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const REPO: &str = "/repos/acme/itsm";
const TOKEN: &str = "ghs_intake_token_never_printed_42";

fn listing(root: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for d in ["requests", "incidents"] {
        for e in std::fs::read_dir(root.join(d)).unwrap() {
            v.push(format!("{d}/{}", e.unwrap().file_name().to_string_lossy()));
        }
    }
    v.sort();
    v
}

fn good_answers() -> Map<String, Value> {
    json!({"user": "zoe-k", "role": "refunds", "from": "2026-12-01", "reason": "Seasonal support."})
        .as_object()
        .unwrap()
        .clone()
}

fn backoffice_form(root: &Path) -> Value {
    let mut c = gitsm(root);
    c.args(["forms", "--out", "forms"]);
    assert_eq!(run(c).0, 0);
    let text = std::fs::read_to_string(root.join("forms/gitsm-request-backoffice-access.yml")).unwrap();
    gitsm::yaml::parse(&text).unwrap().unwrap().to_json()
}

#[test]
fn hostile_issues_are_refused_and_write_nothing() {
    let dir = acme_copy();
    let root = dir.path();
    let form = backoffice_form(root);
    let body = github_body(&form, &good_answers());
    let with = |k: &str, v: &str| {
        let mut a = good_answers();
        a.insert(k.into(), json!(v));
        github_body(&form, &a)
    };
    let title = "[Backoffice access]: Zoe";
    let before = listing(root);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "missing section",
            issue_json(1, title, "dana", &body.replace("### Role\n\nrefunds\n\n", "")),
            "error: the section `### Role` is missing; was the issue body edited?\n",
        ),
        (
            "extra section",
            issue_json(1, title, "dana", &format!("{body}\n\n### Priority\n\nP1")),
            "error: the issue has a section `Priority` that the form \"Backoffice access\" does not ask\n",
        ),
        (
            "repeated section",
            issue_json(1, title, "dana", &format!("{body}\n\n### Role\n\nread-only")),
            "error: the section `Role` appears twice\n",
        ),
        (
            "text before the form",
            issue_json(1, title, "dana", &format!("Hi!\n\n{body}")),
            "error: the issue body has text before its first `### ` section; it was not made from the form (or was edited)\n",
        ),
        (
            "HTML",
            issue_json(1, title, "dana", &with("reason", "<img src=x onerror=alert(1)>")),
            "error: the answer to `Why is the access needed?` contains HTML; write plain text\n",
        ),
        (
            "HTML in the title",
            issue_json(1, "[Backoffice access]: <script>x</script>", "dana", &body),
            "error: the title must be one line of plain text of at most 256 characters\n",
        ),
        (
            "wrong dropdown value",
            issue_json(1, title, "dana", &with("role", "admin")),
            "error: `admin` is not an option of `Role`; options: read-only, support-agent, refunds\n",
        ),
        (
            "a login that is not a login",
            issue_json(1, title, "dana", &with("user", "zoe k; rm -rf")),
            "error: the answer to `GitHub login of the person`: `zoe k; rm -rf` is not a GitHub login\n",
        ),
        (
            "a bad date",
            issue_json(1, title, "dana", &with("from", "next monday")),
            "error: the answer to `Access from`: `next monday` is not a date; write `YYYY-MM-DD`\n",
        ),
        (
            "a required answer left empty",
            issue_json(1, title, "dana", &body.replace("Seasonal support.", "_No response_")),
            "error: `Why is the access needed?` is required but has no answer\n",
        ),
        (
            "an author that is not a login",
            issue_json(1, title, "-dana--", &body),
            "error: the issue's author `-dana--` is not a GitHub login\n",
        ),
        (
            "1 MB body",
            issue_json(1, title, "dana", &format!("{body}{}", " ".repeat(1 << 20))),
            Box::leak(
                format!(
                    "error: the issue body is {} bytes; gitsm reads at most 65536 (GitHub's own limit)\n",
                    body.len() + (1 << 20)
                )
                .into_boxed_str(),
            ),
        ),
        (
            "no form at all",
            issue_json(1, "Please help", "dana", "### Question\n\nWhy?"),
            "error: the issue was not made from one of this repo's forms (its sections match none); run `gitsm forms` and use one\n",
        ),
        (
            "a pull request",
            {
                let mut i = issue_json(1, title, "dana", &body);
                i["pull_request"] = json!({"url": "https://api.github.com/repos/acme/itsm/pulls/1"});
                i
            },
            "error: this is a pull request, not an issue\n",
        ),
        ("not issue JSON", json!({"number": 1}), "error: not GitHub issue JSON: missing field `title` at line 1 column 12\n"),
    ];
    for (what, issue, expected) in cases {
        std::fs::write(root.join("issue.json"), issue.to_string()).unwrap();
        let mut c = gitsm(root);
        c.args(["intake", "--issue", "issue.json"]);
        let (code, out, err) = run(c);
        assert_eq!((code, out.as_str(), err.as_str()), (1, "", expected), "{what}");
        assert_eq!(listing(root), before, "{what}: a record was written");
    }
    // The good one goes through.
    std::fs::write(
        root.join("issue.json"),
        issue_json(1, title, "dana", &body).to_string(),
    )
    .unwrap();
    let mut c = gitsm(root);
    c.args(["intake", "--issue", "issue.json"]);
    let (code, out, err) = run(c);
    assert_eq!(
        (code, out.as_str()),
        (0, "created REQ-0016 requests/REQ-0016.yaml from issue #1\n"),
        "{err}"
    );
}

async fn mount(server: &MockServer, m: &str, p: &str, status: u16, body: Value) {
    Mock::given(method(m))
        .and(path(format!("{REPO}{p}")))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

fn run_github(root: &Path, server: &MockServer, number: &str) -> (i32, String, String) {
    let mut c = gitsm(root);
    c.env("GITHUB_TOKEN", TOKEN)
        .env("GITSM_GITHUB_RETRY_BUDGET", "1s")
        .env("GITSM_GITHUB_BACKOFF_BASE", "10ms")
        .args([
            "intake",
            "--github",
            "acme/itsm",
            "--issue",
            number,
            "--api-url",
            &server.uri(),
        ]);
    run(c)
}

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    } as u32;
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|c| **c == b'=').count();
        let mut n = 0u32;
        for c in chunk {
            n = n << 6 | if *c == b'=' { 0 } else { val(*c) };
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

fn bodies(reqs: &[Request], m: &str, p: &str) -> Vec<Value> {
    reqs.iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == format!("{REPO}{p}"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn github_intake_opens_a_pull_request_and_comments() {
    let dir = acme_copy();
    let root = dir.path();
    let form = backoffice_form(root);
    let server = MockServer::start().await;
    let issue = issue_json(
        7,
        "[Backoffice access]: Zoe",
        "dana-s",
        &github_body(&form, &good_answers()),
    );
    mount(&server, "GET", "/issues/7", 200, issue).await;
    mount(
        &server,
        "GET",
        "",
        200,
        json!({"id": 1, "name": "itsm", "full_name": "acme/itsm", "default_branch": "main"}),
    )
    .await;
    mount(&server, "GET", "/git/ref/heads/main", 200,
        json!({"ref": "refs/heads/main", "node_id": "R", "url": "u", "object": {"type": "commit", "sha": "aa11bb22cc33dd44ee55ff6677889900aabbccdd", "url": "u"}})).await;
    mount(&server, "POST", "/git/refs", 201,
        json!({"ref": "refs/heads/gitsm/intake-7", "node_id": "R2", "url": "u", "object": {"type": "commit", "sha": "aa11bb22cc33dd44ee55ff6677889900aabbccdd", "url": "u"}})).await;
    mount(&server, "PUT", "/contents/requests/REQ-0016.yaml", 201,
        json!({"content": {"name": "REQ-0016.yaml", "path": "requests/REQ-0016.yaml", "sha": "f00d"}, "commit": {"sha": "c0ffee"}})).await;
    mount(
        &server,
        "POST",
        "/pulls",
        201,
        json!({"id": 500, "number": 12, "html_url": "https://github.com/acme/itsm/pull/12", "state": "open"}),
    )
    .await;
    mount(
        &server,
        "POST",
        "/issues/7/comments",
        201,
        json!({"id": 900, "body": "x"}),
    )
    .await;

    let (code, out, err) = run_github(root, &server, "7");
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "created REQ-0016 in requests/REQ-0016.yaml (pull request #12)\n"
        ),
        "{err}"
    );
    assert!(!err.contains(TOKEN) && !out.contains(TOKEN));
    // Nothing written locally: the record is in the pull request.
    assert!(!root.join("requests/REQ-0016.yaml").exists());
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs
        .iter()
        .all(|r| r.headers.get("authorization").unwrap() == &format!("Bearer {TOKEN}")));
    assert_eq!(
        bodies(&reqs, "POST", "/git/refs"),
        [json!({"ref": "refs/heads/gitsm/intake-7", "sha": "aa11bb22cc33dd44ee55ff6677889900aabbccdd"})]
    );
    let put = &bodies(&reqs, "PUT", "/contents/requests/REQ-0016.yaml")[0];
    assert_eq!(put["branch"], "gitsm/intake-7");
    assert_eq!(put["message"], "REQ-0016: from issue #7");
    let text = String::from_utf8(decode_base64(put["content"].as_str().unwrap())).unwrap();
    let rec = gitsm::yaml::parse(&text).unwrap().unwrap().to_json();
    assert_eq!(rec["id"], "REQ-0016");
    assert_eq!(rec["requested_by"], "dana-s");
    assert_eq!(
        rec["fields"],
        json!({"user": "zoe-k", "role": "refunds", "from": "2026-12-01", "reason": "Seasonal support."})
    );
    let pr = &bodies(&reqs, "POST", "/pulls")[0];
    assert_eq!(
        (pr["head"].as_str(), pr["base"].as_str()),
        (Some("gitsm/intake-7"), Some("main"))
    );
    assert_eq!(
        bodies(&reqs, "POST", "/issues/7/comments"),
        [json!({"body": "Recorded as **REQ-0016** in #12."})]
    );
}

#[tokio::test]
async fn github_intake_of_a_hostile_issue_only_comments() {
    let dir = acme_copy();
    let root = dir.path();
    let form = backoffice_form(root);
    let server = MockServer::start().await;
    let mut a = good_answers();
    a.insert("role".into(), json!("root`\n\n@everyone"));
    let issue = issue_json(8, "[Backoffice access]: Zoe", "dana-s", &github_body(&form, &a));
    mount(&server, "GET", "/issues/8", 200, issue).await;
    mount(
        &server,
        "POST",
        "/issues/8/comments",
        201,
        json!({"id": 901, "body": "x"}),
    )
    .await;
    let (code, out, err) = run_github(root, &server, "8");
    assert_eq!(code, 1, "{out}{err}");
    let reqs = server.received_requests().await.unwrap();
    let paths: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        paths,
        [
            format!("GET {REPO}/issues/8"),
            format!("POST {REPO}/issues/8/comments")
        ]
    );
    let comment = &bodies(&reqs, "POST", "/issues/8/comments")[0]["body"];
    assert_eq!(
        comment.as_str().unwrap(),
        "gitsm could not record this issue:\n\n```text\n'root'  @everyone' is not an option of 'Role'; options: read-only, support-agent, refunds\n```\n\nEdit the issue body back to the form's sections (or open a new issue from the form)."
    );
}
