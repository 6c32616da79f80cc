//! `gitsm serve` end to end: the binary runs as a process on 127.0.0.1; a
//! fake GitHub (`serve/fake.rs`) answers the App and REST calls in GitHub's
//! shapes and serves the repository through `git http-backend`; deliveries
//! are signed like GitHub signs them. The assertions read what was posted.

#[path = "serve/fake.rs"]
pub mod fake;

use crate::common::git;
use crate::gate::{change, scheduled, Scratch, ALICE, APPROVED_BY_ALICE, NOW, POLICY};
use fake::{check_suite_event, pull_request_event, push_event, review_event, review_json, Fake, Pr, Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// Commits `files` on a new branch `branch` made from `from`; back on `feature` after.
fn branch_commit(s: &Scratch, branch: &str, from: &str, files: &[(&str, &str)]) -> String {
    git(s.path(), &["checkout", "-q", "-B", branch, from]);
    let sha = s.commit(files, branch);
    git(s.path(), &["checkout", "-q", "feature"]);
    sha
}

fn pull_ref(s: &Scratch, n: u64, sha: &str) {
    git(s.path(), &["update-ref", &format!("refs/pull/{n}/head"), sha]);
}

fn pr(fake: &Fake, n: u64) -> Pr {
    fake.state.lock().unwrap().prs[&n].clone()
}

/// The check run's keys and values that say what it concluded.
fn assert_check(c: &Value, sha: &str, conclusion: &str) {
    let keys: BTreeSet<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["name", "head_sha", "status", "conclusion", "output"]),
        "{c:#}"
    );
    assert_eq!(c["name"], "gitsm gate: main");
    assert_eq!(c["head_sha"], sha);
    assert_eq!(c["status"], "completed");
    assert_eq!(c["conclusion"], conclusion, "{c:#}");
}

/// (path, title) of each annotation.
fn annotations(c: &Value) -> Vec<(String, String)> {
    c["output"]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn no_secret_in_logs(server: &Server) {
    for l in server.log.lock().unwrap().iter() {
        assert!(!l.contains(fake::TOKEN), "the token was logged: {l}");
        assert!(!l.contains(fake::SECRET), "the webhook secret was logged: {l}");
        assert!(!l.contains("PRIVATE KEY"), "the key was logged: {l}");
    }
}

#[test]
fn approve_then_stale_push_then_new_freeze() {
    let s = Scratch::new();
    let fake = Fake::start(s.path());
    let server = Server::start(&fake, NOW, &[]);

    // PR 1: an approved change, approved by alice on its head → success.
    let sha1 = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "add CHG-0001",
    );
    pull_ref(&s, 1, &sha1);
    fake.set_pr(1, &sha1, "main");
    fake.set_reviews(1, vec![review_json(1, "alice", "APPROVED", &sha1)]);
    let (status, body) = server.deliver(
        "pull_request",
        "d-1",
        &pull_request_event("opened", 1, &pr(&fake, 1), "carol"),
    );
    assert_eq!((status, body), (202, json!({"status": "queued"})));
    let c = fake.wait_checks_on(&sha1, 1, WAIT);
    assert_check(&c[0], &sha1, "success");
    assert_eq!(annotations(&c[0]), vec![]);

    // A substantive push after the approval: the approval is stale.
    let edited = change("CHG-0001", "approved", "low", APPROVED_BY_ALICE)
        .replace("Roll out in two steps.", "Roll out at once.");
    let sha2 = s.commit(&[("changes/CHG-0001.yaml", &edited)], "change the plan");
    pull_ref(&s, 1, &sha2);
    fake.set_pr(1, &sha2, "main");
    let (status, _) = server.deliver(
        "pull_request",
        "d-2",
        &pull_request_event("synchronize", 1, &pr(&fake, 1), "carol"),
    );
    assert_eq!(status, 202);
    let c = fake.wait_checks_on(&sha2, 1, WAIT);
    assert_check(&c[0], &sha2, "failure");
    let messages: Vec<&str> = c[0]["output"]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["message"].as_str().unwrap())
        .collect();
    let short = &sha1[..10];
    assert_eq!(
        messages,
        [
            format!("CHG-0001 enters `approved`: rule {{type: normal}} (1 approval(s) from cab); has 0 counted approval(s); not counted: alice's approval is stale: the PR changed changes/CHG-0001.yaml after the reviewed commit {short}\nfix: get 1 more approval(s) from `cab` (not the author or a contributor) on the latest commit"),
            "`approvals` lists alice but no fresh approving review by alice backs it\nfix: remove alice from `approvals`, or have alice approve the PR; `gitsm gate --record` writes backed approvals".to_string(),
        ]
    );
    // The same delivery again is a redelivery: acknowledged, not judged.
    let (status, body) = server.deliver(
        "pull_request",
        "d-2",
        &pull_request_event("synchronize", 1, &pr(&fake, 1), "carol"),
    );
    assert_eq!((status, body["status"].clone()), (200, json!("duplicate")));

    // PR 2: a scheduled change, approved → success; then a freeze over its
    // window lands on main, and the push re-judges it → failure.
    let window = scheduled(
        "CHG-0002",
        "normal",
        "2026-12-10T10:00:00Z",
        "2026-12-10T11:00:00Z",
        "2026-11-10T09:05:00Z",
        ALICE,
    );
    let sha3 = branch_commit(&s, "pr2", "main", &[("changes/CHG-0002.yaml", &window)]);
    pull_ref(&s, 2, &sha3);
    fake.set_pr(2, &sha3, "main");
    fake.set_reviews(2, vec![review_json(2, "alice", "APPROVED", &sha3)]);
    let (status, _) = server.deliver(
        "pull_request_review",
        "d-3",
        &review_event(2, &pr(&fake, 2), review_json(2, "alice", "APPROVED", &sha3)),
    );
    assert_eq!(status, 202);
    assert_check(&fake.wait_checks_on(&sha3, 1, WAIT)[0], &sha3, "success");

    let frozen = POLICY.replace(
        "freeze:\n",
        "freeze:\n  - {name: Year-end audit, start: 2026-12-09T00:00:00Z, end: 2026-12-12T00:00:00Z}\n",
    );
    let main = s.commit_on_main(&[("policies/default.yaml", &frozen)], "freeze for the audit");
    let (status, body) = server.deliver("push", "d-4", &push_event("main", &main));
    assert_eq!((status, body), (202, json!({"status": "queued"})));
    let c = fake.wait_checks_on(&sha3, 2, WAIT);
    assert_check(&c[1], &sha3, "failure");
    assert_eq!(
        annotations(&c[1]),
        vec![(
            "changes/CHG-0002.yaml".to_string(),
            "CHG-0002: rule 5 (schedule)".to_string()
        )]
    );
    server.wait_idle(WAIT);
    // PR 1's verdict did not change on the push: nothing new posted for it.
    assert_eq!(fake.checks_on(&sha2).len(), 1);
    // One comment per PR, upserted.
    let st = fake.state.lock().unwrap();
    assert_eq!(st.comments[&1].len(), 1);
    assert_eq!(st.comments[&2].len(), 1);
    assert!(st.comments[&2][0]["body"].as_str().unwrap().contains("CHG-0002"));
    assert_eq!(st.refused, Vec::<String>::new());
    assert_eq!(st.token_requests, 1, "the installation token is cached");
    drop(st);

    // One structured line per delivery and per evaluation.
    let lines = server.log_lines();
    let deliveries: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["msg"] == "delivery")
        .map(|l| {
            (
                l["delivery"].as_str().unwrap().into(),
                l["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        deliveries,
        [
            ("d-1", "queued"),
            ("d-2", "queued"),
            ("d-2", "duplicate"),
            ("d-3", "queued"),
            ("d-4", "queued")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let evaluations: Vec<(u64, String, String)> = lines
        .iter()
        .filter(|l| l["msg"] == "evaluation")
        .map(|l| {
            (
                l["pr"].as_u64().unwrap(),
                l["head"].as_str().unwrap()[..7].to_string(),
                l["conclusion"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let e = |n: u64, sha: &str, c: &str| (n, sha[..7].to_string(), c.to_string());
    let mut got = evaluations.clone();
    got.sort();
    let mut want = vec![
        e(1, &sha1, "success"),
        e(1, &sha2, "failure"),
        e(2, &sha3, "success"),
        e(1, &sha2, "unchanged"),
        e(2, &sha3, "failure"),
    ];
    want.sort();
    assert_eq!(got, want, "{lines:#?}");
    assert!(lines
        .iter()
        .filter(|l| l["msg"] == "evaluation")
        .all(|l| l["latency_ms"].is_u64() && l["repo"] == fake::REPO));
    let latencies: Vec<u64> = lines
        .iter()
        .filter(|l| l["msg"] == "evaluation")
        .map(|l| l["since_delivery_ms"].as_u64().unwrap())
        .collect();
    eprintln!("delivery → check run (ms) on the scratch repo: {latencies:?}");
    no_secret_in_logs(&server);
    assert_eq!(server.metric("gitsm_github_api_errors_total"), 0.0);

    // Graceful shutdown: exit 0; the mirror stays for the next start.
    let mut server = server;
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log:#?}");
    assert!(log.last().unwrap().contains("\"msg\":\"stopped\""), "{log:#?}");
    let mirror = git2::Repository::open_bare(server.data.path().join("mirrors/acme/itsm.git")).unwrap();
    assert_eq!(
        mirror.refname_to_id("refs/heads/main").unwrap().to_string(),
        main,
        "the mirror holds the base tip it judged against"
    );
}

#[test]
fn bad_input_is_refused_and_nothing_passes() {
    let s = Scratch::new();
    let fake = Fake::start(s.path());
    let server = Server::start(&fake, NOW, &[]);
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change("CHG-0001", "approved", "low", APPROVED_BY_ALICE),
        )],
        "add CHG-0001",
    );
    pull_ref(&s, 1, &sha);
    fake.set_pr(1, &sha, "main");
    let body = pull_request_event("opened", 1, &pr(&fake, 1), "carol").to_string();
    let h = |sig: Option<String>| {
        let mut v = vec![
            ("X-GitHub-Event", "pull_request".to_string()),
            ("X-GitHub-Delivery", "x-1".to_string()),
        ];
        if let Some(sig) = sig {
            v.push(("X-Hub-Signature-256", sig));
        }
        v
    };
    let answer = |r: (u16, String)| (r.0, serde_json::from_str::<Value>(&r.1).unwrap());

    // Unsigned, wrongly signed, signed with another secret.
    assert_eq!(
        answer(server.request("POST", "/webhook", &h(None), body.as_bytes())),
        (
            401,
            json!({"error": "no X-Hub-Signature-256 header: unsigned deliveries are refused"})
        )
    );
    assert_eq!(
        answer(server.request("POST", "/webhook", &h(Some("sha256=00".into())), body.as_bytes())),
        (
            401,
            json!({"error": "X-Hub-Signature-256 is not `sha256=` followed by 64 hex digits"})
        )
    );
    let other = gitsm::serve::signature::sign(b"not the secret", body.as_bytes());
    assert_eq!(
        answer(server.request("POST", "/webhook", &h(Some(other)), body.as_bytes())),
        (
            401,
            json!({"error": "X-Hub-Signature-256 does not match the body under the webhook secret"})
        )
    );
    // Over 25 MB, refused before it is read.
    let mut big = h(Some("sha256=00".into()));
    big.push(("Content-Length", (25 * 1024 * 1024 + 1).to_string()));
    assert_eq!(
        answer(server.request("POST", "/webhook", &big, b"{}")),
        (413, json!({"error": "the body is over 26214400 bytes"}))
    );
    // Signed but malformed, or not an event gitsm acts on.
    let sign = |b: &[u8]| gitsm::serve::signature::sign(fake::SECRET.as_bytes(), b);
    let r = answer(server.request("POST", "/webhook", &h(Some(sign(b"{not json"))), b"{not json"));
    assert_eq!(r.0, 400);
    assert!(
        r.1["error"]
            .as_str()
            .unwrap()
            .starts_with("the body is not JSON: "),
        "{r:?}"
    );
    let (st, b) = server.deliver("star", "x-2", &json!({"action": "created"}));
    assert_eq!(
        (st, b),
        (
            202,
            json!({"status": "ignored", "reason": "event `star` is not one gitsm serve acts on"})
        )
    );
    let (st, b) = server.deliver(
        "pull_request",
        "x-3",
        &json!({"action": "opened", "pull_request": {"number": 1}}),
    );
    assert_eq!(
        (st, b),
        (
            400,
            json!({"error": "the `pull_request` payload has no `installation.id`"})
        )
    );
    // Unknown routes and methods.
    assert_eq!(server.request("GET", "/webhook", &[], b"").0, 405);
    assert_eq!(server.request("GET", "/admin", &[], b"").0, 404);

    // A PR from a fork (no approval): judged from the base repository's
    // refs/pull/3/head, never fetched from the fork → failure.
    let fork_sha = branch_commit(
        &s,
        "fork",
        "main",
        &[(
            "changes/CHG-0003.yaml",
            &change("CHG-0003", "approved", "low", APPROVED_BY_ALICE),
        )],
    );
    pull_ref(&s, 3, &fork_sha);
    fake.set_pr(3, &fork_sha, "main");
    fake.state.lock().unwrap().prs.get_mut(&3).unwrap().head_repo = Some("mallory/itsm".into());
    let (st, _) = server.deliver(
        "pull_request",
        "x-4",
        &pull_request_event("opened", 3, &pr(&fake, 3), "mallory"),
    );
    assert_eq!(st, 202);
    let c = fake.wait_checks_on(&fork_sha, 1, WAIT);
    assert_check(&c[0], &fork_sha, "failure");

    // A deleted head: the commit is in no ref GitHub serves → failure,
    // naming the reason.
    let gone = "1234567890123456789012345678901234567890";
    fake.set_pr(4, gone, "main");
    fake.state.lock().unwrap().prs.get_mut(&4).unwrap().head_repo = None;
    let (st, _) = server.deliver(
        "pull_request",
        "x-5",
        &pull_request_event("reopened", 4, &pr(&fake, 4), "carol"),
    );
    assert_eq!(st, 202);
    let c = fake.wait_checks_on(gone, 1, WAIT);
    assert_check(&c[0], gone, "failure");
    let summary = c[0]["output"]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("the head commit {gone} could not be fetched")),
        "{summary}"
    );

    server.wait_idle(WAIT);
    // Nothing was ever posted as success, and the server is still up.
    assert!(
        fake.checks().iter().all(|c| c["conclusion"] != "success"),
        "{:#?}",
        fake.checks()
    );
    assert_eq!(
        server.request("GET", "/healthz", &[], b""),
        (200, "ok\n".to_string())
    );
    let st = fake.state.lock().unwrap();
    assert!(
        st.git_requests.iter().all(|p| p.starts_with("/acme/itsm.git/")),
        "{:?}",
        st.git_requests
    );
    assert_eq!(st.refused, Vec::<String>::new());
    drop(st);
    let outcomes: Vec<String> = server
        .log_lines()
        .iter()
        .filter(|l| l["msg"] == "delivery")
        .map(|l| format!("{} {}", l["status"], l["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            "401 unauthorized",
            "401 unauthorized",
            "401 unauthorized",
            "413 too_large",
            "400 bad_request",
            "202 ignored",
            "400 bad_request",
            "202 queued",
            "202 queued"
        ]
    );
    no_secret_in_logs(&server);
}

#[test]
fn a_burst_of_200_deliveries_over_20_prs() {
    let s = Scratch::new();
    let fake = Fake::start(s.path());
    let server = Server::start(&fake, NOW, &["--workers", "2"]);
    let mut heads = Vec::new();
    for n in 1..=20u64 {
        let id = format!("CHG-{:04}", 100 + n);
        let sha = branch_commit(
            &s,
            &format!("pr{n}"),
            "main",
            &[(
                &format!("changes/{id}.yaml"),
                &change(&id, "approved", "low", APPROVED_BY_ALICE),
            )],
        );
        pull_ref(&s, n, &sha);
        fake.set_pr(n, &sha, "main");
        // Odd PRs are approved by alice; even ones are not.
        if n % 2 == 1 {
            fake.set_reviews(n, vec![review_json(n, "alice", "APPROVED", &sha)]);
        }
        heads.push(sha);
    }
    let rss_before = server.rss_kib();
    let mut deliveries = Vec::new();
    for round in 0..10u64 {
        for n in 1..=20u64 {
            let p = pr(&fake, n);
            let (event, body) = match round % 3 {
                0 => ("pull_request", pull_request_event("synchronize", n, &p, "carol")),
                1 => (
                    "pull_request_review",
                    review_event(n, &p, review_json(n, "alice", "COMMENTED", &p.head)),
                ),
                _ => ("check_suite", check_suite_event(n, &p)),
            };
            deliveries.push((event, format!("burst-{round}-{n}"), body));
        }
    }
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let chunks: Vec<_> = deliveries.chunks(25).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let server = &server;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(e, id, b)| server.deliver(e, id, b).0)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.len(), 200);
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    server.wait_idle(Duration::from_secs(120));

    for (i, sha) in heads.iter().enumerate() {
        let n = i + 1;
        let c = fake.checks_on(sha);
        assert_eq!(c.len(), 1, "PR {n}: exactly one check run: {c:#?}");
        assert_check(&c[0], sha, if n % 2 == 1 { "success" } else { "failure" });
        assert_eq!(
            fake.state.lock().unwrap().comments[&(n as u64)].len(),
            1,
            "PR {n}: one comment"
        );
    }
    let evaluations = server
        .log_lines()
        .iter()
        .filter(|l| l["msg"] == "evaluation")
        .count();
    assert!(
        (20..=40).contains(&evaluations),
        "coalesced: {evaluations} evaluations for 200 deliveries"
    );
    let rss_after = server.rss_kib();
    eprintln!("gitsm serve RSS: {rss_before} KiB before the burst, {rss_after} KiB after; {evaluations} evaluations");
    assert!(rss_after < 256 * 1024, "RSS {rss_after} KiB");
    no_secret_in_logs(&server);
}

#[test]
fn who_pushed_to_a_pr_cannot_approve_it() {
    let s = Scratch::new();
    let fake = Fake::start(s.path());
    let server = Server::start(&fake, NOW, &[]);
    // carol opened it; dave (on the CAB) pushed the head, then approved.
    let sha = s.commit(
        &[(
            "changes/CHG-0001.yaml",
            &change(
                "CHG-0001",
                "approved",
                "low",
                "approvals:\n  - {by: dave, at: 2026-11-20T11:01:00Z}\n",
            ),
        )],
        "add CHG-0001",
    );
    pull_ref(&s, 1, &sha);
    fake.set_pr(1, &sha, "main");
    let (st, _) = server.deliver(
        "pull_request",
        "p-1",
        &pull_request_event("synchronize", 1, &pr(&fake, 1), "dave"),
    );
    assert_eq!(st, 202);
    assert_check(&fake.wait_checks_on(&sha, 1, WAIT)[0], &sha, "failure");
    let dave = review_json(1, "dave", "APPROVED", &sha);
    fake.set_reviews(1, vec![dave.clone()]);
    let (st, _) = server.deliver(
        "pull_request_review",
        "p-2",
        &review_event(1, &pr(&fake, 1), dave),
    );
    assert_eq!(st, 202);
    server.wait_idle(WAIT);
    let c = fake.checks_on(&sha);
    assert_eq!(c.len(), 2);
    assert_check(&c[1], &sha, "failure");
    let messages: Vec<&str> = c[1]["output"]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["message"].as_str().unwrap())
        .collect();
    // The commits are carol's: only the `synchronize` sender makes dave a contributor.
    assert_eq!(
        messages,
        [
            "CHG-0001 enters `approved`: rule {type: normal} (1 approval(s) from cab); has 0 counted approval(s); not counted: dave authored or pushed a commit of this PR; contributors count like the author\nfix: get 1 more approval(s) from `cab` (not the author or a contributor) on the latest commit",
            "`approvals` lists dave but no fresh approving review by dave backs it\nfix: remove dave from `approvals`, or have dave approve the PR; `gitsm gate --record` writes backed approvals",
        ]
    );
    // The pusher is remembered on disk, across restarts.
    let saved = std::fs::read_to_string(server.data.path().join("state/pushers/acme/itsm/1.json")).unwrap();
    assert_eq!(saved, r#"["dave"]"#);
}

#[test]
fn configuration_errors_are_exit_2_and_say_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key.pem");
    std::fs::write(&key_file, "not a key").unwrap();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "error: GITSM_APP_ID is not set (the App's id, on its settings page)\n"),
        (
            &[("GITSM_APP_ID", "12")],
            "error: GITSM_APP_PRIVATE_KEY or GITSM_APP_PRIVATE_KEY_FILE must hold the App's private key (PEM)\n",
        ),
        (
            &[("GITSM_APP_ID", "12"), ("GITSM_APP_PRIVATE_KEY", "x")],
            "error: GITSM_WEBHOOK_SECRET (or _FILE) must hold the webhook secret: unsigned deliveries are never accepted\n",
        ),
        (
            &[
                ("GITSM_APP_ID", "12"),
                ("GITSM_APP_PRIVATE_KEY_FILE", key_file.to_str().unwrap()),
                ("GITSM_WEBHOOK_SECRET", "s"),
            ],
            "error: the App private key is not PEM (no -----BEGIN line)\n",
        ),
    ];
    for (env, want) in cases {
        let mut c = crate::common::gitsm(dir.path());
        c.args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path().join("data"));
        c.envs(env.iter().copied());
        let (code, out, err) = crate::common::run(c);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", want));
    }
    // The GIT URL must not send the token in the clear.
    let mut c = crate::common::gitsm(dir.path());
    c.args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .env("GITSM_APP_ID", "12")
        .env("GITSM_APP_PRIVATE_KEY", fake::key_pem())
        .env("GITSM_WEBHOOK_SECRET", "s")
        .env("GITSM_GIT_URL", "http://git.example.com");
    let (code, _, err) = crate::common::run(c);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: git URL \"http://git.example.com\": must be https:// (plain http only to a loopback address), so the token is never sent in the clear\n"
        )
    );
}
