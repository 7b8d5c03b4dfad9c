//! Hostile config files through the real binary: each must exit with the
//! `config` code (2), name the offending key, echo no secret, and create no
//! state and no sink file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const SECRET: &str = "CFG-SECRET-7f3a9c";

#[test]
fn mistyped_config_files_exit_2_naming_the_key_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let sink = dir.path().join("events.ndjson");
    let head = format!(
        "state = {state:?}\n[tenant]\ndomain = \"acme.auth0.com\"\nclient_id = \"cli\"\nclient_secret = \"{SECRET}\"\n[sink]\nurl = \"file:{}\"\n",
        sink.display()
    );
    let cases = [
        (
            "[sync]\nretention_days = \"thirty\"\n",
            "sync.retention_days",
        ),
        ("[sync]\nretention_days = -3\n", "sync.retention_days"),
        ("[sync]\ninclude_types = \"s,f\"\n", "sync.include_types"),
        ("[sync]\nexclude_types = [1]\n", "sync.exclude_types[0]"),
        ("[sync]\nstart = 2026-11-01T00:00:00Z\n", "sync.start"),
        ("[sync]\nevery = 300\n", "sync.every"),
        ("[sync]\nsurprise = true\n", "sync.surprise"),
        ("[sink2]\nurl = \"x\"\n", "sink2"),
    ];
    for (tail, field) in cases {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, format!("{head}{tail}")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_auth0-audit"))
            .args(["sync", "--config"])
            .arg(&path)
            .env_remove("AUTH0_DOMAIN")
            .env_remove("AUTH0_CLIENT_ID")
            .env_remove("AUTH0_CLIENT_SECRET")
            .env_remove("AUTH0_TOKEN")
            .env_remove("AUTH0_AUDIT_STATE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{field}: {stderr}");
        assert!(stderr.contains(field), "{field} not named: {stderr}");
        assert!(
            !stderr.contains(SECRET) && !stdout.contains(SECRET),
            "{field}: the secret was printed"
        );
        assert!(!state.exists(), "{field}: a state file was created");
        assert!(!sink.exists(), "{field}: a sink file was created");
    }
    // Wrong types of keys the file allows in other tables, and a broken file.
    for (text, field) in [
        (format!("{head}[tenant2]\n"), "tenant2"),
        ("[tenant]\ndomain = 42\n".to_string(), "tenant.domain"),
        ("[tenant\n".to_string(), "config file"),
    ] {
        let path = dir.path().join("broken.toml");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_auth0-audit"))
            .args(["sync", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{field}: {stderr}");
        assert!(stderr.contains(field), "{field} not named: {stderr}");
        assert!(!stderr.contains(SECRET), "{field}: the secret was printed");
    }
}
