#!/usr/bin/env bash
# The steps of the publish workflow (.github/workflows/publish.yml). They ship in the package,
# not in the workflow, so that every knowledge base runs the same code (python -m generator
# publish STEP runs this file in the knowledge base's folder), and `make publish-local`
# (scripts/publish_local.sh) runs it on this machine against a local E-utilities stand-in.
#
#   publish harvest [YYYY-MM-DD]  python -m generator harvest [--since DATE]; exits as
#                                 harvest does: 0 every topic worked, 1 some topics failed,
#                                 2 error
#   publish commit                commit the paper pages and the harvest state as
#                                 github-actions[bot] (never the grouping pages: every
#                                 build derives them); no commit when nothing changed
#   publish push                  push HEAD to its branch on origin, rebasing onto commits
#                                 pushed in the meantime
#
# Environment: KB_ROOT (the knowledge base's folder, default: the current one); PY (the
# Python with the generator installed, default python3); NCBI_API_KEY, NCBI_EMAIL and NCBI_EUTILS_URL
# for the harvest; HARVEST_EXIT (the harvest's status) for the commit message; GH_TOKEN for
# an HTTPS push (else git's own credentials). Under GitHub Actions the results also go to
# $GITHUB_OUTPUT (exit=, committed=, sha=) and a summary to $GITHUB_STEP_SUMMARY.
set -euo pipefail
cd "${KB_ROOT:-$PWD}"

PY=${PY:-python3}
BOT_NAME="github-actions[bot]"
BOT_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"

say() { echo "publish: $*"; }
set_output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >>"$GITHUB_OUTPUT"; fi; }
summary() { if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat >>"$GITHUB_STEP_SUMMARY"; else cat >/dev/null; fi; }
as_bot() { git -c user.name="$BOT_NAME" -c user.email="$BOT_EMAIL" -c commit.gpgsign=false "$@"; }

# The folders the harvest writes (paths.site_src and paths.state of kb.yml, relative), then
# the grouping pages inside site_src that every build derives again (generator.site.index):
# those are not source, and are never committed.
kb_paths() {
  "$PY" - <<'EOF'
import os
from pathlib import Path

from generator.config.load import load_config
from generator.site.index import GENERATED_DIRS, GENERATED_ROOT

config = load_config(Path("kb.yml"))
print(os.path.relpath(config.site_src))
print(os.path.relpath(config.state_dir))
for rel in sorted({*GENERATED_ROOT, *GENERATED_DIRS}):
    print(os.path.relpath(config.site_src / rel))
EOF
}

cmd_harvest() {
  local args=(-m generator harvest)
  if [ -n "${1:-}" ]; then args+=(--since "$1"); fi
  local log code
  log=$(mktemp)
  say "running: python ${args[*]}"
  set +e
  "$PY" "${args[@]}" 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  set -e
  set_output "exit=$code"
  local verdict
  case $code in
    0) verdict="every topic harvested" ;;
    1) verdict="SOME TOPICS FAILED (exit 1): the pages of the topics that worked are kept and committed, the failed topics are retried next run, and the site is NOT rebuilt this time" ;;
    *) verdict="ERROR (exit $code): nothing is committed and the site is NOT rebuilt" ;;
  esac
  say "harvest: $verdict"
  {
    echo "### Harvest: $verdict"
    echo
    echo '```'
    tail -n 200 "$log"
    echo '```'
  } | summary
  rm -f "$log"
  return "$code"
}

cmd_commit() {
  local listed site_src state generated=() paths=() p
  listed=$(kb_paths)
  { read -r site_src; read -r state; } <<<"$listed"
  while IFS= read -r p; do generated+=("$p"); done < <(tail -n +3 <<<"$listed")
  # Source only: the pages (papers with the notes written on them) and the harvest state.
  # The grouping pages are derived by every build; any a clone still tracks (from an
  # earlier version of this script) leave the index, not the disk.
  git rm -r --cached --quiet --ignore-unmatch -- "${generated[@]}"
  for p in "$site_src" "$state"; do
    if [ -e "$p" ]; then paths+=("$p"); fi
  done
  if [ ${#paths[@]} -eq 0 ]; then
    say "no pages or state on disk: no commit"
    set_output "committed=false"
    return 0
  fi
  # the grouping pages stay out; naming one that .gitignore lists (as init's does) would
  # make git add fail, and git leaves those out anyway
  local excludes=()
  for p in "${generated[@]}"; do
    if ! git check-ignore -q -- "$p"; then excludes+=(":(exclude)$p"); fi
  done
  git add --all -- "${paths[@]}" ${excludes[@]+"${excludes[@]}"}
  if git diff --cached --quiet -- "${paths[@]}"; then
    say "nothing changed in ${paths[*]}: no commit"
    set_output "committed=false"
    echo "Nothing changed: no commit." | summary
    return 0
  fi
  local papers="${paths[0]}/papers" new updated removed message
  new=$(git diff --cached --name-only --diff-filter=A -- "$papers" | grep -cE '/[0-9]+\.md$' || true)
  updated=$(git diff --cached --name-only --diff-filter=M -- "$papers" | grep -cE '/[0-9]+\.md$' || true)
  removed=$(git diff --cached --name-only --diff-filter=D -- "$papers" | grep -cE '/[0-9]+\.md$' || true)
  message="Harvest $(date -u +%F): $new new, $updated updated paper pages"
  if [ "$removed" != 0 ]; then message+=", $removed removed"; fi
  if [ "${HARVEST_EXIT:-0}" != 0 ]; then message+="; some topics FAILED (state/runs.jsonl)"; fi
  # [skip ci]: even if a token that does start workflows is used some day, no loop.
  as_bot commit --quiet -m "$message [skip ci]" \
    -m "$(git diff --cached --stat -- "${paths[@]}" | tail -n 1)" \
    -m "Committed by the publish workflow (pubmed-kb's publish commit)."
  say "committed $(git rev-parse --short HEAD): $message"
  set_output "committed=true"
  echo "Committed: $message." | summary
}

cmd_push() {
  local branch
  branch=${GITHUB_REF_NAME:-$(git symbolic-ref --short HEAD)}
  if [ -n "${GH_TOKEN:-}" ]; then
    # Like actions/checkout: an HTTP header for this process only, never written to disk,
    # and masked in the log.
    local basic
    basic=$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\n')
    if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::add-mask::$basic"; fi
    export GIT_CONFIG_COUNT=1
    export GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
    export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
  fi
  local attempt
  for attempt in 1 2 3; do
    if git push --quiet origin "HEAD:refs/heads/$branch"; then
      say "pushed $(git rev-parse --short HEAD) to $branch"
      set_output "sha=$(git rev-parse HEAD)"
      return 0
    fi
    say "push refused (attempt $attempt of 3); rebasing onto what $branch holds now"
    if ! as_bot pull --quiet --rebase origin "$branch"; then
      git rebase --abort >/dev/null 2>&1 || true
      say "ERROR: the harvest's commit does not rebase cleanly onto $branch; nothing pushed"
      return 1
    fi
  done
  say "ERROR: could not push to $branch (branch protection? token permissions? see docs/deploy.md)"
  return 1
}

case "${1:-}" in
  harvest) shift; cmd_harvest "$@" ;;
  commit) cmd_commit ;;
  push) cmd_push ;;
  *)
    echo "usage: publish harvest [YYYY-MM-DD] | commit | push" >&2
    exit 2
    ;;
esac
