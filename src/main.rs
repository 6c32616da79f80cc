//! The `gitsm` binary: parse arguments, call the library, print, exit.
//! Exit codes: 0 success, 1 the check found problems, 2 usage or runtime error.

mod cli;

fn main() {
    let code = cli::run();
    std::process::exit(code);
}

// Records are many small allocations; mimalloc is markedly faster than the
// system allocator for that pattern (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
