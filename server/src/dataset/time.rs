//! Journal timestamps (`2026-11-26T08:30:00.123Z`) as numbers, and the dates of `--since` and
//! `--until`. Timestamps of one format sort as strings, which is how filters compare them.

/// Milliseconds since 1970-01-01 of a journal timestamp (`YYYY-MM-DDTHH:MM:SS[.fff]Z`).
pub fn millis(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> { ts.get(range)?.parse().ok() };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &ts[19..];
    let fraction = match rest.strip_prefix('.') {
        Some(digits) => {
            let digits = digits.strip_suffix('Z')?;
            let mut ms: i64 = 0;
            for (i, c) in digits.chars().enumerate() {
                let d = c.to_digit(10)? as i64;
                if i < 3 {
                    ms += d * [100, 10, 1][i];
                }
            }
            ms
        }
        None if rest == "Z" => 0,
        None => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + fraction)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A bound of `--since`/`--until`: a date (`2026-11-26`) or a UTC time (`2026-11-26T08:30:00Z`,
/// seconds and milliseconds optional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound(String);

impl std::str::FromStr for Bound {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let shape = |ts: &str| millis(ts).is_some();
        let valid = match text.len() {
            10 => shape(&format!("{text}T00:00:00Z")),
            17 if text.ends_with('Z') => shape(&format!("{}:00Z", &text[..16])),
            _ => shape(text),
        };
        if valid {
            Ok(Bound(text.trim_end_matches('Z').to_owned()))
        } else {
            Err(format!("`{text}` is not a date (2026-11-26) or a UTC time (2026-11-26T08:30:00Z)"))
        }
    }
}

impl Bound {
    /// As a `--since`: whether `ts` is at or after the bound (a date means its first moment).
    pub fn admits_since(&self, ts: &str) -> bool {
        ts >= self.0.as_str()
    }

    /// As an `--until`: whether `ts` is at or before the bound (a date means the whole day, a time its whole
    /// second or millisecond as written).
    pub fn admits_until(&self, ts: &str) -> bool {
        let prefix = ts.get(..self.0.len()).unwrap_or(ts);
        prefix <= self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_become_milliseconds() {
        assert_eq!(millis("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(millis("1970-01-02T00:00:01.250Z"), Some(86_401_250));
        assert_eq!(millis("2000-03-01T00:00:00Z"), Some(951_868_800_000));
        assert_eq!(millis("2026-11-26"), None);
        assert_eq!(millis("not a time at all, no"), None);
    }

    #[test]
    fn bounds_take_dates_and_times() {
        let since: Bound = "2026-11-26".parse().unwrap();
        assert!(since.admits_since("2026-11-26T00:00:00.000Z"));
        assert!(!since.admits_since("2026-11-25T23:59:59.999Z"));
        let until: Bound = "2026-11-26".parse().unwrap();
        assert!(until.admits_until("2026-11-26T23:59:59.999Z"));
        assert!(!until.admits_until("2026-11-27T00:00:00.000Z"));
        let until: Bound = "2026-11-26T08:30:00Z".parse().unwrap();
        assert!(until.admits_until("2026-11-26T08:30:00.999Z"));
        assert!(!until.admits_until("2026-11-26T08:30:01.000Z"));
        assert!("yesterday".parse::<Bound>().is_err());
    }
}
