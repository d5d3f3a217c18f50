use super::*;
use crate::config::{environment_layer, ConfigFile};
use crate::model::Resource;
use std::path::Path;

const FILE: &str = r#"
[profile.default]
max_peak = "8 MiB"
max_allocs_per_iter = 100
iterations = 50

[profile.ci]
max_peak = "4 MiB"
memory_limit = "1 GiB"

[[profile.ci.overrides]]
filter = "parser::*"
max_peak = "2 MiB"
max_alloc_per_iter = "1 KiB"

[[profile.ci.overrides]]
filter = "*"
max_growth = "16 B"
reason = "tolerated in CI"

[[profile.ci.overrides]]
filter = "cache::*"
max_allocs_per_iter = 1000
"#;

fn config(profile: &str, env: &[(&str, &str)], command_line: &[&str]) -> Config {
    let file = ConfigFile::parse(Path::new("/ws/Leaktest.toml"), FILE).unwrap();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |name: &str| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let mut command = Layer::default();
    for argument in command_line {
        crate::config::add_budget_argument(&mut command, argument).unwrap();
    }
    Config {
        command_line: command,
        environment: environment_layer(&lookup).unwrap(),
        profile: file.profile(profile, "test").unwrap(),
    }
}

fn test(name: &str) -> TestIdentity<'_> {
    TestIdentity {
        package: Some("pkg"),
        name,
    }
}

/// `(limit, source)` of `budget`.
fn budget_of(resolved: &Resolved, budget: Budget) -> Option<(u64, String)> {
    resolved
        .budgets
        .iter()
        .find(|b| b.budget == budget)
        .map(|b| (b.limit, b.source.to_string()))
}

fn attribute(budgets: &[(Budget, u64)]) -> AttributeSettings {
    AttributeSettings::new(None, None, budgets.iter().copied())
}

#[test]
fn each_layer_beats_the_ones_below_it() {
    let peak = |config: &Config, attribute: &AttributeSettings, name: &str| {
        budget_of(
            &config.resolve(test(name), attribute).unwrap(),
            Budget::Peak,
        )
    };
    let none = attribute(&[]);
    let with_attribute = attribute(&[(Budget::Peak, 3 << 20)]);

    // Built-in default: no peak budget at all.
    let empty = Config::default();
    assert_eq!(peak(&empty, &none, "x"), None);
    // Profile (inherited from default) beats the default.
    let default = config("default", &[], &[]);
    assert_eq!(
        peak(&default, &none, "x"),
        Some((8 << 20, "[Leaktest.toml profile.default]".to_owned()))
    );
    // The selected profile beats the one it inherits from.
    let ci = config("ci", &[], &[]);
    assert_eq!(
        peak(&ci, &none, "x"),
        Some((4 << 20, "[Leaktest.toml profile.ci]".to_owned()))
    );
    // The attribute beats the profile.
    assert_eq!(
        peak(&ci, &with_attribute, "x"),
        Some((3 << 20, "[attribute]".to_owned()))
    );
    // A matching override beats the attribute.
    assert_eq!(
        peak(&ci, &with_attribute, "parser::header"),
        Some((
            2 << 20,
            "[Leaktest.toml profile.ci override \"parser::*\"]".to_owned()
        ))
    );
    // The environment beats the override.
    let env = config("ci", &[("LEAKTEST_MAX_PEAK", "1 MiB")], &[]);
    assert_eq!(
        peak(&env, &with_attribute, "parser::header"),
        Some((1 << 20, "[environment LEAKTEST_MAX_PEAK]".to_owned()))
    );
    // The command line beats the environment.
    let cli = config(
        "ci",
        &[("LEAKTEST_MAX_PEAK", "1 MiB")],
        &["max_peak=512KiB"],
    );
    assert_eq!(
        peak(&cli, &with_attribute, "parser::header"),
        Some((
            512 << 10,
            "[command line --budget max_peak=512KiB]".to_owned()
        ))
    );
}

#[test]
fn growth_budgets_default_to_zero_for_every_resource() {
    let resolved = Config::default()
        .resolve(test("x"), &attribute(&[]))
        .unwrap();
    let growth: Vec<(String, u64)> = resolved
        .budgets
        .iter()
        .map(|b| (b.budget.key().to_owned(), b.limit))
        .collect();
    assert_eq!(growth.len(), Resource::ALL.len());
    assert!(growth.iter().all(|(_, limit)| *limit == 0));
    assert!(resolved
        .budgets
        .iter()
        .all(|b| b.source == ConfigSource::Default));
}

#[test]
fn the_first_matching_override_wins_alone() {
    let ci = config("ci", &[], &[]);
    let parser = ci.resolve(test("parser::x"), &attribute(&[])).unwrap();
    // `parser::*` matched first: the `*` override's growth budget does not apply.
    assert_eq!(
        budget_of(&parser, Budget::Growth(Resource::HeapBytes)),
        Some((0, "[default]".to_owned()))
    );
    assert_eq!(
        budget_of(&parser, Budget::AllocationBytesPerIteration).map(|b| b.0),
        Some(1024)
    );
    let other = ci.resolve(test("cache::lru"), &attribute(&[])).unwrap();
    assert_eq!(
        budget_of(&other, Budget::Growth(Resource::HeapBytes)).map(|b| b.0),
        Some(16),
        "`*` comes before `cache::*`"
    );
    assert_eq!(
        budget_of(&other, Budget::AllocationsPerIteration),
        Some((100, "[Leaktest.toml profile.default]".to_owned()))
    );
}

#[test]
fn an_override_raising_a_budget_needs_a_reason() {
    let file = ConfigFile::parse(
        Path::new("/ws/Leaktest.toml"),
        "[profile.default]\nmax_peak = \"1 MiB\"\n\n[[profile.default.overrides]]\nfilter = \"big::*\"\nmax_peak = \"2 MiB\"\n",
    )
    .unwrap();
    let config = Config {
        profile: file.profile("default", "the default").unwrap(),
        ..Config::default()
    };
    let error = config
        .resolve(test("big::one"), &attribute(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("/ws/Leaktest.toml:5:1: override \"big::*\" of profile.default raises `max_peak` of test `big::one` from 1.0 MiB (1,048,576 B) [Leaktest.toml profile.default] to 2.0 MiB (2,097,152 B) without a reason"),
        "{error}"
    );
    // Raising the attribute's budget is loosening too.
    let tight = attribute(&[(Budget::Peak, 1024)]);
    assert!(config.resolve(test("big::one"), &tight).is_err());
    // Lowering it is not, and neither is a limit where there was none.
    let loose = attribute(&[(Budget::Peak, 4 << 20)]);
    assert!(config.resolve(test("big::one"), &loose).is_ok());
    // Tests the override does not match are not concerned.
    assert!(config.resolve(test("small::one"), &attribute(&[])).is_ok());
}

#[test]
fn iterations_and_timeout_follow_the_same_precedence() {
    let ci = config("ci", &[], &[]);
    let from_profile = ci.resolve(test("x"), &attribute(&[])).unwrap();
    assert_eq!(from_profile.iterations_override(), Some(50));
    let own = AttributeSettings::new(Some(200), Some(5_000), []);
    let from_attribute = ci.resolve(test("x"), &own).unwrap();
    assert_eq!(
        from_attribute.iterations_override(),
        None,
        "the child applies its attribute itself"
    );
    assert_eq!(from_attribute.iterations.map(|i| i.value), Some(200));
    assert_eq!(from_attribute.timeout_ms.value, 5_000);
    let env = config(
        "ci",
        &[("LEAKTEST_ITERATIONS", "30"), ("LEAKTEST_TIMEOUT", "2m")],
        &[],
    );
    let from_env = env.resolve(test("x"), &own).unwrap();
    assert_eq!(from_env.iterations_override(), Some(30));
    assert_eq!(from_env.timeout(), Duration::from_secs(120));
    let default = Config::default()
        .resolve(test("x"), &attribute(&[]))
        .unwrap();
    assert_eq!(default.timeout_ms.value, DEFAULT_TIMEOUT_MS);
    assert_eq!(default.iterations, None);
}

#[test]
fn the_memory_limit_resolves_like_every_setting() {
    let attribute =
        AttributeSettings::default().with_memory_limit_and_warmup(Some(512 << 20), None);
    let none = AttributeSettings::default();
    let limit = |resolved: &Resolved| {
        (
            resolved.memory_limit_bytes.value,
            resolved.memory_limit_bytes.source.to_string(),
        )
    };
    let default = config("default", &[], &[])
        .resolve(test("a"), &none)
        .unwrap();
    assert_eq!(limit(&default), (2 << 30, "[default]".to_owned()));
    assert_eq!(
        default.memory_limit_override(),
        None,
        "the child applies the default"
    );
    let profile = config("ci", &[], &[]).resolve(test("a"), &none).unwrap();
    assert_eq!(limit(&profile).0, 1 << 30);
    assert_eq!(profile.memory_limit_override(), Some(1 << 30));
    let own = config("ci", &[], &[])
        .resolve(test("a"), &attribute)
        .unwrap();
    assert_eq!(
        limit(&own),
        (512 << 20, "[attribute]".to_owned()),
        "above the profile"
    );
    assert_eq!(
        own.memory_limit_override(),
        None,
        "the child applies its attribute"
    );
    let env = config("ci", &[("LEAKTEST_MEMORY_LIMIT", "3 GiB")], &[])
        .resolve(test("a"), &attribute)
        .unwrap();
    assert_eq!(
        limit(&env),
        (3 << 30, "[environment LEAKTEST_MEMORY_LIMIT]".to_owned())
    );
    assert_eq!(env.memory_limit_override(), Some(3 << 30));
}

#[test]
fn the_confirmation_window_resolves_like_every_setting() {
    let none = AttributeSettings::default();
    let own = AttributeSettings::default().with_confirm_ms(Some(5_000));
    let default = Config::default().resolve(test("x"), &none).unwrap();
    assert_eq!(default.confirm_ms.value, DEFAULT_CONFIRM_MS);
    assert_eq!(
        default.confirm_override(),
        None,
        "the child applies the default"
    );
    let from_attribute = Config::default().resolve(test("x"), &own).unwrap();
    assert_eq!(from_attribute.confirm_ms.value, 5_000);
    assert_eq!(from_attribute.confirm_override(), None);
    let env = config("default", &[("LEAKTEST_CONFIRM", "0s")], &[]);
    let from_env = env.resolve(test("x"), &own).unwrap();
    assert_eq!(
        from_env.confirm_override(),
        Some(0),
        "off, above the attribute"
    );
    assert_eq!(
        from_env.confirm_ms.source.to_string(),
        "[environment LEAKTEST_CONFIRM]"
    );
    let mut layer = Layer::default();
    let error = layer
        .set_from_text("confirm", "soon", ConfigSource::Default)
        .unwrap_err();
    assert!(error.contains("`0s` turns the wait off"), "{error}");
}
