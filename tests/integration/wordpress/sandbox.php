<?php
/*
 * Plugin Name: Desktop Blog test sandbox
 * Description: Must-use plugin of the test WordPress: no HTTP request leaves the loopback
 *   interface (update checks, feeds, pingbacks, oEmbed are refused) and no mail is sent.
 *   Both are logged in the site's logs/ folder. Every response carries X-Desktop-Blog-Sandbox.
 */

if (!defined('ABSPATH')) {
    exit;
}

define('DESKTOP_BLOG_SANDBOX', 1);

function desktop_blog_sandbox_log(string $file, string $line): void
{
    if (defined('DESKTOP_BLOG_LOG_DIR')) {
        @file_put_contents(
            DESKTOP_BLOG_LOG_DIR . '/' . $file,
            gmdate('c') . ' ' . str_replace(["\r", "\n"], ' ', $line) . "\n",
            FILE_APPEND | LOCK_EX
        );
    }
}

function desktop_blog_sandbox_is_loopback(string $url): bool
{
    $host = strtolower(trim((string) parse_url($url, PHP_URL_HOST), '[]'));
    return $host === 'localhost' || $host === '::1'
        || (bool) preg_match('/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/', $host);
}

// Runs last, so no other filter can let a request through.
add_filter('pre_http_request', function ($pre, $args, $url) {
    if (desktop_blog_sandbox_is_loopback((string) $url)) {
        return $pre;
    }
    $shown = strtok((string) $url, '?'); // the query of an update check is long and says nothing
    desktop_blog_sandbox_log('blocked-requests.log', ($args['method'] ?? 'GET') . ' ' . $shown);
    return new WP_Error('desktop_blog_sandbox_blocked', 'The test sandbox refuses requests off loopback: ' . $url);
}, PHP_INT_MAX, 3);

// Pluggable: mu-plugins load before pluggable.php, so this replaces WordPress's wp_mail().
if (!function_exists('wp_mail')) {
    function wp_mail($to, $subject, $message, $headers = '', $attachments = array())
    {
        desktop_blog_sandbox_log('mail.log', 'to=' . implode(',', (array) $to) . ' subject=' . $subject);
        return true;
    }
}

// Nothing to update here, and nobody to ping.
add_filter('automatic_updater_disabled', '__return_true');
add_filter('pre_option_ping_sites', '__return_empty_string');
remove_action('init', 'wp_schedule_update_checks');

if (PHP_SAPI !== 'cli' && !headers_sent()) {
    header('X-Desktop-Blog-Sandbox: 1');
}
