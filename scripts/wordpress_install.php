<?php
// Installs the test WordPress non-interactively and writes the application passwords the tests
// use: an administrator, an author (may post, may not manage terms he cannot assign) and a
// subscriber (may not create posts). Run by scripts/ensure_wordpress.sh with php-cli.
define('WP_INSTALLING', true);
$core = $argv[1];
$out = $argv[2];
$_SERVER['HTTP_HOST'] = parse_url(getenv('WORDPRESS_URL'), PHP_URL_HOST) . ':' . parse_url(getenv('WORDPRESS_URL'), PHP_URL_PORT);
require_once $core . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-includes/class-wp-application-passwords.php';

if (!is_blog_installed()) {
    wp_install('IGNY8 test site', 'admin', 'admin@example.test', false, '', wp_generate_password(24));
}
update_option('permalink_structure', '');

function igny8_user_with_app_password($login, $role) {
    $user = get_user_by('login', $login);
    $id = $user ? $user->ID : wp_insert_user([
        'user_login' => $login,
        'user_pass' => wp_generate_password(24),
        'user_email' => $login . '@example.test',
        'role' => $role,
    ]);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    if ($role !== 'administrator') {
        (new WP_User($id))->set_role($role);
    }
    WP_Application_Passwords::delete_all_application_passwords($id);
    $created = WP_Application_Passwords::create_new_application_password($id, ['name' => 'igny8-tests']);
    if (is_wp_error($created)) {
        fwrite(STDERR, $created->get_error_message() . "\n");
        exit(1);
    }
    return ['username' => $login, 'password' => $created[0]];
}

$credentials = [
    'url' => getenv('WORDPRESS_URL'),
    'admin' => igny8_user_with_app_password('admin', 'administrator'),
    'author' => igny8_user_with_app_password('writer', 'author'),
    'subscriber' => igny8_user_with_app_password('reader', 'subscriber'),
];
file_put_contents($out, json_encode($credentials, JSON_PRETTY_PRINT));
echo "WordPress is installed; application passwords are in $out\n";
