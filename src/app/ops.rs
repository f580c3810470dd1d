//! The maintenance commands: `backup` (a consistent copy of the live database) and `prune`
//! (apply each source's retention now).

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::exit::Exit;
use super::lock::SourceLock;
use crate::config::Config;
use crate::pipeline::prune_source;
use crate::store::Store;

/// `backup PATH`: safe while the daemon or a refresh writes (see `store::backup`).
pub(super) fn backup(config: &Config, target: &Path, force: bool) -> Exit {
    match crate::store::backup(&config.settings.database, target, force) {
        Ok(r) => {
            println!(
                "{}: backup of {} written ({} bytes, integrity check ok)",
                r.path.display(),
                config.settings.database.display(),
                r.bytes
            );
            Exit::Ok
        }
        Err(e) => {
            eprintln!("pressfeed: {e}");
            Exit::Runtime
        }
    }
}

/// `prune`: each selected source's retention applied now, under the source's run lock.
pub(super) fn prune(config: &Config, ids: &[String]) -> Exit {
    let selected = match config.select(ids) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let store = match Store::open(&config.settings.database) {
        Ok(s) => Arc::new(Mutex::new(s)),
        Err(e) => {
            eprintln!("pressfeed: {e}");
            return Exit::Runtime;
        }
    };
    let mut exit = Exit::Ok;
    for source in selected {
        if source.retention.keeps_everything() {
            println!(
                "{}: keeps everything (no keep_days or keep_items)",
                source.id
            );
            continue;
        }
        // A prune must not interleave with a run of the source (its feed is being rendered).
        let _lock = match SourceLock::acquire(&config.settings.database, &source.id) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                exit = Exit::SourceFailed;
                continue;
            }
        };
        match prune_source(source, &store, chrono::Utc::now()) {
            Ok(p) => println!("{}: {} pruned, {} kept", source.id, p.pruned, p.kept),
            Err(e) => {
                eprintln!("pressfeed: {}: {e}", source.id);
                exit = Exit::SourceFailed;
            }
        }
    }
    exit
}
