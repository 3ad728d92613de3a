//! The batch journal: an append-only text file, one line per event, that lets a rerun skip
//! what an earlier run finished.
//!
//! Format (UTF-8, `\n`-terminated lines; keys and texts percent-encoded so that none holds a
//! space, a `%`, a control character or a non-ASCII byte):
//!
//! ```text
//! cos-ci-batch-journal 1 <job>      first line: the version and what the batch does
//! S <key> <output>                  <key> is about to be processed into <output>
//! D <key> <output>                  <key> is done: <output> holds its result
//! F <key> <reason>                  <key> failed (a rerun tries it again)
//! ```
//!
//! `<job>` is the operation, its parameters, the prefix and the target; a journal written
//! for another job is refused rather than trusted. Lines reach the operating system as they
//! are written, so a killed process loses none; they are fsynced every [`SYNC_EVERY`] lines,
//! at the end, and when the journal is dropped, so a power cut loses at most the last few.
//! Reading tolerates a last line cut short (it is cut off before the next append) and skips
//! lines it cannot parse. An `S` line without a later `D` marks an object that was in flight
//! when the run stopped: the next run looks for its output before processing it again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::error::Error;

/// The first word of a journal.
const MAGIC: &str = "cos-ci-batch-journal";
/// The format version.
const VERSION: &str = "1";
/// Lines between two fsyncs.
pub(crate) const SYNC_EVERY: usize = 64;

/// What is escaped in a field: controls (`\n` above all), space (the separator), `%` (the
/// escape) and, by `utf8_percent_encode`, every non-ASCII byte.
const FIELD: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

fn encode(s: &str) -> String {
    utf8_percent_encode(s, FIELD).to_string()
}

fn decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// What a journal says about earlier runs.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// Keys done, with their outputs.
    pub done: HashMap<String, String>,
    /// Keys started and neither done nor failed since, with their outputs.
    pub started: HashMap<String, String>,
    /// Lines that could not be read (a torn last line included).
    pub unreadable: usize,
}

/// An open journal, appended to under a lock.
#[derive(Debug)]
pub(crate) struct Journal {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    unsynced: usize,
    /// The first write or sync error; later lines are not written after it.
    failed: Option<String>,
}

impl Journal {
    /// Opens (or creates) the journal at `path` for `job` and reads what it records. A file
    /// that is not a journal, or a journal of another job, is an error.
    pub fn open(path: &Path, job: &str) -> Result<(Journal, Recorded), Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let recorded = Self::load(&mut file, path, job, true)?;
        file.seek(SeekFrom::End(0))?;
        let journal = Journal {
            inner: Mutex::new(Inner {
                file,
                unsynced: 0,
                failed: None,
            }),
        };
        Ok((journal, recorded))
    }

    /// Reads what the journal at `path` records for `job` without changing it (nothing when
    /// there is no file): what a dry run needs.
    pub fn read(path: &Path, job: &str) -> Result<Recorded, Error> {
        match File::open(path) {
            Ok(mut file) => Self::load(&mut file, path, job, false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Recorded::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads `file`; with `repair`, writes the header of an empty journal and cuts off a
    /// torn last line.
    fn load(file: &mut File, path: &Path, job: &str, repair: bool) -> Result<Recorded, Error> {
        let refuse = |reason: String| Error::InvalidArgument {
            argument: "journal",
            reason: format!("{}: {reason}", path.display()),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let header = format!("{MAGIC} {VERSION} {}\n", encode(job));
        // Only complete lines count: a line without its `\n` was cut short by a crash.
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut recorded = Recorded::default();
        if complete == 0 {
            // Empty, or a header cut short: start afresh (anything else was never a journal
            // line, since every line is written whole with its `\n`).
            if !bytes.is_empty() && !header.as_bytes().starts_with(&bytes) {
                return Err(refuse("not a cos-ci batch journal".into()));
            }
            if repair {
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                file.write_all(header.as_bytes())?;
                file.sync_data()?;
            }
        } else {
            let text = String::from_utf8_lossy(&bytes[..complete]);
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default();
            let mut words = first.split(' ');
            if words.next() != Some(MAGIC) {
                return Err(refuse("not a cos-ci batch journal".into()));
            }
            if words.next() != Some(VERSION) {
                return Err(refuse(format!(
                    "a journal of another version ({first:?}); this is version {VERSION}"
                )));
            }
            let theirs = words.next().and_then(decode).unwrap_or_default();
            if theirs != job {
                return Err(refuse(format!(
                    "it journals another batch ({theirs}); this one is {job}"
                )));
            }
            for line in lines {
                if !apply(&mut recorded, line) {
                    recorded.unreadable += 1;
                }
            }
            if complete < bytes.len() {
                recorded.unreadable += 1;
                if repair {
                    // Cut the torn line off, so the next line does not continue it.
                    file.set_len(complete as u64)?;
                }
            }
        }
        Ok(recorded)
    }

    /// `key` is about to be processed into `output`.
    pub fn started(&self, key: &str, output: &str) -> Result<(), Error> {
        self.append(&format!("S {} {}\n", encode(key), encode(output)))
    }

    /// `key` is done; `output` holds its result.
    pub fn done(&self, key: &str, output: &str) -> Result<(), Error> {
        self.append(&format!("D {} {}\n", encode(key), encode(output)))
    }

    /// `key` failed for `reason`.
    pub fn failed(&self, key: &str, reason: &str) -> Result<(), Error> {
        self.append(&format!("F {} {}\n", encode(key), encode(reason)))
    }

    /// Writes one whole line (one `write` call: a crash leaves it whole or torn at the end,
    /// never interleaved with another) and fsyncs every [`SYNC_EVERY`] lines.
    fn append(&self, line: &str) -> Result<(), Error> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(reason) = &inner.failed {
            return Err(journal_error(reason.clone()));
        }
        let result = inner.file.write_all(line.as_bytes()).and_then(|()| {
            inner.unsynced += 1;
            if inner.unsynced >= SYNC_EVERY {
                inner.unsynced = 0;
                inner.file.sync_data()
            } else {
                Ok(())
            }
        });
        result.map_err(|e| {
            let reason = e.to_string();
            inner.failed = Some(reason.clone());
            journal_error(reason)
        })
    }

    /// Fsyncs what was written since the last sync.
    pub fn sync(&self) -> Result<(), Error> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.unsynced == 0 {
            return Ok(());
        }
        inner.unsynced = 0;
        inner.file.sync_data().map_err(Error::Io)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // A batch stopped half-way (Ctrl-C, a dropped stream) still leaves its journal on disk.
        if let Err(e) = self.sync() {
            tracing::warn!(error = %e, "cannot sync the batch journal");
        }
    }
}

fn journal_error(reason: String) -> Error {
    Error::Io(std::io::Error::other(format!(
        "cannot write the batch journal: {reason}"
    )))
}

/// Applies one line; false when it cannot be read.
fn apply(recorded: &mut Recorded, line: &str) -> bool {
    let mut words = line.split(' ');
    let (Some(tag), Some(key), Some(value), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    let (Some(key), Some(value)) = (decode(key), decode(value)) else {
        return false;
    };
    match tag {
        "S" => {
            recorded.started.insert(key, value);
        }
        "D" => {
            recorded.started.remove(&key);
            recorded.done.insert(key, value);
        }
        "F" => {
            recorded.started.remove(&key);
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "AIEnhanceImage denoise=1 photos/ -> /out/{name}";

    #[test]
    fn a_journal_round_trips_and_a_torn_last_line_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        {
            let (j, rec) = Journal::open(&path, JOB).unwrap();
            assert!(rec.done.is_empty());
            j.started("a b/ü\n.png", "out/1").unwrap();
            j.done("a b/ü\n.png", "out/1").unwrap();
            j.started("c.png", "out/2").unwrap();
            j.started("d.png", "out/3").unwrap();
            j.failed("d.png", "boom: 500").unwrap();
        }
        // A crash in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"D c.p").unwrap();
        drop(f);
        let (j, rec) = Journal::open(&path, JOB).unwrap();
        assert_eq!(
            rec.done.get("a b/ü\n.png").map(String::as_str),
            Some("out/1")
        );
        assert_eq!(rec.started.get("c.png").map(String::as_str), Some("out/2"));
        assert!(!rec.started.contains_key("d.png"), "a failure ends a start");
        assert_eq!(rec.unreadable, 1);
        j.done("c.png", "out/2").unwrap();
        drop(j);
        let (_, rec) = Journal::open(&path, JOB).unwrap();
        assert_eq!(rec.done.len(), 2);
        assert_eq!(
            rec.unreadable, 0,
            "the torn line was cut off before appending"
        );
    }

    #[test]
    fn another_job_or_another_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        drop(Journal::open(&path, JOB).unwrap());
        let err = Journal::open(&path, "AIImageColoring  photos/ -> /x").unwrap_err();
        assert!(err.to_string().contains("another batch"), "{err}");
        let other = dir.path().join("notes.txt");
        std::fs::write(&other, "my notes\n").unwrap();
        assert!(Journal::open(&other, JOB).is_err());
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "my notes\n");
        let missing = dir.path().join("none");
        assert!(Journal::read(&missing, JOB).unwrap().done.is_empty());
        assert!(!missing.exists(), "reading creates nothing");
        // A header cut short by a crash at creation is started afresh.
        let torn = dir.path().join("torn");
        std::fs::write(&torn, "cos-ci-batch-jour").unwrap();
        let (_, rec) = Journal::open(&torn, JOB).unwrap();
        assert_eq!(rec.unreadable, 0);
    }

    #[test]
    fn garbage_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        drop(Journal::open(&path, JOB).unwrap());
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"D x\nZ a b\nD %FF out\nD ok out\n").unwrap();
        drop(f);
        let (_, rec) = Journal::open(&path, JOB).unwrap();
        assert_eq!(rec.done.len(), 1);
        assert_eq!(rec.unreadable, 3);
    }
}
