//! The `gitsm` binary: parse arguments, call the library, print, exit.
//! Exit codes: 0 success, 1 the check found problems, 2 usage or runtime error.

mod cli;

fn main() {
    let code = cli::run();
    std::process::exit(code);
}
