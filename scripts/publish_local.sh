#!/usr/bin/env bash
# `make publish-local`: the publish workflow (.github/workflows/publish.yml) run on this
# machine, against a local E-utilities stand-in instead of NCBI, in a throw-away copy of
# the repository (this checkout is never modified):
#
#   1. start tests/eutils_standin.py on 127.0.0.1, serving a synthetic corpus dated in the
#      last three weeks, and point NCBI_EUTILS_URL at it (with stand-in values for the
#      NCBI_API_KEY and NCBI_EMAIL secrets)
#   2. copy the repository into a temporary folder that plays the workflow's checkout, with
#      a local bare repository as its `origin`
#   3. job "harvest": scripts/publish.sh harvest, commit, push (the workflow's own steps);
#      then check that a second commit step finds nothing to commit
#   4. job "build": a fresh clone of the pushed commit, `python -m generator build` (what
#      `make build` runs: index + mkdocs build --strict), and a look at the site
#
# A failed harvest ends the run as the workflow does: its pages and run record are committed
# and pushed, the site is not built, and the exit status is non-zero.
#
# Options:
#   --since YYYY-MM-DD   the workflow's manual "since" input
#   --count N            papers in the stand-in's corpus (default 40)
#   --fail-upstream      the stand-in answers HTTP 404 to everything: every topic fails
#   --keep DIR           keep the run's folders in DIR (which must not exist) to look at
# Environment: PY, the Python with the project installed (default .venv/bin/python).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$ROOT/.venv/bin/python}
case $PY in /*) ;; *) PY="$ROOT/$PY" ;; esac
SINCE="" COUNT=40 FAIL_UPSTREAM=0 KEEP=""
while [ $# -gt 0 ]; do
  case $1 in
    --since) SINCE=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --fail-upstream) FAIL_UPSTREAM=1; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "publish-local: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "publish-local: $*"; }
die() { echo "publish-local: FAILED: $*" >&2; exit 1; }
# git as the workflow's bot, whatever this machine's git config says
bot_git() {
  git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
    -c commit.gpgsign=false -c init.defaultBranch=main "$@"
}

[ -x "$PY" ] || die "no Python at $PY: run 'make install' first (or set PY)"

if [ -n "$KEEP" ]; then
  [ -e "$KEEP" ] && die "--keep $KEEP: it already exists"
  mkdir -p "$KEEP"
  WORK=$(cd "$KEEP" && pwd)
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/publish-local.XXXXXX")
fi
STANDIN_PID=""
cleanup() {
  if [ -n "$STANDIN_PID" ]; then
    kill "$STANDIN_PID" 2>/dev/null || true
    wait "$STANDIN_PID" 2>/dev/null || true
  fi
  if [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Nothing of a surrounding GitHub Actions job (this may run inside test.yml) leaks in:
# no step outputs or summary written for it, no branch name, no token.
unset GITHUB_ACTIONS GITHUB_OUTPUT GITHUB_STEP_SUMMARY GITHUB_REF_NAME GITHUB_SERVER_URL GH_TOKEN
export NCBI_API_KEY="publish-local-standin-key" NCBI_EMAIL="publish-local@example.org"
export PY NO_MKDOCS_2_WARNING=1

# ---------------------------------------------------------------- 1. the stand-in
read -r START END < <("$PY" -c '
import datetime as dt
from generator.utils.clock import system_clock
today = system_clock().today()  # as the harvest sees it (PUBMED_KB_NOW when set)
print((today - dt.timedelta(days=21)).strftime("%Y/%m/%d"), today.strftime("%Y/%m/%d"))')
"$PY" "$ROOT/tests/eutils_standin.py" --host 127.0.0.1 --port 0 --count "$COUNT" \
  --start "$START" --end "$END" >"$WORK/standin.log" 2>&1 &
STANDIN_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://[^ )"]*' "$WORK/standin.log" | head -n 1 || true)
  [ -n "$URL" ] && break
  kill -0 "$STANDIN_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || die "the E-utilities stand-in did not start: $(cat "$WORK/standin.log")"
if [ "$FAIL_UPSTREAM" = 1 ]; then
  URL="${URL%/entrez/eutils/}/not-eutils/" # answered with HTTP 404
fi
export NCBI_EUTILS_URL="$URL"
say "E-utilities stand-in at $URL ($COUNT papers, entry dates $START..$END)"

# ---------------------------------------------------------------- 2. the checkout
# The repository as a clone would hold it: tracked files and new files not ignored, but of
# the knowledge base (site_src/, state/) only what is committed, never local demo output.
CHECKOUT="$WORK/checkout"
mkdir -p "$CHECKOUT"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  {
    git -C "$ROOT" ls-files -z --cached
    git -C "$ROOT" ls-files -z --others --exclude-standard -- . ':(exclude)site_src' ':(exclude)state'
  } | while IFS= read -r -d '' f; do
    if [ -e "$ROOT/$f" ] || [ -L "$ROOT/$f" ]; then printf '%s\0' "$f"; fi
  done | tar -C "$ROOT" --null -T - -cf - | tar -C "$CHECKOUT" -xf -
else
  tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./site --exclude='./.*cache' \
    -cf - . | tar -C "$CHECKOUT" -xf -
fi
bot_git init --quiet --bare "$WORK/origin.git"
(
  cd "$CHECKOUT"
  bot_git init --quiet
  git symbolic-ref HEAD refs/heads/main
  git add --all
  bot_git commit --quiet -m "the repository as checked out" --allow-empty
  git remote add origin "$WORK/origin.git"
  git push --quiet origin main
)
say "checkout: $CHECKOUT (origin: $WORK/origin.git)"

# ---------------------------------------------------------------- 3. job "harvest"
cd "$CHECKOUT"
BEFORE=$(git rev-parse HEAD)
set +e
bash scripts/publish.sh harvest "$SINCE"
HARVEST=$?
set -e
if [ "$HARVEST" = 0 ] || [ "$HARVEST" = 1 ]; then
  HARVEST_EXIT=$HARVEST bash scripts/publish.sh commit
  bash scripts/publish.sh push
  AFTER=$(git rev-parse HEAD)
  [ "$(git -C "$WORK/origin.git" rev-parse main)" = "$AFTER" ] || die "origin does not hold $AFTER"
  # Run the commit step again: nothing has changed, so it must commit nothing.
  bash scripts/publish.sh commit
  [ "$(git rev-parse HEAD)" = "$AFTER" ] || die "a second commit step made a commit"
  if [ "$AFTER" = "$BEFORE" ]; then
    say "job harvest: nothing changed, nothing committed"
  else
    say "job harvest: committed and pushed $(git log -1 --format='%h %an: %s')"
  fi
fi
if [ "$HARVEST" != 0 ]; then
  echo "publish-local: FAILED: the harvest exited $HARVEST; the site was NOT rebuilt" \
    "(on GitHub the last good site stays published)" >&2
  exit 1
fi

# ---------------------------------------------------------------- 4. job "build"
BUILD="$WORK/build"
git clone --quiet "$WORK/origin.git" "$BUILD"
cd "$BUILD"
"$PY" -m generator build
[ -f site/index.html ] || die "site/index.html was not built"
PAGES=$(find site/papers -mindepth 2 -maxdepth 2 -path 'site/papers/[0-9]*/index.html' | wc -l)
[ "$PAGES" -gt 0 ] || die "the site has no paper pages"
say "job build: $PAGES paper pages in $BUILD/site"
say "OK: harvest → commit → push → build --strict (deploy-pages is GitHub's part)"
