//! Commands run as root on state another user owns are refused.
//!
//! `sudo pressfeed refresh` on the service's configuration would create root-owned lock files
//! (0644) and feed files in directories the `pressfeed` user owns; the service can then no
//! longer lock or rewrite them and its runs of those sources fail, long after the command
//! that caused it. Chowning everything we create would have to cover every file any layer
//! writes, now and later; refusing up front, with the command that works, cannot miss one.
//! (SQLite itself already gives its journal and WAL files the database owner's uid when
//! running as root, so read-only commands such as `status` stay allowed.)

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::exit::Exit;
use super::lock::lock_path;
use crate::config::Config;

/// A path of the state and the uid owning it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub path: PathBuf,
    pub uid: u32,
}

/// The first of `owned` that belongs to someone else when we run as root (`euid` 0).
pub fn foreign(euid: u32, owned: &[Owned]) -> Option<&Owned> {
    if euid != 0 {
        return None;
    }
    owned.iter().find(|o| o.uid != 0)
}

/// The state a writing command touches and who owns each part that exists: the database,
/// its folder, its lock folder and the feeds folder.
fn state_owners(config: &Config) -> Vec<Owned> {
    let db = &config.settings.database;
    let mut paths = vec![db.clone()];
    // the folder holding every source's lock file
    paths.extend(lock_path(db, "any").parent().map(Path::to_path_buf));
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        paths.push(dir.to_path_buf());
    }
    paths.push(config.settings.feeds_dir.clone());
    paths
        .into_iter()
        .filter_map(|path| {
            let uid = std::fs::metadata(&path).ok()?.uid();
            Some(Owned { path, uid })
        })
        .collect()
}

/// Refuses (exit 64) a writing `command` run as root on state another user owns, saying
/// what to run instead.
pub(super) fn guard(config: &Config, command: &str) -> Result<(), Exit> {
    let owned = state_owners(config);
    let Some(o) = foreign(rustix::process::geteuid().as_raw(), &owned) else {
        return Ok(());
    };
    let user = user_name(o.uid).unwrap_or_else(|| format!("#{}", o.uid));
    eprintln!(
        "pressfeed: refusing to run `{command}` as root: {} belongs to {user}, and files \
         created as root (lock files, feeds) would lock {user}'s service out of them.\n\
         Run it as that user:  sudo -u {user} pressfeed --config {} {command} …\n\
         or through systemd:   systemctl start pressfeed-refresh",
        o.path.display(),
        config.path.display(),
    );
    Err(Exit::Usage)
}

/// The name of `uid` in /etc/passwd (enough for system users, which live there).
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string(Path::new("/etc/passwd")).ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(path: &str, uid: u32) -> Owned {
        Owned {
            path: path.into(),
            uid,
        }
    }

    #[test]
    fn only_root_on_someone_elses_state_is_refused() {
        let service = [
            owned("/var/lib/pressfeed/pressfeed.db", 998),
            owned("/var/lib/pressfeed", 998),
        ];
        let roots = [owned("/root/pressfeed.db", 0)];
        let mixed = [owned("/srv/p.db", 0), owned("/srv/feeds", 33)];
        assert_eq!(foreign(0, &service), Some(&service[0]));
        assert_eq!(foreign(0, &mixed), Some(&mixed[1]));
        assert_eq!(foreign(0, &roots), None, "root's own state");
        assert_eq!(foreign(0, &[]), None, "nothing exists yet");
        assert_eq!(foreign(998, &service), None, "the owner itself");
        assert_eq!(
            foreign(1000, &service),
            None,
            "another user: the OS refuses what it may not do, with its own error"
        );
    }

    #[test]
    fn root_is_named_from_the_password_file() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
    }
}
