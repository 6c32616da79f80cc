use super::{Exit, Globals};
use anyhow::Context;
use clap::ValueEnum;
use gitsm::gate::{self, git, render};
use std::path::PathBuf;

/// Decide whether a pull request may merge under the change policy (CAB gate)
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Revisions are resolved exactly: a full ref (refs/heads/main, refs/remotes/origin/main) or a full commit sha.\n\n\
Exit codes: 0 allowed, 1 denied, 2 could not decide (bad input, unreachable API).\n\n\
For --reviews: gh api repos/OWNER/REPO/pulls/N/reviews --paginate > reviews.json\n\n\
With --github, GitHub calls are retried on 5xx, 429, rate limits and stalls: GITSM_GITHUB_RETRY_BUDGET \
(default 2m), GITSM_GITHUB_TIMEOUT per request (default 30s); see docs/gate.md.\n\n\
Examples:\n  gitsm gate --base refs/heads/main --head refs/heads/feature --author carol --reviews reviews.json\n  \
GITHUB_TOKEN=... gitsm gate --base $BASE_SHA --head $HEAD_SHA --author $AUTHOR --github acme/itsm --pr 42"
)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["reviews", "github"])))]
pub struct Args {
    /// The base revision (full ref or sha): policy, catalog and CAB come from here
    #[arg(long, value_name = "REV")]
    base: String,
    /// The head revision of the pull request (full ref or sha)
    #[arg(long, value_name = "REV")]
    head: String,
    /// The PR author's login (required with --reviews; with --github, taken from the PR when omitted)
    #[arg(long, value_name = "LOGIN")]
    author: Option<String>,
    /// Reviews as JSON, exactly as GitHub's "list reviews for a pull request" returns them
    #[arg(long, value_name = "FILE")]
    reviews: Option<PathBuf>,
    /// Read the PR and reviews from GitHub and publish the verdict (token from GITHUB_TOKEN)
    #[arg(long, value_name = "OWNER/REPO", requires = "pr")]
    github: Option<String>,
    /// The pull request number (with --github)
    #[arg(long, value_name = "N", requires = "github")]
    pr: Option<u64>,
    /// GitHub API base URL (GitHub Enterprise: https://HOST/api/v3)
    #[arg(long, value_name = "URL", env = "GITSM_GITHUB_API_URL")]
    api_url: Option<String>,
    /// A login that authored or pushed a commit of the PR (counts like the author)
    #[arg(long, value_name = "LOGIN")]
    contributor: Vec<String>,
    /// The PR body, for `Change: CHG-0042` references (with --github, read from the PR)
    #[arg(long, value_name = "FILE")]
    pr_body: Option<PathBuf>,
    /// Write backed approvals into the changes' `approvals` lists in the work tree
    #[arg(long)]
    record: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Markdown,
}

pub fn run(g: &Globals, a: Args) -> super::CommandResult {
    // clap's `requires` is satisfied by any member of the `source` group
    // (clap-rs/clap#4707), so `--pr 7 --reviews f` would slip through.
    if a.pr.is_some() && a.github.is_none() {
        usage!("--pr N needs --github OWNER/REPO (with --reviews there is no PR to read)");
    }
    let root = g.root()?;
    let now = g.now.unwrap_or_else(jiff::Timestamp::now);
    let mut body = match &a.pr_body {
        Some(p) => gitsm::fsutil::read_given_text(p, gitsm::fsutil::INPUT)
            .with_context(|| format!("--pr-body {}", p.display()))?,
        None => String::new(),
    };
    let mut contributors = a.contributor.clone();
    let mut teams = std::collections::HashMap::new();
    let mut author = a.author.clone();
    let mut publish = None;
    let reviews = if let Some(file) = &a.reviews {
        let text = gitsm::fsutil::read_given_text(file, gitsm::fsutil::INPUT)
            .with_context(|| format!("--reviews {}", file.display()))?;
        gate::parse_reviews(&text)?
    } else {
        let repo = a.github.clone().expect("clap requires --reviews or --github");
        let pr = a.pr.expect("clap requires --pr with --github");
        let client = gate::github::Client::from_env(&repo, a.api_url.as_deref())?;
        let data = client.fetch(pr)?;
        match &author {
            None => author = Some(data.author.clone()),
            // A different --author than GitHub's: both count as authors.
            Some(a) if !a.eq_ignore_ascii_case(&data.author) => contributors.push(data.author.clone()),
            Some(_) => {}
        }
        if a.pr_body.is_none() {
            body = data.body.clone();
        }
        contributors.extend(data.contributors.iter().cloned());
        let reviews = data.reviews.clone();
        publish = Some((client, data));
        reviews
    };
    let author = author.context("--author LOGIN is required with --reviews")?;
    let revs = git::Revs {
        base: a.base.clone(),
        head: a.head.clone(),
    };
    let side = git::read(&root, &revs, &reviews, &body)?;
    let mut input = side.input;
    if let Some((client, _)) = &publish {
        let wanted = gate::rules::team_entries(&input);
        teams = client.resolve_teams(&wanted)?;
    }
    input.author = author;
    input.contributors = contributors;
    input.teams = teams;
    input.now = now;
    let verdict = gate::decide(&input);
    let base_branch = publish
        .as_ref()
        .map(|(_, d)| d.base_ref.clone())
        .unwrap_or_else(|| branch_name(&a.base));
    let out = match a.format {
        Format::Human => render::human(&verdict, g.color),
        Format::Json => render::json(&verdict, super::exit_code(&Ok(exit_of(verdict.decision)))),
        Format::Markdown => render::markdown(&verdict, &base_branch),
    };
    print!("{out}");
    if a.record {
        let written = gate::record::write(&root, &verdict.to_record)?;
        for f in &written {
            eprintln!("recorded approvals in {f}");
        }
    }
    if let Some((client, data)) = publish {
        if data.head_sha != side.head_sha {
            // The verdict is about the commit we read; never post it on another.
            eprintln!(
                "warning: the PR's head is now {} but the gate judged {}; the result is posted on {}",
                data.head_sha, side.head_sha, side.head_sha
            );
        }
        let p = client
            .publish(&data, &side.head_sha, &verdict, &base_branch, &full_verdict_at())
            .context("publishing the verdict")?;
        eprintln!(
            "published the verdict as a {} and {} the PR comment",
            p.via.replace('_', " "),
            p.comment
        );
    }
    Ok(exit_of(verdict.decision))
}

/// The gate's decision as the command's exit: allowed passes, denied is a
/// finding, undecided decided nothing (SPEC §3 rule 0).
fn exit_of(d: gate::Decision) -> Exit {
    match d {
        gate::Decision::Allowed => Exit::Success,
        gate::Decision::Denied => Exit::Found,
        gate::Decision::Undecided => Exit::Undecided,
    }
}

/// Where a reader of a shortened PR comment or check run finds the whole
/// verdict: this job's log, linked when running in GitHub Actions.
fn full_verdict_at() -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        (Some(server), Some(repo), Some(run)) => {
            format!(
                "[the job log]({}/{repo}/actions/runs/{run})",
                server.trim_end_matches('/')
            )
        }
        _ => "the log of the job that ran `gitsm gate`".to_string(),
    }
}

/// `refs/heads/main` → `main`; a sha stays as it is.
fn branch_name(rev: &str) -> String {
    rev.strip_prefix("refs/heads/")
        .or_else(|| rev.strip_prefix("refs/remotes/origin/"))
        .unwrap_or(rev)
        .to_string()
}
