//! Reference numbers people quote on the phone and in letters: `TKL/2026/12/000123`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};

/// What a reference number names; each kind has its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A takedown request (`TKL`: *take down*, as ministry letters number them).
    Takedown,
    /// A citizen report (`ADU`: *aduan*).
    Report,
}

impl ReferenceKind {
    pub fn prefix(self) -> &'static str {
        match self {
            ReferenceKind::Takedown => "TKL",
            ReferenceKind::Report => "ADU",
        }
    }
}

/// Kind, year and month of issue, and a serial number unique within the kind (the store's row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub year: i32,
    pub month: u32,
    pub serial: u64,
}

impl Reference {
    pub fn new(kind: ReferenceKind, issued_at: DateTime<Utc>, serial: u64) -> Reference {
        Reference { kind, year: issued_at.year(), month: issued_at.month(), serial }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:04}/{:02}/{:06}", self.kind.prefix(), self.year, self.month, self.serial)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a reference number like TKL/2026/12/000123")]
pub struct BadReference(String);

impl FromStr for Reference {
    type Err = BadReference;

    fn from_str(s: &str) -> Result<Reference, BadReference> {
        let bad = || BadReference(s.chars().take(64).collect());
        let parts: Vec<&str> = s.trim().split('/').collect();
        let [prefix, year, month, serial] = parts[..] else { return Err(bad()) };
        let kind = [ReferenceKind::Takedown, ReferenceKind::Report]
            .into_iter()
            .find(|k| k.prefix().eq_ignore_ascii_case(prefix))
            .ok_or_else(bad)?;
        let digits = |p: &str, len: std::ops::RangeInclusive<usize>| {
            len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(year, 4..=4) || !digits(month, 2..=2) || !digits(serial, 6..=19) {
            return Err(bad());
        }
        let month: u32 = month.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Reference {
            kind,
            year: year.parse().map_err(|_| bad())?,
            month,
            serial: serial.parse().map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn references_print_and_parse_as_letters_quote_them() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        let r = Reference::new(ReferenceKind::Takedown, at, 123);
        assert_eq!(r.to_string(), "TKL/2026/12/000123");
        assert_eq!("TKL/2026/12/000123".parse::<Reference>(), Ok(r));
        let big = Reference::new(ReferenceKind::Report, at, 12_345_678);
        assert_eq!(big.to_string(), "ADU/2026/12/12345678");
        assert_eq!(big.to_string().parse::<Reference>(), Ok(big));
        for bad in ["", "TKL/2026/12", "XYZ/2026/12/000001", "TKL/2026/13/000001", "TKL/26/12/000001", "TKL/2026/12/12"]
        {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }
}
