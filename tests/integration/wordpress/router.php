<?php
/*
 * Router for `php -S 127.0.0.1:PORT router.php`, copied by wpserver.py into the site's folder D.
 *
 * D/wp is the document root: copies of WordPress's top-level scripts (index.php, wp-load.php,
 * xmlrpc.php, wp-cron.php, ...), links to Debian's wp-admin/ and wp-includes/, and the site's own
 * wp-config.php and wp-content/. Debian's own wp-config.php cannot be pointed at a file outside
 * /etc/wordpress ($_SERVER['WORDPRESS_CONFIG'] is only a name there, looked up as
 * /etc/wordpress/config-NAME.php), so it is not used: the copied wp-load.php finds ABSPATH (its
 * own folder, D/wp/) and loads D/wp/wp-config.php. Scripts under wp-admin/ live in Debian's
 * folder and would load Debian's wp-load.php with ABSPATH /usr/share/wordpress/, so for them ABSPATH
 * is defined here first.
 *
 * Static files (wp-includes, wp-admin, the theme, uploads) are served by php -S itself; PHP scripts
 * are run from here; every other path goes to index.php (pretty permalinks, /wp-json/...).
 */

function desktop_blog_route(): ?array
{
    $root = __DIR__ . '/wp';
    $path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH));
    if ($path === '' || $path[0] !== '/') {
        $path = '/' . $path;
    }
    if (strpos($path, "\0") !== false || preg_match('#(^|/)\.\.(/|$)#', $path)) {
        return ['/index.php', $root . '/index.php'];
    }
    $file = $root . $path;
    if (is_dir($file)) {
        $index = rtrim($path, '/') . '/index.php';
        if (is_file($root . $index)) {
            return [$index, $root . $index];
        }
    } elseif (is_file($file)) {
        if (substr($file, -4) !== '.php') {
            return null; // a static file: php -S serves it
        }
        return [$path, $file];
    }
    return ['/index.php', $root . '/index.php'];
}

$desktop_blog_route = desktop_blog_route();
if ($desktop_blog_route === null) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = $desktop_blog_route[0];
$_SERVER['PHP_SELF'] = $desktop_blog_route[0];
$_SERVER['SCRIPT_FILENAME'] = $desktop_blog_route[1];
unset($desktop_blog_route);
if (dirname(realpath($_SERVER['SCRIPT_FILENAME'])) !== realpath(__DIR__ . '/wp')) {
    define('ABSPATH', __DIR__ . '/wp/');
}
chdir(dirname($_SERVER['SCRIPT_FILENAME']));
require $_SERVER['SCRIPT_FILENAME'];
