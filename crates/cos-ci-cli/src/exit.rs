//! Exit codes and failures: the one table scripts can rely on, and how every failure maps to it.

use std::process::ExitCode;

use cos_ci_client::Error;
use serde_json::{Map, Value, json};

/// Why `cos-ci` stopped. The numbers are part of the CLI's contract: README ("Exit codes")
/// and `--help` print [`HELP`], made from the same values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything worked.
    Ok,
    /// 2: the command line cannot work (unknown flag, bad operation parameter, a key
    /// that names nothing). Also what clap exits with on its own parse errors.
    Usage,
    /// 3: the configuration is missing or wrong (no region, bucket or credentials; a bad
    /// config file, profile or setting value).
    Config,
    /// 4: the service answered with an error (its code is in the message), or refused some
    /// of the keys of an `rm`.
    Service,
    /// 5: a local file could not be read or written.
    Io,
    /// 6: the service could not be reached, or a timeout fired.
    Network,
    /// 130: interrupted by Ctrl-C (128 + SIGINT, as shells report it); transfers were
    /// cleaned up.
    Interrupted,
}

impl Exit {
    /// Every exit status, in the order the table lists them (the tests hold `--help` and the
    /// README to it).
    #[cfg(test)]
    pub const ALL: [Exit; 7] = [
        Exit::Ok,
        Exit::Usage,
        Exit::Config,
        Exit::Service,
        Exit::Io,
        Exit::Network,
        Exit::Interrupted,
    ];

    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Usage => 2,
            Exit::Config => 3,
            Exit::Service => 4,
            Exit::Io => 5,
            Exit::Network => 6,
            Exit::Interrupted => 130,
        }
    }

    /// The name in the table and in `--json` errors (`"Kind"`).
    pub fn name(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Usage => "usage",
            Exit::Config => "config",
            Exit::Service => "service",
            Exit::Io => "io",
            Exit::Network => "network",
            Exit::Interrupted => "interrupted",
        }
    }

    /// The exit status as the process returns it.
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(self.code())
    }
}

/// The exit-code table of `--help` (the README has the same table); a unit test checks both
/// against [`Exit::ALL`].
pub const HELP: &str = "\
Exit status:
  0    ok
  2    usage: a command line that cannot work
  3    config: missing or invalid configuration (region, bucket, credentials, config file)
  4    service: COS answered with an error (its code is in the message)
  5    io: a local file could not be read or written
  6    network: COS could not be reached, or a timeout fired
  130  interrupted: Ctrl-C (transfers are cleaned up)
With --json, an error is one JSON object on stderr:
  {\"ExitCode\", \"Kind\", \"Message\", and for service errors \"Code\", \"HttpStatus\", \"RequestId\", \"TraceId\"}

Settings come from flags, then the environment, then the profile of the config file
(`cos-ci config path`), then the defaults; `cos-ci config show` prints each with its source.";

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// A client call (or building the client) failed; classified by [`Failure::exit`].
    Client(Error),
    /// Arguments that cannot work.
    Usage(String),
    /// A configuration that cannot work.
    Config(String),
    /// A local file.
    Io(String),
    /// Some of many items failed at the service (each reported as it happened).
    Partial(String),
    /// Ctrl-C: the transfer was stopped and cleaned up.
    Interrupted,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Client(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.to_string())
    }
}

impl Failure {
    /// The exit status this failure ends the process with.
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Usage(_) => Exit::Usage,
            Failure::Config(_) => Exit::Config,
            Failure::Io(_) => Exit::Io,
            Failure::Partial(_) => Exit::Service,
            Failure::Interrupted => Exit::Interrupted,
            Failure::Client(e) => match e {
                // Refused before anything was sent: what the user typed cannot work.
                Error::Validation(_) | Error::PicOperations(_) | Error::InvalidArgument { .. } => {
                    Exit::Usage
                }
                Error::Config(_) | Error::Credentials(_) => Exit::Config,
                Error::Io(_) => Exit::Io,
                Error::Transport(_) | Error::Timeout(_) => Exit::Network,
                // A service answer, even one that could not be decoded.
                _ => Exit::Service,
            },
        }
    }

    /// The message, without an `error:` prefix.
    pub fn message(&self) -> String {
        match self {
            Failure::Client(Error::Service(e)) => {
                format!("{} (HTTP {}): {}", e.code, e.status, e.message)
            }
            Failure::Client(e) => e.to_string(),
            Failure::Usage(m) | Failure::Config(m) | Failure::Io(m) | Failure::Partial(m) => {
                m.clone()
            }
            Failure::Interrupted => "interrupted".to_string(),
        }
    }

    /// The failure as text for stderr: the service's code, message, request id and trace id.
    pub fn describe(&self) -> String {
        match self {
            Failure::Client(Error::Service(e)) => {
                let mut out = format!("error: {}", self.message());
                if let Some(id) = &e.request_id {
                    out.push_str(&format!("\nrequest id: {id}"));
                }
                if let Some(trace) = &e.trace_id {
                    out.push_str(&format!("\ntrace id: {trace}"));
                }
                out
            }
            Failure::Interrupted => "interrupted".to_string(),
            other => format!("error: {}", other.message()),
        }
    }

    /// The failure as one JSON object (what `--json` prints on stderr).
    pub fn json(&self) -> Value {
        let exit = self.exit();
        let mut out = Map::new();
        out.insert("ExitCode".into(), json!(exit.code()));
        out.insert("Kind".into(), json!(exit.name()));
        out.insert("Message".into(), json!(self.message()));
        if let Failure::Client(e) = self {
            if let Some(code) = e.code() {
                out.insert("Code".into(), json!(code));
            }
            if let Error::Service(s) = e {
                out.insert("HttpStatus".into(), json!(s.status));
                if let Some(trace) = &s.trace_id {
                    out.insert("TraceId".into(), json!(trace));
                }
                if let Some(resource) = &s.resource {
                    out.insert("Resource".into(), json!(resource));
                }
            }
            if let Some(id) = e.request_id() {
                out.insert("RequestId".into(), json!(id));
            }
        }
        Value::Object(out)
    }
}

/// A usage error as `--json` prints it (clap's own parse errors included).
pub fn usage_json(message: &str) -> Value {
    json!({ "ExitCode": Exit::Usage.code(), "Kind": Exit::Usage.name(), "Message": message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_readme_list_every_code() {
        let readme = include_str!("../../../README.md");
        for exit in Exit::ALL {
            let line = format!("  {:<4} {}", exit.code(), exit.name());
            assert!(HELP.contains(&line), "--help lacks {line:?}");
            let row = format!("| {} | `{}` |", exit.code(), exit.name());
            assert!(readme.contains(&row), "README lacks {row:?}");
        }
    }

    #[test]
    fn client_errors_map_by_kind() {
        let io = Failure::Client(Error::Io(std::io::Error::other("x")));
        assert_eq!(io.exit(), Exit::Io);
        let arg = Failure::Client(Error::InvalidArgument {
            argument: "key",
            reason: "empty".into(),
        });
        assert_eq!(arg.exit(), Exit::Usage);
        assert_eq!(Failure::Interrupted.exit().code(), 130);
    }
}
