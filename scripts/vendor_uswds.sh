#!/usr/bin/env bash
# Vendor a trimmed copy of the compiled USWDS assets into static/uswds/ so the
# app runs from a fresh clone without Node.js. Only needed when (re)pinning
# USWDS; requires npm and access to the npm registry.
#
#   usage: scripts/vendor_uswds.sh
#
# Layout kept: static/uswds/{css,js,fonts,img}/ (uswds.min.css uses ../fonts and
# ../img relative URLs, so these must stay siblings).
set -euo pipefail

USWDS_VERSION="3.14.0"
# dist.integrity of @uswds/uswds@3.14.0 on registry.npmjs.org
USWDS_INTEGRITY="sha512-kwZ50TqGszxj3+MQhm+c84hI0y8rIKoc7ZLKbuHg+8rTkFisp9lXOMRD2wclyyuYZahpADxMvaPong7bwL7cew=="

# Icons our templates/components use directly (kept even if the CSS does not
# reference them). The whole usa-icons/ folder is copied below when it is
# under 1 MB, which makes this list a floor, not a ceiling.
ICONS=(close navigate_before navigate_next expand_more expand_less search
       check_circle error warning info lock help content_copy language
       calendar_today)
# Banner / identifier / misc images used from templates (not via CSS).
EXTRA_IMG=(sprite.svg us_flag_small.png icon-dot-gov.svg icon-https.svg
           circle-124.png circle-gray-20.svg)
FAVICONS=(favicon.ico favicon.png favicon-16.png favicon-57.png
          favicon-192.png)
ICON_DIR_LIMIT=$((1024 * 1024))

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO_ROOT/static/uswds"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "==> npm pack @uswds/uswds@$USWDS_VERSION"
(cd "$TMP" && npm pack --silent "@uswds/uswds@$USWDS_VERSION" >/dev/null)
TGZ="$(ls "$TMP"/uswds-uswds-"$USWDS_VERSION".tgz)"

# node is always present alongside npm, so use it to compute the SRI hash.
actual="$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$TGZ")"
if [[ "$actual" != "$USWDS_INTEGRITY" ]]; then
  echo "ERROR: tarball integrity mismatch" >&2
  echo "  expected $USWDS_INTEGRITY" >&2
  echo "  got      $actual" >&2
  exit 1
fi

tar -xzf "$TGZ" -C "$TMP"
SRC="$TMP/package/dist"
[[ -f "$SRC/css/uswds.min.css" ]] || { echo "ERROR: $SRC/css/uswds.min.css missing" >&2; exit 1; }

echo "==> rebuilding $DEST"
rm -rf "$DEST"
mkdir -p "$DEST/css" "$DEST/js" "$DEST/fonts" "$DEST/img/usa-icons" "$DEST/img/favicons"

# copy_rel <path relative to dist/>  -- copies preserving sub-directories
copy_rel() {
  mkdir -p "$DEST/$(dirname "$1")"
  cp "$SRC/$1" "$DEST/$1"
}

# --- css / js / license -------------------------------------------------------
copy_rel css/uswds.min.css
copy_rel js/uswds.min.js
copy_rel js/uswds-init.min.js
cp "$TMP/package/LICENSE.md" "$DEST/LICENSE.md"

# --- everything uswds.min.css references via url(../fonts|../img/...) -------
# Fonts: only woff2 (the first/only format in every @font-face src list).
missing=()
while IFS= read -r ref; do
  rel="${ref#../}"
  case "$rel" in
    fonts/*.woff2|img/*) ;;
    fonts/*) continue ;;          # woff/ttf fallbacks: intentionally not kept
    *) continue ;;
  esac
  if [[ -f "$SRC/$rel" ]]; then
    copy_rel "$rel"
  else
    missing+=("$rel")
  fi
done < <(grep -o 'url([^)]*)' "$SRC/css/uswds.min.css" \
           | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//; s/[?#].*$//' \
           | grep '^\.\./' | sort -u)

# --- usa-icons ------------------------------------------------------------------
icons_bytes="$(du -sb "$SRC/img/usa-icons" | cut -f1)"
if (( icons_bytes < ICON_DIR_LIMIT )); then
  cp "$SRC"/img/usa-icons/*.svg "$DEST/img/usa-icons/"
else
  for i in "${ICONS[@]}"; do
    if [[ -f "$SRC/img/usa-icons/$i.svg" ]]; then copy_rel "img/usa-icons/$i.svg"
    else missing+=("img/usa-icons/$i.svg"); fi
  done
fi

# --- banner / identifier / sprite -------------------------------------------
for f in "${EXTRA_IMG[@]}"; do
  if [[ -f "$SRC/img/$f" ]]; then copy_rel "img/$f"; else echo "note: img/$f not in package, skipped"; fi
done
for f in "${FAVICONS[@]}"; do
  if [[ -f "$SRC/img/favicons/$f" ]]; then copy_rel "img/favicons/$f"; else echo "note: img/favicons/$f not in package, skipped"; fi
done

# --- README (regenerated each run, since the folder is wiped above) ----------
cat > "$DEST/README.md" <<EOF
# Vendored USWDS assets

Trimmed copy of the compiled assets of the U.S. Web Design System, npm package \`@uswds/uswds@$USWDS_VERSION\` (pinned; see LICENSE.md).
Kept: \`css/uswds.min.css\`, \`js/uswds.min.js\`, \`js/uswds-init.min.js\`, the woff2 fonts and img files the CSS references, \`usa-icons/\`, \`sprite.svg\`, banner images and favicons.
Do not edit by hand: re-create with \`scripts/vendor_uswds.sh\` (needs npm; change \`USWDS_VERSION\`/\`USWDS_INTEGRITY\` there to upgrade).
EOF

# --- summary --------------------------------------------------------------------
echo
echo "==> USWDS $USWDS_VERSION vendored into ${DEST#"$REPO_ROOT"/}"
for d in css js fonts img img/usa-icons; do
  printf '  %-16s %8s  (%d files)\n' "$d/" \
    "$(du -sb "$DEST/$d" | awk '{printf "%.1f KB", $1/1024}')" \
    "$(find "$DEST/$d" -type f | wc -l)"
done
printf '  %-16s %8s  (%d files)\n' "TOTAL" \
  "$(du -sb "$DEST" | awk '{printf "%.1f KB", $1/1024}')" \
  "$(find "$DEST" -type f | wc -l)"
echo "  fonts kept:"
(cd "$DEST/fonts" && find . -type f -name '*.woff2' | sed 's|^\./|    |' | sort)

if (( ${#missing[@]} )); then
  echo
  echo "WARNING: referenced but not present in the package:" >&2
  printf '  %s\n' "${missing[@]}" >&2
fi
