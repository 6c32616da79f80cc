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
