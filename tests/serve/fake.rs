//! A fake GitHub for `gitsm serve`, shared by the tests and the benchmark:
//! one local HTTP server (wiremock, with a single stateful responder) that
//! answers the App and REST endpoints in GitHub's JSON shapes, checks every
//! credential (the App's JWT by its RS256 signature; the installation token
//! on every other call), records what is posted, and serves the repository
//! over git's smart HTTP through `git http-backend` (CGI), the real thing.
#![allow(dead_code)]

use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const APP_ID: u64 = 4242;
pub const INSTALLATION: u64 = 77;
pub const SECRET: &str = "webhook-secret-for-tests";
pub const TOKEN: &str = "ghs_installation_token_that_must_never_be_logged";
pub const REPO: &str = "acme/itsm";

pub fn key_pem() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/serve/app-key.pem"))
        .unwrap()
}

#[derive(Clone, Debug)]
pub struct Pr {
    pub head: String,
    pub base: String,
    pub author: String,
    pub state: String,
    pub body: String,
    /// `owner/name` of the head repository; `None`: a deleted fork.
    pub head_repo: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub public_key: Vec<u8>,
    pub prs: BTreeMap<u64, Pr>,
    pub reviews: BTreeMap<u64, Vec<Value>>,
    pub comments: BTreeMap<u64, Vec<Value>>,
    /// Every check run posted (the request bodies), in order.
    pub checks: Vec<Value>,
    pub token_requests: usize,
    /// Requests with missing or wrong credentials (method, path, why).
    pub refused: Vec<String>,
    /// Paths of git requests.
    pub git_requests: Vec<String>,
    next_id: u64,
}

pub struct Fake {
    pub rt: tokio::runtime::Runtime,
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
    /// The work tree served as `acme/itsm`.
    pub repo: PathBuf,
}

struct Responder {
    state: Arc<Mutex<State>>,
    repo: PathBuf,
}

fn err(status: u16, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"message": msg, "documentation_url": "https://docs.github.com/rest"}))
}

impl Fake {
    pub fn start(repo: &Path) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(MockServer::start());
        let key = gitsm::serve::app::AppKey::from_pem(APP_ID, &key_pem()).unwrap();
        let state = Arc::new(Mutex::new(State {
            public_key: key.public_key_der(),
            next_id: 1000,
            ..Default::default()
        }));
        let responder = Responder {
            state: state.clone(),
            repo: repo.to_path_buf(),
        };
        rt.block_on(
            Mock::given(wiremock::matchers::any())
                .respond_with(responder)
                .mount(&server),
        );
        Fake {
            rt,
            server,
            state,
            repo: repo.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn set_pr(&self, n: u64, head: &str, base: &str) {
        self.state.lock().unwrap().prs.insert(
            n,
            Pr {
                head: head.into(),
                base: base.into(),
                author: "carol".into(),
                state: "open".into(),
                body: String::new(),
                head_repo: Some(REPO.into()),
            },
        );
    }

    pub fn set_reviews(&self, n: u64, reviews: Vec<Value>) {
        self.state.lock().unwrap().reviews.insert(n, reviews);
    }

    pub fn checks(&self) -> Vec<Value> {
        self.state.lock().unwrap().checks.clone()
    }

    /// Check runs posted on `sha`.
    pub fn checks_on(&self, sha: &str) -> Vec<Value> {
        self.checks()
            .into_iter()
            .filter(|c| c["head_sha"] == sha)
            .collect()
    }

    /// Waits until `n` check runs were posted on `sha`; returns them.
    pub fn wait_checks_on(&self, sha: &str, n: usize, within: Duration) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let c = self.checks_on(sha);
            if c.len() >= n {
                return c;
            }
            assert!(
                start.elapsed() < within,
                "no {n} check run(s) on {sha} within {within:?}; posted: {:#}",
                Value::Array(self.checks())
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_string();
        let method = req.method.to_string();
        if path.contains(".git/") {
            return self.git(req, &path);
        }
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut st = self.state.lock().unwrap();
        if let Some(rest) = path.strip_prefix("/app/installations/") {
            let Some(id) = rest.strip_suffix("/access_tokens") else {
                return err(404, "Not Found");
            };
            if method != "POST" || id != INSTALLATION.to_string() {
                return err(404, "Not Found");
            }
            if let Err(why) = check_jwt(&auth, &st.public_key) {
                st.refused.push(format!("{method} {path}: {why}"));
                return err(401, "A JSON web token could not be decoded");
            }
            st.token_requests += 1;
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
            return ResponseTemplate::new(201).set_body_json(json!({
                "token": TOKEN, "expires_at": expires.to_string(),
                "permissions": {"checks": "write", "pull_requests": "write", "contents": "read", "members": "read"},
                "repository_selection": "selected"
            }));
        }
        if auth != format!("Bearer {TOKEN}") && auth != format!("token {TOKEN}") {
            st.refused.push(format!("{method} {path}: wrong token"));
            return err(401, "Bad credentials");
        }
        if let Some(team) = path.strip_prefix("/orgs/acme/teams/") {
            // The teams of the scratch catalog and policy.
            let members = match team {
                "api-team/members" => json!([{"login": "grace", "id": 31, "type": "User"}]),
                "ecab/members" => json!([{"login": "erin", "id": 32, "type": "User"}]),
                _ => return err(404, "Not Found"),
            };
            return ResponseTemplate::new(200).set_body_json(members);
        }
        let Some(rest) = path.strip_prefix(&format!("/repos/{REPO}")) else {
            return err(404, "Not Found");
        };
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["pulls"]) => {
                let q: BTreeMap<String, String> = req.url.query_pairs().into_owned().collect();
                let list: Vec<Value> = st
                    .prs
                    .iter()
                    .filter(|(_, p)| q.get("state").is_none_or(|s| *s == p.state))
                    .filter(|(_, p)| q.get("base").is_none_or(|b| *b == p.base))
                    .map(|(n, p)| pr_json(*n, p))
                    .collect();
                ResponseTemplate::new(200).set_body_json(Value::Array(list))
            }
            ("GET", ["pulls", n]) => match st.prs.get(&n.parse().unwrap_or(0)) {
                Some(p) => ResponseTemplate::new(200).set_body_json(pr_json(n.parse().unwrap(), p)),
                None => err(404, "Not Found"),
            },
            ("GET", ["pulls", n, "reviews"]) => {
                let r = st
                    .reviews
                    .get(&n.parse().unwrap_or(0))
                    .cloned()
                    .unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(Value::Array(r))
            }
            ("GET", ["pulls", n, "commits"]) => match st.prs.get(&n.parse().unwrap_or(0)) {
                Some(p) => ResponseTemplate::new(200).set_body_json(json!([commit_json(&p.head, &p.author)])),
                None => err(404, "Not Found"),
            },
            ("GET", ["issues", n, "comments"]) => {
                let c = st
                    .comments
                    .get(&n.parse().unwrap_or(0))
                    .cloned()
                    .unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(Value::Array(c))
            }
            ("POST", ["issues", n, "comments"]) => {
                st.next_id += 1;
                let c = json!({"id": st.next_id, "node_id": "IC_x", "body": body["body"],
                               "user": {"login": "gitsm-app[bot]", "id": 9, "type": "Bot"}});
                st.comments
                    .entry(n.parse().unwrap_or(0))
                    .or_default()
                    .push(c.clone());
                ResponseTemplate::new(201).set_body_json(c)
            }
            ("PATCH", ["issues", "comments", id]) => {
                let id: u64 = id.parse().unwrap_or(0);
                for list in st.comments.values_mut() {
                    for c in list.iter_mut() {
                        if c["id"] == id {
                            c["body"] = body["body"].clone();
                            return ResponseTemplate::new(200).set_body_json(c.clone());
                        }
                    }
                }
                err(404, "Not Found")
            }
            ("POST", ["check-runs"]) => {
                st.next_id += 1;
                let mut answer = body.clone();
                answer["id"] = st.next_id.into();
                answer["app"] = json!({"id": APP_ID, "slug": "gitsm-gate"});
                st.checks.push(body);
                ResponseTemplate::new(201).set_body_json(answer)
            }
            _ => err(404, "Not Found"),
        }
    }
}

impl Responder {
    /// `git http-backend` as CGI, after checking the installation token.
    fn git(&self, req: &Request, path: &str) -> ResponseTemplate {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"))
        );
        {
            let mut st = self.state.lock().unwrap();
            st.git_requests.push(path.to_string());
            if auth != want {
                st.refused.push(format!("git {path}: wrong credentials"));
                return ResponseTemplate::new(401).set_body_string("Authentication failed");
            }
        }
        let Some(rest) = path.strip_prefix(&format!("/{REPO}.git")) else {
            return ResponseTemplate::new(404).set_body_string("Repository not found.");
        };
        let header = |n: &str| {
            req.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let mut child = Command::new("git")
            .arg("http-backend")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_PROJECT_ROOT", &self.repo)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", req.method.to_string())
            .env("PATH_INFO", format!("/.git{rest}"))
            .env("QUERY_STRING", req.url.query().unwrap_or(""))
            .env("CONTENT_TYPE", header("content-type"))
            .env("CONTENT_LENGTH", req.body.len().to_string())
            .env("HTTP_GIT_PROTOCOL", header("git-protocol"))
            .env("REMOTE_ADDR", "127.0.0.1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("git http-backend runs");
        let mut stdin = child.stdin.take().unwrap();
        let body = req.body.clone();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let mut out = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        let _ = child.wait();
        let _ = writer.join();
        let split = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
            .expect("CGI headers");
        let head = String::from_utf8_lossy(&out[..split.0]).to_string();
        let mut status = 200;
        let mut ct = "application/octet-stream".to_string();
        let mut extra = Vec::new();
        for line in head.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("status") {
                status = v.split(' ').next().unwrap_or("200").parse().unwrap_or(500);
            } else if k.eq_ignore_ascii_case("content-type") {
                ct = v.to_string();
            } else {
                extra.push((k.to_string(), v.to_string()));
            }
        }
        let mut t = ResponseTemplate::new(status).set_body_raw(out[split.0 + split.1..].to_vec(), &ct);
        for (k, v) in extra {
            t = t.insert_header(k.as_str(), v.as_str());
        }
        t
    }
}

/// Checks the App's JWT: `Bearer`, RS256 over header.claims with the App's
/// public key, `iss` the App id, not expired, at most ten minutes long.
fn check_jwt(auth: &str, public_key: &[u8]) -> Result<(), String> {
    let jwt = auth.strip_prefix("Bearer ").ok_or("not a Bearer token")?;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return Err("not three parts".into());
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value =
        serde_json::from_slice(&b64.decode(h).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let claims: Value =
        serde_json::from_slice(&b64.decode(c).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let sig = b64.decode(s).map_err(|e| e.to_string())?;
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(format!("{h}.{c}").as_bytes(), &sig)
        .map_err(|_| "bad signature".to_string())?;
    let now = jiff::Timestamp::now().as_second();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    let iss = claims["iss"].as_str().and_then(|s| s.parse::<u64>().ok());
    if iss != Some(APP_ID) || exp <= now || iat > now || exp - iat > 600 {
        return Err(format!("bad claims {claims}"));
    }
    Ok(())
}

pub fn pr_json(n: u64, p: &Pr) -> Value {
    let head_repo = match &p.head_repo {
        Some(r) => json!({"id": 2, "name": r.split('/').nth(1), "full_name": r,
                          "clone_url": format!("https://github.com/{r}.git"), "fork": r != REPO}),
        None => Value::Null,
    };
    json!({
        "url": format!("https://api.github.com/repos/{REPO}/pulls/{n}"),
        "id": n, "node_id": format!("PR_{n}"), "number": n, "state": p.state, "locked": false,
        "title": format!("PR {n}"),
        "user": {"login": p.author, "id": 7, "type": "User", "site_admin": false},
        "body": p.body,
        "head": {"label": format!("acme:pr{n}"), "ref": format!("pr{n}"), "sha": p.head,
                 "user": {"login": "acme", "id": 1, "type": "Organization"}, "repo": head_repo},
        "base": {"label": format!("acme:{}", p.base), "ref": p.base, "sha": "0000000000000000000000000000000000000000",
                 "user": {"login": "acme", "id": 1, "type": "Organization"},
                 "repo": {"id": 1, "name": "itsm", "full_name": REPO}},
        "draft": false, "merged": false, "commits": 1
    })
}

pub fn commit_json(sha: &str, author: &str) -> Value {
    json!({
        "sha": sha, "node_id": "C_1",
        "commit": {"author": {"name": author, "email": format!("{author}@example.com"), "date": "2026-11-20T10:00:00Z"},
                   "committer": {"name": "GitHub", "email": "noreply@github.com", "date": "2026-11-20T10:00:00Z"},
                   "message": "change"},
        "author": {"login": author, "id": 7, "type": "User"},
        "committer": {"login": "web-flow", "id": 19864447, "type": "User"},
        "parents": []
    })
}

pub fn review_json(id: u64, login: &str, state: &str, sha: &str) -> Value {
    json!({"id": id, "node_id": format!("PRR_{id}"),
           "user": {"login": login, "id": id + 100, "type": "User"},
           "body": "", "state": state, "commit_id": sha,
           "submitted_at": "2026-11-20T11:00:00Z", "author_association": "MEMBER"})
}

fn envelope(action: &str) -> Value {
    json!({"action": action,
           "repository": {"id": 1, "name": "itsm", "full_name": REPO, "private": true,
                          "owner": {"login": "acme", "id": 1, "type": "Organization"},
                          "clone_url": format!("https://github.com/{REPO}.git"), "default_branch": "main"},
           "installation": {"id": INSTALLATION, "node_id": "MDIz"},
           "sender": {"login": "carol", "id": 7, "type": "User"}})
}

/// A `pull_request` delivery body as GitHub sends it.
pub fn pull_request_event(action: &str, n: u64, p: &Pr, sender: &str) -> Value {
    let mut v = envelope(action);
    v["number"] = n.into();
    v["pull_request"] = pr_json(n, p);
    v["sender"]["login"] = sender.into();
    v
}

pub fn review_event(n: u64, p: &Pr, review: Value) -> Value {
    let mut v = envelope("submitted");
    v["pull_request"] = pr_json(n, p);
    v["review"] = review;
    v
}

pub fn check_suite_event(n: u64, p: &Pr) -> Value {
    let mut v = envelope("rerequested");
    v["check_suite"] = json!({"id": 5, "head_branch": format!("pr{n}"), "head_sha": p.head, "status": "completed",
        "pull_requests": [{"url": format!("https://api.github.com/repos/{REPO}/pulls/{n}"), "id": n, "number": n,
            "head": {"ref": format!("pr{n}"), "sha": p.head, "repo": {"id": 1, "name": "itsm"}},
            "base": {"ref": p.base, "sha": "0000000000000000000000000000000000000000", "repo": {"id": 1, "name": "itsm"}}}]});
    v
}

pub fn push_event(branch: &str, after: &str) -> Value {
    let mut v = envelope("");
    v.as_object_mut().unwrap().remove("action");
    v["ref"] = format!("refs/heads/{branch}").into();
    v["before"] = "0000000000000000000000000000000000000000".into();
    v["after"] = after.into();
    v["created"] = false.into();
    v["deleted"] = false.into();
    v["forced"] = false.into();
    v["commits"] = json!([]);
    v
}

/// A running `gitsm serve`.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub log: Arc<Mutex<Vec<String>>>,
    pub data: tempfile::TempDir,
}

impl Server {
    pub fn start(fake: &Fake, now: &str, extra: &[&str]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitsm"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", data.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GITSM_APP_ID", APP_ID.to_string())
            .env("GITSM_APP_PRIVATE_KEY", key_pem())
            .env("GITSM_WEBHOOK_SECRET", SECRET)
            .env("GITSM_GITHUB_API_URL", fake.url())
            .env("GITSM_GIT_URL", fake.url())
            .env("GITSM_GITHUB_RETRY_BUDGET", "5s")
            .env("GITSM_GITHUB_BACKOFF_BASE", "50ms")
            .args(["--now", now, "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gitsm serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .strip_prefix("gitsm serve listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Server {
            child,
            addr,
            log,
            data,
        }
    }

    /// One HTTP/1.1 exchange: (status, body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> (u16, String) {
        http(&self.addr, method, path, headers, body)
    }

    /// A signed delivery.
    pub fn deliver(&self, event: &str, id: &str, body: &Value) -> (u16, Value) {
        let bytes = body.to_string().into_bytes();
        let sig = gitsm::serve::signature::sign(SECRET.as_bytes(), &bytes);
        let (status, text) = self.request(
            "POST",
            "/webhook",
            &[
                ("X-GitHub-Event", event.to_string()),
                ("X-GitHub-Delivery", id.to_string()),
                ("X-Hub-Signature-256", sig),
                ("Content-Type", "application/json".to_string()),
            ],
            &bytes,
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub fn metric(&self, name: &str) -> f64 {
        let (_, text) = self.request("GET", "/metrics", &[], b"");
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    }

    /// Waits until nothing is queued or running and `done` evaluations ended.
    pub fn wait_idle(&self, within: Duration) {
        let start = Instant::now();
        let mut calm = 0;
        while calm < 8 {
            let busy =
                self.metric("gitsm_queue_depth") != 0.0 || self.metric("gitsm_evaluations_in_flight") != 0.0;
            calm = if busy { 0 } else { calm + 1 };
            assert!(
                start.elapsed() < within,
                "the server is still busy after {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_lines(&self) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("a log line that is not JSON: {l}")))
            .collect()
    }

    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }

    /// SIGTERM, then the exit code.
    pub fn stop(&mut self) -> (Option<i32>, Vec<String>) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (st.code(), self.log.lock().unwrap().clone());
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("gitsm serve did not stop within 30s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect to gitsm serve");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    let mut has_len = false;
    for (k, v) in headers {
        has_len |= k.eq_ignore_ascii_case("content-length");
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_len {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
