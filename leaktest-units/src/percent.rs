//! Percentages: `"10%"`, `"2.5%"`, or a bare `10`.

/// A text that is not a percentage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a percentage: write a number of percent that is not negative, like \"10%\", \"2.5%\" or \"0%\"")]
pub struct PercentError {
    /// The text as given.
    pub text: String,
}

/// Parses a percentage that is not negative: `"10%"`, `"2.5%"`, or a bare `"10"`.
///
/// ```
/// use leaktest_units::parse_percent;
///
/// assert_eq!(parse_percent("2.5%"), Ok(2.5));
/// assert!(parse_percent("-5%").is_err());
/// ```
pub fn parse_percent(text: &str) -> Result<f64, PercentError> {
    let number = text.trim();
    let number = number.strip_suffix('%').unwrap_or(number).trim_end();
    match number.parse::<f64>() {
        Ok(percent) if percent.is_finite() && percent >= 0.0 && !number.starts_with('+') => {
            Ok(percent)
        }
        _ => Err(PercentError {
            text: text.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_take_an_optional_sign() {
        assert_eq!(parse_percent("10%"), Ok(10.0));
        assert_eq!(parse_percent("2.5"), Ok(2.5));
        assert_eq!(parse_percent("0%"), Ok(0.0));
        assert_eq!(parse_percent(" 15 % "), Ok(15.0));
        for bad in ["-5%", "ten", "", "%", "10%%", "inf", "NaN"] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
    }
}
