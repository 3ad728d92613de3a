//! `cos-ci`: object transfer and CI image processing from the command line.
//!
//! ```text
//! cos-ci [GLOBAL] put <FILE> <KEY>            cos-ci [GLOBAL] get <KEY> <FILE>
//! cos-ci [GLOBAL] process <OP> (<KEY> | --detect-url URL) -o <FILE> [-p NAME=VALUE]...
//! cos-ci [GLOBAL] upload  <OP> <FILE> <KEY> --fileid <FILEID> [-p NAME=VALUE]...
//! cos-ci [GLOBAL] cloud   <OP> <KEY> --fileid <FILEID> [-p NAME=VALUE]...
//! cos-ci [GLOBAL] presign <OP> <KEY> [-p NAME=VALUE]... [--expires SECS]
//! cos-ci [GLOBAL] batch   <OP> --prefix P (--fileid TEMPLATE | --out DIR) [-p NAME=VALUE]...
//!                 [--concurrency N] [--journal FILE] [--dry-run]
//! cos-ci [GLOBAL] ls [PREFIX] [--recursive]
//! cos-ci [GLOBAL] cp <SRC> <DST>               # SRC/DST: a local path or cos://BUCKET/KEY
//! cos-ci [GLOBAL] rm <KEY>... [--recursive] [--dry-run]
//! cos-ci ops
//! ```

mod args;
mod batch;
mod listing;
mod ops;
mod output;
mod progress;
mod remote;
mod run;
mod transfer;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    if let args::Command::Ops = cli.command {
        print!("{}", ops::describe());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(run::Failure::Client(e)) => {
            eprintln!("{}", output::describe_error(&e));
            ExitCode::FAILURE
        }
        Err(run::Failure::Usage(message) | run::Failure::Partial(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
        Err(run::Failure::Interrupted) => {
            eprintln!("interrupted");
            // 128 + SIGINT, as shells report it.
            ExitCode::from(130)
        }
    }
}
