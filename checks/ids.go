package checks

// Finding IDs. They are stable: scripts and --skip-check rely on them. The
// package documentation gives an example message of each.
const (
	// IDComposerInvalid (error): composer.json, composer.lock or
	// vendor/composer/installed.json is not valid JSON, does not have
	// Composer's shape, or holds a PHP constraint or version that does not
	// parse.
	IDComposerInvalid = "composer-invalid"

	// IDExtMissing (error): a required ext-* is not in the base image, an
	// extension image provides it, and no --ext adds it.
	IDExtMissing = "ext-missing"
	// IDExtDisabled (error): a required ext-* is shipped disabled in the base
	// image and no ini file enables it.
	IDExtDisabled = "ext-disabled"
	// IDExtCLIOnly (warning): a required ext-* (pcntl, readline) is loaded
	// by the PHP CLI but not by php-fpm, and the runtime is fpm.
	IDExtCLIOnly = "ext-cli-only"
	// IDExtUnavailable (error): no image of the line provides a required
	// ext-* for this PHP version.
	IDExtUnavailable = "ext-unavailable"

	// IDBrefVersion (error): the major version of bref/bref in composer.lock
	// (or installed.json) is not the Bref line of the base image.
	IDBrefVersion = "bref-version"
	// IDBrefMissing (error): bref/bref is not installed, or only as a
	// require-dev package; every Bref runtime loads it from vendor/.
	IDBrefMissing = "bref-missing"

	// IDPHPRequire (error): the PHP version does not satisfy composer.json's
	// require.php.
	IDPHPRequire = "php-require"
	// IDPHPPlatform: the PHP version is not the series of composer.json's
	// config.platform.php, the PHP the dependencies were resolved for: an
	// error when it is older, a warning when it is newer.
	IDPHPPlatform = "php-platform"
	// IDPHPPackage (error): the PHP version does not satisfy the "php"
	// requirement of a package in composer.lock.
	IDPHPPackage = "php-package"
	// IDPHPUnsatisfiable (error): no PHP version of the line satisfies the
	// PHP requirements, so none can be chosen when --php is not given.
	IDPHPUnsatisfiable = "php-unsatisfiable"

	// IDHandlerMissing (error): the CMD handler is not a file of the app
	// layer (absent, excluded by .dockerignore, a directory, or not relative
	// to /var/task). The same ID as build.FindingHandler.
	IDHandlerMissing = "handler-missing"
	// IDHandlerNotPHP (error): the handler of the fpm or function runtime is
	// not a .php file.
	IDHandlerNotPHP = "handler-not-php"
	// IDHandlerNoReturn (error): the handler of the function runtime has no
	// return statement, so it cannot return the handler.
	IDHandlerNoReturn = "handler-no-return"

	// IDVendorMissing (error): vendor/autoload.php is not in the app
	// directory.
	IDVendorMissing = "vendor-missing"
	// IDVendorIgnored (error): vendor/autoload.php is in the app directory
	// but .dockerignore excludes it from the app layer.
	IDVendorIgnored = "vendor-ignored"

	// IDDevPackages (warning): vendor/ holds require-dev packages.
	IDDevPackages = "dev-packages"
	// IDSecretDotenv (warning): the app layer holds a .env file.
	IDSecretDotenv = "secret-dotenv"
	// IDSecretAuthJSON (warning): the app layer holds Composer's auth.json.
	IDSecretAuthJSON = "secret-auth-json"
	// IDSecretKey (warning): the app layer holds a private key (id_rsa and
	// its kin, or a .pem or .key file holding a PRIVATE KEY block).
	IDSecretKey = "secret-private-key"
	// IDSecretGit (warning): the app layer holds a .git directory.
	IDSecretGit = "secret-git"

	// IDIniScanDir: PHP_INI_SCAN_DIR is set without Bref's ini directories:
	// an error without /opt/bref/etc/php/conf.d, a warning without
	// /var/task/php/conf.d only.
	IDIniScanDir = "ini-scan-dir"
	// IDIniNotLoaded: an extension .so is in the image but no ini file loads
	// it: an error under /opt/bref-extra or /opt/bref/extensions, a warning
	// in the app (it may be a plain shared library).
	IDIniNotLoaded = "ini-not-loaded"
)

// IDs lists every finding ID of the package, in the order of the checks.
func IDs() []string {
	return []string{
		IDComposerInvalid,
		IDExtMissing, IDExtDisabled, IDExtCLIOnly, IDExtUnavailable,
		IDBrefVersion, IDBrefMissing,
		IDPHPRequire, IDPHPPlatform, IDPHPPackage, IDPHPUnsatisfiable,
		IDHandlerMissing, IDHandlerNotPHP, IDHandlerNoReturn,
		IDVendorMissing, IDVendorIgnored,
		IDDevPackages, IDSecretDotenv, IDSecretAuthJSON, IDSecretKey, IDSecretGit,
		IDIniScanDir, IDIniNotLoaded,
	}
}
