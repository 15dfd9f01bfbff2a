#!/usr/bin/env bash
# Serve a test WordPress on loopback for the publishing tests: Debian's `wordpress` (6.1) on PHP's
# built-in server, with a MariaDB of its own (datadir and socket under var/wordpress, no TCP port).
# Installs it non-interactively on first use and writes application passwords to
# var/wordpress/credentials.json. Without the packages it says what is missing and exits 0: the
# tests that need WordPress are then skipped with the same message.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${WORDPRESS_DIR:-$here/var/wordpress}
# A port of its own per checkout, so two checkouts on one machine never share a WordPress.
port=${WORDPRESS_PORT:-$((18800 + $(printf %s "$dir" | cksum | cut -d" " -f1) % 1000))}
url="http://127.0.0.1:$port"
core=/usr/share/wordpress
missing=""
[ -f "$core/wp-settings.php" ] || missing="$missing wordpress"
command -v php >/dev/null || missing="$missing php-cli"
php -m 2>/dev/null | grep -qx mysqli || missing="$missing php-mysql"
command -v mariadbd >/dev/null || missing="$missing mariadb-server"
if [ -n "$missing" ]; then
  echo "NOTE: the test WordPress needs Debian packages that are not installed:$missing."
  echo "Install them (apt-get install wordpress php-cli php-mysql mariadb-server) to run the WordPress publishing tests; they are skipped."
  exit 0
fi

answers() { curl -fsS -m 3 -o /dev/null "$url/?rest_route=/" 2>/dev/null; }
if answers && [ -f "$dir/credentials.json" ]; then echo "WordPress is answering at $url."; exit 0; fi

mkdir -p "$dir"
socket="$dir/mysql.sock"
db_up() { [ -S "$socket" ] && mariadb --no-defaults --socket="$socket" -uroot -e "SELECT 1" >/dev/null 2>&1; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.25; done; return 1; }
if ! db_up; then
  if [ ! -d "$dir/mysql/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$dir/mysql" --auth-root-authentication-method=normal \
      --skip-test-db --user="$(id -un)" >"$dir/mariadb-install.log" 2>&1 || {
      echo "MariaDB could not be initialised; see $dir/mariadb-install.log"; exit 1; }
  fi
  setsid mariadbd --no-defaults --datadir="$dir/mysql" --socket="$socket" --skip-networking \
    --pid-file="$dir/mariadb.pid" --log-error="$dir/mariadb.log" --user="$(id -un)" \
    --innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=2 </dev/null >/dev/null 2>&1 &
  wait_for db_up || { echo "MariaDB did not start; see $dir/mariadb.log"; exit 1; }
fi
mariadb --no-defaults --socket="$socket" -uroot -e "CREATE DATABASE IF NOT EXISTS wordpress"

# A private copy of the core with a wp-config.php of our own: Debian's reads /etc/wordpress, which a
# test run must not touch. A copy, not hard links: nothing WordPress writes may reach /usr/share.
site="$dir/site"
if [ ! -f "$site/wp-settings.php" ]; then
  rm -rf "$site"
  cp -a "$core" "$site.partial" && mv "$site.partial" "$site"
fi
rm -f "$site/wp-config.php"
cat >"$site/wp-config.php" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:$socket');
define('DB_CHARSET', 'utf8mb4');
define('WP_HOME', '$url');
define('WP_SITEURL', '$url');
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('FS_METHOD', 'direct');
define('AUTH_KEY', 'igny8-test'); define('SECURE_AUTH_KEY', 'igny8-test'); define('LOGGED_IN_KEY', 'igny8-test');
define('NONCE_KEY', 'igny8-test'); define('AUTH_SALT', 'igny8-test'); define('SECURE_AUTH_SALT', 'igny8-test');
define('LOGGED_IN_SALT', 'igny8-test'); define('NONCE_SALT', 'igny8-test');
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
PHP
mkdir -p "$site/wp-content/uploads"

if ! answers; then
  PHP_CLI_SERVER_WORKERS=${WORDPRESS_WORKERS:-4} setsid php -d upload_max_filesize=32M -d post_max_size=32M \
    -d memory_limit=256M -S "127.0.0.1:$port" -t "$site" </dev/null >"$dir/php-server.log" 2>&1 &
  echo $! >"$dir/php-server.pid"
  wait_for answers || { echo "PHP's server did not answer at $url; see $dir/php-server.log"; exit 1; }
fi
WORDPRESS_URL="$url" php "$here/scripts/wordpress_install.php" "$site" "$dir/credentials.json" || {
  echo "WordPress could not be installed at $url"; exit 1; }
echo "WordPress is answering at $url."
