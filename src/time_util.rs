//! Timestamps as upstream writes them: milliseconds since the epoch in memory, JavaScript
//! `Date#toJSON()` text (`2026-01-02T03:04:05.678Z`) on the wire and in SQLite.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

pub type Millis = i64;

pub fn now_ms() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn to_iso(ms: Millis) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

/// Parses what existing databases hold: RFC 3339 / ISO text, or SQLite's `YYYY-MM-DD HH:MM:SS`.
pub fn parse_iso(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let sql = format_description!(version = 2, "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]]");
    PrimitiveDateTime::parse(text, &sql).ok().map(|t| (t.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

/// An integer date column: Drizzle writes milliseconds; small values can only be seconds.
pub fn from_integer(n: i64) -> Millis {
    if n.abs() < 100_000_000_000 { n * 1000 } else { n }
}

/// `serde(with = "iso_ms")` for timestamp fields of wire structs.
pub mod iso_ms {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_iso(*ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_js_date_json() {
        let ms = 1_767_323_045_678; // 2026-01-02T03:04:05.678Z
        assert_eq!(to_iso(ms), "2026-01-02T03:04:05.678Z");
        assert_eq!(parse_iso("2026-01-02T03:04:05.678Z"), Some(ms));
        assert_eq!(parse_iso("2026-01-02 03:04:05"), Some(ms - 678));
        assert_eq!(parse_iso("2026-01-02T03:04:05.678+00:00"), Some(ms));
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(from_integer(1_767_323_045), ms - 678);
        assert_eq!(from_integer(ms), ms);
    }
}
