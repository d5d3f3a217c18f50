use super::*;
use crate::model::Resource;

fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
    ConfigFile::parse(Path::new("/ws/Leaktest.toml"), text)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const EXAMPLE: &str = r#"
[profile.default]
iterations = 100
timeout = "90s"
max_peak = "64 MiB"
max_fds_growth = 0
junit = "target/junit.xml"
baseline_tolerance = "5%"
baseline_tolerance_bytes = "1 MB"

[[profile.default.overrides]]
filter = "parser::*"
max_growth = "16 B"
reason = "the interner grows until 1k entries"

[profile.ci]
iterations = 500
max_alloc_per_iter = "4 KiB"
baseline_tolerance_count = 0

[[profile.ci.overrides]]
filter = "net::*"
package = "server"
timeout = "5m"

[profile.nightly]
inherits = "ci"
max_peak = "1 GiB"
"#;

#[test]
fn a_profile_inherits_default_unless_it_says_otherwise() {
    let file = parse(EXAMPLE).unwrap();
    let ci = file.profile("ci", "--profile ci").unwrap();
    assert_eq!(ci.layer.iterations.as_ref().map(|i| i.value), Some(500));
    assert_eq!(ci.layer.timeout_ms.as_ref().map(|t| t.value), Some(90_000));
    let peak = &ci.layer.budgets[&Budget::Peak];
    assert_eq!(peak.value, 64 << 20);
    assert_eq!(peak.source.to_string(), "[Leaktest.toml profile.default]");
    assert_eq!(
        ci.layer.budgets[&Budget::AllocationBytesPerIteration]
            .source
            .to_string(),
        "[Leaktest.toml profile.ci]"
    );
    let filters: Vec<&str> = ci.overrides.iter().map(|o| o.filter.as_str()).collect();
    assert_eq!(filters, ["net::*", "parser::*"], "own overrides first");
    assert_eq!(ci.run.junit, Some(PathBuf::from("/ws/target/junit.xml")));
    assert_eq!(ci.run.baseline_tolerance_percent, Some(5.0));
    assert_eq!(ci.run.baseline_tolerance_bytes, Some(1_000_000));
    assert_eq!(ci.run.baseline_tolerance_count_percent, Some(0.0));

    let nightly = file.profile("nightly", "--profile nightly").unwrap();
    assert_eq!(nightly.layer.budgets[&Budget::Peak].value, 1 << 30);
    assert_eq!(
        nightly.layer.iterations.as_ref().map(|i| i.value),
        Some(500)
    );
    assert_eq!(nightly.overrides.len(), 2);

    let default = file.profile("default", "the default").unwrap();
    assert!(!default
        .layer
        .budgets
        .contains_key(&Budget::AllocationBytesPerIteration));
    let parser = &default.overrides[0];
    assert!(parser.matches(None, "parser::x"));
    assert_eq!(parser.location.line, 12);
    assert_eq!(
        parser.layer.budgets[&Budget::Growth(Resource::HeapBytes)]
            .source
            .to_string(),
        "[Leaktest.toml profile.default override \"parser::*\"]"
    );
    let net = &ci.overrides[0];
    assert!(net.matches(Some("server"), "net::echo"));
    assert!(!net.matches(Some("client"), "net::echo"));
    assert!(!net.matches(None, "net::echo"));
}

#[test]
fn the_report_directory_is_relative_to_the_file_and_inherited() {
    let file = parse(
        "[profile.default]\nreport = \"target/leaktest-report\"\n\n[profile.ci]\n\n\
         [profile.nightly]\nreport = \"/srv/reports/nightly\"\n",
    )
    .unwrap();
    let ci = file.profile("ci", "--profile ci").unwrap();
    assert_eq!(
        ci.run.report,
        Some(PathBuf::from("/ws/target/leaktest-report")),
        "relative to the file's directory, inherited from default"
    );
    let nightly = file.profile("nightly", "--profile nightly").unwrap();
    assert_eq!(
        nightly.run.report,
        Some(PathBuf::from("/srv/reports/nightly"))
    );
    assert_eq!(
        parse("")
            .unwrap()
            .profile("default", "the default")
            .unwrap()
            .run
            .report,
        None
    );

    for (text, expected) in [
        (
            "[profile.a]\nreport = 1\n",
            "/ws/Leaktest.toml:2:10: `profile.a.report`: expected a string, like `report = \"target/leaktest-report\"`",
        ),
        (
            "[profile.a]\nreport = \" \"\n",
            "/ws/Leaktest.toml:2:10: `profile.a.report`: expected the report's directory",
        ),
        (
            "[[profile.a.overrides]]\nfilter = \"x\"\nreport = \"r\"\n",
            "/ws/Leaktest.toml:3:1: `profile.a.overrides.report`: unknown key `report` in an override",
        ),
    ] {
        let error = error(text);
        assert!(error.starts_with(expected), "{text}: {error}");
    }
    let unknown = error("[profile.default]\nreprot = \"r\"\n");
    assert!(
        unknown.contains("valid keys: ") && unknown.contains(", report,"),
        "{unknown}"
    );
}

#[test]
fn an_empty_file_has_an_empty_default_profile() {
    let file = parse("").unwrap();
    assert_eq!(file.profile_names(), ["default"]);
    assert!(file
        .profile("default", "the default")
        .unwrap()
        .layer
        .is_empty());
    let error = file
        .profile("ci", "LEAKTEST_PROFILE=ci")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("profile `ci` (LEAKTEST_PROFILE=ci) is not defined in /ws/Leaktest.toml"),
        "{error}"
    );
}

#[test]
fn malformed_toml_names_file_line_and_key() {
    let error = error("[profile.default]\niterations = 100\nmax_peak = \"24 MiB\n");
    assert!(
        error.starts_with("/ws/Leaktest.toml:3:"),
        "file and line first: {error}"
    );
    assert!(error.contains("`max_peak`:"), "the key: {error}");
    assert!(
        error.contains("3 | max_peak = \"24 MiB"),
        "the line: {error}"
    );
}

#[test]
fn unknown_keys_name_file_line_key_and_the_valid_keys() {
    let error = error("[profile.default]\niterations = 100\nmax_peek = \"24 MiB\"\n");
    assert!(
        error.starts_with("/ws/Leaktest.toml:3:1: `profile.default.max_peek`: unknown key `max_peek` in [profile.default]; valid keys: inherits, overrides, iterations, timeout, memory_limit, confirm, max_peak,"),
        "{error}"
    );
    assert!(
        error.contains("3 | max_peek = \"24 MiB\"\n  | ^^^^^^^^"),
        "{error}"
    );

    let error = self::error(
        "[profile.default]\n\n[[profile.default.overrides]]\nfilter = \"a\"\njunit = \"x\"\n",
    );
    assert!(
        error.starts_with("/ws/Leaktest.toml:5:1: `profile.default.overrides.junit`: unknown key `junit` in an override"),
        "{error}"
    );
    let error = self::error("iterations = 5\n");
    assert!(
        error.starts_with("/ws/Leaktest.toml:1:1: `iterations`: unknown key: Leaktest.toml holds [profile.NAME] tables"),
        "{error}"
    );
}

#[test]
fn bad_units_name_file_line_key_and_the_unit_meant() {
    let error = error("[profile.ci]\nmax_alloc_per_iter = \"4 kib\"\n");
    assert!(
        error.starts_with("/ws/Leaktest.toml:2:22: `profile.ci.max_alloc_per_iter`: unknown unit `kib` in `4 kib`: units are case-sensitive: write `KiB`"),
        "{error}"
    );
    let error = self::error("[profile.ci]\ntimeout = \"90\"\n");
    assert!(
        error.contains("`profile.ci.timeout`: expected a duration"),
        "{error}"
    );
    let error = self::error("[profile.ci]\nbaseline_tolerance_bytes = \"64 KIB\"\n");
    assert!(
        error.contains(":2:28: `profile.ci.baseline_tolerance_bytes`"),
        "{error}"
    );
}

#[test]
fn values_of_the_wrong_type_say_what_to_write() {
    for (text, expected) in [
        (
            "[profile.a]\nmax_fds_growth = \"1\"\n",
            "expected a whole number, like `max_fds_growth = 1`, not a string",
        ),
        (
            "[profile.a]\nmax_peak = true\n",
            "expected a size string or a whole number of bytes",
        ),
        (
            "[profile.a]\ntimeout = 30\n",
            "expected a string, like `timeout = \"30s\"`",
        ),
        ("[profile.a]\niterations = 2\n", "from 4 to"),
        ("[profile.a]\nmax_peak = -5\n", "`-5` is not a size"),
        ("[profile.a]\ninherits = 1\n", "expected a string"),
        (
            "[profile.a]\noverrides = 1\n",
            "written [[profile.a.overrides]]",
        ),
        (
            "[[profile.a.overrides]]\nmax_peak = 1\n",
            "an override needs `filter = \"...\"`",
        ),
        (
            "[profile.a]\nbaseline_tolerance = \"-1%\"\n",
            "is not a percentage",
        ),
        ("profile = 1\n", "expected a table"),
    ] {
        let error = error(text);
        assert!(error.contains(expected), "{text:?}: {error}");
        assert!(error.starts_with("/ws/Leaktest.toml:"), "{error}");
    }
}

#[test]
fn inheritance_must_name_a_profile_and_not_go_in_circles() {
    let error = error("[profile.a]\ninherits = \"b\"\n");
    assert!(
        error.contains(":2:12: `profile.a.inherits`: there is no profile `b`"),
        "{error}"
    );
    let error = self::error("[profile.a]\ninherits = \"b\"\n[profile.b]\ninherits = \"a\"\n");
    assert!(error.contains("profiles inherit in a circle"), "{error}");
    let error = self::error("[profile.default]\ninherits = \"default\"\n");
    assert!(error.contains("in a circle"), "{error}");
}
