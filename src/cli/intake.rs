//! `gitsm intake`: a record from an issue made with a `gitsm forms` form.

use super::{Globals, ERROR, FOUND, OK};
use gitsm::intake::{self, IntakeError};
use std::path::PathBuf;

/// Turn an issue made from a gitsm issue form into an incident or request
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The issue body is parsed strictly against the forms `gitsm forms` makes from this repo: a\n\
missing, extra or repeated section, HTML, an answer outside a dropdown, a bad date, number or login, or a\n\
body over 64 KiB is refused (exit 1) and nothing is written. With --github the record goes into a new\n\
branch and pull request, and the issue gets a comment with the id and the PR (or with the refusal);\n\
GITHUB_TOKEN needs contents: write, pull-requests: write and issues: write.\n\n\
Examples:\n  gitsm intake --issue issue.json          # GitHub's issue JSON, e.g. from `gh api repos/O/R/issues/7`\n  gitsm intake --github acme/itsm --issue 7"
)]
pub struct Args {
    /// GitHub's issue JSON in a file (with --issue FILE), or the issue number (with --github)
    #[arg(long = "issue", value_name = "FILE|N")]
    issue: String,
    /// Read the issue from GitHub and open the pull request there (token from GITHUB_TOKEN)
    #[arg(long, value_name = "OWNER/REPO")]
    github: Option<String>,
    /// Print the record instead of writing it
    #[arg(long)]
    dry_run: bool,
    /// GitHub API base URL (GitHub Enterprise, or a test server)
    #[arg(long, value_name = "URL", env = "GITSM_GITHUB_API_URL")]
    api_url: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let root = g.root()?;
    match &a.github {
        Some(repo) => github(g, &a, repo),
        None => {
            let text = match gitsm::fsutil::read_given_text(&PathBuf::from(&a.issue), gitsm::fsutil::INPUT) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: --issue {}: {e}", a.issue);
                    return Ok(if e.is_refusal() { FOUND } else { ERROR });
                }
            };
            let issue = match intake::parse_issue(&text) {
                Ok(i) => i,
                Err(e) => return Ok(report(&e)),
            };
            let _lock = super::common::lock(&root)?;
            let source = gitsm::repo::WorkTree::new(&root);
            let snap = gitsm::repo::load(&source)?;
            let p = match intake::prepare(&root, &source, &snap, &issue) {
                Ok(p) => p,
                Err(e) => return Ok(report(&e)),
            };
            if a.dry_run {
                print!("{}", p.text);
                return Ok(OK);
            }
            if let Err(e) =
                gitsm::fsutil::write_in_repo(&root, &p.path, p.text.as_bytes(), gitsm::fsutil::Replace::Never)
            {
                eprintln!("error: {} was not written: {e}", p.id);
                return Ok(if e.is_refusal() { FOUND } else { ERROR });
            }
            println!("created {} {} from issue #{}", p.id, p.path, issue.number);
            Ok(OK)
        }
    }
}

fn report(e: &IntakeError) -> i32 {
    eprintln!("error: {}", gitsm::diag::terminal_safe(&e.to_string()));
    match e {
        IntakeError::Refused(_) => FOUND,
        IntakeError::Failed(_) => ERROR,
    }
}

fn github(g: &Globals, a: &Args, repo: &str) -> anyhow::Result<i32> {
    let root = g.root()?;
    let Ok(number) = a.issue.parse::<u64>() else {
        eprintln!(
            "error: with --github, --issue takes the issue number, not {:?}",
            a.issue
        );
        return Ok(ERROR);
    };
    let client = match gitsm::gate::github::Client::from_env(repo, a.api_url.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ERROR);
        }
    };
    let _lock = super::common::lock(&root)?;
    let source = gitsm::repo::WorkTree::new(&root);
    let snap = gitsm::repo::load(&source)?;
    let prefix = gitsm::gitroot::discover(&root)
        .map(|(_, p)| p)
        .unwrap_or_default();
    match intake::open_pull_request(&client, number, &root, &source, &snap, &prefix) {
        Ok(done) => {
            println!(
                "created {} in {} (pull request #{})",
                done.id, done.path, done.pr_number
            );
            Ok(OK)
        }
        Err(e) => Ok(report(&e)),
    }
}
