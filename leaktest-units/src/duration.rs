//! Durations as the attribute writes them: `"200ms"`, `"30s"`, `"2m"`.

/// Parses `"<int>ms"`, `"<int>s"` or `"<int>m"` into milliseconds; `None` when
/// the text has another form (spaces, decimals, signs, other units) or
/// overflows.
///
/// ```
/// use leaktest_units::parse_duration_ms;
///
/// assert_eq!(parse_duration_ms("200ms"), Some(200));
/// assert_eq!(parse_duration_ms("2m"), Some(120_000));
/// assert_eq!(parse_duration_ms("1.5s"), None);
/// ```
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let (number, ms_per_unit) = if let Some(number) = text.strip_suffix("ms") {
        (number, 1)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1_000)
    } else if let Some(number) = text.strip_suffix('m') {
        (number, 60_000)
    } else {
        return None;
    };
    if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    number.parse::<u64>().ok()?.checked_mul(ms_per_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_ms_s_or_m() {
        assert_eq!(parse_duration_ms("200ms"), Some(200));
        assert_eq!(parse_duration_ms("30s"), Some(30_000));
        assert_eq!(parse_duration_ms("2m"), Some(120_000));
        assert_eq!(parse_duration_ms("0ms"), Some(0));
    }

    #[test]
    fn durations_reject_other_forms() {
        for text in [
            "", "30", "s", "ms", "1.5s", " 30s", "30 s", "-1s", "+1s", "30h", "30sec", "1e3ms",
        ] {
            assert_eq!(parse_duration_ms(text), None, "{text:?}");
        }
    }

    #[test]
    fn durations_reject_overflow() {
        assert_eq!(parse_duration_ms("18446744073709551615ms"), Some(u64::MAX));
        assert_eq!(parse_duration_ms("18446744073709551615s"), None);
        assert_eq!(parse_duration_ms("99999999999999999999ms"), None);
    }
}
