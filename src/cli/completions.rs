use super::Exit;
use clap::CommandFactory;

/// Print shell completions
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  gitsm completions bash > /etc/bash_completion.d/gitsm\n  gitsm completions zsh > ~/.zfunc/_gitsm"
)]
pub struct Args {
    /// The shell
    shell: clap_complete::Shell,
}

pub fn run(a: Args) -> super::CommandResult {
    let mut cmd = super::Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "gitsm", &mut std::io::stdout());
    Ok(Exit::Success)
}
