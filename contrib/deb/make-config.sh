#!/bin/sh
# Writes contrib/deb/config.toml, the /etc/pressfeed/config.toml of the Debian package: the
# shipped config.toml with absolute paths into the package's directories, so commands run
# by hand as the service user (sudo -u pressfeed pressfeed …) use the service's state too.
# tests/it/service.rs fails when the two files drift apart; rerun this after editing
# config.toml.
set -eu
cd "$(dirname "$0")/../.."
sed -e 's|^database = "pressfeed.db"$|database = "/var/lib/pressfeed/pressfeed.db"|' \
    -e 's|^feeds_dir = "feeds"$|feeds_dir = "/var/cache/pressfeed/feeds"|' \
    -e 's|^# Check it with:   pressfeed check --config config.toml$|# Check it with:   sudo -u pressfeed pressfeed check --config /etc/pressfeed/config.toml|' \
    config.toml > contrib/deb/config.toml
