//! `cos-ci`: object transfer and CI image processing from the command line.
//!
//! ```text
//! cos-ci [GLOBAL] put <FILE> <KEY>            cos-ci [GLOBAL] get <KEY> <FILE>
//! cos-ci [GLOBAL] process <OP> (<KEY> | --detect-url URL) -o <FILE> [-p NAME=VALUE]...
//! cos-ci [GLOBAL] upload  <OP> <FILE> <KEY> --fileid <FILEID> [-p NAME=VALUE]...
//! cos-ci [GLOBAL] cloud   <OP> <KEY> --fileid <FILEID> [-p NAME=VALUE]...
//! cos-ci [GLOBAL] presign <OP> <KEY> [-p NAME=VALUE]... [--expires SECS]
//! cos-ci ops
//! ```

mod args;
mod ops;
mod output;
mod progress;
mod run;

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
        Err(e) => {
            eprintln!("{}", output::describe_error(&e));
            ExitCode::FAILURE
        }
    }
}
