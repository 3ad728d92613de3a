//! Writing the XML answers of bucket, multipart and copy operations (element names exactly as
//! COS sends them), and the ISO 8601 dates they carry.

use std::time::{SystemTime, UNIX_EPOCH};

/// Builds one XML document, escaping every text.
#[derive(Debug)]
pub struct XmlOut {
    out: String,
}

impl XmlOut {
    /// A document whose root element is `root` (closed by [`XmlOut::finish`]).
    pub fn new(root: &str) -> Self {
        let mut out = XmlOut {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        };
        out.open(root);
        out
    }

    /// Opens a container element.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Closes a container element.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// A text element.
    pub fn field(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let value = value.to_string();
        self.open(name);
        // A literal CR would reach readers as LF (XML end-of-line handling); keys may hold one.
        self.out
            .push_str(&quick_xml::escape::escape(value.as_str()).replace('\r', "&#13;"));
        self.close(name)
    }

    /// Closes the root and returns the text.
    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out
    }
}

/// `2026-11-30T23:51:13.000Z`, the date form of COS's XML answers.
pub fn iso8601(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20.000Z"
        );
    }

    #[test]
    fn text_is_escaped() {
        let mut x = XmlOut::new("R");
        x.field("Key", "a<b>&\"c\r");
        assert_eq!(
            x.finish("R"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<R><Key>a&lt;b&gt;&amp;&quot;c&#13;</Key></R>"
        );
    }
}
