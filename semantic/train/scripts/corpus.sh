#!/usr/bin/env bash
# Gathers the training text of agentry's semantic model into one file:
# package lists (name<TAB>...<TAB>summary, header first) given as
# arguments, then the English Debian package descriptions of this
# machine's apt sources. See docs/model.md.
#
#   semantic/train/scripts/corpus.sh OUT.txt pypi.tsv npm.tsv
#
# Needs root for apt-get update (set SKIP_APT_UPDATE=1 to use the lists
# as they are); APT_LISTS overrides apt's lists folder, and AGENTRY the
# command that runs agentry (default: go run ./cmd/agentry).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 OUT [PACKAGE_LIST.tsv...]" >&2
  exit 2
fi
out=$(realpath -m "$1")
shift
inputs=()
for f in "$@"; do inputs+=("$(realpath "$f")"); done
lists=${APT_LISTS:-/var/lib/apt/lists}

if [ "${SKIP_APT_UPDATE:-0}" != 1 ]; then
  apt-get update -qq -o Acquire::Languages=en
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
found=0
for f in "$lists"/*_i18n_Translation-en*; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  /usr/lib/apt/apt-helper cat-file "$f" > "$tmp/${name%.*}.txt"
  inputs+=("$tmp/${name%.*}.txt")
  found=1
done
if [ "$found" = 0 ]; then
  echo "$0: no Translation-en file in $lists (run apt-get update -o Acquire::Languages=en)" >&2
  exit 1
fi

cd "$(dirname "$0")/../../.."
${AGENTRY:-go run ./cmd/agentry} model corpus --out "$out" "${inputs[@]}"
