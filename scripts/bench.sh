#!/usr/bin/env bash
# scripts/bench.sh — `make bench`: the side-by-side benchmark of issues 6 and 19.
#
# Builds brefimg, benchreg (internal/cmd/benchreg) and crane; installs buildah,
# pigz, GNU time and Debian's docker-registry from Debian's packages when they
# are missing (a tool that cannot be installed or run is reported, never
# fatal); starts a source registry seeded with deterministic Bref-like
# fixtures and two targets: a registry in its own process (Debian's
# docker-registry, else `benchreg registry`) and one in benchreg's process;
# runs brefimg (flags; flags with --split none; the seed's Dockerfile), a
# crane script and buildah on three scenarios (cold, warm, no-op) against
# each, measures the floor, warm rebuilds at larger app scales, and profiles
# in-process rebuilds to say where their time goes; then builds two
# Dockerfiles that RUN a command (testdata/bench/run-final: RUN in the final
# stage, which BuildKit builds whole; testdata/bench/run-stage: RUN in a
# builder stage, which BuildKit builds alone) with brefimg --buildkit on a
# buildkitd of its own and with buildah, cold and warm; writes BENCHMARKS.md.
#
# Settings (environment):
#   BENCH_RUNS=5            runs per scenario for brefimg and crane (and the floor)
#   BENCH_BUILDAH_RUNS=3    runs per scenario for buildah
#   BENCH_SCALES="4 10"     app scales of the warm-rebuild table (1x comes from the main runs; "" for none)
#   BENCH_SCALE_RUNS=3      warm runs per scale
#   BENCH_REGISTRIES="ext inproc"   targets: ext (own process), inproc (benchreg's)
#   BENCH_TOOLS="brefimg brefimg-1l brefimg-df crane buildah"   tools of the main tables
#   BENCH_EXT_TOOLS="brefimg brefimg-1l brefimg-df crane"       of those, the ones also run against ext
#   BENCH_SCALE_TOOLS="brefimg crane"     tools of the scale table
#   BENCH_SCALE_REGISTRY=ext              target of the scale runs
#   BENCH_PROFILE=1         profile in-process rebuilds (set to 0 to skip)
#   BENCH_BUILDAH_LAYERS=   set to 1 to give buildah bud --layers (its layer cache)
#   BENCH_RUN_TIMEOUT=600   seconds before one run is killed (and counted as failed)
#   BENCH_RUN=1             the Dockerfiles that RUN (brefimg --buildkit, buildah); 0 skips them
#   BENCH_RUN_RUNS=3        runs per scenario there (cold, warm), each tool
#   BENCH_RUN_DOCKERFILES="run-final run-stage"   of testdata/bench/
#   BENCH_RUN_TOOLS="brefimg buildah"             tools there
#   BENCH_BUILDKITD=        the buildkitd binary (default bin/buildkitd, else buildkitd in PATH)
#   BENCH_OUT=BENCHMARKS.md where the report goes
#   BENCH_KEEP=             set to 1 to keep the temporary directory
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNS=${BENCH_RUNS:-5}
BUILDAH_RUNS=${BENCH_BUILDAH_RUNS:-3}
SCALES=${BENCH_SCALES-4 10}
SCALE_RUNS=${BENCH_SCALE_RUNS:-3}
TOOLS=${BENCH_TOOLS:-brefimg brefimg-1l brefimg-df crane buildah}
EXT_TOOLS=${BENCH_EXT_TOOLS:-brefimg brefimg-1l brefimg-df crane}
REGISTRIES=${BENCH_REGISTRIES:-ext inproc}
SCALE_TOOLS=${BENCH_SCALE_TOOLS:-brefimg crane}
SCALE_REGISTRY=${BENCH_SCALE_REGISTRY:-ext}
PROFILE=${BENCH_PROFILE:-1}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
RUN_SECTION=${BENCH_RUN:-1}
RUN_RUNS=${BENCH_RUN_RUNS:-3}
RUN_DOCKERFILES=${BENCH_RUN_DOCKERFILES-run-final run-stage}
RUN_TOOLS=${BENCH_RUN_TOOLS:-brefimg buildah}
GO=${GO:-go}
CRANE_VERSION=v0.22.1
EPOCH=1700000000
BIN=$ROOT/bin/bench
BREFIMG=$ROOT/bin/brefimg
# The seed's Dockerfile in its /opt form: the same job as the flag build.
DOCKERFILE=$ROOT/testdata/dockerfiles/seed-opt/Dockerfile

START=$EPOCHREALTIME
# The load before this script adds any: other work on the machine skews the figures.
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# No BREFIMG_* settings from the caller's environment may change the builds.
for v in "${!BREFIMG_@}"; do unset "$v"; done

STATE=$(mktemp -d "${TMPDIR:-/tmp}/brefimg-bench.XXXXXX")
RESULTS=$STATE/results.tsv
ENVF=$STATE/env
BENCHREG_PID=
EXT_PID=
CHILD=
# The BuildKit daemon of the RUN section: its process (the leader of its
# own process group), root directory and address.
BK_PID=
BK_ROOT=
BK_ADDR=

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# mounts_under DIR: the mount points at or under DIR, deepest first (the
# octal escapes of /proc/self/mountinfo decoded).
mounts_under() {
	local dir=$1
	awk -v d="$dir" '{
		m = $5
		while (match(m, /\\[0-7][0-7][0-7]/)) {
			c = substr(m, RSTART + 1, 3)
			m = substr(m, 1, RSTART - 1) sprintf("%c", (substr(c, 1, 1) * 64) + (substr(c, 2, 1) * 8) + substr(c, 3, 1)) substr(m, RSTART + 4)
		}
		if (m == d || index(m, d "/") == 1) print length(m) "\t" m
	}' /proc/self/mountinfo | sort -rn | cut -f2-
}

# unmount_under DIR: detach every mount at or under DIR; fails when some remain.
unmount_under() {
	local m
	while IFS= read -r m; do
		if [[ -n $m ]]; then umount -l "$m" 2>/dev/null || true; fi
	done < <(mounts_under "$1")
	[[ -z $(mounts_under "$1") ]]
}
note() { log "NOTE: $*"; printf 'note=%s\n' "$*" >>"$ENVF"; }
setenv() { printf '%s=%s\n' "$1" "$2" >>"$ENVF"; }

cleanup() {
	local rc=$?
	# A measured command runs under timeout, which passes the signal on to
	# its whole process group.
	if [[ -n $CHILD ]] && kill -0 "$CHILD" 2>/dev/null; then
		kill -TERM "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
	fi
	ext_stop 2>/dev/null || true
	bk_stop 2>/dev/null || true
	if [[ -n $BENCHREG_PID ]] && kill -0 "$BENCHREG_PID" 2>/dev/null; then
		kill -TERM "$BENCHREG_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$BENCHREG_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$BENCHREG_PID" 2>/dev/null || true
		wait "$BENCHREG_PID" 2>/dev/null || true
	fi
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		log "kept $STATE"
	elif ! unmount_under "$STATE"; then
		# Removing a tree with something still mounted in it could reach outside it.
		log "left $STATE: still mounted there: $(mounts_under "$STATE" | tr '\n' ' ')"
	else
		rm -rf "$STATE"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$STATE/tmp" "$STATE/docker" "$BIN"
# Every tool's temporary files and Docker config live in the temporary directory.
export TMPDIR=$STATE/tmp DOCKER_CONFIG=$STATE/docker
echo '{"auths": {}}' >"$DOCKER_CONFIG/config.json"
printf 'tool\tscenario\tscale\trun\tseconds\tcpu_seconds\trss_kb\tstatus\tdigest\tuploads\tupload_bytes\tpulled_bytes\ttool_pushed\tregistry\tdaemon_cpu_seconds\n' >"$RESULTS"
: >"$ENVF"

# ---------------------------------------------------------------- tools

APT_UPDATED=
apt_install() {
	local sudo=()
	if [[ $(id -u) != 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else return 1; fi
	fi
	command -v apt-get >/dev/null || return 1
	if [[ -z $APT_UPDATED ]]; then
		"${sudo[@]}" apt-get update -qq >"$STATE/apt.log" 2>&1 || return 1
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$@" >>"$STATE/apt.log" 2>&1
}

log "building brefimg and benchreg"
"$GO" build -o "$BREFIMG" ./cmd/brefimg
"$GO" build -o "$BIN/benchreg" ./internal/cmd/benchreg
BENCHREG=$BIN/benchreg

HAVE_CRANE=
CRANE=$BIN/crane
if [[ -x $CRANE && $("$CRANE" version 2>/dev/null) == "$CRANE_VERSION" ]]; then
	HAVE_CRANE=1
else
	log "installing crane $CRANE_VERSION into $BIN"
	if (cd "$STATE" && GOBIN=$BIN GOFLAGS= "$GO" install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION") >"$STATE/crane-install.log" 2>&1; then
		HAVE_CRANE=1
	else
		note "crane unavailable: go install failed: $(tail -n 2 "$STATE/crane-install.log" | tr '\n' ' ')"
	fi
fi

TIMECMD=(/usr/bin/time -v -o "$STATE/time.txt")
if [[ ! -x /usr/bin/time ]]; then
	log "installing GNU time"
	apt_install time || true
	if [[ ! -x /usr/bin/time ]]; then
		note "/usr/bin/time unavailable (apt-get install time failed): no peak RSS figures"
		TIMECMD=()
	fi
fi

HAVE_BUILDAH=
if [[ " $TOOLS " == *" buildah "* ]]; then
	if ! command -v buildah >/dev/null; then
		log "installing buildah (apt-get)"
		apt_install buildah || true
	fi
	if command -v buildah >/dev/null; then
		HAVE_BUILDAH=1
	else
		note "buildah unavailable: not installed and apt-get install buildah failed (needs root or sudo, and Debian/Ubuntu); its rows are missing"
	fi
fi

# The registry in its own process: Debian's docker-registry when it is (or
# can be) installed, else benchreg's own (distribution v3, alone in a process).
EXT_KIND=
if [[ " $REGISTRIES " == *" ext "* ]]; then
	if ! command -v docker-registry >/dev/null; then
		log "installing docker-registry (apt-get)"
		apt_install docker-registry || true
	fi
	if command -v docker-registry >/dev/null; then
		EXT_KIND=docker-registry
	else
		EXT_KIND=benchreg
		note "docker-registry unavailable (apt-get install docker-registry failed): the registry in its own process is benchreg registry (distribution v3)"
	fi
fi

HAVE_PIGZ=
if ! command -v pigz >/dev/null; then
	log "installing pigz (apt-get)"
	apt_install pigz || true
fi
if command -v pigz >/dev/null; then HAVE_PIGZ=1; else note "pigz unavailable: no floor row"; fi

CACHE_FLAG=
if { "$BREFIMG" build --help-all 2>&1 || true; "$BREFIMG" build --help 2>&1 || true; } | grep -q -- --cache-dir; then CACHE_FLAG=1; fi

setenv date "$(date -u '+%Y-%m-%d %H:%M UTC')"
setenv load_start "$LOAD_START"
setenv nproc "$(nproc)"
setenv mem "$(awk '/MemTotal/ {printf "%.1f GB", $2/1024/1024}' /proc/meminfo)"
setenv cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
setenv kernel "$(uname -sr)"
setenv go "$("$GO" version | awk '{print $3, $4}')"
setenv brefimg "$("$BREFIMG" version 2>&1 | head -n 1 | sed 's/^brefimg //') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ', with local changes'))"
[[ -n $HAVE_CRANE ]] && setenv crane "$("$CRANE" version 2>&1)"
[[ -n $HAVE_BUILDAH ]] && setenv buildah "$(buildah --version 2>&1 | awk '{print $3}')"
[[ -n $HAVE_PIGZ ]] && setenv pigz "$(pigz --version 2>&1 | awk '{print $2}')"
case $EXT_KIND in
docker-registry) setenv ext_registry "Debian's docker-registry $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || docker-registry --version 2>&1 | head -n 1)" ;;
benchreg) setenv ext_registry "benchreg registry (distribution v3 in a process of its own)" ;;
esac
setenv cache_dir_flag "$([[ -n $CACHE_FLAG ]] && echo 'yes: cold runs get a new one' || echo 'not in this brefimg: cold runs get a new XDG_CACHE_HOME only')"

# ---------------------------------------------------------------- registries

log "starting the registries and writing the app (1x)"
APP=$STATE/app
"$BENCHREG" serve -state "$STATE/registries" -app "$APP" -scale 1 >"$STATE/benchreg.out" 2>"$STATE/benchreg.log" &
BENCHREG_PID=$!
for _ in $(seq 1500); do
	grep -q '^READY$' "$STATE/benchreg.out" 2>/dev/null && break
	if ! kill -0 "$BENCHREG_PID" 2>/dev/null; then
		cat "$STATE/benchreg.log" >&2
		log "benchreg failed to start"
		exit 1
	fi
	sleep 0.2
done
grep -q '^READY$' "$STATE/benchreg.out" || { log "benchreg did not get ready in 300 s"; exit 1; }
kv() { sed -n "s/^$1=//p" "$STATE/benchreg.out"; }
SOURCE=$(kv SOURCE) INPROC=$(kv TARGET) CONTROL=$(kv CONTROL)
setenv seed_bytes "$(kv SEED_BYTES)"
log "SOURCE=$SOURCE INPROC=$INPROC APP=$APP ($(sed 's/^benchreg: //' "$STATE/benchreg.log" | tr '\n' ';'))"

ctl() { "$BENCHREG" ctl -addr "$CONTROL" "$@"; }
app_stats() { # DIR SCALE: record the file count and size of an app
	setenv "app_files_$2" "$(find "$1" -type f | wc -l)"
	setenv "app_bytes_$2" "$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
}
app_stats "$APP" 1

# The registry in its own process, on a fixed address; reset by starting it
# again on new storage. Its access log counts the uploads.
EXT=
EXT_N=0
EXT_LOG=$STATE/ext-access.log
: >"$EXT_LOG"
ext_start() {
	EXT_N=$((EXT_N + 1))
	local data=$STATE/ext-$EXT_N
	mkdir -p "$data"
	case $EXT_KIND in
	docker-registry)
		# The configuration Debian ships, without its htpasswd auth.
		cat >"$data.yml" <<YAML
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $data
  delete:
    enabled: true
http:
  addr: $EXT
  headers:
    X-Content-Type-Options: [nosniff]
YAML
		docker-registry serve "$data.yml" >>"$EXT_LOG" 2>>"$STATE/ext.log" &
		;;
	*) "$BENCHREG" registry -root "$data" -addr "$EXT" -access-log "$EXT_LOG" 2>>"$STATE/ext.log" & ;;
	esac
	EXT_PID=$!
	"$BENCHREG" wait -addr "$EXT" -timeout 30s
}
ext_stop() {
	if [[ -n $EXT_PID ]] && kill -0 "$EXT_PID" 2>/dev/null; then
		kill -TERM "$EXT_PID" 2>/dev/null || true
		wait "$EXT_PID" 2>/dev/null || true
	fi
	EXT_PID=
	rm -rf "$STATE/ext-$EXT_N" "$STATE/ext-$EXT_N.yml"
}
if [[ -n $EXT_KIND ]]; then
	EXT=$("$BENCHREG" freeport)
	if ! ext_start; then
		note "the registry in its own process ($EXT_KIND) did not start: $(tail -n 3 "$STATE/ext.log" | tr '\n' ' ' | cut -c1-300)"
		REGISTRIES=${REGISTRIES//ext/}
	fi
fi

# use_registry NAME: the target the next runs push to (ext or inproc).
REG=
TGT=
use_registry() {
	REG=$1
	case $REG in
	ext) TGT=$EXT ;;
	inproc) TGT=$INPROC ;;
	esac
}

# reset_target: an empty target, zeroed counters.
reset_target() {
	case $REG in
	ext) ext_stop && ext_start >/dev/null && ctl mark >/dev/null ;;
	inproc) ctl reset >/dev/null ;;
	esac
}

# ---------------------------------------------------------------- the builds

# crane_build APP REF WORK: the classic crane script.
crane_build() {
	local app=$1 ref=$2 work=$3
	rm -rf "$work"
	mkdir -p "$work/root/var"
	ln -s "$app" "$work/root/var/task"
	"$CRANE" export --insecure "$SOURCE/bref/extra-redis-php-80:0.10" "$work/redis.tar"
	"$CRANE" export --insecure "$SOURCE/bref/extra-gmp-php-80:0.10" "$work/gmp.tar"
	# -h: var/task is a link to the app; the app holds no links of its own.
	tar -C "$work/root" -h --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" -cf "$work/app.tar" var
	"$CRANE" append --insecure -b "$SOURCE/bref/php-80-fpm:1" \
		-f "$work/redis.tar" -f "$work/gmp.tar" -f "$work/app.tar" -t "$ref" >/dev/null
	"$CRANE" mutate --insecure "$ref" --cmd public/index.php -t "$ref"
}

# buildah_build APP REF ROOT DOCKERFILE: buildah bud, then buildah push.
buildah_build() {
	local app=$1 ref=$2 root=$3 dockerfile=$4
	local b=(buildah --root "$root/storage" --runroot "$root/run" --storage-driver vfs)
	local layers=()
	[[ ${BENCH_BUILDAH_LAYERS:-} == 1 ]] && layers=(--layers)
	"${b[@]}" bud --isolation chroot --tls-verify=false "${layers[@]}" -f "$dockerfile" -t "$ref" "$app"
	"${b[@]}" push --tls-verify=false "$ref" "docker://$ref"
}

# floor_pack APP OUT: tar | pigz of the app.
floor_pack() { tar -C "$1" -cf - . | pigz >"$2"; }

export -f crane_build buildah_build floor_pack
export CRANE SOURCE EPOCH

cat >"$STATE/Dockerfile" <<EOD
FROM $SOURCE/bref/php-80-fpm:1
COPY --from=$SOURCE/bref/extra-redis-php-80:0.10 /opt /opt
COPY --from=$SOURCE/bref/extra-gmp-php-80:0.10 /opt /opt
COPY . /var/task
CMD ["public/index.php"]
EOD

# fresh_state TOOL: forget the tool's local state (caches, storage).
fresh_state() {
	case $1 in
	brefimg*) rm -rf "$STATE/cache-$1" "$STATE/xdg-$1"; mkdir -p "$STATE/cache-$1" "$STATE/xdg-$1" ;;
	buildah) rm -rf "$STATE/buildah" ;;
	buildah-*) rm -rf "${STATE:?}/$1" ;;
	crane) rm -rf "$STATE/crane-work" ;;
	esac
}

# set_cmd TOOL APP REF: the command that builds APP and pushes REF, in CMD.
# brefimg builds with its flags; brefimg-1l with --split none (one app
# layer, as one COPY . /var/task gives); brefimg-df the seed's Dockerfile
# (its /opt form), which gives brefimg-1l's image.
set_cmd() {
	local tool=$1 app=$2 ref=$3
	case $tool in
	brefimg*)
		# The Dockerfiles that RUN pull the base with a shell (SHELL_PREFIX).
		local mirror=$SOURCE
		[[ $tool == brefimg-run-* ]] && mirror=$SOURCE/$SHELL_PREFIX
		CMD=(env "XDG_CACHE_HOME=$STATE/xdg-$tool" "$BREFIMG" build
			--mirror "$mirror" --insecure-registry "$SOURCE" --insecure-registry "${ref%%/*}"
			--source-date-epoch "$EPOCH" --progress plain
			--digest-file "$STATE/brefimg.digest" --metadata-file "$STATE/brefimg.json" -t "$ref")
		case $tool in
		brefimg) CMD+=(--bref 1 --php 8.0 --ext redis@0.10,gmp@0.10) ;;
		brefimg-1l) CMD+=(--bref 1 --php 8.0 --ext redis@0.10,gmp@0.10 --split none) ;;
		brefimg-df) CMD+=(-f "$DOCKERFILE") ;;
		brefimg-run-*) CMD+=(-f "$ROOT/testdata/bench/${tool#brefimg-}/Dockerfile" --buildkit "$BK_ADDR") ;;
		esac
		[[ -n $CACHE_FLAG ]] && CMD+=(--cache-dir "$STATE/cache-$tool")
		CMD+=("$app")
		if [[ -n $STAMP ]]; then
			# The progress lines (standard error) go on to the run's log as
			# they are, and to STAMP with the time of each.
			# shellcheck disable=SC2016 # expanded by the inner bash
			CMD=(bash -c 'b=$1 f=$2; shift 2; set -o pipefail; { "$@" 2>&1 1>&3 3>&- | "$b" stamp -out "$f" >&2; } 3>&1' stamp "$BENCHREG" "$STAMP" "${CMD[@]}")
		fi
		;;
	crane) CMD=(bash -eo pipefail -c 'crane_build "$@"' crane_build "$app" "$ref" "$STATE/crane-work") ;;
	buildah) CMD=(bash -eo pipefail -c 'buildah_build "$@"' buildah_build "$app" "$ref" "$STATE/buildah" "$STATE/Dockerfile") ;;
	# The Dockerfiles that RUN, their images named in the source registry.
	buildah-run-*) CMD=(bash -eo pipefail -c 'buildah_build "$@"' buildah_build "$app" "$ref" "$STATE/$tool" "$STATE/Dockerfile.${tool#buildah-}") ;;
	esac
}

# The CPU time (user + system, its own and its reaped children's) of the
# process DAEMON_PID, in clock ticks: the BuildKit daemon's share of a run.
DAEMON_PID=
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
daemon_ticks() {
	[[ -n $DAEMON_PID && -r /proc/$DAEMON_PID/stat ]] || { echo -1; return 0; }
	# The fields after the command name, which is in parentheses.
	sed 's/^.*) //' "/proc/$DAEMON_PID/stat" | awk '{print $12 + $13 + $14 + $15}'
}

# STAMP: when set, the file the run's progress lines were written to with
# the time of each (set_cmd has the command write it): measure records it
# with the run's start and end for the report's account of its phases.
STAMP=

LAST_STATUS=
# measure TOOL SCENARIO SCALE RUN REF CMD...: run CMD timed and record one line
# of results. REF (or -) is the image whose digest is recorded.
measure() {
	local tool=$1 scenario=$2 scale=$3 run=$4 ref=$5
	shift 5
	# Flush what earlier steps wrote (the app, the registries' blobs), so that
	# the disk's write-back does not slow this run down.
	sync
	ctl mark >/dev/null
	local ext_off=0
	[[ $REG == ext ]] && ext_off=$(stat -c %s "$EXT_LOG")
	rm -f "$STATE/time.txt"
	local t0 t1 status=ok dt0 dt1 dcpu=-1
	dt0=$(daemon_ticks)
	t0=$EPOCHREALTIME
	# In the background, so that a signal to this script is handled at once.
	timeout "$RUN_TIMEOUT" "${TIMECMD[@]}" "$@" >"$STATE/run.out" 2>"$STATE/run.err" </dev/null &
	CHILD=$!
	wait "$CHILD" || status=fail
	t1=$EPOCHREALTIME
	CHILD=
	dt1=$(daemon_ticks)
	if [[ $dt0 != -1 && $dt1 != -1 ]]; then
		dcpu=$(awk -v a="$dt0" -v b="$dt1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / hz}')
	fi
	[[ -n $STAMP ]] && setenv stamped "$tool $scenario $scale $run $REG $t0 $t1 $STAMP"
	local secs cpu=-1 rss=-1 digest=- uploads=-1 upbytes=-1 pulled=-1 pushed=-1 kv stats
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	if [[ -s $STATE/time.txt ]]; then
		rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$STATE/time.txt")
		cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$STATE/time.txt")
	fi
	stats=$(ctl stats)
	if [[ $REG == ext ]]; then
		# The source's counters, the target's uploads from its access log.
		stats="$(sed 's/uploads=[0-9]* upload_bytes=[0-9]*//' <<<"$stats") $("$BENCHREG" extstats -log "$EXT_LOG" -offset "$ext_off")"
	fi
	for kv in $stats; do
		case $kv in
		uploads=*) uploads=${kv#*=} ;;
		upload_bytes=*) upbytes=${kv#*=} ;;
		source_blob_bytes=*) pulled=${kv#*=} ;;
		esac
	done
	if [[ $status == ok && $ref != - ]]; then
		digest=$("$BENCHREG" digest "$ref" 2>>"$STATE/run.err") || { status=fail; digest=-; }
	fi
	if [[ $tool == brefimg* ]]; then
		pushed=$(grep -c '^pushed blob' "$STATE/run.err" || true)
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$scenario" "$scale" "$run" "$secs" \
		"${cpu:--1}" "${rss:--1}" "$status" "$digest" "$uploads" "$upbytes" "$pulled" "$pushed" "$REG" "$dcpu" >>"$RESULTS"
	log "$(printf '%-6s %-10s %-7s %3sx run %s: %7ss  cpu %ss  rss %s kB  %s blob(s) up  %s  %s' "$REG" "$tool" "$scenario" "$scale" "$run" "$secs" "$cpu" "$rss" "$uploads" "${digest:0:19}" "$status")$([[ $dcpu != -1 ]] && echo "  buildkitd cpu ${dcpu}s")"
	LAST_STATUS=$status
	if [[ $status != ok ]]; then
		log "  stderr: $(tail -n 5 "$STATE/run.err" | tr '\n' ' ')"
	fi
}

# failed TOOL WHAT: note a failed run, with its error output.
failed() {
	note "$1 failed ($2, $REG registry), its remaining runs were skipped: $(tail -n 3 "$STATE/run.err" | tr '\n' ' ' | cut -c1-400)"
}

# run_tool TOOL RUNS: cold, warm, no-op and verify runs of one tool on the 1x
# app, pushing to the current registry.
run_tool() {
	local tool=$1 runs=$2 ref=$TGT/bench/$1:latest i
	log "== $REG: $tool: $runs run(s) per scenario"
	"$BENCHREG" change -dir "$APP" -n 0 >/dev/null
	for i in $(seq "$runs"); do
		reset_target
		fresh_state "$tool"
		set_cmd "$tool" "$APP" "$ref"
		measure "$tool" cold 1 "$i" "$ref" "${CMD[@]}"
		[[ $LAST_STATUS == ok ]] || { failed "$tool" "cold run $i"; return 0; }
	done
	for i in $(seq "$runs"); do
		"$BENCHREG" change -dir "$APP" -n "$i" >/dev/null
		set_cmd "$tool" "$APP" "$ref"
		measure "$tool" warm 1 "$i" "$ref" "${CMD[@]}"
		[[ $LAST_STATUS == ok ]] || { failed "$tool" "warm run $i"; return 0; }
	done
	for i in $(seq "$runs"); do
		set_cmd "$tool" "$APP" "$ref"
		measure "$tool" no-op 1 "$i" "$ref" "${CMD[@]}"
		[[ $LAST_STATUS == ok ]] || { failed "$tool" "no-op run $i"; return 0; }
	done
	# The same tree built from nothing: the warm digest must equal it.
	reset_target
	fresh_state "$tool"
	set_cmd "$tool" "$APP" "$ref"
	measure "$tool" verify 1 1 "$ref" "${CMD[@]}"
	fresh_state "$tool"
}

# run_floor RUNS: copying the base blobs to the current registry, and tar | pigz of the app.
run_floor() {
	local i
	log "== $REG: floor: $1 run(s)"
	for i in $(seq "$1"); do
		reset_target
		measure floor-copy cold 1 "$i" "$TGT/floor/base:1" "$CRANE" copy --insecure "$SOURCE/bref/php-80-fpm:1" "$TGT/floor/base:1"
		[[ $LAST_STATUS == ok ]] || { failed floor "copy run $i"; return 0; }
	done
	for i in $(seq "$1"); do
		measure floor-pack cold 1 "$i" - bash -eo pipefail -c 'floor_pack "$@"' floor_pack "$APP" "$STATE/floor.tgz"
		[[ $LAST_STATUS == ok ]] || { failed floor "tar|pigz run $i"; return 0; }
	done
	rm -f "$STATE/floor.tgz"
}

# profile NAME APP ENV...: a CPU profile of 20 in-process rebuilds
# (cmd/brefimg's BenchmarkRebuild) against the current registry, for the
# report's account of where the time goes.
profile() {
	local name=$1 app=$2
	shift 2
	[[ $PROFILE == 1 ]] || return 0
	log "== $REG: profiling $name"
	local out=$STATE/profile-$name
	if env "$@" BREFIMG_BENCH_SOURCE="$SOURCE" BREFIMG_BENCH_TARGET="$TGT" BREFIMG_BENCH_APP="$app" \
		BREFIMG_BENCH_PROFILE="$out.prof" GOFLAGS= "$GO" test ./cmd/brefimg -run '^$' -bench '^BenchmarkRebuild$' \
		-benchtime 20x -o "$STATE/brefimg.test" >"$out.bench" 2>&1 &&
		"$GO" tool pprof -top -cum -nodecount 1000 "$STATE/brefimg.test" "$out.prof" >"$out.txt" 2>/dev/null; then
		setenv "profile_$name" "$out.txt"
		setenv "profile_${name}_bench" "$(grep '^BenchmarkRebuild' "$out.bench" | tail -n 1)"
		setenv "profile_${name}_registry" "$REG"
	else
		note "profiling $name failed: $(tail -n 3 "$out.bench" | tr '\n' ' ' | cut -c1-300)"
	fi
}

# run_scale SCALE: a cold build, then warm runs, of each scale tool on the app
# at SCALE, against the scale registry.
run_scale() {
	local s=$1 dir=$STATE/app-$1 tool i
	log "== app at ${s}x: writing it"
	"$BENCHREG" app -dir "$dir" -scale "$s" >&2
	app_stats "$dir" "$s"
	use_registry "$SCALE_REGISTRY"
	for tool in $SCALE_TOOLS; do
		[[ $tool == crane && -z $HAVE_CRANE ]] && continue
		local ref=$TGT/bench/$tool-${s}x:latest
		"$BENCHREG" change -dir "$dir" -n 0 >/dev/null
		reset_target
		fresh_state "$tool"
		set_cmd "$tool" "$dir" "$ref"
		measure "$tool" cold "$s" 1 "$ref" "${CMD[@]}"
		[[ $LAST_STATUS == ok ]] || { failed "$tool" "cold run at ${s}x"; continue; }
		for i in $(seq "$SCALE_RUNS"); do
			"$BENCHREG" change -dir "$dir" -n "$i" >/dev/null
			set_cmd "$tool" "$dir" "$ref"
			measure "$tool" warm "$s" "$i" "$ref" "${CMD[@]}"
			[[ $LAST_STATUS == ok ]] || { failed "$tool" "warm run $i at ${s}x"; break; }
		done
		fresh_state "$tool"
	done
	if [[ $s == 10 ]]; then
		profile warm-10x "$dir" BREFIMG_BENCH_CHANGE=1
	fi
	rm -rf "$dir"
}

# ---------------------------------------------------------------- Dockerfiles that RUN

# The images of the Dockerfiles that RUN: the same as the others', but the
# base has a shell (benchfix.SeedShell), under this prefix of the source.
SHELL_PREFIX=shell
BUILDKITD=
BK_SNAPSHOTTER=overlayfs
BK_EXTRA=()
BK_N=0
RUN_WHY=

# alive PID: the process runs (a zombie does not).
alive() {
	[[ -r /proc/$1/stat ]] && [[ $(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1) != Z ]]
}

# bk_start: a buildkitd on a new, empty root (no build cache, no image), the
# leader of a process group of its own, with the OCI worker (runc); fails
# when it does not answer within 60 s.
bk_start() {
	BK_N=$((BK_N + 1))
	BK_ROOT=$STATE/bk-$BK_N
	BK_ADDR=unix://$BK_ROOT/buildkitd.sock
	mkdir -p "$BK_ROOT"
	# Not a job of this shell, so setsid makes this very process (no fork)
	# the leader of a new session and process group.
	PATH=$PATH:/usr/sbin:/sbin setsid "$BUILDKITD" --root "$BK_ROOT" --addr "$BK_ADDR" \
		--oci-worker=true --containerd-worker=false --oci-worker-snapshotter="$BK_SNAPSHOTTER" "${BK_EXTRA[@]}" \
		>"$STATE/buildkitd-$BK_N.log" 2>&1 </dev/null &
	BK_PID=$!
	"$BENCHREG" bkwait -addr "$BK_ADDR" -pid "$BK_PID" -timeout 60s 2>>"$STATE/buildkitd-$BK_N.log"
}

# bk_stop: SIGTERM to the daemon's process group, SIGKILL after 10 s (and
# to what outlived it: runc, a build step), then unmount what is left under
# its root and remove it.
bk_stop() {
	if [[ -n $BK_PID ]]; then
		kill -TERM -- "-$BK_PID" 2>/dev/null || kill -TERM "$BK_PID" 2>/dev/null || true
		local i
		for i in $(seq 100); do alive "$BK_PID" || break; sleep 0.1; done
		kill -KILL -- "-$BK_PID" 2>/dev/null || true
		wait "$BK_PID" 2>/dev/null || true
		BK_PID=
	fi
	if [[ -n $BK_ROOT ]]; then
		if unmount_under "$BK_ROOT"; then
			rm -rf "$BK_ROOT"
		else
			log "left $BK_ROOT: still mounted there: $(mounts_under "$BK_ROOT" | tr '\n' ' ')"
		fi
		BK_ROOT=
	fi
}

# bk_fresh: a daemon with no state (stopped and started again on a new root).
bk_fresh() {
	bk_stop
	if ! bk_start; then
		RUN_WHY="buildkitd ($BK_SNAPSHOTTER snapshotter) did not start: $(grep -v fsverity "$STATE/buildkitd-$BK_N.log" | tail -n 3 | tr '\n' ' ' | sed 's/ *$//' | cut -c1-300)"
		bk_stop
		return 1
	fi
}

# run_prereqs: root, runc, buildkitd and a static busybox, with `make
# buildkit` (scripts/buildkit-deps.sh) tried once when one is missing; sets
# BUILDKITD, or RUN_WHY and fails.
run_prereqs() {
	local missing=() tried=${1:-}
	if [[ $(id -u) != 0 ]]; then
		RUN_WHY="not root (uid $(id -u)): buildkitd with runc needs root (rootless BuildKit is out of scope)"
		return 1
	fi
	PATH=$PATH:/usr/sbin:/sbin command -v runc >/dev/null || missing+=("runc")
	[[ -x /bin/busybox ]] || missing+=("a static /bin/busybox (busybox-static)")
	BUILDKITD=${BENCH_BUILDKITD:-}
	if [[ -z $BUILDKITD ]]; then
		if [[ -x $ROOT/bin/buildkitd ]]; then
			BUILDKITD=$ROOT/bin/buildkitd
		else
			BUILDKITD=$(command -v buildkitd || true)
		fi
	fi
	[[ -n $BUILDKITD && -x $BUILDKITD ]] || missing+=("buildkitd (${BUILDKITD:-no bin/buildkitd, none in PATH})")
	((${#missing[@]} == 0)) && return 0
	if [[ -z $tried && -z ${BENCH_BUILDKITD:-} ]]; then
		log "missing ${missing[*]}: trying make buildkit (scripts/buildkit-deps.sh)"
		GO=$GO "$ROOT/scripts/buildkit-deps.sh" >"$STATE/buildkit-deps.log" 2>&1 || true
		run_prereqs tried
		return
	fi
	local list
	list=$(printf '%s, ' "${missing[@]}")
	RUN_WHY="missing ${list%, } (make buildkit installs runc and busybox-static and builds bin/buildkitd, as root)"
	if [[ -s $STATE/buildkit-deps.log ]]; then
		RUN_WHY+="; make buildkit said: $(tail -n 2 "$STATE/buildkit-deps.log" | tr '\n' ' ' | cut -c1-200)"
	fi
	return 1
}

# run_measure TOOL SCENARIO RUN REF: one measured run of a RUN tool on the
# 1x app; brefimg's with the daemon's CPU time and its progress stamped.
run_measure() {
	local tool=$1 sc=$2 i=$3 ref=$4
	if [[ $tool == brefimg-* ]]; then
		mkdir -p "$STATE/stamps"
		STAMP=$STATE/stamps/$tool-$sc-$i.log
		DAEMON_PID=$BK_PID
	fi
	set_cmd "$tool" "$APP" "$ref"
	measure "$tool" "$sc" 1 "$i" "$ref" "${CMD[@]}"
	STAMP='' DAEMON_PID=''
	[[ $LAST_STATUS == ok ]] || { failed "$tool" "$sc run $i"; return 1; }
}

# run_run TOOL: cold runs (empty target, no local state: for brefimg a new
# cache directory and a new buildkitd), then warm runs (one file of app/
# changed, state kept), then for brefimg a build of the last warm tree from
# nothing, whose digest the last warm one must have.
run_run() {
	local tool=$1 ref=$TGT/bench/$1:latest i
	log "== $REG: $tool: $RUN_RUNS run(s) per scenario"
	"$BENCHREG" change -dir "$APP" -n 0 >/dev/null
	for i in $(seq "$RUN_RUNS"); do
		reset_target
		fresh_state "$tool"
		if [[ $tool == brefimg-* ]] && ! bk_fresh; then note "$tool: $RUN_WHY"; return 0; fi
		run_measure "$tool" cold "$i" "$ref" || return 0
	done
	for i in $(seq "$RUN_RUNS"); do
		"$BENCHREG" change -dir "$APP" -n "$i" >/dev/null
		run_measure "$tool" warm "$i" "$ref" || return 0
	done
	if [[ $tool == brefimg-* ]]; then
		reset_target
		fresh_state "$tool"
		bk_fresh || { note "$tool: $RUN_WHY"; return 0; }
		run_measure "$tool" verify 1 "$ref" || true
	fi
	fresh_state "$tool"
	"$BENCHREG" change -dir "$APP" -n 0 >/dev/null
}

# run_section: the Dockerfiles that RUN, with brefimg --buildkit and
# buildah, against the registry in its own process (else benchreg's).
run_section() {
	if [[ $RUN_SECTION == 0 ]]; then
		setenv run_skip "skipped (BENCH_RUN=0)"
		return 0
	fi
	if ! run_prereqs; then
		log "NOTE: the Dockerfiles that RUN are not measured: $RUN_WHY"
		setenv run_skip "$RUN_WHY"
		return 0
	fi
	if ! "$BENCHREG" seedshell -source "$SOURCE" -prefix "$SHELL_PREFIX" >"$STATE/seedshell.out" 2>"$STATE/seedshell.log"; then
		RUN_WHY="the base with a shell could not be made: $(tail -n 2 "$STATE/seedshell.log" | tr '\n' ' ' | cut -c1-300)"
		log "NOTE: the Dockerfiles that RUN are not measured: $RUN_WHY"
		setenv run_skip "$RUN_WHY"
		return 0
	fi
	# Without the source's address, which changes from run to run.
	setenv run_base "$(head -n 1 "$STATE/seedshell.out" | sed "s#^$SOURCE/##")"
	if "$BUILDKITD" --help 2>&1 | grep -q -- '--oci-worker-gc[ =]'; then BK_EXTRA=(--oci-worker-gc=false); fi
	# overlayfs, else native (as internal/testbuildkit does).
	if ! bk_fresh; then
		local first=$RUN_WHY
		BK_SNAPSHOTTER=native
		if ! bk_fresh; then
			setenv run_skip "$first; $RUN_WHY"
			log "NOTE: the Dockerfiles that RUN are not measured: $first; $RUN_WHY"
			return 0
		fi
	fi
	setenv buildkitd "$("$BUILDKITD" --version 2>&1 | head -n 1 | awk '{print $3}') (OCI worker: runc $(PATH=$PATH:/usr/sbin:/sbin runc --version 2>&1 | awk 'NR == 1 {print $3}'), $BK_SNAPSHOTTER snapshotter)"
	local have_buildah=
	if [[ " $RUN_TOOLS " == *" buildah "* ]]; then
		if command -v buildah >/dev/null; then
			have_buildah=1
			[[ -z $HAVE_BUILDAH ]] && setenv buildah "$(buildah --version 2>&1 | awk '{print $3}')"
		else
			note "buildah unavailable: the Dockerfiles that RUN have no buildah rows"
		fi
	fi
	local reg=ext
	[[ " $REGISTRIES " == *" ext "* ]] || reg=inproc
	use_registry "$reg"
	setenv run_registry "$reg"
	local df
	for df in $RUN_DOCKERFILES; do
		if [[ ! -f $ROOT/testdata/bench/$df/Dockerfile ]]; then
			note "no testdata/bench/$df/Dockerfile: not measured"
			continue
		fi
		setenv run_dockerfile "$df"
		# buildah pulls the images from the source registry, by their names there.
		sed -E "s#(^FROM[[:space:]]+|--from=)bref/#\1$SOURCE/$SHELL_PREFIX/bref/#" "$ROOT/testdata/bench/$df/Dockerfile" >"$STATE/Dockerfile.$df"
		[[ " $RUN_TOOLS " == *" brefimg "* ]] && run_run "brefimg-$df"
		[[ -n $have_buildah ]] && run_run "buildah-$df"
	done
	bk_stop
	local left
	left=$(pgrep -f "$STATE/bk-" || true)
	[[ -z $left ]] || note "processes left by buildkitd: $left"
}

# ---------------------------------------------------------------- the runs

for reg in $REGISTRIES; do
	use_registry "$reg"
	for tool in $TOOLS; do
		if [[ $reg == ext && " $EXT_TOOLS " != *" $tool "* ]]; then
			continue
		fi
		case $tool in
		brefimg | brefimg-1l | brefimg-df) run_tool "$tool" "$RUNS" ;;
		crane) if [[ -n $HAVE_CRANE ]]; then run_tool crane "$RUNS"; fi ;;
		buildah) if [[ -n $HAVE_BUILDAH ]]; then run_tool buildah "$BUILDAH_RUNS"; fi ;;
		*) note "unknown tool $tool in BENCH_TOOLS" ;;
		esac
	done
	if [[ -n $HAVE_CRANE && -n $HAVE_PIGZ ]]; then
		run_floor "$RUNS"
	elif [[ -z $HAVE_CRANE ]]; then
		note "no floor row: crane (used to copy the base) is unavailable"
	fi
done
# Where a rebuild's time goes, against the registry in its own process.
use_registry "${REGISTRIES%% *}"
"$BENCHREG" change -dir "$APP" -n 0 >/dev/null
profile no-op-1x "$APP"
profile df-no-op-1x "$APP" BREFIMG_BENCH_DOCKERFILE="$DOCKERFILE"
for s in $SCALES; do run_scale "$s"; done
run_section
ext_stop

setenv load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
setenv total_seconds "$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}')"
log "writing $OUT"
"$BENCHREG" report -results "$RESULTS" -env "$ENVF" -out "$OUT"
