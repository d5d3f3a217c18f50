//! Sizes in bytes, as budgets and tolerances are written: `"24 MiB"`,
//! `"64KiB"`, `"1.5 MB"`, `"512"`.
//!
//! `KiB`, `MiB` and `GiB` are powers of 1024; `KB` (or `kB`), `MB` and `GB`
//! are powers of 1000, as the SI prefixes say (pytest-memray's "KB means
//! 1024" is a trap this avoids). A bare number is bytes. Units are
//! case-sensitive: `kib` or `mb` are errors that name the unit meant.

/// The units a size may have, for messages.
pub const SIZE_UNITS: &str = "B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000)";

/// Why a text is not a size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// No number at all.
    #[error("`{text}` is not a size: write a number of bytes with a unit, like \"64 KiB\" or \"1.5 MB\" (units: {SIZE_UNITS})")]
    NotANumber {
        /// The text as given.
        text: String,
    },
    /// A number followed by something that is not a unit.
    #[error("unknown unit `{unit}` in `{text}`: {}", unit_advice(unit))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The text as given.
        text: String,
    },
    /// More bytes than a `u64` holds, or too many decimals to be exact.
    #[error(
        "`{text}` is too large or too precise: sizes go up to 16 EiB, with at most 18 decimals"
    )]
    OutOfRange {
        /// The text as given.
        text: String,
    },
}

/// What to write instead of `unit`: the unit it was probably meant to be
/// (case aside), or the list of units.
fn unit_advice(unit: &str) -> String {
    // Lower-case `kb` may mean either family: name both.
    let ambiguous = match unit.to_ascii_lowercase().as_str() {
        "k" | "kb" => Some("KiB` (1024) or `KB"),
        "m" | "mb" => Some("MiB` (1024²) or `MB"),
        "g" | "gb" => Some("GiB` (1024³) or `GB"),
        "bytes" | "byte" => Some("B"),
        _ => None,
    };
    let meant = ambiguous.or_else(|| {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(name, _)| *name)
    });
    match meant {
        Some(meant) => format!("units are case-sensitive: write `{meant}` (units: {SIZE_UNITS})"),
        None => format!("use {SIZE_UNITS}, like \"64 KiB\""),
    }
}

/// Every unit and its bytes.
const UNITS: [(&str, u64); 8] = [
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("KB", 1_000),
    ("kB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
];

/// Most decimals a size may have (beyond them the arithmetic below would
/// overflow; no one needs them).
const MAX_DECIMALS: usize = 18;

/// Parses a size in bytes: a number (whole or with decimals), optional
/// spaces, and an optional unit (see the module docs). Decimals are exact:
/// `"1.5 KiB"` is 1536 bytes; a fraction of a byte left over is rounded to
/// the nearest byte.
///
/// ```
/// use leaktest_units::parse_size;
///
/// assert_eq!(parse_size("64 KiB"), Ok(65_536));
/// assert_eq!(parse_size("64KB"), Ok(64_000));
/// assert_eq!(parse_size("1.5 MiB"), Ok(1_572_864));
/// assert_eq!(parse_size("512"), Ok(512));
/// assert!(parse_size("64 kib").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    let number_end = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_end);
    let unit = unit.trim_start();
    let not_a_number = || SizeError::NotANumber {
        text: text.to_owned(),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || number.ends_with('.') {
        return Err(not_a_number());
    }
    let bytes_per_unit = match unit {
        "" => 1,
        unit => UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, bytes)| *bytes)
            .ok_or_else(|| SizeError::UnknownUnit {
                unit: unit.to_owned(),
                text: text.to_owned(),
            })?,
    };
    let out_of_range = || SizeError::OutOfRange {
        text: text.to_owned(),
    };
    if fraction.len() > MAX_DECIMALS {
        return Err(out_of_range());
    }
    let whole: u128 = whole.parse().map_err(|_| out_of_range())?;
    let fraction_bytes = if fraction.is_empty() {
        0
    } else {
        let scale = 10u128.pow(fraction.len() as u32);
        let numerator: u128 = fraction.parse().map_err(|_| out_of_range())?;
        // Rounded to the nearest byte, halves up.
        (numerator * u128::from(bytes_per_unit) * 2 + scale) / (2 * scale)
    };
    whole
        .checked_mul(u128::from(bytes_per_unit))
        .and_then(|bytes| bytes.checked_add(fraction_bytes))
        .and_then(|bytes| u64::try_from(bytes).ok())
        .ok_or_else(out_of_range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_units_are_powers_of_1024_and_si_units_powers_of_1000() {
        assert_eq!(parse_size("1 KiB"), Ok(1024));
        assert_eq!(parse_size("1 KB"), Ok(1000));
        assert_eq!(parse_size("1 kB"), Ok(1000));
        assert_eq!(parse_size("1 MiB"), Ok(1_048_576));
        assert_eq!(parse_size("1 MB"), Ok(1_000_000));
        assert_eq!(parse_size("1 GiB"), Ok(1_073_741_824));
        assert_eq!(parse_size("1 GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("24 MiB"), Ok(25_165_824));
        assert_eq!(parse_size("64 B"), Ok(64));
    }

    #[test]
    fn a_bare_number_is_bytes_and_spaces_are_optional() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("  64   KiB "), Ok(65_536));
    }

    #[test]
    fn decimals_are_exact_and_round_to_the_nearest_byte() {
        assert_eq!(parse_size("1.5 MiB"), Ok(1_572_864));
        assert_eq!(parse_size("1.5 KB"), Ok(1500));
        assert_eq!(parse_size("0.5 B"), Ok(1));
        assert_eq!(parse_size("0.4 B"), Ok(0));
        assert_eq!(parse_size("1.1 MiB"), Ok(1_153_434));
        assert_eq!(parse_size("0.001 KiB"), Ok(1));
    }

    #[test]
    fn units_are_case_sensitive_and_the_error_names_the_unit_meant() {
        let error = parse_size("64 kib").unwrap_err();
        assert_eq!(
            error,
            SizeError::UnknownUnit {
                unit: "kib".to_owned(),
                text: "64 kib".to_owned()
            }
        );
        assert!(error.to_string().contains("write `KiB`"), "{error}");
        assert!(parse_size("1 mb")
            .unwrap_err()
            .to_string()
            .contains("`MiB` (1024²) or `MB`"));
        assert!(parse_size("1 MiBs")
            .unwrap_err()
            .to_string()
            .contains("use B, KiB"));
    }

    #[test]
    fn what_is_not_a_size_says_how_to_write_one() {
        for text in [
            "", "MiB", "lots", "-1 KiB", "+1", "1.", ".5 KiB", "1.2.3", "1e3",
        ] {
            let error = parse_size(text).unwrap_err();
            assert!(
                matches!(
                    error,
                    SizeError::NotANumber { .. } | SizeError::UnknownUnit { .. }
                ),
                "{text:?}: {error:?}"
            );
        }
        assert!(parse_size("lots")
            .unwrap_err()
            .to_string()
            .contains("like \"64 KiB\""));
    }

    #[test]
    fn sizes_beyond_u64_are_out_of_range() {
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        for text in [
            "18446744073709551616",
            "17179869184 GiB",
            "1.0000000000000000001 B",
        ] {
            assert!(
                matches!(parse_size(text), Err(SizeError::OutOfRange { .. })),
                "{text}"
            );
        }
    }
}
