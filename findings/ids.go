package findings

// Finding IDs. They are stable: scripts and --skip-check rely on them.
// Every ID is in [Registry] with its severity and what it means; the
// checks package implements each one once.
const (
	IDComposerInvalid  = "composer-invalid"
	IDExtMissing       = "ext-missing"
	IDExtDisabled      = "ext-disabled"
	IDExtCLIOnly       = "ext-cli-only"
	IDExtUnavailable   = "ext-unavailable"
	IDExtNotLoaded     = "ext-not-loaded"
	IDBrefVersion      = "bref-version"
	IDBrefMissing      = "bref-missing"
	IDPHPRequire       = "php-require"
	IDPHPPlatform      = "php-platform"
	IDPHPPackage       = "php-package"
	IDPHPUnsatisfiable = "php-unsatisfiable"
	IDHandlerMissing   = "handler-missing"
	IDHandlerNotPHP    = "handler-not-php"
	IDHandlerNoReturn  = "handler-no-return"
	IDVendorMissing    = "vendor-missing"
	IDVendorIgnored    = "vendor-ignored"
	IDDevPackages      = "dev-packages"
	IDSecretDotenv     = "secret-dotenv"
	IDSecretAuthJSON   = "secret-auth-json"
	IDSecretKey        = "secret-private-key"
	IDSecretGit        = "secret-git"
	IDIniScanDir       = "ini-scan-dir"
	IDTmp              = "tmp-path"
	IDUnreadable       = "not-world-readable"
	IDOutsideCopy      = "ext-outside-opt"
	IDSkipped          = "special-file-skipped"
	IDOwnFile          = "own-file-skipped"
	IDUnpinned         = "unpinned-refs"
	IDLockStale        = "lock-stale"
	IDUntagged         = "bref-untagged"
	IDIgnored          = "lambda-ignores"
	IDMediaType        = "lambda-media-type"
	IDCompression      = "lambda-layer-compression"
	IDLayerCount       = "lambda-layer-count"
	IDSize             = "lambda-image-size"
	IDArchitecture     = "lambda-architecture"
	IDHistory          = "lambda-history"
	IDParentDir        = "lambda-parent-dir"
	IDLambdaUnreadable = "lambda-unreadable"

	// The read-only /var/task: what Laravel and Symfony write next to the
	// code, or read at every cold start.
	IDLaravelStorage     = "laravel-storage"
	IDLaravelConfigCache = "laravel-config-cache"
	IDSymfonyCacheDir    = "symfony-cache-dir"
	IDSymfonyCacheWarmup = "symfony-cache-warmup"
	IDSymfonyDotenv      = "symfony-dotenv"
)

// Check describes one finding ID.
type Check struct {
	// ID is the finding's ID.
	ID string `json:"id"`
	// Severity is the severity it is reported with; "error or warning"
	// when that depends on the case (Doc says which).
	Severity string `json:"severity"`
	// Doc says what it finds.
	Doc string `json:"doc"`
}

// Registry lists every finding ID brefimg can report, in the order the
// README's table gives them.
var Registry = []Check{
	{IDComposerInvalid, "error", "composer.json, composer.lock or vendor/composer/installed.json is not valid JSON, lacks Composer's shape, or holds a PHP constraint that does not parse"},
	{IDExtMissing, "error", "a required ext-* is not in the base image, an extension image provides it, and none is added"},
	{IDExtDisabled, "error", "a required ext-* is shipped disabled in the base image and no ini file enables it"},
	{IDExtCLIOnly, "warning", "a required ext-* (pcntl, readline) is loaded by the PHP CLI only, not by php-fpm"},
	{IDExtUnavailable, "error", "no image of the Bref line provides a required ext-* for this PHP version"},
	{IDExtNotLoaded, "error or warning", "a PHP extension (.so) is in the image but no ini file PHP reads loads it: an error under /opt, a warning in the app or when a Dockerfile step copied it"},
	{IDBrefVersion, "error", "the locked bref/bref major version is not the image's Bref line"},
	{IDBrefMissing, "error", "bref/bref is not installed, or only as a require-dev package"},
	{IDPHPRequire, "error", "the PHP version does not satisfy composer.json's require.php"},
	{IDPHPPlatform, "error or warning", "the PHP version is not config.platform.php's series: an error when older, a warning when newer"},
	{IDPHPPackage, "error", "the PHP version does not satisfy the php requirement of a locked package"},
	{IDPHPUnsatisfiable, "error", "no PHP version of the Bref line satisfies the project's PHP requirements"},
	{IDHandlerMissing, "error", "the CMD handler is not a file of the image under its working directory"},
	{IDHandlerNotPHP, "error", "the fpm or function runtime's handler is not a .php file"},
	{IDHandlerNoReturn, "error", "the function runtime's handler has no return statement"},
	{IDVendorMissing, "error", "vendor/autoload.php is not in the app"},
	{IDVendorIgnored, "error", ".dockerignore excludes vendor/autoload.php from the app"},
	{IDDevPackages, "warning", "vendor/ holds require-dev packages"},
	{IDLaravelStorage, "warning", "a Laravel app without bref/laravel-bridge writes views, caches and logs under the read-only /var/task"},
	{IDLaravelConfigCache, "warning", "bootstrap/cache/config.php was generated with the app outside /var/task: Laravel would use the build machine's paths"},
	{IDSymfonyCacheDir, "warning", "the Symfony kernel keeps var/cache and var/log under the read-only /var/task (it does not extend bref/symfony-bridge's BrefKernel)"},
	{IDSymfonyCacheWarmup, "warning", "a Symfony app ships without its warmed var/cache/<APP_ENV>: the cache is built at every cold start"},
	{IDSymfonyDotenv, "error or warning", "a Symfony app without .env.local.php parses .env at every cold start (warning), or fails at boot without .env (error)"},
	{IDSecretDotenv, "warning", "the app holds a .env file"},
	{IDSecretAuthJSON, "warning", "the app holds Composer's auth.json, or container registry credentials (.docker/config.json, .dockercfg, a podman or skopeo auth.json) with a login"},
	{IDSecretKey, "warning", "the app holds a private key"},
	{IDSecretGit, "warning", "the app holds a .git directory"},
	{IDIniScanDir, "error or warning", "PHP_INI_SCAN_DIR leaves out Bref's ini directory (error) or the app's php/conf.d (warning)"},
	{IDTmp, "warning", "the build writes under /tmp, which is empty at every cold start on Lambda"},
	{IDUnreadable, "warning", "a build step writes files Lambda's non-root user cannot read, enter or execute"},
	{IDOutsideCopy, "warning", "an extension image holds files outside the copied /opt; they were left out"},
	{IDSkipped, "warning", "a special file of the app (socket, device, pipe) was left out"},
	{IDOwnFile, "warning", "brefimg's layer cache or an output of the build (-o, --digest-file, --metadata-file) lies in the app directory and was left out of the image"},
	{IDUnpinned, "warning", "an image was read by tag, not pinned by brefimg.lock"},
	{IDLockStale, "warning", "a locked build found a tag brefimg.lock pins moved since the lock was written, or could not check it; it used the pinned digest"},
	{IDUntagged, "warning", "a bref/ image is named without a tag, so it pulls whatever :latest is"},
	{IDIgnored, "warning", "a Dockerfile instruction Lambda ignores (USER, EXPOSE, VOLUME, HEALTHCHECK, STOPSIGNAL, SHELL)"},
	{IDMediaType, "error", "the manifest is not one single-platform image manifest"},
	{IDCompression, "error", "a layer is not gzip-compressed"},
	{IDLayerCount, "error", "more layers than Lambda takes (127)"},
	{IDSize, "error", "the image is larger than Lambda's 10 GB"},
	{IDArchitecture, "error", "the platform is not linux/amd64 or linux/arm64"},
	{IDHistory, "warning", "not every layer has a history entry"},
	{IDParentDir, "error", "a path has no entry for its parent directory (brefimg check reads every layer)"},
	{IDLambdaUnreadable, "warning", "a file or directory of the image is not world-readable (brefimg check reads every layer)"},
}

// IDs lists the IDs of [Registry], in its order.
func IDs() []string {
	out := make([]string, len(Registry))
	for i, c := range Registry {
		out[i] = c.ID
	}
	return out
}

// Known reports whether id is in [Registry].
func Known(id string) bool {
	for _, c := range Registry {
		if c.ID == id {
			return true
		}
	}
	return false
}
