//! The checked-in schemas under `schemas/` must match the Rust types.
//! Run with `GITSM_BLESS=1` to rewrite them after changing the model.

use gitsm::model::Kind;

#[test]
fn checked_in_schemas_match_the_types() {
    let dir = crate::common::manifest_dir().join("schemas");
    let bless = std::env::var_os("GITSM_BLESS").is_some();
    let mut drift = Vec::new();
    for kind in Kind::ALL {
        let path = dir.join(kind.schema_file());
        let want = serde_json::to_string_pretty(&gitsm::schema::schema_for(kind)).unwrap() + "\n";
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &want).unwrap();
            } else {
                drift.push(kind.schema_file());
            }
        }
    }
    assert!(
        drift.is_empty(),
        "schemas/ drifted from the model: {drift:?}; run `GITSM_BLESS=1 cargo test schemas` or `gitsm schema --out schemas`"
    );
}

#[test]
fn schema_command_writes_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = crate::common::gitsm(tmp.path());
    c.args(["schema", "--out", "out"]);
    let (code, _, err) = crate::common::run(c);
    assert_eq!(code, 0, "{err}");
    for kind in Kind::ALL {
        let a = std::fs::read_to_string(tmp.path().join("out").join(kind.schema_file())).unwrap();
        let b = std::fs::read_to_string(
            crate::common::manifest_dir()
                .join("schemas")
                .join(kind.schema_file()),
        )
        .unwrap();
        assert_eq!(a, b, "{}", kind.schema_file());
    }
}
