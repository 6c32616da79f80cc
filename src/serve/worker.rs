//! Evaluations. A pool of threads takes keys from the queue; one key is
//! never run twice at once, so per pull request everything is serialised.
//! A pull request is judged at the head GitHub reports when the evaluation
//! starts, against its base branch's tip fetched at that moment; just
//! before posting, the head is read again, and a verdict about a head that
//! has moved on is not posted (the key runs again instead). Any failure
//! after the head is known is posted as a `failure` check naming the reason:
//! an error never leaves an earlier `success` standing, and is never
//! `neutral` (which GitHub counts as passing).

use super::app::{Api, AppKey};
use super::event::{Key, Target};
use super::metrics::Metrics;
use super::mirror::Mirrors;
use super::queue::{Offer, Queue};
use super::{log_time, Config, Failed};
use crate::fsutil::{self, Replace};
use crate::gate::{self, git, github::PrData, Check, Decision, Outcome, Rule, Verdict};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Delivery ids remembered, to ignore redeliveries.
const SEEN_DELIVERIES: usize = 50_000;

pub struct Shared {
    pub config: Config,
    pub api: Api,
    pub mirrors: Mirrors,
    pub queue: Queue,
    pub metrics: Metrics,
    pub rt: tokio::runtime::Handle,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
    pushers: Mutex<()>,
    /// What was last posted per pull request: (head, fingerprint of the
    /// verdict). The same verdict on the same head is not posted twice.
    posted: Mutex<HashMap<Key, (String, u64)>>,
}

impl Shared {
    pub fn new(config: Config, rt: tokio::runtime::Handle) -> Result<Shared, String> {
        let key = AppKey::from_pem(config.app_id, &config.private_key)?;
        let api = {
            let _enter = rt.enter();
            Api::new(&config.api_url, key, config.retry.clone())?
        };
        let mirrors = {
            let _enter = rt.enter();
            Mirrors::new(&config.data, &config.git_url, config.fetch_timeout)?
        };
        Ok(Shared {
            queue: Queue::new(config.queue_capacity),
            api,
            mirrors,
            metrics: Metrics::default(),
            rt,
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
            pushers: Mutex::new(()),
            posted: Mutex::new(HashMap::new()),
            config,
        })
    }

    fn log(&self, v: Value) {
        (self.config.log)(v)
    }

    /// Whether `id` was handled before.
    pub fn seen(&self, id: &str) -> bool {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).0.contains(id)
    }

    /// Remembers a handled delivery id (the oldest are forgotten first).
    pub fn remember(&self, id: &str) {
        let mut s = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if s.0.insert(id.to_string()) {
            s.1.push_back(id.to_string());
            while s.1.len() > SEEN_DELIVERIES {
                if let Some(old) = s.1.pop_front() {
                    s.0.remove(&old);
                }
            }
        }
    }

    fn state_dir(&self) -> std::path::PathBuf {
        self.config.data.join("state")
    }

    fn pushers_rel(repo: &str, pr: u64) -> std::path::PathBuf {
        Path::new("pushers")
            .join(repo.to_ascii_lowercase())
            .join(format!("{pr}.json"))
    }

    /// Logins that pushed to the pull request (`synchronize` senders), kept
    /// under `--data/state` so a restart does not forget them.
    pub fn pushers(&self, repo: &str, pr: u64) -> Vec<String> {
        let path = self.state_dir().join(Self::pushers_rel(repo, pr));
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok())
            .unwrap_or_default()
    }

    pub fn add_pusher(&self, repo: &str, pr: u64, login: &str) -> Result<(), String> {
        let _one_writer = self.pushers.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: BTreeSet<String> = self.pushers(repo, pr).into_iter().collect();
        if !all.insert(login.to_string()) {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&all).unwrap_or_default();
        fsutil::write_file(
            &self.state_dir(),
            &Self::pushers_rel(repo, pr),
            &bytes,
            Replace::Edit,
        )
        .map(|_| ())
        .map_err(|e| format!("recording the pusher: {e}"))
    }

    const LEFTOVER: &'static str = "queue.json";

    /// Keys saved by the last shutdown, offered again; the file is removed.
    pub fn load_leftover(&self) -> usize {
        let path = self.state_dir().join(Self::LEFTOVER);
        let Ok(bytes) = std::fs::read(&path) else { return 0 };
        let keys: Vec<Key> = serde_json::from_slice(&bytes).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        keys.into_iter()
            .filter(|k| self.queue.offer_past_capacity(k.clone()) != Offer::Closed)
            .count()
    }

    pub fn save_leftover(&self) -> Result<usize, String> {
        let keys = self.queue.leftover();
        if keys.is_empty() {
            return Ok(0);
        }
        let bytes = serde_json::to_vec(&keys).unwrap_or_default();
        fsutil::write_file(
            &self.state_dir(),
            Path::new(Self::LEFTOVER),
            &bytes,
            Replace::Edit,
        )
        .map_err(|e| format!("saving the queue: {e}"))?;
        Ok(keys.len())
    }
}

pub fn start(shared: &Arc<Shared>) -> Vec<std::thread::JoinHandle<()>> {
    (0..shared.config.workers.max(1))
        .map(|i| {
            let s = shared.clone();
            std::thread::Builder::new()
                .name(format!("gitsm-eval-{i}"))
                .spawn(move || {
                    while let Some((key, since)) = s.queue.take() {
                        // A panic in one evaluation must not take the pool down.
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_key(&s, &key, since)));
                        if r.is_err() {
                            s.metrics.evaluation("panic");
                            s.log(json!({"ts": log_time(), "msg": "evaluation", "repo": key.repo, "outcome": "panic"}));
                        }
                        s.queue.done(&key);
                    }
                })
                .expect("spawning a worker thread")
        })
        .collect()
}

fn run_key(s: &Shared, key: &Key, since: Instant) {
    match &key.target {
        Target::Pr(n) => evaluate(s, key, *n, since),
        Target::Base(branch) => rejudge_base(s, key, branch),
    }
}

/// A push to `branch`: every open pull request into it is judged again.
fn rejudge_base(s: &Shared, key: &Key, branch: &str) {
    let t0 = Instant::now();
    let r = s.rt.block_on(async {
        let token = s.api.installation_token(key.installation).await?;
        s.api.open_pulls(&key.repo, &token, branch).await
    });
    match r {
        Ok(prs) => {
            for n in &prs {
                s.queue.offer_past_capacity(Key {
                    installation: key.installation,
                    repo: key.repo.clone(),
                    target: Target::Pr(*n),
                });
            }
            s.log(
                json!({"ts": log_time(), "msg": "rejudge", "repo": key.repo, "base": branch,
                         "prs": prs, "latency_ms": t0.elapsed().as_millis() as u64}),
            );
        }
        Err(e) => {
            if e.github {
                s.metrics
                    .github_errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            s.metrics.evaluation("error");
            s.log(
                json!({"ts": log_time(), "msg": "rejudge", "repo": key.repo, "base": branch,
                         "outcome": "error", "error": e.reason}),
            );
        }
    }
}

fn evaluate(s: &Shared, key: &Key, n: u64, since: Instant) {
    let t0 = Instant::now();
    let d = evaluate_inner(s, key, n);
    if d.conclusion == "superseded" {
        s.queue.offer_past_capacity(key.clone());
    }
    if let Some(e) = &d.error {
        if e.github {
            s.metrics
                .github_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    s.metrics.evaluation(d.conclusion);
    s.metrics.evaluation_seconds.observe(t0.elapsed());
    if d.posted {
        s.metrics.delivery_to_check_seconds.observe(since.elapsed());
    }
    s.log(json!({
        "ts": log_time(), "msg": "evaluation", "repo": key.repo, "pr": n,
        "head": d.head, "base": d.base,
        "decision": d.decision, "conclusion": d.conclusion, "posted": d.posted,
        "error": d.error.as_ref().map(|e| &e.reason),
        "latency_ms": t0.elapsed().as_millis() as u64,
        "since_delivery_ms": since.elapsed().as_millis() as u64,
    }));
}

/// What one evaluation came to, for the log and the metrics.
struct Done {
    head: String,
    base: String,
    decision: Option<Decision>,
    /// `success`, `failure`, `superseded`, `closed`, `error`.
    conclusion: &'static str,
    posted: bool,
    error: Option<Failed>,
}

fn evaluate_inner(s: &Shared, key: &Key, n: u64) -> Done {
    let mut done = Done {
        head: String::new(),
        base: String::new(),
        decision: None,
        conclusion: "error",
        posted: false,
        error: None,
    };
    // Before the head is known nothing can be posted: the error is logged.
    let first = s.rt.block_on(async {
        let token = s.api.installation_token(key.installation).await?;
        let pr = s.api.pull(&key.repo, &token, n).await?;
        Ok::<_, Failed>((token, pr))
    });
    let (token, pr) = match first {
        Ok(x) => x,
        Err(e) => {
            done.error = Some(e);
            return done;
        }
    };
    let str_at = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    done.head = str_at(&pr, "/head/sha");
    done.base = str_at(&pr, "/base/ref");
    if str_at(&pr, "/state") != "open" {
        done.conclusion = "closed";
        return done;
    }
    if done.head.len() != 40 || done.base.is_empty() {
        done.error = Some(Failed::github("pull request: no head sha or base ref"));
        return done;
    }
    let client = match gate::github::Client::new(
        &key.repo,
        Some(s.api.api_url()),
        token.clone(),
        s.api.retry().clone(),
    ) {
        Ok(c) => c,
        Err(e) => {
            done.error = Some(e.into());
            return done;
        }
    };
    let judged = judge(s, key, n, &token, &client);
    let (data, verdict) = match judged {
        Ok(x) => x,
        Err(e) => {
            // Fail closed, on the head GitHub gave us.
            let data = pr_data_from(n, &pr);
            let verdict = error_verdict(&e.reason);
            done.decision = Some(Decision::Undecided);
            s.posted.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
            done.posted = client
                .publish(&data, &done.head, &verdict, &done.base, FULL_AT)
                .is_ok();
            done.conclusion = "error";
            done.error = Some(e);
            return done;
        }
    };
    done.head = data.head_sha.clone();
    done.base = data.base_ref.clone();
    done.decision = Some(verdict.decision);
    // Never post a verdict about a head that has moved on.
    let now_head =
        s.rt.block_on(s.api.pull(&key.repo, &token, n))
            .map(|p| str_at(&p, "/head/sha"));
    match now_head {
        Ok(h) if h == data.head_sha => {}
        Ok(_) => {
            done.conclusion = "superseded";
            return done;
        }
        Err(e) => {
            done.error = Some(e);
            return done;
        }
    }
    let conclusion = if verdict.decision == Decision::Allowed {
        "success"
    } else {
        "failure"
    };
    let print = (data.head_sha.clone(), fingerprint(&verdict));
    if s.posted.lock().unwrap_or_else(|p| p.into_inner()).get(key) == Some(&print) {
        done.conclusion = "unchanged";
        return done;
    }
    match client.publish(&data, &data.head_sha, &verdict, &data.base_ref, FULL_AT) {
        Ok(_) => {
            done.posted = true;
            done.conclusion = conclusion;
            let mut posted = s.posted.lock().unwrap_or_else(|p| p.into_inner());
            if posted.len() >= POSTED_REMEMBERED {
                posted.clear();
            }
            posted.insert(key.clone(), print);
        }
        Err(e) => {
            s.posted.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
            done.error = Some(e.into());
        }
    }
    done
}

/// Pull requests whose last posted verdict is remembered.
const POSTED_REMEMBERED: usize = 100_000;

/// A hash of what a posted verdict says (decision and every check).
fn fingerprint(v: &Verdict) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    gate::render::json(v).hash(&mut h);
    h.finish()
}

const FULL_AT: &str = "the `gitsm serve` log";

/// Fetch, read and decide.
fn judge(
    s: &Shared,
    key: &Key,
    n: u64,
    token: &str,
    client: &gate::github::Client,
) -> Result<(PrData, Verdict), Failed> {
    let mut data = client.fetch(n)?;
    let base_ref = format!("refs/heads/{}", data.base_ref);
    let pull_ref = format!("refs/pull/{n}/head");
    let refs =
        s.rt.block_on(s.mirrors.fetch(&key.repo, token, &[base_ref.clone(), pull_ref]))?;
    if !refs.contains_key(&base_ref) {
        return Err(Failed::new(format!(
            "the base branch {} is not in the repository",
            data.base_ref
        )));
    }
    let mirror = s.mirrors.path(&key.repo);
    let head_present = git2::Repository::open_bare(&mirror)
        .ok()
        .and_then(|r| {
            let oid = git2::Oid::from_str(&data.head_sha).ok()?;
            r.find_commit(oid).ok().map(|_| ())
        })
        .is_some();
    if !head_present {
        return Err(Failed::new(format!(
            "the head commit {} could not be fetched (the head branch was deleted, or GitHub has not updated refs/pull/{n}/head yet); push again or re-request the check",
            data.head_sha
        )));
    }
    let revs = git::Revs {
        base: base_ref,
        head: data.head_sha.clone(),
    };
    let side = git::read(&mirror, &revs, &data.reviews, &data.body)?;
    let mut input = side.input;
    input.teams = client.resolve_teams(&gate::rules::team_entries(&input))?;
    data.contributors.extend(s.pushers(&key.repo, n));
    input.author = data.author.clone();
    input.contributors = data.contributors.clone();
    input.now = s.config.now.unwrap_or_else(jiff::Timestamp::now);
    let verdict = gate::decide(&input);
    Ok((data, verdict))
}

/// What the check says when the gate could not decide.
fn error_verdict(reason: &str) -> Verdict {
    Verdict {
        decision: Decision::Undecided,
        checks: vec![Check {
            subject: "gitsm serve".into(),
            file: None,
            rule: Rule::FailClosed,
            outcome: Outcome::Undecided,
            message: format!("could not judge this pull request: {reason}"),
            fix: Some("fix the cause, then re-run the check from the pull request".into()),
        }],
        to_record: Vec::new(),
    }
}

fn pr_data_from(n: u64, pr: &Value) -> PrData {
    let s = |p: &str| pr.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    PrData {
        number: n,
        author: s("/user/login"),
        body: s("/body"),
        head_sha: s("/head/sha"),
        base_ref: s("/base/ref"),
        contributors: Vec::new(),
        reviews: Vec::new(),
        teams: Default::default(),
    }
}
