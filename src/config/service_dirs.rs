//! The directories systemd made for the service (`StateDirectory=` → `$STATE_DIRECTORY`,
//! `CacheDirectory=` → `$CACHE_DIRECTORY`). Under them go a relative `database` and a
//! relative `feeds_dir`, so a config saying `database = "pressfeed.db"` works unedited both
//! in a checkout (next to the config file) and under systemd (`/var/lib/pressfeed/`).
//! Absolute paths are never moved.

use std::path::{Path, PathBuf};

/// The service's state and cache directories, when systemd set them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceDirs {
    pub state: Option<PathBuf>,
    pub cache: Option<PathBuf>,
}

impl ServiceDirs {
    /// From `$STATE_DIRECTORY` and `$CACHE_DIRECTORY`.
    pub fn from_env() -> ServiceDirs {
        let var = |name| std::env::var_os(name).and_then(|v| first_dir(&v.to_string_lossy()));
        ServiceDirs {
            state: var("STATE_DIRECTORY"),
            cache: var("CACHE_DIRECTORY"),
        }
    }

    pub fn state(&self) -> Option<&Path> {
        self.state.as_deref()
    }

    pub fn cache(&self) -> Option<&Path> {
        self.cache.as_deref()
    }
}

/// systemd lists one directory per `*Directory=` entry, colon-separated; the unit names ours
/// first. Anything but an absolute path is not systemd's doing and is ignored.
fn first_dir(value: &str) -> Option<PathBuf> {
    let first = value.split(':').next()?.trim();
    let p = Path::new(first);
    p.is_absolute().then(|| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_absolute_entry_counts() {
        for (value, want) in [
            ("/var/lib/pressfeed", Some("/var/lib/pressfeed")),
            (
                "/var/lib/pressfeed:/var/lib/other",
                Some("/var/lib/pressfeed"),
            ),
            ("", None),
            ("relative/dir", None),
            (":/var/lib/pressfeed", None),
        ] {
            assert_eq!(first_dir(value), want.map(PathBuf::from), "{value:?}");
        }
    }

    const SOURCE: &str =
        "[[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://example.kz/\"]\n";

    fn settings(paths: &str, dirs: &ServiceDirs) -> (PathBuf, PathBuf) {
        let text = format!("[settings]\n{paths}\n{SOURCE}");
        let c = crate::config::Config::parse_with(&text, Path::new("/etc/pf/config.toml"), dirs)
            .expect("valid");
        (c.settings.database, c.settings.feeds_dir)
    }

    #[test]
    fn relative_paths_go_under_the_service_directories_and_absolute_ones_stay() {
        let systemd = ServiceDirs {
            state: Some("/var/lib/pressfeed".into()),
            cache: Some("/var/cache/pressfeed".into()),
        };
        let none = ServiceDirs::default();
        let cases = [
            // the shipped config's relative paths, unedited
            (
                "database = \"pressfeed.db\"\nfeeds_dir = \"feeds\"",
                &systemd,
                (
                    "/var/lib/pressfeed/pressfeed.db",
                    "/var/cache/pressfeed/feeds",
                ),
            ),
            // the defaults are relative too
            (
                "",
                &systemd,
                (
                    "/var/lib/pressfeed/pressfeed.db",
                    "/var/cache/pressfeed/feeds",
                ),
            ),
            // absolute paths are the admin's word
            (
                "database = \"/srv/p.db\"\nfeeds_dir = \"/srv/www\"",
                &systemd,
                ("/srv/p.db", "/srv/www"),
            ),
            // outside systemd: next to the config file, as before
            (
                "database = \"data/p.db\"\nfeeds_dir = \"feeds\"",
                &none,
                ("/etc/pf/data/p.db", "/etc/pf/feeds"),
            ),
        ];
        for (paths, dirs, (db, feeds)) in cases {
            assert_eq!(
                settings(paths, dirs),
                (PathBuf::from(db), PathBuf::from(feeds)),
                "{paths:?} {dirs:?}"
            );
        }
        // only one of the two set: each setting follows its own directory
        let state_only = ServiceDirs {
            state: Some("/var/lib/pressfeed".into()),
            cache: None,
        };
        assert_eq!(
            settings("", &state_only),
            (
                PathBuf::from("/var/lib/pressfeed/pressfeed.db"),
                PathBuf::from("/etc/pf/feeds")
            )
        );
    }
}
