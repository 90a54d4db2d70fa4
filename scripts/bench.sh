#!/usr/bin/env bash
# scripts/bench.sh — `make bench`: the side-by-side benchmark of issue 6.
#
# Builds brefimg, benchreg (internal/cmd/benchreg) and crane; installs buildah,
# pigz and GNU time from Debian's packages when they are missing (a tool that
# cannot be installed or run is reported, never fatal); starts a source and a
# target registry seeded with deterministic Bref-like fixtures; runs brefimg,
# a crane script and buildah on three scenarios (cold, warm, no-op), measures
# the floor, and warm rebuilds at larger app scales; writes BENCHMARKS.md.
#
# Settings (environment):
#   BENCH_RUNS=5            runs per scenario for brefimg and crane (and the floor)
#   BENCH_BUILDAH_RUNS=3    runs per scenario for buildah
#   BENCH_SCALES="4 10"     app scales of the warm-rebuild table (1x comes from the main runs)
#   BENCH_SCALE_RUNS=3      warm runs per scale
#   BENCH_TOOLS="brefimg crane buildah"   tools of the main table
#   BENCH_SCALE_TOOLS="brefimg crane"     tools of the scale table
#   BENCH_BUILDAH_LAYERS=   set to 1 to give buildah bud --layers (its layer cache)
#   BENCH_RUN_TIMEOUT=600   seconds before one run is killed (and counted as failed)
#   BENCH_OUT=BENCHMARKS.md where the report goes
#   BENCH_KEEP=             set to 1 to keep the temporary directory
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNS=${BENCH_RUNS:-5}
BUILDAH_RUNS=${BENCH_BUILDAH_RUNS:-3}
SCALES=${BENCH_SCALES:-4 10}
SCALE_RUNS=${BENCH_SCALE_RUNS:-3}
TOOLS=${BENCH_TOOLS:-brefimg crane buildah}
SCALE_TOOLS=${BENCH_SCALE_TOOLS:-brefimg crane}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
GO=${GO:-go}
CRANE_VERSION=v0.22.1
EPOCH=1700000000
BIN=$ROOT/bin/bench
BREFIMG=$ROOT/bin/brefimg

START=$EPOCHREALTIME
# The load before this script adds any: other work on the machine skews the figures.
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# No BREFIMG_* settings from the caller's environment may change the builds.
for v in "${!BREFIMG_@}"; do unset "$v"; done

STATE=$(mktemp -d "${TMPDIR:-/tmp}/brefimg-bench.XXXXXX")
RESULTS=$STATE/results.tsv
ENVF=$STATE/env
BENCHREG_PID=
CHILD=

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
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
	if [[ -n $BENCHREG_PID ]] && kill -0 "$BENCHREG_PID" 2>/dev/null; then
		kill -TERM "$BENCHREG_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$BENCHREG_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$BENCHREG_PID" 2>/dev/null || true
		wait "$BENCHREG_PID" 2>/dev/null || true
	fi
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		log "kept $STATE"
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
printf 'tool\tscenario\tscale\trun\tseconds\tcpu_seconds\trss_kb\tstatus\tdigest\tuploads\tupload_bytes\tpulled_bytes\ttool_pushed\n' >"$RESULTS"
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

HAVE_PIGZ=
if ! command -v pigz >/dev/null; then
	log "installing pigz (apt-get)"
	apt_install pigz || true
fi
if command -v pigz >/dev/null; then HAVE_PIGZ=1; else note "pigz unavailable: no floor row"; fi

CACHE_FLAG=
if "$BREFIMG" build --help 2>&1 | grep -q -- --cache-dir; then CACHE_FLAG=1; fi

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
SOURCE=$(kv SOURCE) TARGET=$(kv TARGET) CONTROL=$(kv CONTROL)
setenv seed_bytes "$(kv SEED_BYTES)"
log "SOURCE=$SOURCE TARGET=$TARGET APP=$APP ($(sed 's/^benchreg: //' "$STATE/benchreg.log" | tr '\n' ';'))"

ctl() { "$BENCHREG" ctl -addr "$CONTROL" "$@"; }
app_stats() { # DIR SCALE: record the file count and size of an app
	setenv "app_files_$2" "$(find "$1" -type f | wc -l)"
	setenv "app_bytes_$2" "$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"
}
app_stats "$APP" 1

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

cat >"$STATE/Dockerfile" <<EOF
FROM $SOURCE/bref/php-80-fpm:1
COPY --from=$SOURCE/bref/extra-redis-php-80:0.10 /opt /opt
COPY --from=$SOURCE/bref/extra-gmp-php-80:0.10 /opt /opt
COPY . /var/task
CMD ["public/index.php"]
EOF

# fresh_state TOOL: forget the tool's local state (caches, storage).
fresh_state() {
	case $1 in
	brefimg) rm -rf "$STATE/brefimg-cache" "$STATE/xdg"; mkdir -p "$STATE/brefimg-cache" "$STATE/xdg" ;;
	buildah) rm -rf "$STATE/buildah" ;;
	crane) rm -rf "$STATE/crane-work" ;;
	esac
}

# set_cmd TOOL APP REF: the command that builds APP and pushes REF, in CMD.
set_cmd() {
	local tool=$1 app=$2 ref=$3
	case $tool in
	brefimg)
		CMD=(env "XDG_CACHE_HOME=$STATE/xdg" "$BREFIMG" build --bref 1 --php 8.0 --ext redis@0.10,gmp@0.10
			--mirror "$SOURCE" --insecure-registry "$SOURCE" --insecure-registry "$TARGET"
			--source-date-epoch "$EPOCH" --progress plain
			--digest-file "$STATE/brefimg.digest" --metadata-file "$STATE/brefimg.json" -t "$ref")
		[[ -n $CACHE_FLAG ]] && CMD+=(--cache-dir "$STATE/brefimg-cache")
		CMD+=("$app")
		;;
	crane) CMD=(bash -eo pipefail -c 'crane_build "$@"' crane_build "$app" "$ref" "$STATE/crane-work") ;;
	buildah) CMD=(bash -eo pipefail -c 'buildah_build "$@"' buildah_build "$app" "$ref" "$STATE/buildah" "$STATE/Dockerfile") ;;
	esac
}

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
	rm -f "$STATE/time.txt"
	local t0 t1 status=ok
	t0=$EPOCHREALTIME
	# In the background, so that a signal to this script is handled at once.
	timeout "$RUN_TIMEOUT" "${TIMECMD[@]}" "$@" >"$STATE/run.out" 2>"$STATE/run.err" </dev/null &
	CHILD=$!
	wait "$CHILD" || status=fail
	t1=$EPOCHREALTIME
	CHILD=
	local secs cpu=-1 rss=-1 digest=- uploads=-1 upbytes=-1 pulled=-1 pushed=-1 kv
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	if [[ -s $STATE/time.txt ]]; then
		rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$STATE/time.txt")
		cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$STATE/time.txt")
	fi
	for kv in $(ctl stats); do
		case $kv in
		uploads=*) uploads=${kv#*=} ;;
		upload_bytes=*) upbytes=${kv#*=} ;;
		source_blob_bytes=*) pulled=${kv#*=} ;;
		esac
	done
	if [[ $status == ok && $ref != - ]]; then
		digest=$("$BENCHREG" digest "$ref" 2>>"$STATE/run.err") || { status=fail; digest=-; }
	fi
	if [[ $tool == brefimg ]]; then
		pushed=$(grep -c '^pushed blob' "$STATE/run.err" || true)
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$scenario" "$scale" "$run" "$secs" \
		"${cpu:--1}" "${rss:--1}" "$status" "$digest" "$uploads" "$upbytes" "$pulled" "$pushed" >>"$RESULTS"
	log "$(printf '%-10s %-7s %3sx run %s: %7ss  cpu %ss  rss %s kB  %s blob(s) up  %s  %s' "$tool" "$scenario" "$scale" "$run" "$secs" "$cpu" "$rss" "$uploads" "${digest:0:19}" "$status")"
	LAST_STATUS=$status
	if [[ $status != ok ]]; then
		log "  stderr: $(tail -n 5 "$STATE/run.err" | tr '\n' ' ')"
	fi
}

# failed TOOL WHAT: note a failed run, with its error output.
failed() {
	note "$1 failed ($2), its remaining runs were skipped: $(tail -n 3 "$STATE/run.err" | tr '\n' ' ' | cut -c1-400)"
}

# run_tool TOOL RUNS: cold, warm, no-op and verify runs of one tool on the 1x app.
run_tool() {
	local tool=$1 runs=$2 ref=$TARGET/bench/$1:latest i
	log "== $tool: $runs run(s) per scenario"
	"$BENCHREG" change -dir "$APP" -n 0 >/dev/null
	for i in $(seq "$runs"); do
		ctl reset >/dev/null
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
	ctl reset >/dev/null
	fresh_state "$tool"
	set_cmd "$tool" "$APP" "$ref"
	measure "$tool" verify 1 1 "$ref" "${CMD[@]}"
	fresh_state "$tool"
}

# run_floor RUNS: copying the base blobs, and tar | pigz of the app.
run_floor() {
	local i
	log "== floor: $1 run(s)"
	for i in $(seq "$1"); do
		ctl reset >/dev/null
		measure floor-copy cold 1 "$i" "$TARGET/floor/base:1" "$CRANE" copy --insecure "$SOURCE/bref/php-80-fpm:1" "$TARGET/floor/base:1"
		[[ $LAST_STATUS == ok ]] || { failed floor "copy run $i"; return 0; }
	done
	for i in $(seq "$1"); do
		measure floor-pack cold 1 "$i" - bash -eo pipefail -c 'floor_pack "$@"' floor_pack "$APP" "$STATE/floor.tgz"
		[[ $LAST_STATUS == ok ]] || { failed floor "tar|pigz run $i"; return 0; }
	done
	rm -f "$STATE/floor.tgz"
}

# run_scale SCALE: a cold build, then warm runs, of each scale tool on the app at SCALE.
run_scale() {
	local s=$1 dir=$STATE/app-$1 tool i
	log "== app at ${s}x: writing it"
	"$BENCHREG" app -dir "$dir" -scale "$s" >&2
	app_stats "$dir" "$s"
	for tool in $SCALE_TOOLS; do
		[[ $tool == crane && -z $HAVE_CRANE ]] && continue
		local ref=$TARGET/bench/$tool-${s}x:latest
		"$BENCHREG" change -dir "$dir" -n 0 >/dev/null
		ctl reset >/dev/null
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
	rm -rf "$dir"
}

for tool in $TOOLS; do
	case $tool in
	brefimg) run_tool brefimg "$RUNS" ;;
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
for s in $SCALES; do run_scale "$s"; done

setenv load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
setenv total_seconds "$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}')"
log "writing $OUT"
"$BENCHREG" report -results "$RESULTS" -env "$ENVF" -out "$OUT"
