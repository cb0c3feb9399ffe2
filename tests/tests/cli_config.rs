//! Configuration and keys: clear errors when a location is missing or wrong; `init` creates a 0600 key file and
//! refuses to overwrite; flags, environment variables and cohort.toml all work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, cohort_bin, stderr};
use std::process::Command;

fn bare() -> Command {
    let mut c = Command::new(cohort_bin());
    for v in [
        "COHORT_DATA_DIR",
        "COHORT_KEY_FILE",
        "COHORT_POLICY",
        "COHORT_CONFIG",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn missing_locations_say_how_to_give_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bare()
        .current_dir(tmp.path())
        .args(["store", "stats"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("--data-dir")
            && err.contains("COHORT_DATA_DIR")
            && err.contains("cohort.toml"),
        "{err}"
    );

    let out = bare()
        .current_dir(tmp.path())
        .args(["--data-dir", "nowhere", "store", "stats"])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("cohort init"), "{}", stderr(&out));

    let env = Env::new("default.yaml");
    let out = bare()
        .args(["--data-dir"])
        .arg(&env.data_dir)
        .args(["--key-file"])
        .arg(&env.key_file)
        .args(["consent", "show", "--email", "x@example.com"])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("no policy given"), "{}", stderr(&out));
}

#[test]
fn init_makes_a_private_key_file_and_refuses_to_overwrite() {
    let env = Env::new("default.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&env.key_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let before = std::fs::read(&env.key_file).unwrap();
    let out = env.run(&["init"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("refusing to overwrite"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&env.key_file).unwrap(), before);
    // Keys never reach stdout, stderr or the data directory.
    let keys: serde_json::Value = serde_json::from_slice(&before).unwrap();
    let secret = keys["master_keys"][0]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(cohort_tests::scan_files(&env.data_dir, &[secret.as_bytes()]).is_empty());
}

#[test]
fn a_different_key_file_is_refused_with_a_clear_error() {
    let a = Env::new("default.yaml");
    let b = Env::new("default.yaml");
    let out = bare()
        .args(["--data-dir"])
        .arg(&a.data_dir)
        .args(["--key-file"])
        .arg(&b.key_file)
        .args(["store", "stats"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("different key file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn environment_variables_and_config_file_are_honoured() {
    let env = Env::new("default.yaml");
    let out = bare()
        .env("COHORT_DATA_DIR", &env.data_dir)
        .env("COHORT_KEY_FILE", &env.key_file)
        .args(["--json", "store", "stats"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("cohort.toml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir = {:?}\nkey_file = {:?}\n",
            env.data_dir, env.key_file
        ),
    )
    .unwrap();
    let out = bare()
        .current_dir(dir.path())
        .args(["--json", "store", "stats"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    std::fs::write(&cfg, "data_dir = 3\n").unwrap();
    let out = bare()
        .current_dir(dir.path())
        .args(["store", "stats"])
        .output()
        .unwrap();
    assert!(stderr(&out).contains("cohort.toml"), "{}", stderr(&out));
}
