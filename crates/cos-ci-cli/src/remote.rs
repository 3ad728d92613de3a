//! Where `cp`, `ls` and `rm` arguments point: a local path, or `cos://BUCKET/KEY`.

use std::path::PathBuf;

/// The scheme that marks a remote location.
pub const SCHEME: &str = "cos://";

/// A `cp` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A local path.
    Local(PathBuf),
    /// An object (or a folder when the key is empty or ends in `/`).
    Remote {
        /// `<name>-<APPID>`.
        bucket: String,
        /// The key (may be empty).
        key: String,
    },
}

/// Parses `arg`: `cos://BUCKET/KEY` is remote (the bucket must be `<name>-<APPID>`), anything
/// else a local path.
pub fn parse(arg: &str) -> Result<Location, String> {
    let Some(rest) = arg.strip_prefix(SCHEME) else {
        return Ok(Location::Local(PathBuf::from(arg)));
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if !cos_ci_validate::is_bucket_name(bucket) {
        return Err(format!(
            "{arg:?}: write remote objects as cos://<name>-<APPID>/<key>; {bucket:?} is not a bucket name"
        ));
    }
    Ok(Location::Remote {
        bucket: bucket.to_string(),
        key: key.to_string(),
    })
}

/// For `ls` and `rm`: a plain key of the configured bucket, or `cos://BUCKET/KEY`.
pub fn parse_key(arg: &str) -> Result<(Option<String>, String), String> {
    match parse(arg)? {
        Location::Local(_) => Ok((None, arg.to_string())),
        Location::Remote { bucket, key } => Ok((Some(bucket), key)),
    }
}

/// The last `/`-separated segment of `key` (what a copy into a folder is named).
pub fn base_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_needs_a_bucket_name() {
        assert_eq!(
            parse("cos://photos-1250000000/a/b.png"),
            Ok(Location::Remote {
                bucket: "photos-1250000000".into(),
                key: "a/b.png".into()
            })
        );
        assert_eq!(
            parse("cos://photos-1250000000"),
            Ok(Location::Remote {
                bucket: "photos-1250000000".into(),
                key: String::new()
            })
        );
        assert!(parse("cos://photos/a.png").is_err());
        assert_eq!(parse("./cos:/x"), Ok(Location::Local("./cos:/x".into())));
        assert_eq!(parse_key("a/b"), Ok((None, "a/b".into())));
        assert_eq!(base_name("a/b.png"), "b.png");
        assert_eq!(base_name("b.png"), "b.png");
    }
}
