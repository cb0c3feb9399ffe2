//! Syntax of the names a manifest uses: plugin ids, publisher names, data names, segment ids and versions.
//!
//! The patterns match the policy schema (`schemas/policy.schema.json`, `$defs/plugin_name` and `$defs/name`) and
//! the canonical record schema, so that every name a manifest declares can also be written in a policy or a record.

/// Longest plugin id or publisher name; the policy schema's `$defs/plugin_name` allows 64 characters.
const MAX_PLUGIN_NAME_CHARS: usize = 64;
/// Longest attribute, event type or purpose name; the policy schema's `$defs/name` allows 64 characters.
const MAX_DATA_NAME_CHARS: usize = 64;
/// Longest identifier kind; the canonical record schema allows 32 characters for identifier kinds.
const MAX_IDENTIFIER_KIND_CHARS: usize = 32;
/// Longest segment id; segment ids are written in policies, audit entries and exports like other names.
const MAX_SEGMENT_ID_CHARS: usize = 64;
/// Longest version string. SemVer sets no limit; 64 characters hold any sensible pre-release and build suffix.
const MAX_VERSION_CHARS: usize = 64;

/// Checks `[a-z][a-z0-9-]*` of at most [`MAX_PLUGIN_NAME_CHARS`]; the error completes "... must be".
pub(crate) fn check_plugin_name(name: &str) -> Result<(), String> {
    check_pattern(name, MAX_PLUGIN_NAME_CHARS, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    })
    .map_err(|why| format!("lower-case letters, digits and `-`, starting with a letter ({why})"))
}

/// Checks a snake_case attribute, event type or purpose name.
pub(crate) fn check_data_name(name: &str) -> Result<(), String> {
    check_snake(name, MAX_DATA_NAME_CHARS)
}

/// Checks a snake_case identifier kind.
pub(crate) fn check_identifier_kind(name: &str) -> Result<(), String> {
    check_snake(name, MAX_IDENTIFIER_KIND_CHARS)
}

/// Checks a segment id: `[a-z][a-z0-9_-]*`.
pub(crate) fn check_segment_id(id: &str) -> Result<(), String> {
    check_pattern(id, MAX_SEGMENT_ID_CHARS, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
    })
    .map_err(|why| {
        format!("lower-case letters, digits, `_` and `-`, starting with a letter ({why})")
    })
}

fn check_snake(name: &str, max: usize) -> Result<(), String> {
    check_pattern(name, max, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
    })
    .map_err(|why| {
        format!("snake_case: lower-case letters, digits and `_`, starting with a letter ({why})")
    })
}

/// Checks a name whose first character is a lower-case ASCII letter and whose others satisfy `rest`.
fn check_pattern(name: &str, max: usize, rest: impl Fn(char) -> bool) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("it is empty".to_owned());
    };
    if !first.is_ascii_lowercase() {
        return Err(format!("it starts with {first:?}"));
    }
    if let Some(bad) = name.chars().find(|c| !rest(*c)) {
        return Err(format!("it contains {bad:?}"));
    }
    let len = name.chars().count();
    if len > max {
        return Err(format!("it has {len} characters, more than {max}"));
    }
    Ok(())
}

/// Checks a SemVer 2.0.0 version (`1.2.3`, `1.2.3-rc.1`, `1.2.3+build.5`); the error says what is wrong.
pub(crate) fn check_semver(version: &str) -> Result<(), String> {
    const EXPECTED: &str = "a SemVer version such as `0.1.0` or `1.2.0-rc.1`";
    if version.len() > MAX_VERSION_CHARS {
        return Err(format!(
            "must be {EXPECTED} of at most {MAX_VERSION_CHARS} characters"
        ));
    }
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 {
        return Err(format!(
            "must be {EXPECTED}: it needs exactly three numbers MAJOR.MINOR.PATCH"
        ));
    }
    for number in numbers {
        check_numeric(number).map_err(|why| format!("must be {EXPECTED}: {why}"))?;
    }
    if let Some(pre) = pre {
        for part in pre.split('.') {
            check_identifier(part)
                .map_err(|why| format!("must be {EXPECTED}: pre-release part `{part}` {why}"))?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                check_numeric(part).map_err(|why| format!("must be {EXPECTED}: {why}"))?;
            }
        }
    }
    if let Some(build) = build {
        for part in build.split('.') {
            check_identifier(part)
                .map_err(|why| format!("must be {EXPECTED}: build part `{part}` {why}"))?;
        }
    }
    Ok(())
}

/// A numeric SemVer field: ASCII digits without a leading zero.
fn check_numeric(number: &str) -> Result<(), String> {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{number}` is not a number"));
    }
    if number.len() > 1 && number.starts_with('0') {
        return Err(format!("`{number}` has a leading zero"));
    }
    Ok(())
}

/// A pre-release or build identifier: non-empty ASCII alphanumerics and `-`.
fn check_identifier(part: &str) -> Result<(), &'static str> {
    if part.is_empty() {
        return Err("is empty");
    }
    if !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("may hold only ASCII letters, digits and `-`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_accepts_the_grammar_and_refuses_the_rest() {
        for good in [
            "0.1.0",
            "1.0.0",
            "10.20.30",
            "1.2.3-rc.1",
            "1.2.3-alpha-beta.0",
            "1.2.3+build.5",
            "1.2.3-rc.1+sha.abc-1",
            "1.0.0-0a",
        ] {
            assert_eq!(check_semver(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3-rc..1",
            "1.2.3-01",
            "1.2.3+",
            "v1.2.3",
            "1.2.3-rc_1",
            "1.2.x",
            " 1.2.3",
        ] {
            assert!(check_semver(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn plugin_names_follow_the_policy_pattern() {
        assert_eq!(check_plugin_name("churn-risk"), Ok(()));
        assert_eq!(check_plugin_name("a1"), Ok(()));
        for bad in ["", "1abc", "Rfm", "rfm_x", "-rfm", "rfm!", &"a".repeat(65)] {
            assert!(check_plugin_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn data_names_are_snake_case() {
        assert_eq!(check_data_name("order_completed"), Ok(()));
        assert!(check_data_name("order-completed").is_err());
        assert!(check_identifier_kind(&"a".repeat(33)).is_err());
        assert_eq!(check_identifier_kind(&"a".repeat(32)), Ok(()));
        assert_eq!(check_segment_id("at-risk"), Ok(()));
        assert_eq!(check_segment_id("at_risk"), Ok(()));
        assert!(check_segment_id("At risk").is_err());
    }
}
