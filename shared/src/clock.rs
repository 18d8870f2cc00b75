//! Timestamps in the contract's format: RFC 3339 in UTC with milliseconds and a `Z` suffix.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// Formats an instant as `2026-12-04T19:20:31.123Z`. The fixed width makes these strings
/// sort in time order, which sort keys rely on.
pub fn format_timestamp(instant: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    instant.to_offset(UtcOffset::UTC).format(&format).expect("UTC instants always format")
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn now_timestamp() -> String {
    format_timestamp(now())
}

/// Returns the UTC day (`YYYY-MM-DD`) of an instant.
pub fn day_of(instant: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]");
    instant.to_offset(UtcOffset::UTC).date().format(&format).expect("dates always format")
}

/// Parses an RFC 3339 timestamp.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

pub fn unix_ms(instant: OffsetDateTime) -> i64 {
    (instant.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
