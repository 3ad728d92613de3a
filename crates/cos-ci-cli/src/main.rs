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
//! cos-ci [GLOBAL] head <KEY>
//! cos-ci ops | completions <SHELL> | config (set KEY VALUE | unset KEY | show | path)
//! ```
//!
//! `--spec DIR` (global, repeatable) adds the operations of the YAML files in DIR.
//!
//! Exit codes: [`exit::Exit`]; settings and their sources: [`settings::SETTINGS`].

mod args;
mod batch;
mod config_cmd;
mod exit;
mod listing;
mod logging;
mod ops;
mod output;
mod profile;
mod progress;
mod remote;
mod run;
mod settings;
mod transfer;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command};
use crate::exit::{Exit, Failure};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_error(&e),
    };
    logging::init(cli.global.verbose, cli.global.debug);
    let json = cli.global.json;
    match dispatch(cli) {
        Ok(()) => Exit::Ok.exit_code(),
        Err(failure) => {
            if json {
                eprintln!("{}", failure.json());
            } else {
                eprintln!("{}", failure.describe());
            }
            failure.exit().exit_code()
        }
    }
}

/// clap's own errors exit 2 (usage); `--help` and `--version` print and exit 0. With
/// `--json` anywhere before `--`, the error is a JSON object like every other.
fn parse_error(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return Exit::Ok.exit_code();
    }
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if json {
        let text = e.render().to_string();
        let message = text
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ");
        eprintln!("{}", exit::usage_json(message));
    } else {
        let _ = e.print();
    }
    Exit::Usage.exit_code()
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    ops::load(&cli.global.specs).map_err(Failure::Usage)?;
    let flags = cli.flags();
    match cli.command {
        Command::Ops => {
            if cli.global.json {
                print!("{}", ops::describe_json());
            } else {
                print!("{}", ops::describe());
            }
            return Ok(());
        }
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "cos-ci", &mut std::io::stdout());
            return Ok(());
        }
        Command::Config { action } => return config_cmd::run(action, &cli.global, &flags),
        _ => {}
    }
    let path = settings::config_path(cli.global.config.as_deref())?;
    let profile = settings::profile_name(cli.global.profile.as_deref());
    let resolved = settings::Settings::resolve(&flags, path, profile)?;
    resolved.log();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(run::run(cli, resolved))
}
