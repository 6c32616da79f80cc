//! `gitsm intake`: a record from an issue made with a `gitsm forms` form.

use super::{Exit, Failure, Globals};
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

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    let root = g.root()?;
    match &a.github {
        Some(repo) => github(g, &a, repo),
        None => {
            let text = match gitsm::fsutil::read_given_text(&PathBuf::from(&a.issue), gitsm::fsutil::INPUT) {
                Ok(t) => t,
                Err(e) => {
                    return Err(Failure::io(format!("--issue {}: {e}", a.issue), e.is_refusal()));
                }
            };
            let issue = match intake::parse_issue(&text) {
                Ok(i) => i,
                Err(e) => return Err(report(&e)),
            };
            let _lock = gitsm::authoring::lock(&root)?;
            let source = gitsm::repo::WorkTree::new(&root);
            let snap = gitsm::repo::load(&source)?;
            let p = match intake::prepare(&root, &source, &snap, &issue) {
                Ok(p) => p,
                Err(e) => return Err(report(&e)),
            };
            if a.dry_run {
                print!("{}", p.text);
                return Ok(Exit::Success);
            }
            if let Err(e) =
                gitsm::fsutil::write_in_repo(&root, &p.path, p.text.as_bytes(), gitsm::fsutil::Replace::Never)
            {
                return Err(Failure::io(
                    format!("{} was not written: {e}", p.id),
                    e.is_refusal(),
                ));
            }
            println!("created {} {} from issue #{}", p.id, p.path, issue.number);
            Ok(Exit::Success)
        }
    }
}

/// An intake error as the command's failure: refused content is 1, the rest 2.
fn report(e: &IntakeError) -> Failure {
    match e {
        IntakeError::Refused(_) => Failure::refused(e),
        IntakeError::Failed(_) => Failure::runtime(e),
    }
}

fn github(g: &Globals, a: &Args, repo: &str) -> super::CommandResult {
    let root = g.root()?;
    let Ok(number) = a.issue.parse::<u64>() else {
        return Err(Failure::runtime(format!(
            "with --github, --issue takes the issue number, not {:?}",
            a.issue
        )));
    };
    let client = match gitsm::gate::github::Client::from_env(repo, a.api_url.as_deref()) {
        Ok(c) => c,
        Err(e) => return Err(Failure::runtime(e)),
    };
    let _lock = gitsm::authoring::lock(&root)?;
    let source = gitsm::repo::WorkTree::new(&root);
    let snap = gitsm::repo::load(&source)?;
    let prefix = gitsm::repo::git::discover(&root)
        .map(|(_, p)| p)
        .unwrap_or_default();
    match intake::open_pull_request(&client, number, &root, &source, &snap, &prefix) {
        Ok(done) => {
            println!(
                "created {} in {} (pull request #{})",
                done.id, done.path, done.pr_number
            );
            Ok(Exit::Success)
        }
        Err(e) => Err(report(&e)),
    }
}
