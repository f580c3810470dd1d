//! `backup`: what it writes, what it refuses, and that a refusal leaves nothing behind.

use chrono::TimeZone;

use super::*;

fn live_store(dir: &Path) -> (PathBuf, Store) {
    let db = dir.join("live.db");
    let s = Store::open(&db).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    s.record_run("gov", t, None, 7).unwrap();
    (db, s)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn backup_is_a_checked_self_contained_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _live) = live_store(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let target = out.join("copy.db");
    let r = backup(&db, &target, false).unwrap();
    assert_eq!(r.path, target);
    assert_eq!(r.bytes, std::fs::metadata(&target).unwrap().len());
    // One file: no journal, no temp file left beside it.
    assert_eq!(files_in(&out), ["copy.db"]);
    let copy = Store::open(&target).unwrap();
    assert_eq!(copy.source_state("gov").unwrap().items_found, 7);
}

#[test]
fn backup_refuses_to_replace_a_file_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _live) = live_store(dir.path());
    let target = dir.path().join("copy.db");
    std::fs::write(&target, "precious").unwrap();
    let e = backup(&db, &target, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "backup: {} already exists; pass --force to replace it",
            target.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    backup(&db, &target, true).unwrap();
    assert_eq!(
        Store::open(&target)
            .unwrap()
            .source_state("gov")
            .unwrap()
            .items_found,
        7
    );
}

#[test]
fn backup_into_a_folder_gets_a_time_stamped_name() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _live) = live_store(dir.path());
    let out = dir.path().join("backups");
    std::fs::create_dir(&out).unwrap();
    let r = backup(&db, &out, false).unwrap();
    let name = r.path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("pressfeed-")
            && name.ends_with("Z.db")
            && name.len() == "pressfeed-20260101T000000Z.db".len(),
        "{name}"
    );
    assert_eq!(files_in(&out), [name]);
}

#[test]
fn backup_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    assert_eq!(
        backup(&missing, &dir.path().join("x.db"), false)
            .unwrap_err()
            .to_string(),
        format!(
            "backup: no database at {} (settings.database)",
            missing.display()
        )
    );
    let (db, _live) = live_store(dir.path());
    assert!(matches!(
        backup(&db, &db, true),
        Err(BackupError::SameFile { .. })
    ));
    let e = backup(&db, &dir.path().join("no/such/dir/x.db"), false).unwrap_err();
    assert!(matches!(e, BackupError::Sqlite { .. }), "{e}");
    assert!(!dir.path().join("no").exists());
}
