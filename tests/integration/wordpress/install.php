<?php
/*
 * Installs a fresh WordPress into the site's database, run by wpserver.py with php-cli:
 *     php install.php SITE_DIR   (settings as JSON on stdin)
 * Prints one line of JSON: {"user_id", "app_password"}. Exits non-zero with a message otherwise.
 */

if (PHP_SAPI !== 'cli' || $argc !== 2) {
    fwrite(STDERR, "usage: php install.php SITE_DIR < settings.json\n");
    exit(2);
}
$settings = json_decode(stream_get_contents(STDIN), true);
if (!is_array($settings)) {
    fwrite(STDERR, "install.php: settings on stdin are not JSON\n");
    exit(2);
}

define('WP_INSTALLING', true);
require $argv[1] . '/load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

function desktop_blog_install_fail(string $message): void
{
    fwrite(STDERR, "install.php: $message\n");
    exit(1);
}

if (is_blog_installed()) {
    desktop_blog_install_fail('WordPress is already installed in this database');
}
// wp_install() would try pretty permalinks by requesting a page of the site over HTTP; skip
// that (the structure is set for certain below).
$desktop_blog_permalinks = function () use ($settings) {
    return $settings['permalink_structure'];
};
add_filter('pre_option_permalink_structure', $desktop_blog_permalinks);
$result = wp_install(
    $settings['title'],
    $settings['admin_user'],
    $settings['admin_email'],
    false,
    '',
    wp_slash($settings['admin_password'])
);
remove_filter('pre_option_permalink_structure', $desktop_blog_permalinks);
// wp_install() "succeeds" without a user when the name is invalid: check the user is there.
$user = get_user_by('login', $settings['admin_user']);
if (!$user || (int) $user->ID !== (int) $result['user_id']) {
    desktop_blog_install_fail('wp_install() made no user ' . json_encode($settings['admin_user']));
}
if (!user_can($user, 'manage_options')) {
    desktop_blog_install_fail('the installed user is not an administrator');
}
if (!wp_check_password($settings['admin_password'], $user->user_pass, $user->ID)) {
    desktop_blog_install_fail('the installed user does not have the given password');
}

// Pretty permalinks, and the rewrite rules to go with them.
global $wp_rewrite;
$wp_rewrite->set_permalink_structure($settings['permalink_structure']);
flush_rewrite_rules(false);
if (get_option('permalink_structure') !== $settings['permalink_structure']) {
    desktop_blog_install_fail('the permalink structure did not stick');
}
// No pingbacks or trackbacks on publish (the sandbox refuses them anyway).
update_option('default_pingback_flag', 0);
update_option('default_ping_status', 'closed');

if (!wp_is_application_passwords_available_for_user($user)) {
    desktop_blog_install_fail('application passwords are not available (WP_ENVIRONMENT_TYPE must be local over http)');
}
$created = WP_Application_Passwords::create_new_application_password(
    $user->ID,
    array('name' => $settings['app_password_name'])
);
if (is_wp_error($created)) {
    desktop_blog_install_fail('could not create an application password: ' . $created->get_error_message());
}

echo json_encode(array('user_id' => $user->ID, 'app_password' => $created[0])), "\n";
