//! Command-line parsing and dispatch. One module per subcommand; each
//! returns an [`CommandResult`], and [`exit_code`] alone turns it into a number.

/// Stops a command with a usage error (exit 2), `usage!("--x {y}: …")`.
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err($crate::cli::Failure::usage(format!($($arg)*)))
    };
}

mod budget;
mod calendar;
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

/// How a command that ran to its end came out; it has printed its answer.
/// [`exit_code`] is the one place that turns it into a number.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The check passed, or the command did what it was asked.
    Success,
    /// The check found problems: findings, a denied gate.
    Found,
    /// Nothing was decided, and the answer says why (the gate failing closed).
    Undecided,
}

/// Why a command stopped early: the kind decides the exit code (in
/// [`exit_code`] only), and [`run`] prints the message as `error: …`.
#[derive(Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub error: anyhow::Error,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The command line is wrong (a bad `--now`, a flag that does not apply).
    Usage,
    /// The content was refused or found wanting: an illegal move, a record
    /// that would not validate, hostile content, a forbidden output folder.
    Refused,
    /// Anything else: I/O, git, the network, a missing record.
    Runtime,
}

impl Failure {
    pub fn usage(msg: impl std::fmt::Display) -> Failure {
        Failure::new(FailureKind::Usage, msg)
    }
    pub fn refused(msg: impl std::fmt::Display) -> Failure {
        Failure::new(FailureKind::Refused, msg)
    }
    pub fn runtime(msg: impl std::fmt::Display) -> Failure {
        Failure::new(FailureKind::Runtime, msg)
    }
    /// A failed read or write with `msg`: refused when the library refused
    /// the path or content (`is_refusal()` of its error), else runtime.
    pub fn io(msg: impl std::fmt::Display, refusal: bool) -> Failure {
        if refusal {
            Failure::refused(msg)
        } else {
            Failure::runtime(msg)
        }
    }
    fn new(kind: FailureKind, msg: impl std::fmt::Display) -> Failure {
        Failure {
            kind,
            error: anyhow::anyhow!("{msg}"),
        }
    }
}

/// Any error a command passes on with `?`: hostile or absurd content the
/// library refused is [`FailureKind::Refused`], the rest is runtime.
impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        let error: anyhow::Error = e.into();
        let kind = if gitsm::fsutil::is_refusal(error.as_ref()) {
            FailureKind::Refused
        } else {
            FailureKind::Runtime
        };
        Failure { kind, error }
    }
}

/// What every command returns.
pub type CommandResult = Result<Exit, Failure>;

/// The exit codes of SPEC §5, in one place: 0 success, 1 the check found
/// problems or the content was refused, 2 usage or runtime error (nothing
/// was decided).
pub fn exit_code(outcome: &CommandResult) -> i32 {
    match outcome {
        Ok(Exit::Success) => 0,
        Ok(Exit::Found) => 1,
        Ok(Exit::Undecided) => 2,
        Err(f) => match f.kind {
            FailureKind::Refused => 1,
            FailureKind::Usage | FailureKind::Runtime => 2,
        },
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "gitsm",
    version,
    about = "IT service management as code: validate ITSM records kept in Git",
    long_about = "gitsm keeps a service catalog, SLAs, change policy, incidents, problems, \
service requests and changes as YAML in a Git repo, and checks them.\n\n\
Exit codes: 0 success, 1 the check found problems, 2 usage or runtime error.",
    after_help = "Examples:\n  gitsm init my-itsm\n  gitsm --repo examples/acme validate\n  gitsm validate --format github\n  gitsm new incident --title \"Checkout returns 502\" --service checkout --impact high --urgency high\n  gitsm transition INC-0001 acknowledged --note \"Looking into it\"\n  gitsm log INC-0001\n  gitsm sla\n  gitsm budget\n  gitsm calendar --out changes.ics\n  gitsm report --period 2026-10 --format html --out report.html\n  gitsm status-page --out site\n  gitsm gate --base refs/heads/main --head refs/pull/7/head --author carol --reviews reviews.json\n\nEach command has its own examples: gitsm <command> --help\n\nOn repos of 2,000 files or more, validate, report, sla, budget and status-page keep what\nparsing each file gave in ~/.cache/gitsm (GITSM_CACHE_DIR moves it, GITSM_CACHE=off turns it off;\nin CI only a folder named by GITSM_CACHE_DIR is used)."
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
    Budget(budget::Args),
    Calendar(calendar::Args),
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
            // clap prints usage errors, `--help` and `--version` itself.
            let _ = e.print();
            let outcome = if e.use_stderr() {
                Err(Failure::usage(e.kind()))
            } else {
                Ok(Exit::Success)
            };
            return exit_code(&outcome);
        }
    };
    let outcome = dispatch(cli);
    if let Err(f) = &outcome {
        eprintln!("error: {}", gitsm::diag::terminal_safe(&format!("{:#}", f.error)));
    }
    exit_code(&outcome)
}

fn dispatch(cli: Cli) -> CommandResult {
    let now = match cli.now.as_deref().map(|s| s.parse::<gitsm::model::Timestamp>()) {
        None => None,
        Some(Ok(t)) => Some(t.as_jiff()),
        Some(Err(e)) => return Err(Failure::usage(format!("--now: {e}"))),
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
    match cli.command {
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
        Command::Budget(a) => budget::run(&g, a),
        Command::Calendar(a) => calendar::run(&g, a),
        Command::Serve(a) => serve::run(&g, a),
        Command::Completions(a) => completions::run(a),
        Command::Impact(a) => impact::run(&g, a),
        Command::Forms(a) => forms::run(&g, a),
        Command::Intake(a) => intake::run(&g, a),
        Command::ReleaseNotes(a) => release_notes::run(&g, a),
    }
}
