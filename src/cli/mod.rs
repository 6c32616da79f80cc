//! Command-line parsing and dispatch. One module per subcommand.

mod common;
mod completions;
mod forms;
mod gate;
mod impact;
mod init;
mod intake;
mod log;
mod new;
mod release_notes;
mod report;
mod schema;
mod serve;
mod sla;
mod status_page;
mod summary;
mod transition;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit code: the check passed.
pub const OK: i32 = 0;
/// Exit code: the check found problems (findings, a denied gate, an illegal move).
pub const FOUND: i32 = 1;
/// Exit code: usage or runtime error; nothing was decided.
pub const ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "gitsm",
    version,
    about = "IT service management as code: validate ITSM records kept in Git",
    long_about = "gitsm keeps a service catalog, SLAs, change policy, incidents, problems, \
service requests and changes as YAML in a Git repo, and checks them.\n\n\
Exit codes: 0 success, 1 the check found problems, 2 usage or runtime error.",
    after_help = "Examples:\n  gitsm init my-itsm\n  gitsm --repo examples/acme validate\n  gitsm validate --format github\n  gitsm new incident --title \"Checkout returns 502\" --service checkout --impact high --urgency high\n  gitsm transition INC-0001 acknowledged --note \"Looking into it\"\n  gitsm log INC-0001\n  gitsm sla\n  gitsm report --period 2026-10 --format html --out report.html\n  gitsm status-page --out site\n  gitsm gate --base refs/heads/main --head refs/pull/7/head --author carol --reviews reviews.json\n\nEach command has its own examples: gitsm <command> --help"
)]
pub struct Cli {
    /// The ITSM repo (default: the nearest folder upwards holding gitsm.yaml)
    #[arg(long, global = true, value_name = "DIR", help_heading = "Global options")]
    pub repo: Option<PathBuf>,
    /// Fix the clock for reproducible output (RFC 3339 with offset)
    #[arg(long, global = true, value_name = "RFC3339", help_heading = "Global options")]
    pub now: Option<String>,
    /// When to use colors
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, help_heading = "Global options")]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Init(init::Args),
    Validate(validate::Args),
    Gate(gate::Args),
    Schema(schema::Args),
    New(new::Args),
    Transition(transition::Args),
    Sla(sla::Args),
    Report(report::Args),
    Log(log::Args),
    StatusPage(status_page::Args),
    Serve(serve::Args),
    Completions(completions::Args),
    Impact(impact::Args),
    Forms(forms::Args),
    Intake(intake::Args),
    ReleaseNotes(release_notes::Args),
}

/// Global options every command may use.
pub struct Globals {
    pub repo: Option<PathBuf>,
    pub now: Option<jiff::Timestamp>,
    pub color: bool,
}

impl Globals {
    /// The repo root: `--repo`, else the nearest folder upwards with gitsm.yaml.
    pub fn root(&self) -> anyhow::Result<PathBuf> {
        if let Some(r) = &self.repo {
            if !r.is_dir() {
                anyhow::bail!("--repo {}: no such directory", r.display());
            }
            return Ok(r.clone());
        }
        let cwd = std::env::current_dir()?;
        gitsm::repo::find_root(&cwd).ok_or_else(|| {
            anyhow::anyhow!(
                "no gitsm.yaml in {} or any parent folder; pass --repo DIR or run `gitsm init`",
                cwd.display()
            )
        })
    }
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { ERROR } else { OK };
            let _ = e.print();
            return code;
        }
    };
    let now = match cli.now.as_deref().map(|s| s.parse::<gitsm::model::Timestamp>()) {
        None => None,
        Some(Ok(t)) => Some(t.as_jiff()),
        Some(Err(e)) => {
            eprintln!("error: --now: {e}");
            return ERROR;
        }
    };
    use std::io::IsTerminal;
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let g = Globals {
        repo: cli.repo,
        now,
        color,
    };
    let result = match cli.command {
        Command::Init(a) => init::run(&g, a),
        Command::Validate(a) => validate::run(&g, a),
        Command::Gate(a) => gate::run(&g, a),
        Command::Schema(a) => schema::run(&g, a),
        Command::New(a) => new::run(&g, a),
        Command::Transition(a) => transition::run(&g, a),
        Command::Sla(a) => sla::run(&g, a),
        Command::Report(a) => report::run(&g, a),
        Command::Log(a) => log::run(&g, a),
        Command::StatusPage(a) => status_page::run(&g, a),
        Command::Serve(a) => serve::run(&g, a),
        Command::Completions(a) => completions::run(a),
        Command::Impact(a) => impact::run(&g, a),
        Command::Forms(a) => forms::run(&g, a),
        Command::Intake(a) => intake::run(&g, a),
        Command::ReleaseNotes(a) => release_notes::run(&g, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", gitsm::diag::terminal_safe(&format!("{e:#}")));
            // Hostile or absurd content is refused (1); usage and I/O are 2.
            if gitsm::fsutil::is_refusal(e.as_ref()) {
                FOUND
            } else {
                ERROR
            }
        }
    }
}
