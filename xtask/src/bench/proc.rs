//! Processes: commands with a time limit, servers that are always killed, loopback HTTP.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a command ended.
pub struct Finished {
    /// Whether it exited with success.
    pub ok: bool,
    /// Its exit status, or why it has none.
    pub status: String,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

impl Finished {
    /// The last `n` lines of stderr (then stdout), for a problem report.
    pub fn tail(&self, n: usize) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// Runs `command` to its end or until `timeout`, when it and its children are killed. Output
/// goes to `<log>.out` / `<log>.err` and is returned.
pub fn run(command: &mut Command, log: &Path, timeout: Duration) -> Result<Finished, String> {
    run_sampled(command, log, timeout, &mut || {})
}

/// `run`, calling `tick` about every 50 ms while the command runs (and once when it ends):
/// to sample another process (a server's peak memory) during the command.
pub fn run_sampled(
    command: &mut Command,
    log: &Path,
    timeout: Duration,
    tick: &mut dyn FnMut(),
) -> Result<Finished, String> {
    let out_path = log.with_extension("out");
    let err_path = log.with_extension("err");
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let out = File::create(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
    let err = File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    let status = loop {
        tick();
        match child.try_wait() {
            Ok(Some(status)) => {
                tick();
                break Ok(status);
            }
            Ok(None) if started.elapsed() >= timeout => {
                kill_tree(&mut child);
                break Err(format!(
                    "killed after the {}s time limit",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                kill_tree(&mut child);
                break Err(format!("cannot wait: {e}"));
            }
        }
    };
    let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let (ok, status) = match status {
        Ok(status) => (status.success(), status.to_string()),
        Err(why) => (false, why),
    };
    Ok(Finished {
        ok,
        status,
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed: started.elapsed(),
    })
}

/// Kills `child` and every process below it (found by parent id in /proc), by their ids.
pub fn kill_tree(child: &mut Child) {
    let mut pids = descendants(child.id());
    // Children first, so none is re-parented before it is found.
    pids.reverse();
    for pid in pids {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The ids of every process below `pid`, parents before children.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`: comm may hold spaces, so read after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((id, ppid));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for &(id, ppid) in &parents {
            if ppid == p && !found.contains(&id) {
                found.push(id);
                frontier.push(id);
            }
        }
    }
    found
}

/// A server started for a measurement; killed (with its children) when dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `command` (stdout and stderr to `log`) and waits until `addr` accepts
    /// connections, or `listening_line` (a prefix of a stdout line followed by `http://ADDR`)
    /// tells the address.
    pub fn start(
        name: &str,
        command: &mut Command,
        log: &Path,
        addr: Option<SocketAddr>,
        listening_line: Option<&str>,
    ) -> Result<Server, String> {
        if let Some(parent) = log.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let out_path = log.with_extension("out");
        let out = File::create(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
        let err = File::create(log.with_extension("err")).map_err(|e| format!("{e}"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {name} ({:?}): {e}", command.get_program()))?;
        let mut server = Server {
            addr: addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            child,
            log: log.to_path_buf(),
        };
        let started = Instant::now();
        let limit = Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "{name} exited at start ({status}): {}",
                    server.log_tail(10)
                ));
            }
            if let Some(prefix) = listening_line {
                let text = std::fs::read_to_string(&out_path).unwrap_or_default();
                let found = text.lines().find_map(|l| {
                    l.strip_prefix(prefix)
                        .map(|rest| rest.trim().trim_start_matches("http://"))
                        .and_then(|a| a.parse::<SocketAddr>().ok())
                });
                if let Some(found) = found {
                    server.addr = found;
                }
            }
            if server.addr.port() != 0 && TcpStream::connect(server.addr).is_ok() {
                return Ok(server);
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "{name} did not listen within {}s: {}",
                    limit.as_secs(),
                    server.log_tail(10)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://HOST:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last lines of its stderr.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(self.log.with_extension("err")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join(" | ")
    }

    /// The most frequent error line of its log (`...Error: ...`), if any.
    pub fn common_error(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.log.with_extension("err")).ok()?;
        let mut counts: Vec<(String, usize)> = Vec::new();
        for line in text.lines().map(str::trim) {
            if !line.contains("Error: ") || line.starts_with("at ") {
                continue;
            }
            match counts.iter_mut().find(|(l, _)| l == line) {
                Some((_, n)) => *n += 1,
                None => counts.push((line.to_string(), 1)),
            }
        }
        counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(l, n)| format!("{l} ({n}×)"))
    }

    /// Its peak resident set (VmHWM), in bytes.
    pub fn vm_hwm(&self) -> Option<u64> {
        vm_hwm(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_tree(&mut self.child);
    }
}

/// VmHWM of `pid` from /proc, in bytes.
pub fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// One HTTP/1.1 request to a loopback URL (`http://127.0.0.1:PORT/path?query`); returns the
/// status and the body.
pub fn http(
    method: &str,
    url: &str,
    headers: &[String],
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http URL: {url}"))?;
    let (host, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = host
        .parse()
        .map_err(|e| format!("{host} is not a loopback address: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("refusing a non-loopback address {addr}"));
    }
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n\
         Content-Type: application/octet-stream\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("{method} {url}: no HTTP status in the answer"))?;
    let body_at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |i| i + 4);
    Ok((status, answer[body_at..].to_vec()))
}

/// `http` that wants a 2xx.
pub fn http_ok(method: &str, url: &str, headers: &[String], body: &[u8]) -> Result<(), String> {
    let (status, answer) = http(method, url, headers, body)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&answer);
        Err(format!(
            "{method} {} answered {status}: {}",
            url.split('?').next().unwrap_or(url),
            text.chars().take(300).collect::<String>()
        ))
    }
}
