#!/usr/bin/env bash
# Checks that the repository stands alone: no file may point outside it. Fails (exit 1) and lists
# file:line for every
#   - reference to the sibling reference folder, its golden captures or its spec files;
#   - absolute path of a build or development machine (the work area, the Swift toolchain under
#     the opt tree, root's home, other homes) or of the assistant library folder;
#   - citation of docs/<name>.md that is not in the repository.
# Files checked: every tracked file still present, plus untracked files git does not ignore (so a
# commit about to be made is checked too). Binary files are skipped.
#   scripts/check-self-contained.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The patterns are written so that this file does not match them itself.
outside=(
  '\.\.(/|\\)shared'
  'shared/(golde[n]|spe[c])(/|\b)'
  '/wor[k]/'
  '/op[t]/'
  '/roo[t]/'
  '/hom[e]/'
  '\.librar[y]'
)
pattern=$(IFS='|'; echo "${outside[*]}")
# docs/<name>.md not preceded by a URL or a path (so a web page's /docs/... is not taken for ours).
docs_ref='(^|[^A-Za-z0-9_./-])doc[s]/[A-Za-z0-9_./-]+\.md'

files=()
while IFS= read -r -d '' file; do
  [ -f "$file" ] && files+=("$file")
done < <({ git ls-files -z; git ls-files -z --others --exclude-standard; } | sort -zu)

declare -A present=()
for file in "${files[@]}"; do present["$file"]=1; done

hits=0
report() { printf '%s\n' "$1"; hits=$((hits + 1)); }

if [ ${#files[@]} -gt 0 ]; then
  while IFS= read -r line; do
    report "$line"
  done < <(printf '%s\0' "${files[@]}" | xargs -0 grep -nIE -- "$pattern" /dev/null || true)

  while IFS= read -r match; do
    [[ $match =~ ^(.*):([0-9]+):(.*)$ ]] || continue
    location="${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"
    cited=${BASH_REMATCH[3]}
    cited=${cited#"${cited%%docs/*}"}       # drop the character before docs/
    if [ -z "${present[$cited]:-}" ]; then
      report "$location: cites $cited, which is not in the repository"
    fi
  done < <(printf '%s\0' "${files[@]}" | xargs -0 grep -noIE -- "$docs_ref" /dev/null || true)
fi

if [ "$hits" -gt 0 ]; then
  echo "check-self-contained: $hits reference(s) outside the repository" >&2
  exit 1
fi
echo "check-self-contained: ${#files[@]} files, nothing refers outside the repository"
