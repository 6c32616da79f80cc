//! A bare mirror per repository under `--data/mirrors/OWNER/NAME.git`,
//! fetched over git's smart HTTP protocol (version 2) with the installation
//! token. Only the refs an evaluation needs are fetched (the base branch and
//! `refs/pull/N/head`); the pack is indexed by libgit2 (`Odb::packwriter`,
//! which checks every object) and the refs updated after. The mirrors
//! survive restarts, so a warm mirror fetches only what is new.
//!
//! Why not libgit2's own transport: gitsm builds libgit2 without its HTTPS
//! support (which would bring OpenSSL); this speaks HTTP through the same
//! hyper + rustls stack the API calls use. The token travels only in an
//! `Authorization` header marked sensitive (GitHub's `x-access-token` basic
//! auth), never in a URL, a log line or a file; plain `http://` is refused
//! except to a loopback address (tests, a local proxy).

use super::Failed;
use base64::Engine;
use bytes::Bytes;
use git2::{Oid, Repository};
use http_body_util::{BodyExt, Full};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

pub struct Mirrors {
    root: PathBuf,
    /// `https://github.com` (or a GitHub Enterprise host), no trailing `/`.
    git_url: String,
    client: HttpClient,
    timeout: Duration,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Refs as the remote has them: name → commit.
pub type Refs = HashMap<String, Oid>;

/// Caps on what the remote may send: the ref listing, and one fetch's pack.
const MAX_LS_REFS: usize = 16 << 20;
const MAX_PACK: u64 = 8 << 30;
/// Local ref tips offered as `have` lines.
const MAX_HAVES: usize = 256;

impl Mirrors {
    pub fn new(data: &Path, git_url: &str, timeout: Duration) -> Result<Mirrors, String> {
        let git_url = git_url.trim_end_matches('/').to_string();
        check_remote(&git_url)?;
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build::<_, Full<Bytes>>(https);
        Ok(Mirrors {
            root: data.join("mirrors"),
            git_url,
            client,
            timeout,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// Where `owner/name`'s mirror lives (lower-cased: GitHub's names are
    /// case-insensitive). The name was checked by [`super::event::is_repo_name`].
    pub fn path(&self, repo: &str) -> PathBuf {
        let lower = repo.to_ascii_lowercase();
        let (owner, name) = lower.split_once('/').unwrap_or(("_", &lower));
        self.root.join(owner).join(format!("{name}.git"))
    }

    fn open(&self, repo: &str) -> Result<Repository, Failed> {
        let path = self.path(repo);
        let r = if path.join("HEAD").is_file() {
            Repository::open_bare(&path)
        } else {
            std::fs::create_dir_all(&path)
                .map_err(|e| Failed::new(format!("cannot create the mirror {}: {e}", path.display())))?;
            Repository::init_bare(&path)
        };
        r.map_err(|e| Failed::new(format!("mirror {}: {}", path.display(), e.message())))
    }

    /// Fetches `wanted` (full ref names) of `repo` into its mirror, with
    /// objects, and sets those refs there. Returns where the remote has
    /// them; a ref the remote lacks is absent from the answer.
    pub async fn fetch(&self, repo: &str, token: &str, wanted: &[String]) -> Result<Refs, Failed> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(repo.to_ascii_lowercase()).or_default().clone()
        };
        let _one_fetch_per_mirror = lock.lock().await;
        let url = format!("{}/{repo}.git/git-upload-pack", self.git_url);
        let auth = basic_auth(token)?;

        let mut req = Vec::new();
        pkt(&mut req, b"command=ls-refs\n");
        req.extend_from_slice(b"0001");
        for r in wanted {
            pkt(&mut req, format!("ref-prefix {r}\n").as_bytes());
        }
        req.extend_from_slice(b"0000");
        let mut listing = Vec::new();
        self.post(&url, &auth, req, |chunk| {
            listing.extend_from_slice(chunk);
            if listing.len() > MAX_LS_REFS {
                return Err(Failed::new("the remote's ref listing is too large"));
            }
            Ok(())
        })
        .await?;
        let remote = parse_ls_refs(&listing)?;
        let found: Refs = remote
            .into_iter()
            .filter(|(name, _)| wanted.contains(name))
            .collect();

        let repository = self.open(repo)?;
        let odb = repository
            .odb()
            .map_err(|e| Failed::new(format!("mirror: {}", e.message())))?;
        let mut wants: Vec<Oid> = found.values().copied().filter(|o| !odb.exists(*o)).collect();
        wants.sort();
        wants.dedup();
        if !wants.is_empty() {
            let mut req = Vec::new();
            pkt(&mut req, b"command=fetch\n");
            req.extend_from_slice(b"0001");
            pkt(&mut req, b"ofs-delta\n");
            pkt(&mut req, b"no-progress\n");
            for w in &wants {
                pkt(&mut req, format!("want {w}\n").as_bytes());
            }
            for h in local_tips(&repository).into_iter().take(MAX_HAVES) {
                pkt(&mut req, format!("have {h}\n").as_bytes());
            }
            pkt(&mut req, b"done\n");
            req.extend_from_slice(b"0000");
            let mut writer = odb
                .packwriter()
                .map_err(|e| Failed::new(format!("mirror: {}", e.message())))?;
            let mut reader = PackReader::default();
            self.post(&url, &auth, req, |chunk| reader.feed(chunk, &mut writer))
                .await?;
            if !reader.done {
                return Err(Failed::new("the remote's fetch answer ended before the pack did"));
            }
            writer
                .commit()
                .map_err(|e| Failed::new(format!("the fetched pack does not index: {}", e.message())))?;
        }
        for (name, oid) in &found {
            repository
                .reference(name, *oid, true, "gitsm serve: fetch")
                .map_err(|e| Failed::new(format!("mirror: setting {name}: {}", e.message())))?;
        }
        Ok(found)
    }

    /// One upload-pack request; each chunk of the answer goes to `sink`.
    async fn post(
        &self,
        url: &str,
        auth: &http::HeaderValue,
        body: Vec<u8>,
        mut sink: impl FnMut(&[u8]) -> Result<(), Failed>,
    ) -> Result<(), Failed> {
        let req = http::Request::post(url)
            .header(http::header::AUTHORIZATION, auth.clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-git-upload-pack-request",
            )
            .header(http::header::ACCEPT, "application/x-git-upload-pack-result")
            .header(
                http::header::USER_AGENT,
                concat!("git/gitsm-serve-", env!("CARGO_PKG_VERSION")),
            )
            .header("Git-Protocol", "version=2")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Failed::new(format!("git request: {e}")))?;
        let call = async {
            let res = self
                .client
                .request(req)
                .await
                .map_err(|e| Failed::new(format!("cannot reach {}: {e}", self.git_url)))?;
            let status = res.status();
            if !status.is_success() {
                let why = match status.as_u16() {
                    401 | 403 => "the installation token was refused (is the App installed on this repository, with contents: read?)",
                    404 => "no such repository, or the App cannot see it",
                    _ => "the git server failed",
                };
                return Err(Failed::new(format!("git fetch: HTTP {status}: {why}")));
            }
            let mut body = res.into_body();
            let mut total = 0u64;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Failed::new(format!("git fetch: reading the answer: {e}")))?;
                if let Some(data) = frame.data_ref() {
                    total += data.len() as u64;
                    if total > MAX_PACK {
                        return Err(Failed::new("git fetch: the answer is over 8 GiB"));
                    }
                    sink(data)?;
                }
            }
            Ok(())
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(Failed::new(format!(
                    "git fetch: no complete answer within {:?}",
                    self.timeout
                )))
            })
    }
}

/// `Authorization: Basic x-access-token:<token>`, marked sensitive.
fn basic_auth(token: &str) -> Result<http::HeaderValue, Failed> {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    let mut v: http::HeaderValue = format!("Basic {creds}")
        .parse()
        .map_err(|_| Failed::new("the installation token cannot go in an HTTP header"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// `https://…`, or `http://` to a loopback host only.
pub fn check_remote(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("git URL {url:?}: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("https"), Some(_)) => Ok(()),
        (Some("http"), Some("127.0.0.1" | "localhost" | "[::1]" | "::1")) => Ok(()),
        _ => Err(format!(
            "git URL {url:?}: must be https:// (plain http only to a loopback address), so the token is never sent in the clear"
        )),
    }
}

fn pkt(out: &mut Vec<u8>, line: &[u8]) {
    out.extend_from_slice(format!("{:04x}", line.len() + 4).as_bytes());
    out.extend_from_slice(line);
}

/// One pkt-line from the front of `buf`: `Some((consumed, payload))`, where
/// a flush/delim/end packet has an empty payload and `len` 0..=2.
enum Pkt<'a> {
    Special(u8),
    Data(&'a [u8]),
}

fn next_pkt(buf: &[u8]) -> Result<Option<(usize, Pkt<'_>)>, Failed> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = std::str::from_utf8(&buf[..4])
        .ok()
        .and_then(|s| usize::from_str_radix(s, 16).ok())
        .ok_or_else(|| {
            Failed::new("git: the remote's answer is not pkt-lines (does it speak protocol v2?)")
        })?;
    match len {
        0..=2 => Ok(Some((4, Pkt::Special(len as u8)))),
        3 => Err(Failed::new("git: a pkt-line of length 3")),
        _ if buf.len() < len => Ok(None),
        _ => Ok(Some((len, Pkt::Data(&buf[4..len])))),
    }
}

fn parse_ls_refs(buf: &[u8]) -> Result<Refs, Failed> {
    let mut refs = Refs::new();
    let mut at = 0;
    while let Some((used, p)) = next_pkt(&buf[at..])? {
        at += used;
        let Pkt::Data(line) = p else { continue };
        let line = String::from_utf8_lossy(line);
        if line.starts_with("ERR ") {
            return Err(Failed::new(format!("git: the remote says: {}", line.trim_end())));
        }
        let mut parts = line.trim_end().split(' ');
        let (Some(oid), Some(name)) = (parts.next(), parts.next()) else {
            return Err(Failed::new("git: a ref listing line without a name"));
        };
        let oid = Oid::from_str(oid)
            .ok()
            .filter(|_| oid.len() == 40)
            .ok_or_else(|| {
                Failed::new(format!(
                    "git: the remote listed {oid:?}, not an object id (does it speak protocol v2?)"
                ))
            })?;
        refs.insert(name.to_string(), oid);
    }
    if at != buf.len() {
        return Err(Failed::new("git: the ref listing ends inside a pkt-line"));
    }
    Ok(refs)
}

/// Reads the answer to `fetch`: sections up to `packfile`, whose side-band
/// channel 1 is the pack (to the writer), 2 progress, 3 an error.
#[derive(Default)]
struct PackReader {
    buf: Vec<u8>,
    in_pack: bool,
    done: bool,
}

impl PackReader {
    fn feed(&mut self, chunk: &[u8], out: &mut impl Write) -> Result<(), Failed> {
        self.buf.extend_from_slice(chunk);
        let mut at = 0;
        while let Some((used, p)) = next_pkt(&self.buf[at..])? {
            at += used;
            match p {
                Pkt::Special(0) if self.in_pack => self.done = true,
                Pkt::Special(_) => {}
                Pkt::Data(line) if !self.in_pack => {
                    if line.starts_with(b"ERR ") {
                        return Err(Failed::new(format!(
                            "git: the remote says: {}",
                            String::from_utf8_lossy(line).trim_end()
                        )));
                    }
                    if line == b"packfile\n" {
                        self.in_pack = true;
                    }
                }
                Pkt::Data(data) => match data.first() {
                    Some(1) => out
                        .write_all(&data[1..])
                        .map_err(|e| Failed::new(format!("mirror: writing the pack: {e}")))?,
                    Some(2) => {}
                    Some(3) => {
                        return Err(Failed::new(format!(
                            "git: the remote says: {}",
                            String::from_utf8_lossy(&data[1..]).trim_end()
                        )))
                    }
                    _ => return Err(Failed::new("git: a pack line on an unknown side-band channel")),
                },
            }
        }
        self.buf.drain(..at);
        Ok(())
    }
}

/// Commits the mirror's refs point at (offered as `have`s).
fn local_tips(repo: &Repository) -> Vec<Oid> {
    let mut out = Vec::new();
    if let Ok(refs) = repo.references() {
        for r in refs.flatten() {
            if let Some(o) = r.target() {
                if !out.contains(&o) {
                    out.push(o);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_that_may_get_the_token() {
        assert!(check_remote("https://github.com").is_ok());
        assert!(check_remote("http://127.0.0.1:8080").is_ok());
        assert!(check_remote("http://github.com").is_err());
        assert!(check_remote("file:///srv/git").is_err());
    }

    #[test]
    fn ref_listing() {
        let mut b = Vec::new();
        pkt(
            &mut b,
            b"0123456789012345678901234567890123456789 refs/heads/main\n",
        );
        b.extend_from_slice(b"0000");
        let refs = parse_ls_refs(&b).unwrap();
        assert_eq!(
            refs.get("refs/heads/main").map(|o| o.to_string()).as_deref(),
            Some("0123456789012345678901234567890123456789")
        );
        assert!(parse_ls_refs(b"001e# service=git-upload-pack\n0000").is_err());
    }

    #[test]
    fn pack_lines_split_anywhere() {
        let mut b = Vec::new();
        pkt(&mut b, b"packfile\n");
        pkt(&mut b, b"\x02progress\n");
        pkt(&mut b, b"\x01PACKDATA");
        pkt(&mut b, b"\x01MORE");
        b.extend_from_slice(b"0000");
        let mut r = PackReader::default();
        let mut out = Vec::new();
        for c in b.chunks(3) {
            r.feed(c, &mut out).unwrap();
        }
        assert!(r.done);
        assert_eq!(out, b"PACKDATAMORE");
        let mut e = Vec::new();
        pkt(&mut e, b"packfile\n");
        pkt(&mut e, b"\x03upload-pack: not our ref\n");
        assert!(PackReader::default().feed(&e, &mut Vec::new()).is_err());
    }
}
